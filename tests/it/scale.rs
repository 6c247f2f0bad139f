use std::time::Duration;

use execo::prelude::*;

#[test]
fn ten_thousand_processes_at_once() {
    // Its 10,000 children take descriptors and process slots from the whole test
    // process: they are not taken from tests running beside it.
    if !crate::in_own_process("scale::ten_thousand_processes_at_once") {
        return;
    }
    let n = 10_000;
    // `sleep infinity` never ends by itself, however slow the spawns of a loaded machine.
    let all: Vec<ProcessHandle> = (0..n)
        .map(|_| Process::new("sleep infinity").start())
        .collect();
    let not_running = all.iter().filter(|p| !p.running()).count();
    let failed: Vec<String> = all
        .iter()
        .filter(|p| !p.running())
        .take(3)
        .map(|p| p.dump())
        .collect();
    assert_eq!(
        not_running,
        0,
        "{not_running} of {n} are not running, e.g.:\n{}",
        failed.join("\n")
    );
    for p in &all {
        p.kill();
    }
    for p in &all {
        p.blocking_wait();
    }
    assert!(
        all.iter()
            .all(|p| p.ok() && p.signal() == Some(libc::SIGTERM))
    );
}

#[test]
fn out_of_descriptors_each_failed_start_is_recorded_and_the_rest_run() {
    let out = Process::argv([
        "sh",
        "-c",
        "ulimit -n 100 && exec \"$0\" --fanout 200",
        crate::example("script").to_str().unwrap(),
    ])
    .timeout(Duration::from_secs(60))
    .blocking_run();
    assert_eq!(out.exit_code(), Some(0), "{}", out.dump());
    let text = out.stdout();
    let ok: usize = text
        .split("ok: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let errors: usize = text
        .split("start errors: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(ok + errors, 200, "{text}");
    assert!(ok > 0 && errors > 0, "{text}");
    assert!(
        text.contains("out of file descriptors") && text.contains("ulimit -n"),
        "{text}"
    );
}

#[test]
fn many_processes_with_output_under_a_small_limit_spool_and_succeed() {
    // 400 processes with stdout and stderr under 256 descriptors: pipes for the first,
    // spool files for the rest; every output arrives.
    let script = crate::example("script");
    let out = Process::argv([
        "sh",
        "-c",
        "ulimit -n 256 && exec \"$0\" --spool 400",
        script.to_str().unwrap(),
    ])
    .timeout(Duration::from_secs(60))
    .blocking_run();
    assert_eq!(out.exit_code(), Some(0), "{}", out.dump());
    assert!(
        out.stdout().contains("ok: 400 outputs: 400"),
        "{}",
        out.stdout()
    );
}
