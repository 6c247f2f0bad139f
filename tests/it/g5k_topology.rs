//! The Grid'5000 topology (execo's `g5k_graph`) and `execo g5k topology` / `charter`,
//! on the real reference data of the fixtures served by the stand-in API server: our
//! graph against Python execo 2.8.2's own on the same data (its script,
//! `g5k_topology_execo.py`, runs in a venv this test makes with pip), the queries, the
//! figures, and unknown names.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use execo::g5k::Reference;
use execo::g5k::api::{Api, ApiOptions};
use execo::g5k::charter;
use execo::g5k::topology::{G5kGraph, Kind};
use serde_json::Value;

use crate::Scratch;
use crate::g5k_api::execo_g5k;
use crate::g5k_server::ApiServer;
use crate::python_execo::execo_venv;

fn reference(server: &ApiServer, dir: &Path) -> Arc<Reference> {
    let api = Api::with_options(ApiOptions {
        uri: server.uri(),
        credentials: None,
        verify_ssl: true,
        timeout: Duration::from_secs(60),
        additional_args: Default::default(),
    })
    .unwrap();
    Arc::new(Reference::blocking_load(&api, dir).unwrap())
}

/// Python execo's graphs of `cases` (each a comma-separated list of elements).
fn execo_graphs(server: &ApiServer, cases: &[&str]) -> Vec<Value> {
    let venv = execo_venv();
    let home = Scratch::new("topology-execo-home");
    let out_file = home.0.join("out.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/g5k_topology_execo.py");
    let out = Command::new(venv.join("bin/python"))
        .arg(script)
        .arg(server.uri())
        .arg(&out_file)
        .args(cases)
        .env("HOME", &home.0)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "execo's topology failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    v.as_array().unwrap().clone()
}

type Nodes = BTreeSet<(String, String)>;
type Edges = BTreeSet<(String, String, String, Option<u64>)>;

fn ours(g: &G5kGraph) -> (Nodes, Edges) {
    let nodes = g
        .graph()
        .nodes()
        .map(|(n, d)| (n.to_string(), d.kind.as_str().to_string()))
        .collect();
    let edges = g
        .graph()
        .edges()
        .iter()
        .map(|e| {
            let (a, b) = if e.a <= e.b {
                (&e.a, &e.b)
            } else {
                (&e.b, &e.a)
            };
            (
                a.clone(),
                b.clone(),
                e.key.clone(),
                e.bandwidth.map(|x| x as u64),
            )
        })
        .collect();
    (nodes, edges)
}

fn theirs(case: &Value) -> (Nodes, Edges) {
    let s = |v: &Value| v.as_str().unwrap().to_string();
    let nodes = case["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (s(&n[0]), s(&n[1])))
        .collect();
    let edges = case["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                s(&e[0]),
                s(&e[1]),
                s(&e[2]),
                e[3].as_f64().map(|x| x as u64),
            )
        })
        .collect();
    (nodes, edges)
}

#[test]
fn g5k_topology_is_execos_graph() {
    let server = ApiServer::start();
    let dir = Scratch::new("topology-vs-execo");
    let r = reference(&server, &dir.0);
    let cases = [
        "lyon",
        "lille",
        "nancy",
        "lyon,lille,nancy",
        "taurus",
        "chiclet-3",
    ];
    let execo = execo_graphs(&server, &cases);
    assert_eq!(execo.len(), cases.len());
    let mut counts = Vec::new();
    for (case, theirs_v) in cases.iter().zip(&execo) {
        let elements: Vec<&str> = case.split(',').collect();
        let g = G5kGraph::new(r.clone(), &elements).unwrap();
        let (on, oe) = ours(&g);
        let (tn, te) = theirs(theirs_v);
        assert_eq!(
            on,
            tn,
            "{case}: nodes only ours {:?}, only execo's {:?}",
            on.difference(&tn).collect::<Vec<_>>(),
            tn.difference(&on).collect::<Vec<_>>()
        );
        assert_eq!(
            oe,
            te,
            "{case}: edges only ours {:?}, only execo's {:?}",
            oe.difference(&te).collect::<Vec<_>>(),
            te.difference(&oe).collect::<Vec<_>>()
        );
        for s in g.sites() {
            assert_eq!(
                g.site_router(&s).as_deref(),
                theirs_v["site_router"][&s].as_str(),
                "{case} {s}"
            );
        }
        let mut bb = g.backbone();
        bb.sort();
        let their_bb: Vec<&str> = theirs_v["backbone"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(bb, their_bb, "{case}");
        counts.push((on.len(), oe.len()));
    }
    // The figures of the note: execo's counts, ours equal.
    assert_eq!(
        counts,
        [(18, 17), (13, 20), (17, 16), (49, 56), (17, 16), (6, 6)]
    );
}

#[test]
fn g5k_topology_queries() {
    let server = ApiServer::start();
    let dir = Scratch::new("topology-queries");
    let r = reference(&server, &dir.0);
    let g = G5kGraph::new(r.clone(), &["lyon", "lille"]).unwrap();
    assert_eq!(g.sites(), ["lille", "lyon"]);
    assert_eq!(g.clusters(), ["chiclet", "sirius", "taurus"]);
    assert_eq!(g.site_router("lyon").as_deref(), Some("gw.lyon"));
    assert_eq!(g.site_router("nancy"), None);
    let mut bb = g.backbone();
    bb.sort();
    assert_eq!(bb, ["renater-lille", "renater-lyon", "renater-paris"]);
    // the backbone links carry execo's arbitrary latency, the port's rate
    let e = g
        .graph()
        .edges()
        .iter()
        .find(|e| e.key == "renater-lyon_renater-paris")
        .unwrap();
    assert_eq!(e.latency, Some(execo::g5k::topology::ARBITRARY_LATENCY));
    assert_eq!(e.bandwidth, Some(1e10));
    // taurus-1's first adapter is on force10: its neighbours are the other taurus
    let adapters = g.host_adapters("taurus-1.lyon.grid5000.fr").unwrap();
    assert_eq!(adapters[0].switch.as_deref(), Some("force10"));
    let n = g.host_neighbours("taurus-1").unwrap();
    assert!(
        !n.is_empty() && !n.contains(&"taurus-1".to_string()),
        "{n:?}"
    );
    assert!(n.iter().all(|h| h.starts_with("taurus-")), "{n:?}");
    let on_force10 = g.equip_hosts("force10").unwrap();
    assert_eq!(on_force10.len(), n.len() + 1);
    assert_eq!(g.equip_hosts("force10.lyon").unwrap(), on_force10);
    assert_eq!(g.hosts(Some("chiclet"), None).len(), 8);
    assert_eq!(g.hosts(None, Some("lyon")), g.hosts(None, Some("lyon")));
    assert!(
        g.graph()
            .nodes()
            .filter(|(_, d)| d.kind == Kind::Host)
            .all(|(_, d)| d.cores.is_some_and(|c| c > 0))
    );
}

#[test]
fn g5k_topology_names_unknown_sites_hosts_and_equipment() {
    let server = ApiServer::start();
    let dir = Scratch::new("topology-unknown");
    let r = reference(&server, &dir.0);
    let e = G5kGraph::new(r.clone(), &["lyon", "atlantis"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`atlantis`") && e.contains("no such site, cluster or host"),
        "{e}"
    );
    assert!(e.contains("lille, lyon, nancy"), "{e}");
    let g = G5kGraph::new(r, &["lille"]).unwrap();
    let e = g.host_neighbours("taurus-99").unwrap_err().to_string();
    assert!(
        e.contains("`taurus-99`") && e.contains("no such host"),
        "{e}"
    );
    // a host of the reference that the graph does not hold
    let e = g.host_neighbours("taurus-1").unwrap_err().to_string();
    assert!(e.contains("no such host in the topology of lille"), "{e}");
    let e = g.equip_hosts("force10").unwrap_err().to_string();
    assert!(
        e.contains("`force10`") && e.contains("no such equipment"),
        "{e}"
    );
}

#[test]
fn g5k_topology_figures_are_written() {
    let server = ApiServer::start();
    let dir = Scratch::new("topology-figures");
    let r = reference(&server, &dir.0);
    let g = G5kGraph::new(r, &["lyon", "lille", "nancy"]).unwrap();
    let png = dir.0.join("topo.png");
    g.render(&png).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1000, 1000));
    let svg = dir.0.join("topo.svg");
    g.render(&svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    for label in ["gw", "renater-paris", "taurus-1", "chiclet-8", "API commit"] {
        assert!(text.contains(label), "{label} missing from the SVG");
    }
    let e = g.render(&dir.0.join("topo.pdf")).unwrap_err().to_string();
    assert!(e.contains("topo.pdf") && e.contains(".png or .svg"), "{e}");
}

#[test]
fn g5k_topology_cli_lists_draws_and_names_unknown_sites() {
    let server = ApiServer::start();
    let dir = Scratch::new("topology-cli");
    let uri = server.uri();
    let svg = dir.0.join("f.svg");
    let (ok, out, err) = execo_g5k(
        &uri,
        &dir,
        &["topology", "lyon", "lille", "-o", svg.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    assert!(out.contains("# 32 nodes, 39 links"), "{out}");
    assert!(
        out.contains(&format!("figure written to {}", svg.display())),
        "{out}"
    );
    let (ok, out, err) = execo_g5k(&uri, &dir, &["topology", "lille", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["nodes"].as_array().unwrap().len(), 13);
    assert_eq!(v["edges"].as_array().unwrap().len(), 20);
    assert_eq!(v["site_routers"]["lille"], "gw.lille");
    let (ok, out, err) = execo_g5k(&uri, &dir, &["topology", "lille"]);
    assert!(ok, "{err}");
    assert!(out.contains("gw.lille (router)"), "{out}");
    assert!(out.contains("chiclet-1 -- sw-chiclet-1.lille"), "{out}");
    let (ok, _, err) = execo_g5k(&uri, &dir, &["topology", "atlantis"]);
    assert!(!ok);
    assert!(
        err.contains("`atlantis`") && err.contains("no such site"),
        "{err}"
    );
}

#[test]
fn g5k_charter_is_execos() {
    let venv = execo_venv();
    let home = Scratch::new("charter-execo-home");
    let out_file = home.0.join("out.json");
    // the hours around the charter's boundaries (and midnight, noon) of weeks around
    // holidays and the DST changes, and every 17 minutes of one ordinary day (the
    // boundaries at any minute); execo forks twice per answer, so not more
    let weeks = [
        "2025-12-22",
        "2026-03-26",
        "2026-03-31",
        "2026-05-11",
        "2026-05-21",
        "2026-07-10",
        "2026-10-22",
    ];
    let mut times = Vec::new();
    for w in weeks {
        let t0 = execo::g5k::oar::oar_date_to_unixts(&format!("{w} 00:00:00")).unwrap();
        for day in 0..7 {
            times.extend([0, 8, 9, 12, 18, 19].map(|h| t0 + day * 86_400 + h * 3600));
        }
    }
    let t0 = execo::g5k::oar::oar_date_to_unixts("2026-12-07 00:00:00").unwrap();
    times.extend((0..24 * 60 / 17).map(|i| t0 + i * 17 * 60));
    times.extend([t0 + 9 * 3600 - 1, t0 + 19 * 3600 - 1, t0 + 19 * 3600]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/g5k_charter_execo.py");
    let out = Command::new(venv.join("bin/python"))
        .arg(script)
        .arg(&out_file)
        .args(times.iter().map(|t| t.to_string()))
        .env("HOME", &home.0)
        .env("TZ", "Europe/Paris")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "execo's charter failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<(bool, Option<i64>, Option<i64>)> =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(theirs.len(), times.len());
    let mut in_charter = 0;
    for (t, (c, s, e)) in times.iter().zip(theirs) {
        let at = execo::g5k::oar::format_oar_date(*t);
        assert_eq!(charter::g5k_charter_time(*t), c, "charter time at {at}");
        let ours = charter::next_charter_period(*t, t + 14 * 86_400);
        assert_eq!(ours, s.zip(e), "next charter period from {at}");
        in_charter += usize::from(c);
    }
    // both answers occur
    assert!(in_charter > 0 && in_charter < times.len(), "{in_charter}");
}

#[test]
fn g5k_charter_cli_says_when_the_charter_applies() {
    let dir = Scratch::new("charter-cli");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_execo"))
            .args(["g5k", "charter"])
            .args(args)
            .env("HOME", &dir.0)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["2026-07-14 12:00"]);
    assert!(ok, "{err}");
    assert!(out.contains("not in charter time (Bastille Day)"), "{out}");
    assert!(
        out.contains("next charter period: 2026-07-15 09:00:00 to 2026-07-15 19:00:00"),
        "{out}"
    );
    let (ok, out, _) = run(&["2026-12-07 10:00:00"]);
    assert!(ok);
    assert!(
        out.contains("in charter time") && !out.contains("not in"),
        "{out}"
    );
    assert!(out.contains("until 2026-12-07 19:00:00"), "{out}");
    let (ok, out, _) = run(&["2026-05-24"]);
    assert!(ok);
    assert!(out.contains("Sunday"), "{out}");
    assert!(out.contains("2026-05-26 09:00:00"), "{out}");
    let (ok, _, err) = run(&["2026-13-01"]);
    assert!(!ok);
    assert!(err.contains("`date 2026-13-01`"), "{err}");
}
