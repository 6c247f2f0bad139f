//! A plain `fn main` script, top to bottom: start a server, start a client, wait for the
//! client, kill the server. Also the helper of the kernel's exit tests:
//!
//! - `script --hold`: starts a shell with two grandchildren, prints their pids
//!   (`pids: sh a b`), then sleeps until a signal ends the program;
//! - `script --exit`: the same, detached, then returns from `main` at once;
//! - `script --fanout N`: starts N processes with a stdin pipe at once and prints how
//!   many started and the first start error (used under a small `ulimit -n`);
//! - `script --spool N`: starts N processes that write to stdout and stderr at once and
//!   prints how many were ok and delivered their output (used under a small `ulimit -n`).

use std::time::Duration;

use execo::prelude::*;

fn family() -> ProcessHandle {
    let p = Process::sh("sleep 1000 & echo $!; sleep 1000 & echo $!; wait").start();
    p.blocking_expect(r"^\d+\n\d+\n")
        .expect("the shell prints its children");
    let children = p.stdout().split_whitespace().collect::<Vec<_>>().join(" ");
    println!("pids: {} {children}", p.pid().unwrap_or(0));
    p
}

fn main() {
    execo::init_logging("warn");
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--hold") => {
            let _family = family();
            std::thread::sleep(Duration::from_secs(1000));
        }
        Some("--exit") => family().detach(),
        Some("--fanout") => {
            let n: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100);
            let all: Vec<ProcessHandle> = (0..n)
                .map(|_| {
                    Process::new("sleep 0.5")
                        .stdin(Stdin::Piped)
                        .nolog_error(true)
                        .start()
                })
                .collect();
            for p in &all {
                p.blocking_wait();
            }
            let ok = all.iter().filter(|p| p.ok()).count();
            let errors: Vec<String> = all.iter().filter_map(|p| p.start_error()).collect();
            println!("ok: {ok} start errors: {}", errors.len());
            if let Some(e) = errors.first() {
                println!("first error: {e}");
            }
        }
        Some("--spool") => {
            let n: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100);
            let all: Vec<ProcessHandle> = (0..n)
                .map(|i| Process::sh(format!("echo out{i}; echo err{i} >&2; sleep 0.5")).start())
                .collect();
            let ok = all.iter().filter(|p| p.blocking_wait().ok()).count();
            let outputs = all
                .iter()
                .enumerate()
                .filter(|(i, p)| {
                    p.stdout() == format!("out{i}\n") && p.stderr() == format!("err{i}\n")
                })
                .count();
            println!("ok: {ok} outputs: {outputs}");
        }
        _ => {
            let server = Process::sh("echo listening; exec cat")
                .stdin(Stdin::Piped)
                .start();
            server
                .blocking_expect("^listening")
                .expect("the server starts");
            let client = Process::new("echo hello")
                .timeout(Duration::from_secs(5))
                .blocking_run();
            server.blocking_write(client.stdout());
            let echoed = server.blocking_expect("hello");
            server.kill().blocking_wait();
            println!(
                "client: {client}\nserver: {server}\necho: {:?}",
                echoed.map(|m| m.as_str().to_string())
            );
        }
    }
}
