//! The engine's demonstration experiment, and the one its crash tests torture.
//!
//! 60 combinations: `size_kib` in `igeom(1, 1024, 5)`, three checksum tools, four
//! repeats. Each runs one local process for about 0.1 s (`sleep`, then the tool over
//! `size_kib` KiB of zeros) and records how long it took and the digest it printed.
//!
//! ```text
//! cargo run --release -p execo-experiments --bin sweep_demo            # a new result dir
//! cargo run --release -p execo-experiments --bin sweep_demo -- -C DIR  # continue in DIR
//! cargo run --release -p execo-experiments --bin sweep_demo -- -C DIR --dry-run
//! ```
//!
//! Interrupt it (Ctrl-C, or `kill -9`) and run it again with `-C DIR`: only the
//! combinations not yet done run. `execo sweep status DIR` shows where it stands.
//!
//! `#[experiment]` writes `main`: the engine's command line (`-C`, `-l`, `-L`, `-R`,
//! `-M`), `--dry-run`, `--list`, and this experiment's own flags, [`Args`].

use execo::prelude::*;
use serde::Serialize;

/// The experiment's own flags, beside the engine's.
#[derive(clap::Args, Debug)]
struct Args {
    /// How long each combination's process sleeps before it works, in seconds.
    #[arg(long, default_value_t = 0.1, value_name = "SECONDS")]
    sleep: f64,
    /// Make the combinations with this tool fail (to see failures skipped and retried).
    #[arg(long, value_name = "TOOL")]
    fail_tool: Option<String>,
}

/// What one combination measured.
#[derive(Serialize, Debug)]
struct Measure {
    seconds: f64,
    digest: String,
}

/// execo's engine demonstration: 60 checksum runs of about 0.1 s each.
#[experiment]
#[params(
    size_kib = igeom(1, 1024, 5),
    tool = ["md5sum", "sha1sum", "cksum"],
    repeat: u32 = 0..4,
)]
async fn sweep_demo(xp: &mut Experiment<Args>, p: Params) -> execo::Result<Measure> {
    let args = xp.args();
    let tool = match &args.fail_tool {
        Some(t) if *t == p.tool => "false",
        _ => p.tool.as_str(),
    };
    let run = Process::sh(format!(
        "sleep {}; head -c {}K /dev/zero | {tool}",
        args.sleep, p.size_kib
    ))
    .nolog_exit_code(true)
    .run()
    .await;
    run.check()?;
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
