//! `execo demo`: a tour of the process kernel on this machine.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use execo::prelude::*;

/// Why the tour stopped early.
enum Stop {
    /// execo failed.
    Execo(execo::Error),
    /// stdout failed: its reader has gone (`execo demo | head`), there is no point going
    /// on.
    Stdout(std::io::Error),
}

impl From<execo::Error> for Stop {
    fn from(e: execo::Error) -> Stop {
        Stop::Execo(e)
    }
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        Stop::Stdout(e)
    }
}

/// Runs `execo demo`: 0 when everything behaved as it should.
pub fn demo(n: usize) -> ExitCode {
    match tour(n) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(Stop::Execo(e)) => {
            errln!("execo demo: {e}");
            ExitCode::FAILURE
        }
        Err(Stop::Stdout(e)) => super::stdout_failed("demo", &e),
    }
}

/// The tour; whether everything behaved as it should.
fn tour(n: usize) -> Result<bool, Stop> {
    outln!("1. A dialogue: start a server, wait until it is ready, talk to it.")?;
    let server =
        Process::sh("echo 'server listening'; while read -r line; do echo \"echo: $line\"; done")
            .stdin(Stdin::Piped)
            .name("echo server")
            .start();
    let m = server.blocking_expect(r"^server (\w+)")?;
    outln!(
        "   {} says it is {} (pid {})",
        server.name(),
        m.group(1).unwrap_or("?"),
        server.pid().unwrap_or(0)
    )?;
    for word in ["ping", "hello world"] {
        server.blocking_write(format!("{word}\n"));
        let reply = server.blocking_expect(r"^echo: .*$")?;
        outln!("   sent {word:?}, got {:?}", reply.as_str())?;
    }
    server.blocking_close_stdin().blocking_wait();
    outln!("   after closing its stdin: {server}")?;

    outln!("2. A fan-out: {n} processes at once, each its own process group.")?;
    let t = Instant::now();
    let all: Vec<ProcessHandle> = (0..n).map(|_| Process::new("true").start()).collect();
    for p in &all {
        p.blocking_wait();
    }
    let ok = all.iter().filter(|p| p.ok()).count();
    outln!("   {ok}/{n} ok in {:.3} s", t.elapsed().as_secs_f64())?;

    outln!("3. A timeout: `sleep 60` with a 0.5 s timeout.")?;
    let slow = Process::new("sleep 60")
        .timeout(Duration::from_millis(500))
        .nolog_timeout(true)
        .blocking_run();
    outln!(
        "   {slow}; timed out: {}, ok: {}",
        slow.timed_out(),
        slow.ok()
    )?;

    outln!("4. Failures are data: a command that does not exist, and one that fails.")?;
    let missing = Process::new("no-such-program --flag")
        .nolog_error(true)
        .blocking_run();
    outln!("   {missing}")?;
    let failing = Process::sh("echo 'something went wrong' >&2; exit 3")
        .nolog_exit_code(true)
        .blocking_run();
    outln!("   {failing}; stderr: {:?}", failing.stderr().trim())?;
    Ok(ok == n && slow.timed_out() && !missing.ok() && failing.exit_code() == Some(3))
}
