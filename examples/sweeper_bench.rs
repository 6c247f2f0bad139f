//! P processes share one ParamSweeper directory over M combinations, each looping
//! `get_next` + `done` until nothing is left; then checks that every combination was
//! done exactly once. The Python twin is `benches/ref/execo_sweeper_ref.py`; both are run
//! side by side by `benches/sweeper_compare.sh`.
//!
//! ```text
//! sweeper_bench --dir D --combs M --procs P   # prints: wall_s loop_s ops_per_s ok|FAIL
//! sweeper_bench --worker --dir D --combs M    # one worker (spawned by the above)
//! ```
//!
//! `wall_s` includes the workers' start; `loop_s` is from the first worker's first
//! `get_next` to the last worker's end, and `ops_per_s` is M / `loop_s`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use execo::sweep::{ParamSweeper, Sweep};

struct Args {
    dir: PathBuf,
    combs: usize,
    procs: usize,
    worker: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        dir: PathBuf::new(),
        combs: 10_000,
        procs: 4,
        worker: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--dir" => a.dir = PathBuf::from(value("--dir")?),
            "--combs" => {
                a.combs = value("--combs")?
                    .parse()
                    .map_err(|e| format!("--combs: {e}"))?
            }
            "--procs" => {
                a.procs = value("--procs")?
                    .parse()
                    .map_err(|e| format!("--procs: {e}"))?
            }
            "--worker" => a.worker = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.dir.as_os_str().is_empty() {
        return Err("--dir DIR is required".into());
    }
    Ok(a)
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn worker(a: &Args) -> Result<(), String> {
    let combs = Sweep::new()
        .param("i", 0..a.combs as i64)
        .param("name", ["x"])
        .combinations();
    let s = ParamSweeper::open(&a.dir, combs).map_err(|e| e.to_string())?;
    let start = now();
    let mut n = 0;
    while let Some(c) = s.get_next().map_err(|e| e.to_string())? {
        s.done(&c).map_err(|e| e.to_string())?;
        n += 1;
    }
    println!("{start:.6} {:.6} {n}", now());
    Ok(())
}

fn parent(a: &Args) -> Result<bool, String> {
    std::fs::remove_dir_all(&a.dir).ok();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let t = Instant::now();
    let children = (0..a.procs)
        .map(|_| {
            Command::new(&exe)
                .arg("--worker")
                .arg("--dir")
                .arg(&a.dir)
                .arg("--combs")
                .arg(a.combs.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (mut first, mut last, mut total) = (f64::MAX, 0f64, 0usize);
    let outs: Vec<_> = children.into_iter().map(|c| c.wait_with_output()).collect();
    for out in outs {
        let out = out.map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("a worker failed: {}", out.status));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let f: Vec<f64> = text
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if let [s, e, n] = f[..] {
            first = first.min(s);
            last = last.max(e);
            total += n as usize;
        }
    }
    let wall = t.elapsed().as_secs_f64();
    let log = std::fs::read_to_string(a.dir.join("done.jsonl")).map_err(|e| e.to_string())?;
    let lines: Vec<&str> = log.lines().collect();
    let distinct: HashSet<&str> = lines.iter().copied().collect();
    let ok = lines.len() == a.combs && distinct.len() == a.combs && total == a.combs;
    if !ok {
        eprintln!(
            "FAIL: {} done lines, {} distinct, {} reported by workers, {} expected",
            lines.len(),
            distinct.len(),
            total,
            a.combs
        );
    }
    let loop_s = last - first;
    println!(
        "{wall:.4} {loop_s:.4} {:.0} {}",
        a.combs as f64 / loop_s,
        if ok { "ok" } else { "FAIL" }
    );
    Ok(ok)
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sweeper_bench: {e}");
            return ExitCode::from(2);
        }
    };
    let r = if a.worker {
        worker(&a).map(|()| true)
    } else {
        parent(&a)
    };
    match r {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sweeper_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
