//! Planning over the fixtures' three sites (lyon, lille, nancy: their synthetic OAR
//! status, the real reference data), ours against Python execo 2.8.2's `get_planning` +
//! `compute_slots` on the same data, both over HTTP (the stand-in API server of the
//! tests, real HTTP on loopback) and without it (the sites' answers read once, planning's
//! own work only). Each side runs in one process, the reference loaded before timing.
//!
//! `cargo run --release --features g5k --example planning_bench -- [RUNS] [PYTHON]`
//! (`benches/planning_compare.sh` sets up PYTHON, a venv with execo 2.8.2).

#[path = "../tests/it/g5k_server.rs"]
#[allow(dead_code)]
mod g5k_server;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use execo::g5k::Reference;
use execo::g5k::api::{Api, ApiOptions};
use execo::g5k::planning::{PlanningRequest, compute_slots, source};

/// The fixtures' status time, and the window and walltime planned.
const T: i64 = 1_774_256_400;
const END: i64 = T + 2 * 86_400;
const WALLTIME: i64 = 3600;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let python = args.next();
    let server = g5k_server::ApiServer::start();
    let api = Api::with_options(ApiOptions {
        uri: server.uri(),
        credentials: None,
        verify_ssl: true,
        timeout: Duration::from_secs(30),
        additional_args: BTreeMap::new(),
    })
    .expect("the API client");
    let dir = std::env::temp_dir().join(format!("execo-planning-bench-{}", std::process::id()));
    let r = Reference::blocking_load(&api, &dir.join("cache")).expect("the reference");
    let sites = ["lyon", "lille", "nancy"];
    let req = PlanningRequest::new(sites).start(T).end(END);

    let mut http = Vec::new();
    let mut n_slots = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let p = req.blocking_get(&api, &r).expect("planning");
        n_slots = compute_slots(&p, WALLTIME, &[], false).len();
        http.push(t.elapsed().as_secs_f64());
    }
    let data: BTreeMap<String, _> = sites
        .iter()
        .map(|s| {
            (
                s.to_string(),
                source::blocking_status(&api, s).expect("status"),
            )
        })
        .collect();
    let mut local = Vec::new();
    for _ in 0..runs {
        let data = data
            .iter()
            .map(|(k, v)| (k.clone(), Ok(v.clone())))
            .collect();
        let t = Instant::now();
        let p = req.from_data(&r, data).expect("planning");
        compute_slots(&p, WALLTIME, &[], false);
        local.push(t.elapsed().as_secs_f64());
    }
    let (ours_http, ours_local) = (median(http), median(local));
    println!(
        "planning lyon+lille+nancy, window 48 h, walltime 1 h: {n_slots} slots; median of {runs} runs"
    );
    println!(
        "{:<28} {:>12} {:>12} {:>8}",
        "", "ours ms", "python ms", "ratio"
    );
    let row = |name: &str, ours: f64, py: Option<f64>| match py {
        Some(p) => println!(
            "{name:<28} {:>12.3} {:>12.3} {:>7.1}x",
            ours * 1e3,
            p * 1e3,
            p / ours
        ),
        None => println!("{name:<28} {:>12.3} {:>12} {:>8}", ours * 1e3, "-", "-"),
    };
    let py = |offline: bool| -> Option<f64> {
        let python = python.as_ref()?;
        let home = dir.join("pyhome");
        std::fs::create_dir_all(&home).ok()?;
        std::fs::write(
            home.join(".execo.conf.py"),
            format!("g5k_configuration = {{'api_uri': '{}'}}\n", server.uri()),
        )
        .ok()?;
        let mut c = Command::new(python);
        c.arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/planning_execo.py"
        ))
        .arg(server.uri())
        .args(["lyon,lille,nancy", &T.to_string(), &END.to_string()])
        .arg(WALLTIME.to_string())
        .args(["--repeat", &runs.to_string()])
        .env("HOME", &home);
        if offline {
            c.arg("--offline");
        }
        let out = c.output().ok()?;
        if !out.status.success() {
            eprintln!("python: {}", String::from_utf8_lossy(&out.stderr));
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let secs: Vec<f64> = v["seconds"]
            .as_array()?
            .iter()
            .filter_map(|s| s.as_f64())
            .collect();
        Some(median(secs))
    };
    row("over HTTP (loopback)", ours_http, py(false));
    row("without HTTP", ours_local, py(true));
    std::fs::remove_dir_all(&dir).ok();
}
