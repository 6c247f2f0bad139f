use std::time::Duration;

use execo::prelude::*;

use crate::{alive, eventually, example, parse_pids};

#[test]
fn ctrl_c_leaves_no_child() {
    let prog = Process::argv([example("script").to_str().unwrap(), "--hold"])
        .timeout(Duration::from_secs(60))
        .nolog_exit_code(true)
        .start();
    let line = prog.blocking_expect(r"pids: [\d ]+\n").unwrap();
    let pids = parse_pids(line.as_str());
    assert_eq!(pids.len(), 3);
    assert!(pids.iter().all(|&p| alive(p)));
    prog.kill_with(Signal::INT).blocking_wait();
    assert_eq!(
        prog.signal(),
        Some(libc::SIGINT),
        "the program dies of the signal it got: {}",
        prog.dump()
    );
    assert!(
        eventually(Duration::from_secs(60), || pids.iter().all(|&p| !alive(p))),
        "left alive: {pids:?}"
    );
}

#[test]
fn sigterm_leaves_no_child() {
    let prog = Process::argv([example("script").to_str().unwrap(), "--hold"])
        .timeout(Duration::from_secs(60))
        .nolog_exit_code(true)
        .start();
    let pids = parse_pids(prog.blocking_expect(r"pids: [\d ]+\n").unwrap().as_str());
    // Signal only the program, not its group: the kernel must do the rest.
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(prog.pid().unwrap()).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    prog.blocking_wait();
    assert_eq!(prog.signal(), Some(libc::SIGTERM));
    assert!(
        eventually(Duration::from_secs(60), || pids.iter().all(|&p| !alive(p))),
        "left alive: {pids:?}"
    );
}

#[test]
fn returning_from_main_ends_even_detached_processes() {
    let prog = Process::argv([example("script").to_str().unwrap(), "--exit"])
        .timeout(Duration::from_secs(60))
        .blocking_run();
    assert_eq!(prog.exit_code(), Some(0), "{}", prog.dump());
    let pids = parse_pids(
        prog.stdout()
            .lines()
            .find(|l| l.starts_with("pids:"))
            .unwrap(),
    );
    assert!(
        eventually(Duration::from_secs(60), || pids.iter().all(|&p| !alive(p))),
        "left alive: {pids:?}"
    );
}
