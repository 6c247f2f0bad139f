//! The guide's netcat pair as a user runs it: `netcat` on this machine (two network
//! namespaces as root, else loopback), `--loopback`, and a netcat that is not there.
//!
//! Needs netcat-traditional (`apt-get install netcat-traditional`; scripts/deps.sh
//! installs it): without it the runs fail saying so.

use std::process::{Command, Output};

mod common;
use common::{run_logged, text};

const XP: &str = env!("CARGO_BIN_EXE_netcat");

fn run(args: &[&str]) -> Output {
    let prefix = format!("xn{}", std::process::id() % 100_000);
    run_logged(
        Command::new(XP)
            .args(["--netns-prefix", &prefix])
            .args(args)
            .env_remove("EXECO_LOG"),
    )
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
