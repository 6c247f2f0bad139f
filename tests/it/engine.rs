//! The experiment engine used from a program: an async experiment driven by the kernel,
//! failures and panics skipped and retried, results read back with serde. (The
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

#[test]
fn an_async_experiment_runs_each_combination_through_the_kernel() {
    let dir = result_dir("async");
    let engine = Engine::start("async_xp", &args(&dir)).unwrap();
    let combs = Sweep::new()
        .param("ms", [1, 20])
        .param("word", ["a", "b c"])
        .combinations();
    let sweeper = engine.sweeper(combs).unwrap();
    let outcome = engine
        .run_sweep_async(&sweeper, |c: Combination| async move {
            let ms = c.get("ms").unwrap().to_string();
            let word = c.get("word").unwrap().to_string();
            let p = Process::sh(format!("sleep 0.0{ms}; echo '{word}'"))
                .run()
                .await;
            p.check().map_err(|e| e.to_string())?;
            Ok::<String, String>(p.stdout().trim().to_string())
        })
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
    let dir = result_dir("failures");
    let engine = Engine::start("failing_xp", &args(&dir)).unwrap();
    let combs = Sweep::new().param("n", 0..6).combinations();
    let sweeper = engine.sweeper(combs.clone()).unwrap();
    let outcome = engine
        .run_sweep(&sweeper, |c| {
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
        .run_sweep(&sweeper, |c| {
            Ok::<i64, String>(c.get("n").unwrap().to_string().parse::<i64>().unwrap() * 10)
        })
        .unwrap();
    assert_eq!((outcome.done, outcome.failed, outcome.remaining), (2, 0, 0));
    let results = read_results::<Combination, i64>(dir.join("results.jsonl")).unwrap();
    assert_eq!(results.len(), 6);
    assert!(results.iter().any(|r| r.result == 40));
    std::fs::remove_dir_all(&dir).ok();
}
