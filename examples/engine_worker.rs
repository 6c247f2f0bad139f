//! A worker of the engine's multi-worker tests (tests/it/engine.rs): the engine over the
//! combinations `i = 0..N`, several of it sharing one result directory with `-C`. Each
//! combination records the worker's pid; `--fail I` makes combination I fail, and
//! `--hold I --until FILE` keeps combination I in progress until FILE exists (so that a
//! test holds it in one worker, without timing, while the others finish).
//!
//! ```text
//! engine_worker -C DIR --n N [--fail I] [--hold I --until FILE]
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use execo::engine::{Engine, EngineArgs};
use execo::sweep::{Sweep, Value};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    engine: EngineArgs,
    /// How many combinations.
    #[arg(long)]
    n: i64,
    /// The combination that fails.
    #[arg(long)]
    fail: Option<i64>,
    /// The combination that waits for `--until`.
    #[arg(long, requires = "until")]
    hold: Option<i64>,
    /// The file the held combination waits for (at most 10 minutes).
    #[arg(long)]
    until: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let engine = match Engine::start("engine_worker", &args.engine) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("engine_worker: {e}");
            std::process::exit(2)
        }
    };
    let combs = Sweep::new().param("i", 0..args.n).combinations();
    let run = || -> Result<i32, String> {
        let sweeper = engine.sweeper(combs).map_err(|e| e.to_string())?;
        let outcome = engine
            .blocking_run_sweep(&sweeper, |c| {
                let Some(Value::Int(i)) = c.get("i") else {
                    return Err(format!("no i in {c}"));
                };
                if Some(*i) == args.fail {
                    return Err(format!("{i} fails on purpose"));
                }
                if let (Some(hold), Some(until)) = (args.hold, &args.until)
                    && *i == hold
                {
                    let end = Instant::now() + Duration::from_secs(600);
                    while !until.exists() {
                        if Instant::now() > end {
                            return Err(format!("`{}` never appeared", until.display()));
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                Ok(std::process::id())
            })
            .map_err(|e| e.to_string())?;
        Ok(engine.finish(&outcome))
    };
    match run() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("engine_worker: {e}");
            std::process::exit(2)
        }
    }
}
