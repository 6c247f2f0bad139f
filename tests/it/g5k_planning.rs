//! Planning (`execo::g5k::planning`) against the stand-in API server of `g5k_server`
//! (real HTTP on loopback, the real reference data, the sites' synthetic OAR status):
//! side by side with Python execo 2.8.2's `get_planning` + `compute_slots` (and its
//! `find_*_slot`, `distribute_hosts`, `get_jobs_specs`) on the same data, a site with
//! more than 500 jobs, a site that does not answer, bad input (a wanted cluster that
//! does not exist, a walltime longer than the window, no slot in the window, a date in
//! the past), and `execo g5k planning` with its figures.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use execo::g5k::Reference;
use execo::g5k::api::{Api, ApiOptions};
use execo::g5k::planning::{
    KavlanFree, Planning, PlanningRequest, Resources, Slot, compute_slots, distribute_hosts,
    find_first_slot, find_free_slot, find_max_slot, first_fit, get_jobs_specs, on_slot,
};
use serde_json::{Value, json};

use crate::Scratch;
use crate::g5k_api::execo_g5k;
use crate::g5k_server::ApiServer;

/// The time of the fixtures' status documents (`uid`): 2026-03-23 10:00 Paris.
const T: i64 = 1_774_256_400;

fn api(server: &ApiServer) -> Api {
    Api::with_options(ApiOptions {
        uri: server.uri(),
        credentials: None,
        verify_ssl: true,
        timeout: Duration::from_secs(60),
        additional_args: BTreeMap::new(),
    })
    .unwrap()
}

fn reference(server: &ApiServer, dir: &Scratch) -> Reference {
    Reference::blocking_load(&api(server), &dir.0.join("cache")).unwrap()
}

/// Runs `benches/planning_execo.py` against the server: Python execo's planning and
/// slots (and more with `--want`).
fn python_planning(server: &ApiServer, dir: &Scratch, args: &[&str]) -> Value {
    let home = dir.0.join("pyhome");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join(".execo.conf.py"),
        format!("g5k_configuration = {{'api_uri': '{}'}}\n", server.uri()),
    )
    .unwrap();
    let out = Command::new(crate::python_execo::execo_venv().join("bin/python"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/planning_execo.py"
        ))
        .arg(server.uri())
        .args(args)
        .env("HOME", &home)
        .env("PYTHONHASHSEED", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Python execo's planning failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "Python execo's planning printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Ours in Python's shape: `{site: {cluster|vlans: {element: {busy, free}}}}`.
fn planning_json(p: &Planning) -> Value {
    let el = |e: &execo::g5k::planning::ElementPlanning| json!({"busy": e.busy, "free": e.free});
    let mut out = serde_json::Map::new();
    for (site, sp) in &p.sites {
        let mut s = serde_json::Map::new();
        for (c, hosts) in &sp.clusters {
            s.insert(
                c.clone(),
                hosts.iter().map(|(h, e)| (h.clone(), el(e))).collect(),
            );
        }
        if let Some(v) = &sp.vlans {
            s.insert(
                "vlans".into(),
                v.iter().map(|(k, e)| (k.clone(), el(e))).collect(),
            );
        }
        out.insert(site.clone(), Value::Object(s));
    }
    Value::Object(out)
}

/// A slot in Python's shape: `[start, end, {element: n, "kavlan": n | [sites]}]`.
fn slot_json(s: &Slot) -> Value {
    let mut free: serde_json::Map<String, Value> =
        s.free.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    match &s.kavlan {
        Some(KavlanFree::Count(n)) => {
            free.insert("kavlan".into(), json!(n));
        }
        Some(KavlanFree::Sites(v)) => {
            free.insert("kavlan".into(), json!(v));
        }
        None => {}
    }
    json!([s.start, s.end, free])
}

/// Python's slots, their ends (a float: execo's `get_seconds` gives one) as integers, and
/// the sites with a free global KaVLAN sorted (execo's come in its sites' hash order).
fn py_slots(py: &Value) -> Vec<Value> {
    py["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(py_slot)
        .collect()
}

fn py_slot(s: &Value) -> Value {
    let mut s = s.clone();
    if let Some(e) = s[1].as_f64().filter(|e| e.fract() == 0.0) {
        s[1] = json!(e as i64);
    }
    if let Some(sites) = s[2].get_mut("kavlan").and_then(Value::as_array_mut) {
        sites.sort_by_key(|v| v.as_str().map(str::to_string));
    }
    s
}

fn sites3() -> Vec<String> {
    ["lyon", "lille", "nancy"].map(String::from).to_vec()
}

#[test]
fn g5k_planning_matches_python_execo_on_the_same_data() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-py");
    let r = reference(&server, &dir);
    let (start, end, walltime) = (T, T + 2 * 86_400, 3600);
    let want = json!({"lyon": 2, "chiclet": 1});
    let py = python_planning(
        &server,
        &dir,
        &[
            "lyon,lille,nancy",
            &start.to_string(),
            &end.to_string(),
            &walltime.to_string(),
            "--want",
            &want.to_string(),
        ],
    );
    let ours = PlanningRequest::new(sites3())
        .start(start)
        .end(end)
        .blocking_get(&api(&server), &r)
        .unwrap();
    assert!(ours.dropped.is_empty(), "{:?}", ours.dropped);
    // The planning, host by host: dead (taurus-13, grouille-2) and maintenance
    // (chiclet-7) nodes out, the besteffort job ignored, grue (not in the default queue)
    // absent, on both sides.
    assert_eq!(planning_json(&ours), py["planning"]);
    assert!(ours.sites["lille"].clusters["chiclet"].contains_key("chiclet-8.lille.grid5000.fr"));
    assert!(!ours.sites["lille"].clusters["chiclet"].contains_key("chiclet-7.lille.grid5000.fr"));
    // The slots, every one.
    let slots = compute_slots(&ours, walltime, &[], false);
    let ours_slots: Vec<Value> = slots.iter().map(slot_json).collect();
    assert_eq!(ours_slots, py_slots(&py));
    assert!(
        slots.len() > 5,
        "a planning with some changes: {}",
        slots.len()
    );
    // The picks, the distribution and the submissions.
    let wanted: BTreeMap<String, u32> = serde_json::from_value(want).unwrap();
    let free = find_free_slot(&r, &slots, &wanted).unwrap();
    assert_eq!(slot_json(free), py_slot(&py["free_slot"]));
    assert_eq!(
        slot_json(find_first_slot(&slots, &wanted).unwrap()),
        py_slot(&py["first_slot"])
    );
    assert_eq!(
        slot_json(find_max_slot(&slots, &wanted).unwrap()),
        py_slot(&py["max_slot"])
    );
    let res = distribute_hosts(&r, free, &wanted, &[], None);
    let dist: BTreeMap<String, u32> = serde_json::from_value(py["distribution"].clone()).unwrap();
    assert_eq!(res.nodes, dist);
    let mut specs: Vec<(String, String)> = get_jobs_specs(&r, &res, &[], None)
        .into_iter()
        .map(|(s, site)| (s.resources.join("+"), site))
        .collect();
    let mut py_specs: Vec<(String, String)> = serde_json::from_value(py["specs"].clone()).unwrap();
    specs.sort();
    py_specs.sort();
    assert_eq!(specs, py_specs);
}

#[test]
fn g5k_planning_kavlans_match_python_execo() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-vlan");
    let r = reference(&server, &dir);
    let (start, end, walltime) = (T, T + 86_400, 1800);
    for (elements, global) in [(vec!["lyon".to_string()], false), (sites3(), true)] {
        let py = python_planning(
            &server,
            &dir,
            &[
                &elements.join(","),
                &start.to_string(),
                &end.to_string(),
                &walltime.to_string(),
                "--vlan",
            ],
        );
        let ours = PlanningRequest::new(elements.clone())
            .vlan(true)
            .start(start)
            .end(end)
            .blocking_get(&api(&server), &r)
            .unwrap();
        assert_eq!(planning_json(&ours), py["planning"], "{elements:?}");
        let slots = compute_slots(&ours, walltime, &[], false);
        let ours_slots: Vec<Value> = slots.iter().map(slot_json).collect();
        assert_eq!(ours_slots, py_slots(&py), "{elements:?}");
        let first = &slots[0];
        if global {
            assert!(matches!(&first.kavlan, Some(KavlanFree::Sites(s)) if !s.is_empty()));
        } else {
            // lyon: kavlan-4 is taken by job 1954321, kavlan-5 to 9 are free.
            assert_eq!(first.kavlan, Some(KavlanFree::Count(5)));
        }
    }
}

/// A status document for `site`: `nodes` alive, and the jobs `(uid, start, walltime,
/// nodes)`.
fn status(site: &str, nodes: &[String], jobs: &[(u64, i64, i64, Vec<String>)]) -> Value {
    let mut ns = serde_json::Map::new();
    for n in nodes {
        let res: Vec<Value> = jobs
            .iter()
            .filter(|j| j.3.contains(n))
            .map(|(uid, start, walltime, _)| {
                json!({"uid": uid, "user_uid": "alice", "user": "alice", "walltime": walltime,
                       "queue": "default", "state": "waiting", "project": "default",
                       "types": [], "mode": "PASSIVE", "command": "sleep 31536000",
                       "submitted_at": start - 600, "scheduled_at": start, "started_at": 0,
                       "message": "", "properties": "", "directory": "/home/alice"})
            })
            .collect();
        ns.insert(
            n.clone(),
            json!({"hard": "alive", "soft": "free", "comment": "OK", "reservations": res,
                   "free_slots": 12, "freeable_slots": 0, "busy_slots": 0}),
        );
    }
    let links = json!([{"rel": "self", "href": format!("/3.0/sites/{site}/status")}]);
    json!({"uid": T, "links": links, "nodes": ns, "disks": {}, "vlans": {}, "subnets": {}})
}

fn write_status(dir: &Path, site: &str, v: &Value) {
    let p = dir.join(format!("sites/{site}/status.json"));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::to_vec(v).unwrap()).unwrap();
}

fn taurus() -> Vec<String> {
    [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        .iter()
        .map(|i| format!("taurus-{i}.lyon.grid5000.fr"))
        .collect()
}

#[test]
fn g5k_planning_reads_every_job_of_a_site_with_more_than_500() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-600");
    let r = reference(&server, &dir);
    let nodes = taurus();
    // 600 one-hour jobs, one node each, one after the other on each node.
    let jobs: Vec<(u64, i64, i64, Vec<String>)> = (0..600u64)
        .map(|k| {
            let node = nodes[k as usize % nodes.len()].clone();
            let round = (k as usize / nodes.len()) as i64;
            (3_000_000 + k, T + round * 7200, 3600, vec![node])
        })
        .collect();
    write_status(&dir.0, "lyon", &status("lyon", &nodes, &jobs));
    server.data(&dir.0);
    let end = T + 60 * 7200;
    let ours = PlanningRequest::new(["taurus"])
        .start(T)
        .end(end)
        .blocking_get(&api(&server), &r)
        .unwrap();
    let busy: usize = ours.hosts().map(|h| h.3.busy.len()).sum();
    assert_eq!(busy, 600, "every job is in the planning");
    // One request for the site, whatever its number of jobs.
    let status_reads = server
        .requests()
        .iter()
        .filter(|q| q.target.starts_with("/3.0/sites/lyon/status"))
        .count();
    assert_eq!(status_reads, 1);
    // What Python execo reads instead, `/jobs?limit=1073741824`, stops at 500 (the API's
    // cap); reading the collection page by page gets them all.
    let page = api(&server)
        .blocking_get(
            "sites/lyon/jobs",
            &[
                ("limit", "1073741824"),
                ("state", "waiting,launching,running"),
            ],
        )
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 500);
    assert_eq!(page["total"], 600);
    let all = api(&server)
        .blocking_get_collection("sites/lyon/jobs", &[("state", "waiting,launching,running")])
        .unwrap();
    assert_eq!(all.len(), 600);
}

#[test]
fn g5k_planning_drops_a_site_that_does_not_answer() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-drop");
    let r = reference(&server, &dir);
    server.faults(|f| f.broken = Some(("/sites/nancy/status".into(), 503)));
    let p = PlanningRequest::new(sites3())
        .start(T)
        .end(T + 86_400)
        .blocking_get(&api(&server), &r)
        .unwrap();
    assert_eq!(
        p.sites.keys().collect::<Vec<_>>(),
        ["lille", "lyon"],
        "the others are planned"
    );
    assert_eq!(p.dropped.len(), 1);
    assert_eq!(p.dropped[0].0, "nancy");
    assert!(p.dropped[0].1.contains("503"), "{}", p.dropped[0].1);
    // Every site gone: an error naming them.
    server.faults(|f| f.broken = Some(("/status".into(), 503)));
    let e = PlanningRequest::new(["lyon"])
        .start(T)
        .blocking_get(&api(&server), &r)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no site could be read") && e.contains("lyon"),
        "{e}"
    );
}

fn fixture_planning(server: &ApiServer, r: &Reference, hours: i64) -> Planning {
    PlanningRequest::new(sites3())
        .start(T)
        .end(T + hours * 3600)
        .blocking_get(&api(server), r)
        .unwrap()
}

#[test]
fn g5k_planning_a_wanted_cluster_that_does_not_exist_is_named() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-unknown");
    let r = reference(&server, &dir);
    let p = fixture_planning(&server, &r, 48);
    let want = BTreeMap::from([("taurus".to_string(), 2), ("nosuch".to_string(), 1)]);
    let e = first_fit(&r, &p, 3600, &sites3(), &want)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`nosuch`") && e.contains("no such site or cluster") && e.contains("taurus"),
        "{e}"
    );
    // An element to plan that does not exist, too.
    let e = PlanningRequest::new(["lyon", "nosuch"])
        .start(T)
        .blocking_get(&api(&server), &r)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nosuch") && e.contains("no such site, cluster"),
        "{e}"
    );
}

#[test]
fn g5k_planning_a_walltime_longer_than_the_window_is_refused() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-long");
    let r = reference(&server, &dir);
    let p = fixture_planning(&server, &r, 2);
    let e = first_fit(&r, &p, 3 * 3600, &sites3(), &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("walltime 3:0:0") && e.contains("longer than the planning's window"),
        "{e}"
    );
}

#[test]
fn g5k_planning_no_slot_in_the_window_says_so() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-noslot");
    let r = reference(&server, &dir);
    let p = fixture_planning(&server, &r, 48);
    // taurus has 11 usable nodes, never 20.
    let want = BTreeMap::from([("taurus".to_string(), 20)]);
    let e = first_fit(&r, &p, 3600, &sites3(), &want)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("taurus:20") && e.contains("no slot before 2026-03-25 10:00:00"),
        "{e}"
    );
    // What fits is found: 10 taurus once job 1954321 is over (+121 s).
    let want = BTreeMap::from([("taurus".to_string(), 10)]);
    let s = first_fit(&r, &p, 3600, &sites3(), &want).unwrap();
    assert_eq!(s.start, 1_774_255_820 + 7200 + 121);
    assert!(s.get("taurus") >= 10);
}

#[test]
fn g5k_planning_multi_site_jobs_start_and_end_together() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-multi");
    let r = reference(&server, &dir);
    let p = fixture_planning(&server, &r, 48);
    let want = BTreeMap::from([
        ("taurus".to_string(), 2),
        ("chiclet".to_string(), 3),
        ("grouille".to_string(), 1),
    ]);
    let slot = first_fit(&r, &p, 2 * 3600, &sites3(), &want).unwrap();
    let res: Resources = distribute_hosts(&r, &slot, &want, &[], None);
    let specs = on_slot(get_jobs_specs(&r, &res, &[], Some("exp")), &slot);
    assert_eq!(specs.len(), 3);
    let ends: Vec<i64> = specs
        .iter()
        .map(|(s, _)| {
            s.reservation.as_ref().unwrap().unix().unwrap()
                + s.walltime.as_ref().unwrap().seconds().unwrap() as i64
        })
        .collect();
    assert!(ends.iter().all(|e| *e == slot.end), "{ends:?}");
    let lille = specs.iter().find(|(_, s)| s == "lille").unwrap();
    assert_eq!(lille.0.resources, ["{cluster='chiclet'}/nodes=3"]);
    let line = lille.0.cmdline_with_key(None).unwrap();
    assert!(
        line.contains("-r \"") && line.contains("-n \"exp\""),
        "{line}"
    );
}

#[test]
fn g5k_planning_cli_prints_the_first_slot_and_its_submissions() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-cli");
    let now = execo::g5k::oar::time::now_unix();
    let nodes = taurus();
    // Every taurus node but two is taken for two hours from now.
    let job_start = now - 600;
    write_status(
        &dir.0,
        "lyon",
        &status(
            "lyon",
            &nodes,
            &[(42, job_start, 2 * 3600, nodes[2..].to_vec())],
        ),
    );
    server.data(&dir.0);
    let gantt = dir.0.join("gantt.png");
    let slots_svg = dir.0.join("slots.svg");
    let (ok, out, err) = execo_g5k(
        &server.uri(),
        &dir,
        &[
            "planning",
            "lyon",
            "--walltime",
            "1:00",
            "--want",
            "taurus:4",
            "--name",
            "exp",
            "--gantt",
            gantt.to_str().unwrap(),
            "--slots",
            slots_svg.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let start = execo::g5k::oar::format_oar_date(job_start + 2 * 3600 + 121);
    assert!(out.contains(&format!("first slot: {start}")), "{out}");
    assert!(out.contains("taurus: 11"), "{out}");
    assert!(
        out.contains(&format!(
            "lyon: oarsub -l \"{{cluster='taurus'}}/nodes=4,walltime=1:0:0\" -t \"origin=execo\" -r \"{start}\" -n \"exp\""
        )),
        "{out}"
    );
    assert!(
        out.contains("lyon: POST ") && out.contains("/sites/lyon/jobs {"),
        "{out}"
    );
    let png = std::fs::read(&gantt).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let info = decoder.read_info().unwrap().info().clone();
    assert!(info.width >= 600 && info.height >= 300);
    let svg = std::fs::read_to_string(&slots_svg).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("taurus"),
        "{}",
        &svg[..200.min(svg.len())]
    );
    // Two are free now: without --want, the first slot is now.
    let (ok, out, err) = execo_g5k(&server.uri(), &dir, &["planning", "taurus", "-w", "0:30"]);
    assert!(ok, "{err}");
    assert!(out.contains("free: taurus: 2"), "{out}");
}

#[test]
fn g5k_planning_cli_refuses_a_date_in_the_past() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-planning-past");
    let (ok, out, err) = execo_g5k(
        &server.uri(),
        &dir,
        &[
            "planning",
            "lyon",
            "-w",
            "1:00",
            "--start",
            "2020-01-01 10:00",
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        err.contains("2020-01-01 10:00") && err.contains("in the past"),
        "{err}"
    );
}
