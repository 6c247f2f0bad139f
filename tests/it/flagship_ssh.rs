//! The user guide's experiments (experiments/src/bin) with `--hosts`: over ssh, to the
//! test sshd, as on real machines. Both "hosts" are 127.0.0.1 on the sshd's port, so
//! that the experiments' own traffic (iperf3, netcat) finds its peer; the ssh settings
//! come from an execo configuration file, as a user's would.

use std::path::PathBuf;
use std::process::Command;

use crate::sshd::TestSshd;

/// An experiment binary of the experiments package, built by `cargo nextest run
/// --workspace` (or `cargo build -p execo-experiments`).
fn experiment(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "experiment `{name}` not built at {}: run `cargo build -p execo-experiments` \
         (or the whole workspace's tests)",
        path.display()
    );
    path
}

fn run_over_ssh(name: &str, extra: &[&str]) -> (TestSshd, std::process::Output) {
    let sshd = TestSshd::start(1);
    let config = sshd.dir.join("execo.toml");
    std::fs::write(
        &config,
        format!(
            "[connection]\nssh_config = {:?}\n",
            sshd.ssh_config().display().to_string()
        ),
    )
    .unwrap();
    let host = format!("127.0.0.1:{}", sshd.port);
    let hosts = format!("{host},{host}");
    let out = Command::new(experiment(name))
        .args(["--quick", "--hosts", &hosts])
        .args(extra)
        .env("EXECO_CONFIG", &config)
        .env_remove("EXECO_LOG")
        .output()
        .unwrap();
    (sshd, out)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn tcp_congestion_runs_on_hosts_over_ssh() {
    let dir = std::env::temp_dir().join(format!("execo-it-tcp-ssh-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let (_sshd, out) = run_over_ssh("tcp_congestion", &["-C", dir.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert!(stderr.contains("(ssh, link ssh)"), "stderr: {stderr}");
    let results = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    assert_eq!(results.lines().count(), 6, "{results}");
    for line in results.lines() {
        let mbps: f64 = line
            .split("\"throughput_mbps\":")
            .nth(1)
            .and_then(|rest| rest.split([',', '}']).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no throughput in {line}"));
        assert!(mbps > 1.0, "{line}");
        assert!(line.contains("\"link\":\"ssh\""), "{line}");
    }
    assert!(dir.join("tcp_congestion.png").exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// A port nothing listens on now, so that tests running side by side do not collide.
fn free_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string()
}

/// A result directory of the test's own (not in the working directory).
fn result_dir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("execo-it-{name}-ssh-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    dir.display().to_string()
}

#[test]
fn netcat_runs_on_hosts_over_ssh() {
    let dir = result_dir("netcat");
    let (_sshd, out) = run_over_ssh("netcat", &["-C", &dir, "--port", &free_port()]);
    std::fs::remove_dir_all(&dir).ok();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(
        stdout.contains("received \"hi there!\""),
        "stdout: {stdout}"
    );
}

#[test]
fn remote_traffic_runs_on_hosts_over_ssh() {
    let dir = result_dir("remote_traffic");
    let (_sshd, out) = run_over_ssh("remote_traffic", &["-C", &dir, "--port", &free_port()]);
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // The Report: 2 servers and 2 clients, all ok.
    let total = stdout
        .lines()
        .find(|l| l.starts_with("remote traffic"))
        .unwrap_or_else(|| panic!("no report in {stdout}"));
    assert!(total.trim_end().ends_with(" 4"), "{total}");
    assert!(stdout.contains("bytes"), "{stdout}");
}
