//! Integration tests of the process kernel: real processes, real signals, real ptys.

mod actions;
mod bad_input;
mod blocking;
mod causes;
mod chain;
mod cli;
mod cli_input;
mod copy;
mod engine;
mod errors;
mod exit;
mod expect;
mod experiment_macro;
mod faults;
mod flagship_ssh;
#[cfg(feature = "g5k")]
mod g5k_api;
#[cfg(feature = "g5k")]
mod g5k_planning;
#[cfg(feature = "g5k")]
mod g5k_planning_oar;
#[cfg(feature = "g5k")]
mod g5k_rest;
#[cfg(feature = "g5k")]
mod g5k_rest_server;
#[cfg(feature = "g5k")]
mod g5k_server;
#[cfg(all(feature = "g5k", feature = "plot"))]
mod g5k_topology;
mod hostnames;
#[cfg(feature = "g5k")]
mod kadeploy;
mod layers;
mod leftovers;
mod lifecycle;
mod logs;
mod macros;
mod mux;
mod netns;
mod nodeset_cli;
#[cfg(feature = "g5k")]
mod oar;
mod output;
#[cfg(feature = "plot")]
mod plot;
#[cfg(feature = "g5k")]
mod python_execo;
mod remote;
mod run_output;
mod scale;
mod serial;
mod ssh;
mod sshd;
mod stdin;
mod sweep_cli;
mod sweeper;
mod taktuk;
mod timeouts;

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether `pid` is a live process (a zombie counts as dead: PID 1 here does not reap
/// orphans).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}

/// Polls `cond` every 10 ms until it holds or `limit` passes; returns whether it held.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// A scratch directory removed at the end of the test.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    /// `execo-it-NAME-PID` in the temporary directory, empty.
    pub fn new(name: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("execo-it-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&d).ok();
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    /// Writes `content` to file `name` in it.
    pub fn write(&self, name: &str, content: &str) -> std::path::PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Runs the calling test in a process of its own, for a test that installs something
/// process-wide (a global logger): `true` in that process, where the test goes on;
/// `false` in the calling one once that process has passed. nextest gives each test a
/// process anyway; plain `cargo test` runs tests as threads of one.
pub fn in_own_process(test: &str) -> bool {
    const VAR: &str = "EXECO_TEST_IN_OWN_PROCESS";
    if std::env::var(VAR).as_deref() == Ok(test) {
        return true;
    }
    let exe = std::env::current_exe().expect("current exe");
    let out = std::process::Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(VAR, test)
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} in its own process: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

/// The status of `child`, killing it and failing the test if it has not ended after a
/// generous deadline (these commands end at once when they work).
pub fn bounded_wait(child: &mut Child, what: &str) -> ExitStatus {
    let mut status = None;
    let ended = crate::eventually(Duration::from_secs(120), || {
        status = child.try_wait().expect("wait for the child");
        status.is_some()
    });
    if !ended {
        child.kill().ok();
        child.wait().ok();
        panic!("`{what}` has not ended after 120 s: it hangs");
    }
    status.unwrap()
}

/// Runs `c` to its end, stdin closed, with the bounded wait.
pub fn bounded(mut c: Command, what: &str) -> Output {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{what}`: {e}"));
    let mut pipes = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        pipes.0.read_to_end(&mut b).ok();
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        pipes.1.read_to_end(&mut b).ok();
        b
    });
    let status = bounded_wait(&mut child, what);
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The path of one of this package's examples, built by `cargo test` / `cargo nextest`.
pub fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "example `{name}` not built at {}: run `cargo build --examples`",
        path.display()
    );
    path
}

/// Parses `pids: a b c` from a line.
pub fn parse_pids(line: &str) -> Vec<i32> {
    line.trim()
        .strip_prefix("pids:")
        .unwrap_or_else(|| panic!("no pids in {line:?}"))
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}
