//! A plain program that never sets up logging: its failed processes are still reported
//! on stderr (tests/it/logs.rs runs it).

use execo::prelude::*;

fn main() {
    let p = Process::sh("echo 'the real cause' >&2; exit 3")
        .name("failing step")
        .blocking_run();
    println!("ok: {}", p.ok());
    let _ = Process::sh("exit 4").nolog_exit_code(true).blocking_run();
}
