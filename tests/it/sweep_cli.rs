//! `execo sweep status` and `execo sweep reset` on a sweeper directory that a program
//! left behind, read without knowing its combination type.

use std::process::{Command, Output};

use execo::sweep::{Combination, ParamSweeper, Sweep};

fn execo_sweep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_execo"))
        .arg("sweep")
        .args(args)
        .output()
        .expect("run the execo binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn status_counts_and_reset_puts_in_progress_back() {
    let root = std::env::temp_dir().join(format!("execo-it-sweep-cli-{}", std::process::id()));
    std::fs::remove_dir_all(&root).ok();
    // An experiment's result directory: the sweeper lives in its `sweeper/`.
    let dir = root.join("sweeper");
    let combs = Sweep::new()
        .param("cc", ["cubic", "reno"])
        .param("n", [1, 2, 4])
        .combinations();
    let sweeper = ParamSweeper::<Combination>::open(&dir, combs).unwrap();
    for _ in 0..2 {
        let c = sweeper.get_next().unwrap().unwrap();
        sweeper.done_with(&c, &42).unwrap();
    }
    let held = sweeper.get_next().unwrap().unwrap();

    let out = execo_sweep(&["status", root.to_str().unwrap()]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let status = text(&out.stdout);
    for want in [
        "6 total",
        "2 done",
        "1 in progress",
        "3 remaining",
        "cubic",
        "reno",
    ] {
        assert!(status.contains(want), "no `{want}` in:\n{status}");
    }
    // The holder is named: this host and this process.
    assert!(
        status.contains(&std::process::id().to_string()),
        "no pid in:\n{status}"
    );

    // This process is alive: a plain reset leaves its item alone; --in-progress does not.
    let out = execo_sweep(&["reset", dir.to_str().unwrap()]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("0 in-progress"),
        "{}",
        text(&out.stdout)
    );
    let out = execo_sweep(&["reset", dir.to_str().unwrap(), "--in-progress"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("1 in-progress"),
        "{}",
        text(&out.stdout)
    );
    sweeper.update().unwrap();
    assert!(sweeper.todo().contains(&held));
    assert_eq!(sweeper.stats().in_progress, 0);

    let out = execo_sweep(&["status", root.join("nowhere").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nowhere"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&root).ok();
}
