//! `#[params]` and `#[experiment]` in a program: the checkpoint a generated struct
//! writes, several experiments in one binary, and a parameter empty at run time. (The
//! generated `main` run end to end, killed and continued, is `sweep_demo`'s tests; the
//! compile errors are the trybuild cases of `macros::ui`.)

use std::process::ExitCode;

use execo::engine::ParamSpace;
use execo::engine::experiment::{main_with, registered};
use execo::prelude::*;

#[params(a = [1, 2], b = { x: { c = [true, false] }, y: {} })]
struct Restricted;

#[test]
fn a_restricted_sweep_is_checkpointed_flat_as_execo_combinations() {
    let dir = std::env::temp_dir().join(format!("execo-it-xpmacro-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let sweeper = ParamSweeper::open(&dir, Restricted::sweep()).unwrap();
    let first = sweeper.get_next().unwrap().unwrap();
    assert!(matches!(first.b, B::X { c: true }));
    sweeper.done(&first).unwrap();
    let saved = std::fs::read_to_string(dir.join("sweep.jsonl")).unwrap();
    assert_eq!(
        saved.lines().collect::<Vec<_>>(),
        [
            r#"{"a":1,"b":"x","c":true}"#,
            r#"{"a":1,"b":"x","c":false}"#,
            r#"{"a":1,"b":"y"}"#,
            r#"{"a":2,"b":"x","c":true}"#,
            r#"{"a":2,"b":"x","c":false}"#,
            r#"{"a":2,"b":"y"}"#,
        ]
    );
    drop(sweeper);
    // Reopened from the directory: the done combination is known by its flat form.
    let again = ParamSweeper::open(&dir, Restricted::sweep()).unwrap();
    assert_eq!(again.done_items(), [first]);
    assert_eq!(again.stats().todo, 5);
    std::fs::remove_dir_all(&dir).ok();
}

#[derive(clap::Args, Debug)]
struct FlowArgs {
    #[arg(long)]
    hosts: String,
}

/// Flows between hosts.
#[experiment(no_main)]
#[params(flows = [1, 4], cc = ["cubic", "reno"])]
async fn flows(xp: &mut Experiment<FlowArgs>, p: FlowParams) -> Result<String, String> {
    Ok(format!("{} {} {}", xp.args().hosts, p.flows, p.cc))
}

/// Flows, with a quick sweep.
#[experiment(no_main)]
#[params(flows = [1, 2, 4, 8], cc = ["cubic", "reno"], mode = { a: { k = [1, 2] }, b: {} })]
#[params(quick, flows = [1, 8], mode = { a: { k = [2] } })]
fn quick(_xp: &mut Experiment, p: QuickParams) -> Result<u64, String> {
    Ok(p.flows)
}

/// A sweep whose only parameter turns out empty.
#[experiment(no_main)]
#[params(n: u32 = Vec::<u32>::new())]
fn nothing(_xp: &mut Experiment, p: NothingParams) -> Result<u32, String> {
    Ok(p.n)
}

fn main_out(argv: &[&str]) -> (ExitCode, String) {
    let mut out = Vec::new();
    let code = main_with(argv.iter().copied(), &mut out);
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn several_experiments_in_one_binary_are_subcommands() {
    let names: Vec<&str> = registered().iter().map(|e| e.name).collect();
    assert_eq!(names, ["flows", "nothing", "quick"]);
    let (code, list) = main_out(&["prog", "--list"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(
        list,
        "flows\tFlows between hosts.\nnothing\tA sweep whose only parameter turns out empty.\n\
         quick\tFlows, with a quick sweep.\n"
    );
    // No experiment named: help, and a failure status; an unknown one: clap's error.
    assert_eq!(main_out(&["prog"]).0, ExitCode::from(2));
    assert_eq!(main_out(&["prog", "nope"]).0, ExitCode::from(2));
    // Each subcommand has its own arguments: `flows` requires --hosts.
    assert_eq!(
        main_out(&["prog", "flows", "--dry-run"]).0,
        ExitCode::from(2)
    );
    let (code, plan) = main_out(&["prog", "flows", "--hosts", "h", "--dry-run"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(
        plan.lines().collect::<Vec<_>>(),
        [
            "flows: 4 of 4 combinations to do in a new result directory (dry run: nothing runs)",
            r#"{"flows":1,"cc":"cubic"}"#,
            r#"{"flows":1,"cc":"reno"}"#,
            r#"{"flows":4,"cc":"cubic"}"#,
            r#"{"flows":4,"cc":"reno"}"#,
        ]
    );
}

#[test]
fn a_parameter_empty_at_run_time_is_named_and_nothing_starts() {
    assert_eq!(
        NothingParams::try_sweep().unwrap_err().to_string(),
        "parameter `n` has no levels, so the sweep has no combination: give it at least one"
    );
    assert!(NothingParams::sweep().is_empty());
    assert_eq!(NothingParams::PARAMETERS, ["n"]);
    // Refused before the engine starts: no result directory is created.
    let dir = std::env::temp_dir().join(format!("execo-it-nothing-{}", std::process::id()));
    let (code, _) = main_out(&["prog", "nothing", "-C", dir.to_str().unwrap()]);
    assert_eq!(code, ExitCode::from(2));
    assert!(!dir.exists());
}

#[test]
fn a_quick_sweep_takes_the_full_ones_parameters_with_its_levels() {
    assert_eq!(QuickParams::sweep().len(), 4 * 2 * 3);
    let quick = QuickParams::quick_sweep().unwrap();
    let full = QuickParams::sweep();
    assert_eq!(quick.len(), 2 * 2);
    assert!(quick.iter().all(|q| full.contains(q)));
    let (code, plan) = main_out(&["prog", "quick", "--quick", "--dry-run"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(
        plan.lines().collect::<Vec<_>>(),
        [
            "quick: 4 of 4 combinations to do in a new result directory (dry run: nothing runs)",
            r#"{"flows":1,"cc":"cubic","mode":"a","k":2}"#,
            r#"{"flows":1,"cc":"reno","mode":"a","k":2}"#,
            r#"{"flows":8,"cc":"cubic","mode":"a","k":2}"#,
            r#"{"flows":8,"cc":"reno","mode":"a","k":2}"#,
        ]
    );
    // Without a quick sweep, no --quick.
    let (code, _) = main_out(&["prog", "nothing", "--quick", "--dry-run"]);
    assert_eq!(code, ExitCode::from(2));
}
