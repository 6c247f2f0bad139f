use std::time::Duration;

use execo::prelude::*;

#[test]
fn an_interactive_dialogue_with_cat() {
    let p = Process::new("cat").stdin(Stdin::Piped).start();
    for word in ["one", "two", "three"] {
        p.blocking_write(format!("{word}\n"));
        assert_eq!(
            p.blocking_expect(r"^\w+\n").unwrap().as_str(),
            format!("{word}\n")
        );
    }
    p.blocking_close_stdin().blocking_wait();
    assert_eq!(p.exit_code(), Some(0));
    assert!(p.ok());
}

#[test]
fn a_dialogue_with_a_shell() {
    let p = Process::new("sh").stdin(Stdin::Piped).start();
    p.blocking_write("echo $((6 * 7))\n");
    assert!(p.blocking_expect("^42$").is_ok());
    p.blocking_write("exit 5\n").blocking_wait();
    assert_eq!(p.exit_code(), Some(5));
}

#[test]
fn writing_to_a_finished_process_is_a_recorded_error() {
    let p = Process::new("true")
        .stdin(Stdin::Piped)
        .nolog_write_error(true)
        .blocking_run();
    p.blocking_write("too late\n");
    let e = p.write_error().expect("a write error");
    assert!(e.contains("ended"), "{e}");
    assert!(!p.ok());
    let q = Process::new("true")
        .stdin(Stdin::Piped)
        .ignore_write_error(true)
        .nolog_write_error(true)
        .blocking_run();
    q.blocking_write("x");
    assert!(q.write_error().is_some() && q.ok());
}

#[test]
fn writing_to_a_process_that_closed_its_stdin() {
    let p = Process::sh("exec 0<&-; echo closed; sleep infinity")
        .stdin(Stdin::Piped)
        .nolog_write_error(true)
        .start();
    p.blocking_expect("closed").unwrap();
    p.blocking_write("x\n");
    let e = p.write_error().expect("a write error");
    assert!(e.contains("broken pipe"), "{e}");
    p.kill();
}

#[test]
fn writing_without_a_stdin_pipe_says_how_to_get_one() {
    let p = Process::new("sleep infinity")
        .nolog_write_error(true)
        .start();
    p.blocking_write("x");
    assert!(p.write_error().unwrap().contains("Stdin::Piped"));
    p.kill();
}

#[test]
fn the_default_stdin_is_null_so_readers_never_hang() {
    let p = Process::new("cat")
        .timeout(Duration::from_secs(120))
        .blocking_run();
    assert!(p.ok() && !p.timed_out());
}

#[test]
fn a_pty_makes_stdin_and_stdout_terminals() {
    let p =
        Process::sh("test -t 0 && test -t 1 && echo tty; test -t 2 || echo 'stderr is a pipe' >&2")
            .pty(true)
            .blocking_run();
    assert!(p.stdout().contains("tty"), "{:?}", p.stdout());
    assert_eq!(p.stderr(), "stderr is a pipe\n");
    let not = Process::sh("test -t 1 && echo tty || echo notty").blocking_run();
    assert_eq!(not.stdout(), "notty\n");
}

#[test]
fn a_dialogue_over_a_pty() {
    let p = Process::new("cat").pty(true).start();
    p.blocking_write("hello pty\n");
    assert!(p.blocking_expect("hello pty").is_ok());
    p.blocking_close_stdin().blocking_wait();
    assert_eq!(p.exit_code(), Some(0));
}
