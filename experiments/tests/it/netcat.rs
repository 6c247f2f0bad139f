//! The guide's netcat pair as a user runs it: `netcat` on this machine (two network
//! namespaces as root, else loopback), `--loopback`, and a netcat that is not there.
//!
//! Needs netcat-traditional (`apt-get install netcat-traditional`; scripts/deps.sh
//! installs it): without it the runs fail saying so.

use std::path::Path;
use std::process::Output;

use crate::common::{TempDir, run_experiment_in, text};

const XP: &str = env!("CARGO_BIN_EXE_netcat");

/// A run with its result directory in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    run_experiment_in(XP, "xn", dir, args)
}

/// A run in a new result directory.
fn run(args: &[&str]) -> Output {
    let tmp = TempDir::new("netcat");
    run_in(&tmp.0.join("results"), args)
}

#[test]
fn quick_sends_hi_there_from_one_host_to_the_other() {
    let out = run(&["--quick"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (a, b, kind) = if rustix::process::geteuid().is_root() {
        ("10.215.0.1", "10.215.0.2", "netns")
    } else {
        ("127.0.0.1", "127.0.0.1", "loopback")
    };
    assert!(
        stdout.contains(&format!("hosts: {a} and {b} ({kind})")),
        "stdout: {stdout}"
    );
    assert!(
        stdout.contains(&format!("{b} sent, {a} received \"hi there!\"")),
        "stdout: {stdout}"
    );
    assert!(stdout.contains("1 of 1 rounds ok"), "stdout: {stdout}");
}

#[test]
fn three_rounds_over_loopback() {
    let out = run(&["--loopback"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("received \"hi there!\"").count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("3 of 3 rounds ok"), "stdout: {stdout}");
}

#[test]
fn a_missing_netcat_fails_and_says_how_to_install_it() {
    let out = run(&["--quick", "--loopback", "--nc", "nc.not-installed"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "`nc.not-installed` is not installed on 127.0.0.1: install it with `apt-get \
             install netcat-traditional` (scripts/deps.sh does)"
        ),
        "stderr: {stderr}"
    );
}

#[test]
fn a_finished_run_continued_sets_nothing_up_and_still_sums_up() {
    let tmp = TempDir::new("netcat-continued");
    let dir = tmp.0.join("results");
    let first = run_in(&dir, &["--quick", "--loopback"]);
    assert!(first.status.success(), "stderr: {}", text(&first.stderr));
    assert!(text(&first.stdout).contains("hosts: 127.0.0.1 and 127.0.0.1 (loopback)"));
    let again = run_in(&dir, &["--quick", "--loopback"]);
    assert!(again.status.success(), "stderr: {}", text(&again.stderr));
    let (stdout, stderr) = (text(&again.stdout), text(&again.stderr));
    assert!(stderr.contains("nothing left to do"), "stderr: {stderr}");
    // The set-up (which prints the hosts) was not called; the finish step was.
    assert!(!stdout.contains("hosts:"), "stdout: {stdout}");
    assert!(stdout.contains("1 of 1 rounds ok"), "stdout: {stdout}");
    // A failed round is retried by the next run in the same directory: the set-up runs
    // again for it.
    let tmp = TempDir::new("netcat-retried");
    let dir = tmp.0.join("results");
    let failed = run_in(&dir, &["--quick", "--loopback", "--nc", "nc.not-installed"]);
    assert_eq!(failed.status.code(), Some(1));
    let retried = run_in(&dir, &["--quick", "--loopback"]);
    assert!(
        retried.status.success(),
        "stderr: {}",
        text(&retried.stderr)
    );
    assert!(text(&retried.stdout).contains("hosts: 127.0.0.1 and 127.0.0.1 (loopback)"));
    assert!(text(&retried.stdout).contains("1 of 1 rounds ok"));
}
