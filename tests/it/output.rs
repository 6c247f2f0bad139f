use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use execo::prelude::*;

#[test]
fn line_handlers_get_every_line_in_order() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    let p = Process::sh("printf 'a\\nb\\r\\n'; seq 3; printf 'no newline'")
        .on_stdout_line(move |s| l.lock().unwrap().push(s.to_string()))
        .blocking_run();
    assert!(p.ok());
    assert_eq!(
        *lines.lock().unwrap(),
        ["a", "b", "1", "2", "3", "no newline"]
    );
}

#[test]
fn chunk_handlers_see_every_byte() {
    let total = Arc::new(Mutex::new(0usize));
    let t = total.clone();
    let p = Process::new("head -c 3000000 /dev/zero")
        .keep_stdout(Keep::Nothing)
        .stdout_to(Sink::chunks(move |c| *t.lock().unwrap() += c.len()))
        .blocking_run();
    assert_eq!(*total.lock().unwrap(), 3_000_000);
    assert_eq!(p.output_len(Stream::Stdout), 3_000_000);
    assert_eq!(p.stdout(), "");
}

#[test]
fn file_handlers_append_and_close_at_end() {
    let dir = std::env::temp_dir().join(format!("execo-it-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("node.out");
    let err = dir.join("node.err");
    std::fs::remove_file(&out).ok();
    let run = || {
        Process::sh("echo to-out; echo to-err >&2")
            .stdout_to(Sink::file(&out))
            .stderr_to(Sink::file(&err))
            .blocking_run()
    };
    assert!(run().ok());
    assert!(run().ok());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "to-out\nto-out\n");
    assert!(
        std::fs::read_to_string(&err)
            .unwrap()
            .starts_with("to-err\n")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_file_that_cannot_be_opened_is_a_start_error() {
    let p = Process::new("echo x")
        .stdout_to(Sink::file("/nonexistent-dir/x.out"))
        .nolog_error(true)
        .blocking_run();
    let e = p.start_error().expect("start error");
    assert!(
        e.contains("/nonexistent-dir/x.out") && e.contains("stdout"),
        "{e}"
    );
    assert!(!p.started() && !p.ok());
}

#[test]
fn a_writer_shared_by_two_processes() {
    let buf: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(Vec::new()));
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::writer(Arc::new(Mutex::new(Shared(buf.clone()))));
    let _ = Process::new("echo first")
        .stdout_to(sink.clone())
        .blocking_run();
    let _ = Process::new("echo second").stdout_to(sink).blocking_run();
    assert_eq!(
        String::from_utf8(buf.lock().unwrap().clone()).unwrap(),
        "first\nsecond\n"
    );
}

#[test]
fn bounded_memory_keeps_the_tail() {
    let p = Process::sh("seq 1000000")
        .keep_stdout(Keep::Tail(20))
        .blocking_run();
    assert_eq!(p.stdout().len(), 20);
    assert!(p.stdout().ends_with("999999\n1000000\n"));
    assert_eq!(p.output_len(Stream::Stdout), 6_888_896);
}

#[test]
fn output_that_is_not_utf8() {
    let p = Process::sh("printf 'ok\\377\\376end'").blocking_run();
    assert_eq!(p.output_bytes(Stream::Stdout), b"ok\xff\xfeend");
    assert_eq!(p.stdout(), "ok\u{fffd}\u{fffd}end");
}

#[test]
fn an_unwatched_stream_costs_nothing() {
    let p = Process::sh("echo out; echo err >&2")
        .keep_stdout(Keep::Nothing)
        .keep_stderr(Keep::Nothing)
        .blocking_run();
    assert!(p.ok());
    assert_eq!((p.stdout(), p.stderr()), (String::new(), String::new()));
}

#[test]
fn a_panicking_handler_does_not_stop_the_kernel() {
    let lines = Arc::new(Mutex::new(0));
    let l = lines.clone();
    let p = Process::sh("seq 5")
        .on_stdout_line(|line| assert_ne!(line, "2", "handler bug"))
        .on_stdout_line(move |_| *l.lock().unwrap() += 1)
        .on_end(|_| panic!("end handler bug"))
        .blocking_run();
    assert!(p.ended() && p.ok());
    assert_eq!(*lines.lock().unwrap(), 5);
    assert_eq!(p.stdout(), "1\n2\n3\n4\n5\n");
    assert!(Process::new("echo still working").blocking_run().ok());
}

#[test]
fn output_written_after_the_exit_is_read_until_the_streams_close() {
    // The shell exits at once; its background child writes 0.3 s later.
    // An hour of grace: the wait lasts until the streams close, however slow the machine.
    let p = Process::sh("(sleep 0.3; echo late) & echo early")
        .output_grace(Duration::from_secs(3600))
        .blocking_run();
    assert!(p.ok());
    assert_eq!(p.stdout(), "early\nlate\n");
}

/// The pid that `sh -c '... & echo $!'` printed.
fn daemon_pid(p: &ProcessHandle) -> i32 {
    p.stdout()
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no pid in {:?}", p.stdout()))
}

fn kill_daemon(pid: i32) {
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid).unwrap(),
        rustix::process::Signal::KILL,
    )
    .ok();
    assert!(crate::eventually(
        Duration::from_secs(60),
        || !crate::alive(pid)
    ));
}

/// A bound on waits that would hang without the fix (an hour of output grace).
const NO_HANG: Duration = Duration::from_secs(60);

#[test]
fn a_daemon_holding_stdout_open_ends_the_wait_after_the_output_grace() {
    let p = Process::sh("sleep infinity & echo $!")
        .output_grace(Duration::from_millis(200))
        .start();
    assert!(p.blocking_wait_timeout(NO_HANG));
    let daemon = daemon_pid(&p);
    // The grace ran out: the process ended, ok, and the daemon was left running.
    assert!(p.ended() && p.ok() && p.exit_code() == Some(0));
    assert!(crate::alive(daemon), "the grace must not kill the daemon");
    kill_daemon(daemon);
}

#[test]
fn a_zero_output_grace_reads_only_what_is_there_at_the_exit() {
    let p = Process::sh("sleep infinity & echo $!")
        .output_grace(Duration::ZERO)
        .blocking_run();
    let daemon = daemon_pid(&p);
    assert!(p.ended() && p.ok());
    assert!(crate::alive(daemon));
    kill_daemon(daemon);
}

#[test]
fn a_timeout_ends_the_wait_for_output_without_killing_the_children() {
    // The process itself exits in time: not a timeout, and its daemon lives on.
    let p = Process::sh("sleep infinity & echo $!")
        .timeout(Duration::from_secs(5))
        .output_grace(Duration::from_secs(3600))
        .start();
    assert!(p.blocking_wait_timeout(NO_HANG));
    let daemon = daemon_pid(&p);
    assert!(p.ended() && p.ok() && !p.timed_out());
    assert!(crate::alive(daemon));
    kill_daemon(daemon);
}

#[test]
fn a_kill_while_the_output_is_awaited_ends_the_children_too() {
    let p = Process::sh("sleep infinity & echo $!")
        .output_grace(Duration::from_secs(3600))
        .start();
    p.blocking_expect(r"^\d+$").unwrap();
    let (shell, daemon) = (p.pid().unwrap(), daemon_pid(&p));
    // The shell is gone (reaped), its child holds stdout: the process has not ended.
    assert!(crate::eventually(
        Duration::from_secs(60),
        || !crate::alive(shell)
    ));
    assert!(!p.ended());
    p.kill();
    assert!(p.blocking_wait_timeout(NO_HANG));
    assert!(p.killed());
    assert!(crate::eventually(
        Duration::from_secs(60),
        || !crate::alive(daemon)
    ));
}

#[test]
fn a_long_line_comes_in_bounded_pieces() {
    let lens = Arc::new(Mutex::new(Vec::new()));
    let l = lens.clone();
    let p = Process::sh("head -c 200000 /dev/zero | tr '\\0' a; echo; echo b")
        .keep_stdout(Keep::Nothing)
        .on_stdout_line_bytes(move |line| l.lock().unwrap().push(line.len()))
        .blocking_run();
    assert!(p.ok());
    let max = Sink::MAX_LINE;
    assert_eq!(max, 65536);
    assert_eq!(*lens.lock().unwrap(), [max, max, max, 200_000 - 3 * max, 1]);
}

#[test]
fn text_pieces_of_a_long_line_never_cut_a_character() {
    // 30000 three-byte characters: 65536 is not a multiple of 3.
    let pieces = Arc::new(Mutex::new(Vec::new()));
    let ps = pieces.clone();
    let p = Process::sh("yes € | head -n 30000 | tr -d '\\n'")
        .on_stdout_line(move |s| ps.lock().unwrap().push(s.to_string()))
        .blocking_run();
    assert!(p.ok());
    let pieces = pieces.lock().unwrap();
    assert!(pieces.len() > 1, "{} pieces", pieces.len());
    assert!(pieces.iter().all(|s| s.len() <= Sink::MAX_LINE));
    assert!(!pieces.iter().any(|s| s.contains('\u{fffd}')));
    assert_eq!(pieces.concat(), "€".repeat(30000));
}

#[test]
fn byte_lines_keep_every_byte() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    let p = Process::sh("printf 'a\\377\\r\\nb\\n\\nc'")
        .on_stdout_line_bytes(move |b| l.lock().unwrap().push(b.to_vec()))
        .blocking_run();
    assert!(p.ok());
    let expected: [&[u8]; 4] = [b"a\xff\r", b"b", b"", b"c"];
    assert_eq!(*lines.lock().unwrap(), expected);
}
