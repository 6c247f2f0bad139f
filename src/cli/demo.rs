//! `execo demo`: a tour of the process kernel on this machine.

use std::time::{Duration, Instant};

use execo::prelude::*;

/// Runs the tour; whether everything behaved as it should.
pub fn demo(n: usize) -> execo::Result<bool> {
    println!("1. A dialogue: start a server, wait until it is ready, talk to it.");
    let server =
        Process::sh("echo 'server listening'; while read -r line; do echo \"echo: $line\"; done")
            .stdin(Stdin::Piped)
            .name("echo server")
            .start();
    let m = server.blocking_expect(r"^server (\w+)")?;
    println!(
        "   {} says it is {} (pid {})",
        server.name(),
        m.group(1).unwrap_or("?"),
        server.pid().unwrap_or(0)
    );
    for word in ["ping", "hello world"] {
        server.blocking_write(format!("{word}\n"));
        let reply = server.blocking_expect(r"^echo: .*$")?;
        println!("   sent {word:?}, got {:?}", reply.as_str());
    }
    server.blocking_close_stdin().blocking_wait();
    println!("   after closing its stdin: {server}");

    println!("2. A fan-out: {n} processes at once, each its own process group.");
    let t = Instant::now();
    let all: Vec<ProcessHandle> = (0..n).map(|_| Process::new("true").start()).collect();
    for p in &all {
        p.blocking_wait();
    }
    let ok = all.iter().filter(|p| p.ok()).count();
    println!("   {ok}/{n} ok in {:.3} s", t.elapsed().as_secs_f64());

    println!("3. A timeout: `sleep 60` with a 0.5 s timeout.");
    let slow = Process::new("sleep 60")
        .timeout(Duration::from_millis(500))
        .nolog_timeout(true)
        .blocking_run();
    println!(
        "   {slow}; timed out: {}, ok: {}",
        slow.timed_out(),
        slow.ok()
    );

    println!("4. Failures are data: a command that does not exist, and one that fails.");
    let missing = Process::new("no-such-program --flag")
        .nolog_error(true)
        .blocking_run();
    println!("   {missing}");
    let failing = Process::sh("echo 'something went wrong' >&2; exit 3")
        .nolog_exit_code(true)
        .blocking_run();
    println!("   {failing}; stderr: {:?}", failing.stderr().trim());
    Ok(ok == n && slow.timed_out() && !missing.ok() && failing.exit_code() == Some(3))
}
