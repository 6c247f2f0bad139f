use std::time::Duration;

use execo::prelude::*;

#[test]
fn returns_the_pattern_that_matched_and_its_captures() {
    let p = Process::sh("echo 'port=8080 host=node-1'; sleep 5").start();
    let m = p
        .blocking_expect(["nomatch", r"port=(?P<port>\d+) host=(\S+)"])
        .unwrap();
    assert_eq!(m.index(), 1);
    assert_eq!(m.name("port"), Some("8080"));
    assert_eq!(m.group(2), Some("node-1"));
    assert_eq!(m.as_str(), "port=8080 host=node-1");
    p.kill();
}

#[test]
fn the_earliest_match_wins_and_the_next_expect_resumes_after_it() {
    let p = Process::sh("echo a1; echo b2; echo a3").blocking_run();
    let e = Expect::new([r"a\d", r"b\d"]).unwrap();
    let got: Vec<String> = (0..3)
        .map(|_| p.blocking_expect_with(&e).unwrap().as_str().to_string())
        .collect();
    assert_eq!(got, ["a1", "b2", "a3"]);
    assert!(matches!(
        p.blocking_expect_with(&e),
        Err(Error::ExpectEof { .. })
    ));
}

#[test]
fn a_timeout_is_a_distinct_result_and_records_the_failure() {
    let p = Process::new("sleep infinity")
        .nolog_expect_fail(true)
        .start();
    let r = p.blocking_expect_with(
        &Expect::new("never")
            .unwrap()
            .timeout(Duration::from_millis(200)),
    );
    assert!(matches!(r, Err(Error::ExpectTimeout { .. })), "{r:?}");
    assert!(p.expect_failed());
    assert!(!p.ok());
    p.kill();
    let q = Process::new("sleep infinity")
        .ignore_expect_fail(true)
        .nolog_expect_fail(true)
        .expect_timeout(Duration::from_millis(50))
        .start();
    assert!(q.blocking_expect("never").is_err());
    assert!(q.expect_failed() && q.ok());
    q.kill();
}

#[test]
fn end_of_stream_returns_at_once_without_a_timeout() {
    let p = Process::new("echo hi").nolog_expect_fail(true).start();
    let r = p.blocking_expect("not there");
    assert!(
        matches!(
            r,
            Err(Error::ExpectEof {
                stream: "stdout",
                ..
            })
        ),
        "{r:?}"
    );
    p.blocking_wait();
    // On a process that has already ended: still no hang (execo 2.8.2 hangs here).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(p.blocking_expect("still not")).ok());
    let r = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("an expect on an ended process hangs");
    assert!(matches!(r, Err(Error::ExpectEof { .. })), "{r:?}");
}

#[test]
fn expect_on_stderr() {
    let p =
        Process::sh("echo 'warming up' >&2; echo 'Server listening on 5201' >&2; sleep 5").start();
    let m = p
        .blocking_expect_with(
            &Expect::new(r"listening on (\d+)")
                .unwrap()
                .stream(Stream::Stderr),
        )
        .unwrap();
    assert_eq!(m.group(1), Some("5201"));
    p.kill();
}

#[test]
fn backtrack_off_only_sees_new_output() {
    // `old` is there before the call; `new` comes once per line written, so the test
    // writes until the expect (started at some point in between) has seen one.
    let p = Process::sh("echo old; while read x; do echo new; done")
        .stdin(Stdin::Piped)
        .start();
    assert!(crate::eventually(Duration::from_secs(60), || p
        .stdout()
        .contains("old")));
    let e = Expect::new(r"old|new").unwrap().backtrack(false);
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.blocking_expect_with(&e).map(|m| m.as_str().to_string()));
    assert!(
        crate::eventually(Duration::from_secs(60), || {
            p.blocking_write("go\n");
            t.is_finished()
        }),
        "the expect never saw `new`"
    );
    assert_eq!(t.join().unwrap().unwrap(), "new");
    p.kill();
}

#[test]
fn bad_patterns_and_unkept_streams_are_errors() {
    let p = Process::new("echo x")
        .keep_stdout(Keep::Nothing)
        .blocking_run();
    match p.blocking_expect("(unclosed") {
        Err(Error::InvalidPattern { pattern, .. }) => assert_eq!(pattern, "(unclosed"),
        other => panic!("{other:?}"),
    }
    let e = p.blocking_expect("x").unwrap_err();
    assert!(matches!(e, Error::NotKept { .. }), "{e}");
    assert!(e.to_string().contains("Keep::All"));
    assert!(matches!(
        p.blocking_expect(Vec::<String>::new()),
        Err(Error::NoPattern { .. })
    ));
}

#[test]
fn a_kept_tail_still_answers_expect() {
    let p = Process::sh("seq 100000; echo the-end")
        .keep_stdout(Keep::Tail(64))
        .blocking_run();
    assert!(p.blocking_expect("the-end").is_ok());
    assert!(p.stdout().len() <= 64);
}
