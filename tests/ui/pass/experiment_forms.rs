//! Every accepted form of `#[experiment]`, registered in one binary with its own `main`.
use std::process::ExitCode;

use execo::prelude::*;

#[derive(clap::Args, Debug)]
struct Args {
    #[arg(long, default_value = "node-1")]
    hosts: String,
    #[arg(long)]
    quick: bool,
}

/// An async experiment with arguments of its own.
#[experiment(no_main)]
#[params(n = [1, 2], cc = ["cubic", "reno"])]
async fn with_args(xp: &mut Experiment<Args>, p: Params) -> Result<u64, String> {
    let _: (&str, bool) = (&xp.args().hosts, xp.args().quick);
    Ok(p.n)
}

/// A plain function, `#[params]` first, its struct named after its parameter's type.
#[params(size = igeom(1, 8, 4))]
#[experiment(no_main, name = "blocking")]
fn plain(xp: &mut Experiment, q: PlainParams) -> Result<String, std::io::Error> {
    let dir = xp.combination_dir()?;
    Ok(format!("{} {}", q.size, dir.display()))
}

/// What the set-up builds.
struct Bed {
    hosts: Vec<String>,
}

fn make_bed(xp: &Experiment<Args>) -> Result<Bed, std::io::Error> {
    let _ = xp.unfinished_runs();
    Ok(Bed {
        hosts: vec![xp.args().hosts.clone()],
    })
}

fn clear_bed(_xp: &Experiment<Args>, bed: Bed) -> Result<(), String> {
    drop(bed);
    Ok(())
}

fn sum_up(xp: &Experiment<Args>, outcome: &execo::engine::Outcome) -> Result<(), String> {
    let all = xp.results::<WholeParams>().map_err(|e| e.to_string())?;
    println!("{} of {}", all.len(), outcome.total);
    Ok(())
}

/// A whole experiment: set-up, tear-down, finish, and a quick sweep.
#[experiment(no_main, setup = make_bed, teardown = clear_bed, finish = sum_up)]
#[params(n = [1, 2, 3], cc = ["cubic", "reno"])]
#[params(quick, n = [1])]
async fn whole(xp: &mut Experiment<Args, Bed>, p: WholeParams) -> Result<usize, String> {
    xp.setup_mut().hosts.push(p.cc);
    Ok(xp.setup().hosts.len() + p.n as usize + usize::from(xp.is_quick()))
}

fn main() -> ExitCode {
    let names: Vec<&str> = execo::engine::experiment::registered()
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["blocking", "whole", "with_args"]);
    let mut out = Vec::new();
    let code = execo::engine::experiment::main_with(["prog", "--list"], &mut out);
    assert_eq!(code, ExitCode::SUCCESS);
    let list = String::from_utf8(out).unwrap();
    assert!(list.contains("with_args\tAn async experiment with arguments of its own."), "{list}");
    let mut out = Vec::new();
    let code = execo::engine::experiment::main_with(
        ["prog", "with_args", "--hosts", "h", "--dry-run"],
        &mut out,
    );
    assert_eq!(code, ExitCode::SUCCESS);
    let plan = String::from_utf8(out).unwrap();
    assert!(plan.starts_with("with_args: 4 of 4 combinations to do"), "{plan}");
    assert!(plan.contains(r#"{"n":2,"cc":"reno"}"#), "{plan}");
    let mut out = Vec::new();
    let code = execo::engine::experiment::main_with(["prog", "whole", "--quick", "--dry-run"], &mut out);
    assert_eq!(code, ExitCode::SUCCESS);
    let plan = String::from_utf8(out).unwrap();
    assert!(plan.starts_with("whole: 2 of 2 combinations to do"), "{plan}");
    ExitCode::SUCCESS
}
