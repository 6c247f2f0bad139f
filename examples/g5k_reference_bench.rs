//! Figures of the Grid'5000 reference cache against the stand-in API server of the tests
//! (real HTTP on loopback serving `tests/fixtures/g5k/`): cold start (no cache: the whole
//! tree walked and cached), warm start (cache current: one `GET /` and one file read), and
//! reference lookups per second on the loaded data.
//!
//! `cargo run --release --features g5k --example g5k_reference_bench`

#[path = "../tests/it/g5k_server.rs"]
#[allow(dead_code)]
mod g5k_server;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use execo::g5k::Reference;
use execo::g5k::api::{Api, ApiOptions};
use execo::g5k::reference::Queues;

fn main() {
    let server = g5k_server::ApiServer::start();
    let api = Api::with_options(ApiOptions {
        uri: server.uri(),
        credentials: None,
        verify_ssl: true,
        timeout: Duration::from_secs(30),
        additional_args: BTreeMap::new(),
    })
    .expect("the API client");
    let dir = std::env::temp_dir().join(format!("execo-g5k-bench-{}", std::process::id()));
    let runs = 10;
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut reference = None;
    for _ in 0..runs {
        std::fs::remove_dir_all(&dir).ok();
        let t = Instant::now();
        Reference::blocking_load(&api, &dir).expect("cold load");
        cold.push(t.elapsed());
        let t = Instant::now();
        reference = Some(Reference::blocking_load(&api, &dir).expect("warm load"));
        warm.push(t.elapsed());
    }
    let r = reference.expect("loaded");
    let hosts = r.hosts(Queues::All);
    let n = 1_000_000;
    let t = Instant::now();
    let mut sum = 0usize;
    for i in 0..n {
        let h = &hosts[i % hosts.len()];
        sum += r.host_site(h).expect("known").len();
        sum += r
            .host_attributes(h)
            .expect("known")
            .as_object()
            .map_or(0, |o| o.len());
    }
    let lookups = 2 * n;
    let elapsed = t.elapsed();
    cold.sort();
    warm.sort();
    println!(
        "requests for a cold start: {}",
        server.requests().len() / runs - 1
    );
    println!(
        "cold start (walk + cache write), median of {runs}: {:.1} ms (min {:.1})",
        cold[runs / 2].as_secs_f64() * 1e3,
        cold[0].as_secs_f64() * 1e3
    );
    println!(
        "warm start (GET / + cache read), median of {runs}: {:.1} ms (min {:.1})",
        warm[runs / 2].as_secs_f64() * 1e3,
        warm[0].as_secs_f64() * 1e3
    );
    println!(
        "lookups (host_site + host_attributes) on loaded data: {:.2} M/s ({lookups} in {:.2} s; {sum})",
        lookups as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed.as_secs_f64()
    );
    std::fs::remove_dir_all(&dir).ok();
}
