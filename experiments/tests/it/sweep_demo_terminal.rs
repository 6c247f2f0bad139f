//! On a terminal, the engine draws a progress bar (done / total, failures, ETA) below its
//! log lines.

use execo::prelude::*;

#[test]
fn a_progress_bar_shows_on_a_terminal() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sweep_demo-terminal-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    // stderr on the terminal too (the pty is the child's stdin and stdout).
    let run = Process::sh(format!(
        "exec {} -C {} --sleep 0.02 --fail-tool cksum 2>&1",
        env!("CARGO_BIN_EXE_sweep_demo"),
        dir.display()
    ))
    .env_remove("EXECO_LOG")
    .pty(true)
    .nolog_exit_code(true)
    .start();
    let bar = run
        .blocking_expect(r"\[[# ]{30}\] \d+/60 done, [1-9]\d* failed, ETA \d+:\d\d")
        .unwrap();
    assert!(bar.as_str().contains("/60 done"));
    run.blocking_wait();
    // 20 cksum combinations failed on purpose: exit status 1, and the summary is last.
    assert_eq!(run.exit_code(), Some(1), "{}", run.dump());
    assert!(run.stdout().contains("20 of 60 combinations left"));
    std::fs::remove_dir_all(&dir).ok();
}
