use std::time::Duration;

use execo::prelude::*;

use crate::{alive, eventually};

#[test]
fn a_timeout_terminates_the_process() {
    let p = Process::new("sleep infinity")
        .timeout(Duration::from_millis(200))
        .nolog_timeout(true)
        .blocking_run();
    assert!(p.timed_out());
    assert_eq!(p.signal(), Some(libc::SIGTERM));
    assert!(!p.ok());
    assert!(!p.forced_kill());
    let q = Process::new("sleep infinity")
        .timeout(Duration::from_millis(100))
        .ignore_timeout(true)
        .blocking_run();
    assert!(q.timed_out() && q.ok());
}

#[test]
fn sigkill_follows_after_the_grace() {
    // SIGTERM is ignored from before the exec of `sleep` (no trap to race the timeout
    // with, but env's own start: 2 s is ample).
    let p = Process::argv(["env", "--ignore-signal=TERM", "sleep", "infinity"])
        .timeout(Duration::from_secs(2))
        .kill_grace(Duration::from_millis(300))
        .nolog_timeout(true)
        .start();
    p.blocking_wait();
    assert!(p.timed_out() && p.forced_kill());
    assert_eq!(p.signal(), Some(libc::SIGKILL));
    let k = Process::sh("trap '' TERM; echo trapped; sleep infinity")
        .kill_grace(Duration::from_millis(200))
        .start();
    k.blocking_expect("trapped").unwrap();
    k.kill().blocking_wait();
    assert!(k.killed() && k.forced_kill() && !k.timed_out());
}

#[test]
fn killing_a_shell_kills_its_grandchildren() {
    let p =
        Process::sh("sleep infinity & echo $!; (sleep infinity; true) & echo $!; sleep infinity")
            .start();
    p.blocking_expect(r"^\d+\n\d+\n").unwrap();
    let mut pids: Vec<i32> = p
        .stdout()
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    pids.push(p.pid().unwrap());
    assert!(pids.iter().all(|&pid| alive(pid)));
    p.kill().blocking_wait();
    assert!(
        eventually(Duration::from_secs(60), || pids
            .iter()
            .all(|&pid| !alive(pid))),
        "left alive: {pids:?}"
    );
}

#[test]
fn a_timeout_kills_grandchildren_too() {
    let p = Process::sh("sleep infinity & echo $!; wait")
        .timeout(Duration::from_millis(300))
        .nolog_timeout(true)
        .start();
    p.blocking_expect(r"^\d+\n").unwrap();
    let child: i32 = p.stdout().trim().parse().unwrap();
    p.blocking_wait();
    assert!(p.timed_out());
    assert!(eventually(Duration::from_secs(60), || !alive(child)));
}

#[test]
fn kill_with_another_signal() {
    let p = Process::new("sleep infinity").start();
    p.kill_with(Signal::INT).blocking_wait();
    assert_eq!(p.signal(), Some(libc::SIGINT));
    assert!(p.killed() && p.ok());
}
