//! The flagship experiment as the README runs it: `tcp_congestion --quick` end to end
//! (iperf3 in two network namespaces as root, else over loopback), continued with `-C`,
//! killed with `kill -9` and interrupted with SIGINT in the middle of its sweep.
//!
//! Needs iperf3 (`apt-get install iperf3`; scripts/deps.sh installs it): without it the
//! runs fail with that advice in their stderr. Each test names its own namespaces, so
//! the tests run side by side, and checks that none is left behind.

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TempDir, run_logged, text, wait_timeout};

const XP: &str = env!("CARGO_BIN_EXE_tcp_congestion");
const QUICK: usize = 6;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The namespace prefix of a test: its own, so that tests and a user's run coexist.
fn prefix(tag: &str) -> String {
    format!("xt{}{tag}", std::process::id() % 100_000)
}

fn xp(dir: &Path, prefix: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(XP);
    cmd.arg("-C")
        .arg(dir)
        .args(["--quick", "--netns-prefix", prefix])
        .args(extra)
        .env_remove("EXECO_LOG");
    cmd
}

/// The namespaces named `prefix-*` that exist now.
fn namespaces(prefix: &str) -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().expect(
        "cannot run `ip`: install it with `apt-get install iproute2` (scripts/deps.sh does)",
    );
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(&format!("{prefix}-")))
        .map(String::from)
        .collect()
}

/// Every line of `results.jsonl`: its params (as JSON text) and its result.
fn results(dir: &Path) -> Vec<(String, serde_json::Value)> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("results.jsonl line {l:?}: {e}"));
            (v["params"].to_string(), v["result"].clone())
        })
        .collect()
}

/// The quick sweep, each combination once, each a real measure on `link`.
fn assert_all_measured_once(dir: &Path, link: &str) {
    let results = results(dir);
    let unique: HashSet<_> = results.iter().map(|(p, _)| p).collect();
    assert_eq!(unique.len(), results.len(), "a combination recorded twice");
    assert_eq!(results.len(), QUICK, "combinations missing");
    for cc in ["cubic", "reno"] {
        for flows in [1, 4, 20] {
            let p = format!(r#"{{"cc":"{cc}","num_flows":{flows},"repeat":0}}"#);
            assert!(unique.contains(&p), "no {p} in {results:?}");
        }
    }
    for (p, r) in &results {
        let mbps = r["throughput_mbps"].as_f64().unwrap_or(0.0);
        assert!(mbps > 1.0, "{p}: throughput {r}");
        assert!(
            r["link"].as_str().is_some_and(|l| l.starts_with(link)),
            "{p}: link {r}, expected {link}"
        );
    }
    // The yaml copy holds the same.
    let yaml = std::fs::read_to_string(dir.join("results.yaml")).unwrap();
    let entries: Vec<serde_json::Value> = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(entries.len(), QUICK);
}

/// A PNG of the plot's size.
fn assert_plot(dir: &Path) {
    let png = std::fs::read(dir.join("tcp_congestion.png")).expect("no tcp_congestion.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (1024, 640));
}

fn embedded_link() -> &'static str {
    if is_root() { "veth" } else { "loopback" }
}

#[test]
fn quick_runs_end_to_end_plots_and_a_continuation_has_nothing_left_to_do() {
    let tmp = TempDir::new("tcp_congestion-quick");
    let dir = tmp.0.join("results");
    let prefix = prefix("q");
    let out = run_logged(&mut xp(&dir, &prefix, &[]));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_all_measured_once(&dir, embedded_link());
    assert_plot(&dir);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("results: {}", dir.join("results.yaml").display()))
            && stdout.contains(&format!(
                "plot:    {}",
                dir.join("tcp_congestion.png").display()
            )),
        "stdout: {stdout}"
    );
    if is_root() {
        let log = std::fs::read_to_string(dir.join("experiment.log")).unwrap();
        assert!(
            log.contains(&format!("network namespaces {prefix}-a, {prefix}-b")),
            "log: {log}"
        );
    }
    assert_eq!(namespaces(&prefix), Vec::<String>::new(), "namespaces left");

    let again = run_logged(&mut xp(&dir, &prefix, &[]));
    assert!(again.status.success());
    let stderr = text(&again.stderr);
    assert!(stderr.contains("nothing left to do"), "stderr: {stderr}");
    // Nothing to measure: no testbed was set up.
    assert!(!stderr.contains("network namespaces"), "stderr: {stderr}");
    assert_all_measured_once(&dir, embedded_link());
}

#[test]
fn quick_runs_over_loopback_when_asked() {
    let tmp = TempDir::new("tcp_congestion-loopback");
    let dir = tmp.0.join("results");
    let out = run_logged(&mut xp(
        &dir,
        &prefix("l"),
        &["--loopback", "--seconds", "1"],
    ));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_all_measured_once(&dir, "loopback");
    assert_plot(&dir);
    for (_, r) in results(&dir) {
        assert_eq!(r["server"], "127.0.0.1");
    }
}

fn wait_results(dir: &Path, n: usize, child: &mut Child) {
    let end = Instant::now() + Duration::from_secs(120);
    while results(dir).len() < n {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("tcp_congestion ended early: {status:?}");
        }
        assert!(Instant::now() < end, "fewer than {n} results after 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_9_mid_sweep_then_continue_does_only_the_remaining_combinations() {
    let tmp = TempDir::new("tcp_congestion-kill9");
    let dir = tmp.0.join("results");
    let prefix = prefix("k");
    let mut child = xp(&dir, &prefix, &["--seconds", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_results(&dir, 2, &mut child);
    child.kill().unwrap(); // SIGKILL, in the middle of the third combination
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    let before = results(&dir);
    assert!(
        (2..QUICK).contains(&before.len()),
        "{} results",
        before.len()
    );
    if is_root() {
        // Nothing could clean up after a kill -9.
        assert_eq!(namespaces(&prefix).len(), 3, "{:?}", namespaces(&prefix));
    }

    let out = run_logged(&mut xp(&dir, &prefix, &["--seconds", "1"]));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    // The set-up is told that the killed run never tore down.
    assert!(
        stderr.contains("died before its tear-down: the set-up clears what it left"),
        "stderr: {stderr}"
    );
    let left = QUICK - before.len();
    assert!(
        stderr.contains(&format!(
            "all {QUICK} combinations done ({left} by this run)"
        )),
        "stderr: {stderr}"
    );
    if is_root() {
        assert!(
            stderr.contains("deleting network namespaces left by an earlier run"),
            "stderr: {stderr}"
        );
    }
    assert_all_measured_once(&dir, embedded_link());
    // What the killed run measured is kept as it was.
    assert_eq!(results(&dir)[..before.len()], before[..]);
    assert_eq!(namespaces(&prefix), Vec::<String>::new(), "namespaces left");
}

#[test]
fn sigint_mid_sweep_deletes_the_namespaces_and_the_next_run_finishes() {
    let tmp = TempDir::new("tcp_congestion-sigint");
    let dir = tmp.0.join("results");
    let prefix = prefix("i");
    let mut child = xp(&dir, &prefix, &["--seconds", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_results(&dir, 1, &mut child);
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let status = wait_timeout(&mut child, Duration::from_secs(120));
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        status.signal() == Some(2) || status.code() == Some(130),
        "{status:?}; stderr: {stderr}"
    );
    assert!(stderr.contains("interrupted by SIGINT"), "stderr: {stderr}");
    // The signal's exit waited for the experiment's tear-down.
    assert!(
        stderr.contains("tcp_congestion: torn down in"),
        "stderr: {stderr}"
    );
    // The exit hook deleted them, though the program died of the signal.
    assert_eq!(namespaces(&prefix), Vec::<String>::new(), "namespaces left");

    let out = run_logged(&mut xp(&dir, &prefix, &["--seconds", "1"]));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_all_measured_once(&dir, embedded_link());
}

#[test]
fn hosts_that_cannot_be_used_are_errors_before_anything_runs() {
    let tmp = TempDir::new("tcp_congestion-hosts");
    let dir = tmp.0.join("results");
    let out = run_logged(&mut xp(&dir, &prefix("h"), &["--hosts", "only-one"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--hosts `only-one`: 1 host(s), this experiment needs 2"),
        "{}",
        text(&out.stderr)
    );
    let out = run_logged(&mut xp(&dir, &prefix("h"), &["--hosts", "node-[1-"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--hosts `node-[1-`"));
    assert!(results(&dir).is_empty());
}
