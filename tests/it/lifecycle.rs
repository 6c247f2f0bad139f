use std::sync::{Arc, Mutex};
use std::time::Duration;

use execo::prelude::*;

use crate::{alive, eventually};

#[test]
fn records_exit_code_output_and_times() {
    let p = Process::sh("echo out; echo err >&2; exit 3")
        .nolog_exit_code(true)
        .blocking_run();
    assert!(p.started() && p.ended() && !p.running());
    assert_eq!(p.exit_code(), Some(3));
    assert_eq!(p.signal(), None);
    assert_eq!(p.stdout(), "out\n");
    assert_eq!(p.stderr(), "err\n");
    assert!(!p.ok());
    assert!(!p.finished_ok());
    assert!(p.pid().is_some());
    assert!(p.start_time().unwrap() <= p.end_time().unwrap());
    assert!(p.check().is_err());
    let ok = Process::sh("exit 3")
        .ignore_exit_code(true)
        .nolog_exit_code(true)
        .blocking_run();
    assert!(ok.ok() && ok.finished_ok());
    assert!(ok.check().is_ok());
}

#[test]
fn a_signal_is_not_an_exit_code() {
    let p = Process::sh("kill -USR1 $$")
        .nolog_exit_code(true)
        .blocking_run();
    assert_eq!(p.exit_code(), None);
    assert_eq!(p.signal(), Some(libc::SIGUSR1));
    assert!(!p.ok());
    assert!(p.to_string().contains("SIGUSR1"), "{p}");
}

#[test]
fn start_a_start_b_wait_b_kill_a() {
    let a = Process::new("sleep infinity").start();
    let b = Process::sh("sleep 0.1; echo done").start();
    assert!(a.running() && b.running());
    b.blocking_wait();
    assert_eq!(b.stdout(), "done\n");
    assert!(a.running());
    a.kill().blocking_wait();
    assert!(a.killed());
    assert_eq!(a.signal(), Some(libc::SIGTERM));
    assert!(a.ok(), "a killed process is ok, as in execo");
    assert!(!a.forced_kill());
}

#[test]
fn argv_and_command_lines_keep_words_intact() {
    let p = Process::argv(["printf", "%s|", "a b", "it's", "$HOME"]).blocking_run();
    assert_eq!(p.stdout(), "a b|it's|$HOME|");
    let p = Process::new(r#"printf '%s|' "a b" 'c d' e\ f"#).blocking_run();
    assert_eq!(p.stdout(), "a b|c d|e f|");
    let p = Process::argv(["printf", "%s|", "x y", "$HOME"])
        .shell(true)
        .blocking_run();
    assert_eq!(p.stdout(), "x y|$HOME|");
}

#[test]
fn working_directory_and_environment() {
    let dir = std::env::temp_dir();
    let p = Process::sh("pwd; echo \"$EXECO_T\"; echo \"${HOME:-unset}\"")
        .cwd(&dir)
        .env("EXECO_T", "v a l")
        .env_remove("HOME")
        .blocking_run();
    let out = p.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        std::fs::canonicalize(lines[0]).unwrap(),
        std::fs::canonicalize(&dir).unwrap()
    );
    assert_eq!(lines[1], "v a l");
    assert_eq!(lines[2], "unset");
}

#[test]
fn lifecycle_handlers_see_start_and_end() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let (e1, e2) = (events.clone(), events.clone());
    let p = Process::sh("echo hi")
        .on_start(move |p| {
            e1.lock()
                .unwrap()
                .push(format!("start running={}", p.running() || p.ended()))
        })
        .on_end(move |p| {
            e2.lock()
                .unwrap()
                .push(format!("end {:?} {}", p.exit_code(), p.stdout().trim()))
        })
        .blocking_run();
    assert!(p.ok());
    assert_eq!(
        *events.lock().unwrap(),
        ["start running=true", "end Some(0) hi"]
    );
}

#[test]
fn stats_and_dump_tell_what_happened() {
    let p = Process::sh("echo some output; exit 2")
        .name("failing step")
        .nolog_exit_code(true)
        .blocking_run();
    let s = p.stats();
    assert_eq!(
        (
            s.num_processes,
            s.started,
            s.ended,
            s.errors,
            s.non_zero_exit_codes,
            s.ok
        ),
        (1, 1, 1, 0, 1, 0)
    );
    let dump = p.dump();
    for needle in [
        "failing step",
        "exit code: 2",
        "some output",
        "echo some output; exit 2",
        "ok: false",
    ] {
        assert!(dump.contains(needle), "dump lacks {needle:?}:\n{dump}");
    }
    let big = Process::sh("head -c 10000 /dev/zero | tr '\\0' a").blocking_run();
    assert!(
        big.dump().contains("bytes ...]"),
        "big outputs are compacted"
    );
}

#[test]
fn dropping_a_running_handle_kills_its_group() {
    let p = Process::sh("sleep infinity & echo $!; wait").start();
    p.blocking_expect(r"^\d+\n").unwrap();
    let child: i32 = p.stdout().trim().parse().unwrap();
    let pid = p.pid().unwrap();
    assert!(alive(pid) && alive(child));
    drop(p);
    assert!(
        eventually(Duration::from_secs(60), || !alive(pid) && !alive(child)),
        "dropped handle left {pid} or {child}"
    );
}

#[test]
fn a_clone_keeps_the_process_alive_and_detach_lets_it_run() {
    // Negative checks: a slow machine can only make them miss a wrong kill, not fail.
    let p = Process::new("sleep infinity").start();
    let pid = p.pid().unwrap();
    let q = p.clone();
    drop(p);
    assert!(
        !q.blocking_wait_timeout(Duration::from_millis(100)) && alive(pid),
        "a clone still owns the process"
    );
    q.clone().detach();
    drop(q);
    assert!(
        !eventually(Duration::from_millis(100), || !alive(pid)),
        "detached process survives its handles"
    );
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    assert!(eventually(Duration::from_secs(60), || !alive(pid)));
}

#[tokio::test]
async fn async_forms_on_a_user_runtime() {
    let p = Process::sh("echo ready; read x; echo got $x")
        .stdin(Stdin::Piped)
        .start();
    p.expect("^ready").await.unwrap();
    p.write("42\n").await;
    let m = p.expect(r"got (\d+)").await.unwrap();
    assert_eq!(m.group(1), Some("42"));
    p.wait().await;
    assert!(p.ok());
    let q = Process::new("echo hi").run().await;
    assert_eq!(q.stdout(), "hi\n");
    let slow = Process::new("sleep infinity").start();
    assert!(!slow.wait_timeout(Duration::from_millis(50)).await);
    slow.kill();
    assert!(slow.wait_timeout(Duration::from_secs(60)).await);
}

#[test]
fn blocking_wait_timeout_returns_at_the_deadline() {
    let p = Process::new("sleep infinity").start();
    assert!(!p.blocking_wait_timeout(Duration::from_millis(50)));
    assert!(p.running());
    p.kill();
    assert!(p.blocking_wait_timeout(Duration::from_secs(60)));
}

#[test]
fn a_blocking_call_inside_a_handler_does_not_deadlock() {
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    let p = Process::new("echo x")
        .on_end(move |p| {
            *s.lock().unwrap() = Some(p.blocking_expect("nothing").map(|_| ()));
        })
        .blocking_run();
    assert!(p.ended());
    let err = seen.lock().unwrap().take().unwrap().unwrap_err();
    assert!(
        matches!(err, execo::Error::WouldBlock(ref w) if w.call() == "ProcessHandle::blocking_expect"),
        "{err}"
    );
    assert!(err.to_string().contains("kernel thread"), "{err}");
}
