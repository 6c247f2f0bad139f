//! The experiment engine used from a program: an async experiment awaited on the caller's runtime,
//! failures and panics skipped and retried, results read back with serde; and several
//! worker processes on one result directory (examples/engine_worker.rs). (The
//! `sweep_demo` binary's tests, in the experiments package, cover `-C`, kill -9, SIGINT
//! and SIGTERM, and `-L`/`-R`/`-M`.) Each test runs in its own process under nextest:
//! an engine sets the process's logging and signal hooks.

use std::path::PathBuf;

use execo::engine::{Engine, EngineArgs};
use execo::prelude::*;
use execo::sweep::{Combination, Sweep, read_results};

fn result_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("execo-it-engine-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    d
}

fn args(dir: &std::path::Path) -> EngineArgs {
    EngineArgs {
        continue_dir: Some(dir.to_path_buf()),
        log_level: "warn".into(),
        ..EngineArgs::default()
    }
}

#[tokio::test]
async fn an_async_experiment_runs_each_combination_on_the_callers_runtime() {
    let dir = result_dir("async");
    let engine = Engine::start("async_xp", &args(&dir)).unwrap();
    let combs = Sweep::new()
        .param("ms", [1, 20])
        .param("word", ["a", "b c"])
        .combinations();
    let sweeper = engine.sweeper(combs).unwrap();
    let outcome = engine
        .run_sweep(&sweeper, |c: Combination| async move {
            let ms = c.get("ms").unwrap().to_string();
            let word = c.get("word").unwrap().to_string();
            let p = Process::sh(format!("sleep 0.0{ms}; echo '{word}'"))
                .run()
                .await;
            p.check()?;
            Ok::<String, execo::Error>(p.stdout().trim().to_string())
        })
        .await
        .unwrap();
    assert_eq!((outcome.done, outcome.failed, outcome.remaining), (4, 0, 0));
    assert_eq!(engine.finish(&outcome), 0);
    let results = read_results::<Combination, String>(dir.join("results.jsonl")).unwrap();
    assert_eq!(results.len(), 4);
    for r in &results {
        assert_eq!(r.result, r.params.get("word").unwrap().to_string());
    }
    assert_eq!(
        read_results::<Combination, String>(dir.join("results.yaml"))
            .unwrap()
            .len(),
        4
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn errors_and_panics_are_skipped_then_retried_by_the_next_run() {
    // The engine's logger (into experiment.log) is process-wide.
    if !crate::in_own_process("engine::errors_and_panics_are_skipped_then_retried_by_the_next_run")
    {
        return;
    }
    let dir = result_dir("failures");
    let engine = Engine::start("failing_xp", &args(&dir)).unwrap();
    let combs = Sweep::new().param("n", 0..6).combinations();
    let sweeper = engine.sweeper(combs.clone()).unwrap();
    let outcome = engine
        .blocking_run_sweep(&sweeper, |c| {
            let n: i64 = c.get("n").unwrap().to_string().parse().unwrap();
            match n {
                2 => Err(format!("{n} is unlucky")),
                4 => panic!("{n} panics"),
                _ => Ok(n * 10),
            }
        })
        .unwrap();
    assert_eq!((outcome.done, outcome.failed, outcome.remaining), (4, 2, 2));
    assert_eq!(engine.finish(&outcome), 1);
    let log = std::fs::read_to_string(dir.join("experiment.log")).unwrap();
    assert!(
        log.contains("2 is unlucky") && log.contains("4 panics"),
        "{log}"
    );

    // A second sweeper on the same directory (as a `-C` run would open): only the
    // failed two are left, and now they pass.
    drop(sweeper);
    let sweeper = engine.sweeper(combs).unwrap();
    let outcome = engine
        .blocking_run_sweep(&sweeper, |c| {
            Ok::<i64, String>(c.get("n").unwrap().to_string().parse::<i64>().unwrap() * 10)
        })
        .unwrap();
    assert_eq!((outcome.done, outcome.failed, outcome.remaining), (2, 0, 0));
    let results = read_results::<Combination, i64>(dir.join("results.jsonl")).unwrap();
    assert_eq!(results.len(), 6);
    assert!(results.iter().any(|r| r.result == 40));
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------- several workers

/// An `engine_worker` (examples/engine_worker.rs) on `dir`, its stderr piped.
fn worker(dir: &std::path::Path, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(crate::example("engine_worker"))
        .arg("-C")
        .arg(dir)
        .args(extra)
        .env_remove("EXECO_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn stderr_of(child: std::process::Child) -> (Option<i32>, String) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    println!("stderr of a worker:\n{stderr}");
    (out.status.code(), stderr)
}

/// Waits (bounded) until one combination is in progress in `dir`'s sweeper and `done`
/// are done; returns its holder's host and pid.
fn held(dir: &std::path::Path, done: usize) -> (String, u32) {
    let sweeper = dir.join("sweeper");
    let mut holder = None;
    assert!(
        crate::eventually(std::time::Duration::from_secs(600), || {
            let Ok(s) = execo::sweep::SweepStatus::read(&sweeper) else {
                return false;
            };
            if s.in_progress.len() == 1 && s.stats.done == done {
                holder = Some((s.in_progress[0].host.clone(), s.in_progress[0].pid));
            }
            holder.is_some()
        }),
        "nothing held in {}",
        sweeper.display()
    );
    holder.unwrap()
}

#[test]
fn workers_that_find_the_rest_held_elsewhere_say_by_whom_and_exit_0() {
    let dir = result_dir("shared");
    let release = dir.with_extension("release");
    std::fs::remove_file(&release).ok();
    let release_s = release.to_str().unwrap();
    // Three workers at once; whichever takes the last combination keeps it.
    let mut running: Vec<std::process::Child> = (0..3)
        .map(|_| worker(&dir, &["--n", "6", "--hold", "5", "--until", release_s]))
        .collect();
    let mut ended = Vec::new();
    assert!(
        crate::eventually(std::time::Duration::from_secs(600), || {
            let mut i = 0;
            while i < running.len() {
                if running[i].try_wait().unwrap().is_some() {
                    ended.push(running.remove(i));
                } else {
                    i += 1;
                }
            }
            ended.len() == 2
        }),
        "two workers should have ended"
    );
    let (host, pid) = held(&dir, 5);
    let holder = running.pop().unwrap();
    assert_eq!(
        pid,
        holder.id(),
        "the worker still running holds the last one"
    );
    for w in ended {
        let (code, stderr) = stderr_of(w);
        assert_eq!(code, Some(0), "{stderr}");
        // The first to end may also see the other one still busy on its own last
        // combination: "2 combinations in progress elsewhere (..; ..)".
        assert!(
            stderr.contains("nothing left for this worker (")
                && stderr.contains(" in progress elsewhere (")
                && stderr.contains(&format!("host {host}, pid {pid}"))
                && stderr.contains(&format!(
                    "; their results go to {}/results.yaml",
                    dir.display()
                )),
            "{stderr}"
        );
        assert!(!stderr.contains("run again"), "{stderr}");
    }
    std::fs::write(&release, "").unwrap();
    let (code, stderr) = stderr_of(holder);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("all 6 combinations done"), "{stderr}");
    let results = read_results::<Combination, u32>(dir.join("results.jsonl")).unwrap();
    let mut is: Vec<String> = results.iter().map(|r| r.params.to_string()).collect();
    is.sort();
    is.dedup();
    assert_eq!(is.len(), 6, "each combination exactly once: {results:?}");
    assert!(results.iter().any(|r| r.result == pid));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_file(&release).ok();
}

#[test]
fn a_worker_whose_own_combinations_failed_still_exits_1_when_the_rest_is_held_elsewhere() {
    let dir = result_dir("shared-failing");
    let release = dir.with_extension("release");
    std::fs::remove_file(&release).ok();
    let release_s = release.to_str().unwrap();
    // It fails 0 (a skip, not saved), does 1, and keeps 2.
    let holder = worker(
        &dir,
        &[
            "--n", "3", "--fail", "0", "--hold", "2", "--until", release_s,
        ],
    );
    let (host, pid) = held(&dir, 1);
    assert_eq!(pid, holder.id());
    let elsewhere = format!("1 combination in progress elsewhere (host {host}, pid {pid})");

    // 0 fails here too: left to do, so 1.
    let (code, stderr) = stderr_of(worker(&dir, &["--n", "3", "--fail", "0"]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "2 of 3 combinations left (1 failed in this run, {elsewhere}); run again with -C"
        )),
        "{stderr}"
    );
    // 0 passes here: nothing left for this one.
    let (code, stderr) = stderr_of(worker(&dir, &["--n", "3"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "nothing left for this worker (1 done by this run): {elsewhere}"
        )),
        "{stderr}"
    );

    std::fs::write(&release, "").unwrap();
    let (code, stderr) = stderr_of(holder);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("all 3 combinations done"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_file(&release).ok();
}
