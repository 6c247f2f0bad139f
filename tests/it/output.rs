use std::io::Write;
use std::sync::{Arc, Mutex};

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
