//! Remote faults, each beside a good host whose result must stay intact: unknown host,
//! refused connection, failed authentication, missing remote command; and 500 hosts
//! with only 1,024 file descriptors.

use std::process::Command;
use std::time::Duration;

use execo::action::{Action, ActionHandle, Remote};
use execo::{host::ConnectionParams, host::Host};

use crate::sshd::TestSshd;

/// `cmd` on the good `host-1` and on `bad`; checks that host-1 is intact and returns the
/// bad host's process.
fn beside_a_good_host(
    sshd: &TestSshd,
    params: ConnectionParams,
    cmd: &str,
    bad: Host,
) -> execo::process::ProcessHandle {
    let run: ActionHandle = Remote::new(cmd, [sshd.host(1), bad])
        .params(params)
        .configure(|p, _, _| p.nolog_exit_code(true))
        .start()
        .unwrap();
    assert!(
        run.blocking_wait_timeout(Duration::from_secs(120)),
        "a fault must not hang"
    );
    let good = run.process(0).unwrap();
    assert!(good.ok(), "the good host is intact: {}", good.dump());
    assert_eq!(run.failed_hosts().len(), 1);
    run.process(1).unwrap()
}

#[test]
fn an_unknown_host_is_a_connection_failure() {
    let sshd = TestSshd::start(1);
    let p = beside_a_good_host(
        &sshd,
        sshd.params(),
        "echo ok",
        Host::new("no-such-host.invalid"),
    );
    assert!(p.connection_failed(), "{}", p.dump());
    assert!(
        p.stderr().contains("Could not resolve hostname"),
        "{}",
        p.dump()
    );
}

#[test]
fn a_refused_connection_is_a_connection_failure() {
    let sshd = TestSshd::start(1);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = beside_a_good_host(
        &sshd,
        sshd.params(),
        "echo ok",
        Host::new("127.0.0.1").port(closed),
    );
    assert!(p.connection_failed());
    assert!(p.stderr().contains("Connection refused"), "{}", p.dump());
}

#[test]
fn failed_authentication_is_a_connection_failure() {
    let sshd = TestSshd::start(2);
    // sshd refuses a user that does not exist, whatever key it offers.
    let p = beside_a_good_host(
        &sshd,
        sshd.params(),
        "echo ok",
        sshd.host(2).user("no-such-user"),
    );
    assert!(p.connection_failed(), "{}", p.dump());
    assert!(p.stderr().contains("Permission denied"), "{}", p.dump());
}

#[test]
fn a_missing_remote_command_is_the_commands_failure_not_sshs() {
    let sshd = TestSshd::start(2);
    let run = Remote::new(
        "[ <<index>> = 0 ] && echo ok || no-such-command-here",
        [sshd.host(1), sshd.host(2)],
    )
    .params(sshd.params())
    .configure(|p, _, _| p.nolog_exit_code(true))
    .blocking_run()
    .unwrap();
    assert!(run.process(0).unwrap().ok());
    let p = run.process(1).unwrap();
    assert_eq!(p.exit_code(), Some(127), "{}", p.dump());
    assert!(!p.connection_failed());
    // Without a remote tty (the default) the remote stderr stays on stderr.
    assert!(p.stderr().contains("not found"), "{}", p.dump());
    assert!(!p.stdout().contains("not found"), "{}", p.dump());
}

#[test]
fn five_hundred_hosts_with_1024_descriptors_all_succeed() {
    let sshd = TestSshd::start(500);
    let cmd = format!(
        "ulimit -n 1024 && exec {} run -F {} -H 'host-[1-500]' 'echo ok'",
        env!("CARGO_BIN_EXE_execo"),
        sshd.ssh_config().display()
    );
    let out = Command::new("sh")
        .args(["-c", &cmd])
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut hosts: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": ok"))
        .collect();
    hosts.sort();
    hosts.dedup();
    assert_eq!(hosts.len(), 500, "every host answered; stderr: {stderr}");
}
