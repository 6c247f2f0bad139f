//! The guide's `Remote` example as a user runs it: netcat servers and clients on two
//! hosts of this machine (network namespaces as root, else loopback), traffic both ways,
//! and the Report.
//!
//! Needs netcat-traditional (`apt-get install netcat-traditional`; scripts/deps.sh
//! installs it): without it the runs fail saying so.

use std::path::Path;
use std::process::Output;

use crate::common::{TempDir, run_experiment_in, text};

const XP: &str = env!("CARGO_BIN_EXE_remote_traffic");

/// A run with its result directory in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    run_experiment_in(XP, "xr", dir, args)
}

/// A run in a new result directory.
fn run(args: &[&str]) -> Output {
    let tmp = TempDir::new("remote_traffic");
    run_in(&tmp.0.join("results"), args)
}

/// The Report's row of `name`: its counts, after the three times.
fn counts(stdout: &str, name: &str) -> Vec<u32> {
    let row = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no `{name}` row in the report:\n{stdout}"));
    row.split_whitespace()
        .skip(4)
        .map(|c| c.parse().unwrap_or_else(|_| panic!("row {row:?}")))
        .collect()
}

fn assert_traffic_both_ways(stdout: &str, bytes: &str) {
    // total started ended errors timeouts killed expfail wrterr non-zero ok
    assert_eq!(
        counts(stdout, "servers"),
        [2, 2, 2, 0, 0, 0, 0, 0, 0, 2],
        "{stdout}"
    );
    assert_eq!(
        counts(stdout, "clients"),
        [2, 2, 2, 0, 0, 0, 0, 0, 0, 2],
        "{stdout}"
    );
    assert_eq!(stdout.matches("connect to [").count(), 2, "{stdout}");
    assert_eq!(
        stdout.matches(&format!("{bytes} bytes")).count(),
        2,
        "{stdout}"
    );
}

#[test]
fn quick_sends_both_ways_and_reports() {
    let out = run(&["--quick"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_traffic_both_ways(&stdout, "1000000");
    if rustix::process::geteuid().is_root() {
        // Each host received from the other one.
        assert!(stdout.contains("connect to [10.215.0.1] from (UNKNOWN) [10.215.0.2]"));
        assert!(stdout.contains("connect to [10.215.0.2] from (UNKNOWN) [10.215.0.1]"));
    }
}

#[test]
fn the_guides_volume_over_loopback() {
    let out = run(&["--loopback"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_traffic_both_ways(&text(&out.stdout), "6250000");
}

#[test]
fn a_missing_netcat_fails_and_says_how_to_install_it() {
    let out = run(&["--quick", "--loopback", "--nc", "nc.not-installed"]);
    // A combination that failed (retried by the next run with -C).
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`nc.not-installed` is not installed on 127.0.0.1: install it with"),
        "stderr: {stderr}"
    );
}
