//! What the experiments' tests share: a scratch directory, output as text, a bounded wait
//! for a child, and a run whose outputs are printed (shown when a test fails).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `TAG` followed by this process's id and a number never given out before in it: a
/// name of its own for each call (the tests run as threads of one process).
pub fn unique(tag: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{tag}{}-{}",
        std::process::id() % 100_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh directory under the target dir's tmp, removed at the end of the test.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A directory of its own, named after `name`, even when tests share a name.
    pub fn new(name: &str) -> TempDir {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(unique(&format!("{name}-")));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Waits for `child` at most `limit`; kills it and fails the test after that.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> ExitStatus {
    let end = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > end {
            child.kill().ok();
            panic!("the experiment did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A run of the experiment binary `xp` with its result directory in `dir` and network
/// namespaces of its own (prefix `tag` made unique), so that tests run side by side.
pub fn run_experiment_in(xp: &str, tag: &str, dir: &Path, args: &[&str]) -> Output {
    let prefix = unique(tag);
    run_logged(
        Command::new(xp)
            .arg("-C")
            .arg(dir)
            .args(["--netns-prefix", &prefix])
            .args(args)
            .env_remove("EXECO_LOG"),
    )
}

/// Runs `cmd` to its end and prints its outputs (nextest shows them when a test fails).
pub fn run_logged(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    println!(
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}
