use std::time::Duration;

use execo::prelude::*;

fn start_error(p: &Process) -> String {
    let h = p.clone().nolog_error(true).start();
    assert!(h.ended() && !h.started() && !h.ok(), "{h}");
    h.start_error().expect("a start error")
}

#[test]
fn empty_commands() {
    assert!(start_error(&Process::new("")).contains("empty command"));
    assert!(start_error(&Process::new("   ")).contains("empty command"));
    assert!(start_error(&Process::argv(Vec::<String>::new())).contains("empty command"));
    assert!(start_error(&Process::sh(" ")).contains("empty command"));
}

#[test]
fn a_program_that_does_not_exist() {
    let e = start_error(&Process::new("no-such-program-xyz --help"));
    assert!(e.contains("`no-such-program-xyz` not found"), "{e}");
    let e = start_error(&Process::new("/no/such/dir/prog"));
    assert!(e.contains("/no/such/dir/prog"), "{e}");
}

#[test]
fn a_missing_working_directory() {
    let e = start_error(&Process::new("true").cwd("/no/such/workdir"));
    assert!(e.contains("/no/such/workdir"), "{e}");
    let e = start_error(&Process::new("true").cwd("/etc/hostname"));
    assert!(e.contains("not a directory"), "{e}");
}

#[test]
fn an_unclosed_quote() {
    let e = start_error(&Process::new("echo 'oops"));
    assert!(e.contains("unclosed"), "{e}");
}

#[test]
fn a_process_that_never_started_answers_every_call_at_once() {
    let p = Process::new("no-such-program-xyz")
        .nolog_error(true)
        .nolog_write_error(true)
        .nolog_expect_fail(true)
        .start();
    p.blocking_wait();
    p.kill();
    assert!(matches!(
        p.blocking_expect("x"),
        Err(Error::ExpectEof { .. })
    ));
    p.blocking_write("x");
    assert!(p.write_error().unwrap().contains("never started"));
    assert!(p.blocking_wait_timeout(Duration::from_secs(60)));
    assert!(p.stats().errors == 1 && p.stats().started == 0);
    assert!(p.to_string().contains("start error"));
}

#[test]
fn a_program_without_execute_permission() {
    let path = std::env::temp_dir().join(format!("execo-noexec-{}", std::process::id()));
    std::fs::write(&path, "#!/bin/sh\necho hi\n").unwrap();
    let e = start_error(&Process::argv([path.to_str().unwrap()]));
    assert!(
        e.contains("cannot execute") && e.contains(path.to_str().unwrap()),
        "{e}"
    );
    std::fs::remove_file(&path).ok();
}
