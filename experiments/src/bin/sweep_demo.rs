//! The engine's demonstration experiment, and the one its crash tests torture.
//!
//! 60 combinations: `size_kib` in `igeom(1, 1024, 5)`, three checksum tools, four
//! repeats. Each runs one local process for about 0.1 s (`sleep`, then the tool over
//! `size_kib` KiB of zeros) and records how long it took and the digest it printed.
//!
//! ```text
//! cargo run --release -p execo-experiments --bin sweep_demo            # a new result dir
//! cargo run --release -p execo-experiments --bin sweep_demo -- -C DIR  # continue in DIR
//! ```
//!
//! Interrupt it (Ctrl-C, or `kill -9`) and run it again with `-C DIR`: only the
//! combinations not yet done run. `execo sweep status DIR` shows where it stands.

use std::process::exit;

use clap::Parser;
use execo::engine::{Engine, EngineArgs};
use execo::prelude::*;
use execo::sweep::{Sweep, igeom};
use serde::{Deserialize, Serialize};

/// execo's engine demonstration: 60 checksum runs of about 0.1 s each.
#[derive(Parser)]
#[command(name = "sweep_demo")]
struct Args {
    #[command(flatten)]
    engine: EngineArgs,
    /// How long each combination's process sleeps before it works, in seconds.
    #[arg(long, default_value_t = 0.1, value_name = "SECONDS")]
    sleep: f64,
    /// Make the combinations with this tool fail (to see failures skipped and retried).
    #[arg(long, value_name = "TOOL")]
    fail_tool: Option<String>,
}

/// One combination.
#[derive(Serialize, Deserialize, Hash, PartialEq, Eq, Clone, Debug)]
struct Params {
    size_kib: u64,
    tool: String,
    repeat: u32,
}

/// What one combination measured.
#[derive(Serialize, Deserialize, Debug)]
struct Measure {
    seconds: f64,
    digest: String,
}

fn main() {
    let args = Args::parse();
    let engine = Engine::start("sweep_demo", &args.engine).unwrap_or_else(|e| fail(e));
    let combs = Sweep::new()
        .param("size_kib", igeom(1, 1024, 5))
        .param("tool", ["md5sum", "sha1sum", "cksum"])
        .param("repeat", 0..4u32)
        .typed::<Params>()
        .unwrap_or_else(|e| fail(e));
    let sweeper = engine.sweeper(combs).unwrap_or_else(|e| fail(e));
    let outcome = engine
        .run_sweep(&sweeper, |p| measure(p, &args))
        .unwrap_or_else(|e| fail(e));
    exit(engine.finish(&outcome));
}

fn measure(p: &Params, args: &Args) -> Result<Measure, String> {
    let tool = match &args.fail_tool {
        Some(t) if *t == p.tool => "false",
        _ => p.tool.as_str(),
    };
    let run = Process::sh(format!(
        "sleep {}; head -c {}K /dev/zero | {tool}",
        args.sleep, p.size_kib
    ))
    .nolog_exit_code(true)
    .blocking_run();
    run.check().map_err(|e| e.to_string())?;
    let digest = run
        .stdout()
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    Ok(Measure {
        seconds: run.duration().map(|d| d.as_secs_f64()).unwrap_or(0.0),
        digest,
    })
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("sweep_demo: {e}");
    exit(2)
}
