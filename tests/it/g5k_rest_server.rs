//! A STAND-IN for the Grid'5000 API server's jobs and deployments endpoints (g5k-api
//! exists nowhere here), named as such: a real HTTP/1.1 server on loopback whose jobs
//! endpoints drive the REAL test OAR over the testbed's sshd, as g5k-api drives OAR
//! (`POST /3.0/sites/{s}/jobs` → `oarsub`, `GET .../jobs[/{id}]` → `oarstat -fJ`,
//! `DELETE` → `oardel`, `POST .../jobs/{id}/walltime` → `oarwalltime`), answering in the
//! shapes of tests/fixtures/g5k/README.md and `synthetic/` (lowercase states, unix
//! times, `assigned_nodes`, `{total, offset, items, links}` pages capped at 500, newest
//! first). Without OAR (`start(None)`) jobs are the ones the test adds in that shape
//! (`add_job`), and a POST records a waiting one. Deployments are simulated as
//! tests/stand-ins/kadeploy3 does: nothing is deployed; each GET moves one step
//! (waiting, processing, terminated), and nodes listed in `fail_deploy` come out KO
//! with their error. Faults: statuses answered to the next requests.
//!
//! With OAR, `GET /3.0/sites/{s}/status` is built from it as g5k-api builds it
//! (`lib/oar/resource.rb`): every node (OAR's `network_address`, from `oarnodes -J`)
//! with its `hard` state, `soft` state, `comment` and slot counts, and under it every
//! active job (`oarstat -fJ`) on it in the jobs' shape, a running job on its assigned
//! resources and an advance reservation on the resources OAR scheduled it on
//! (`reserved_resources`), with `scheduled_at`. The reference is the smallest that
//! loads: `/`, `sites`, the site, its clusters (OAR's `cluster` property) and their
//! nodes (OAR's `host`s, in the fixtures' shapes), empty network equipment.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use serde_json::{Value, json};

/// Where the real OAR is: its frontend, reached with `ssh -F ssh_config site`.
#[derive(Clone)]
pub struct OarLink {
    pub ssh_config: PathBuf,
    pub site: String,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    /// Jobs the test added, newest first.
    jobs: Vec<Value>,
    next_uid: u64,
    /// Statuses answered to the next requests, one each.
    fail_next: VecDeque<u16>,
    /// Nodes a deployment fails on, and kadeploy's error.
    fail_deploy: BTreeMap<String, String>,
    deployments: BTreeMap<String, (Value, u32)>,
    requests: Vec<Request>,
}

struct Shared {
    oar: Option<OarLink>,
    state: Mutex<State>,
    stop: AtomicBool,
}

/// The stand-in; stopped when dropped.
pub struct RestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl RestServer {
    /// Starts it on a free loopback port, driving `oar` when given.
    pub fn start(oar: Option<OarLink>) -> RestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            oar,
            state: Mutex::new(State {
                next_uid: 1_000_000,
                ..State::default()
            }),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        RestServer {
            addr,
            shared,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/3.0/`.
    pub fn uri(&self) -> String {
        format!("http://{}/3.0/", self.addr)
    }

    /// Adds a job (API shape completed: `uid`, `state` waiting, `user` alice...) as the
    /// newest; its uid.
    pub fn add_job(&self, fields: Value) -> u64 {
        let mut st = self.shared.state.lock().unwrap();
        st.next_uid += 1;
        let uid = st.next_uid;
        let mut j = json!({"uid": uid, "user_uid": "alice", "user": "alice", "walltime": 3600,
            "queue": "default", "state": "waiting", "project": "default", "types": [],
            "mode": "PASSIVE", "command": "sleep 31536000", "submitted_at": 1774256340,
            "started_at": 0, "message": "", "events": []});
        for (k, v) in fields.as_object().cloned().unwrap_or_default() {
            j[k] = v;
        }
        j["links"] = links(&format!("jobs/{uid}"), "item");
        st.jobs.insert(0, j);
        uid
    }

    /// Statuses for the next requests.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.shared.state.lock().unwrap().fail_next.extend(statuses);
    }

    /// Node `node` fails deployments with `error`.
    pub fn fail_deploy(&self, node: &str, error: &str) {
        let mut st = self.shared.state.lock().unwrap();
        st.fail_deploy.insert(node.into(), error.into());
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.state.lock().unwrap().requests.clone()
    }
}

impl Drop for RestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        TcpStream::connect(self.addr).ok();
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

fn links(rest: &str, kind: &str) -> Value {
    json!([{"rel": "self", "href": format!("/3.0/sites/SITE/{rest}"),
            "type": format!("application/vnd.grid5000.{kind}+json")},
           {"rel": "parent", "href": "/3.0/sites/SITE",
            "type": "application/vnd.grid5000.item+json"}])
}

struct Reply {
    code: u16,
    body: Value,
    headers: Vec<(String, String)>,
}

fn reply(code: u16, body: Value) -> Reply {
    Reply {
        code,
        body,
        headers: vec![],
    }
}

/// g5k-api's error body.
fn error(code: u16, message: &str) -> Reply {
    let title = match code {
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Server Error",
    };
    reply(
        code,
        json!({"code": code, "message": message, "title": title}),
    )
}

fn serve(conn: TcpStream, s: &Shared) {
    let Ok(c) = conn.try_clone() else { return };
    let mut reader = BufReader::new(c);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let fault = {
        let mut st = s.state.lock().unwrap();
        st.requests.push(Request {
            method: method.clone(),
            target: target.clone(),
            at: Instant::now(),
        });
        st.fail_next.pop_front()
    };
    let r = match fault {
        Some(code) => error(code, "Service temporarily unavailable (stand-in fault)"),
        None => route(s, &method, &target, &body),
    };
    let text = r.body.to_string();
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.code,
        text.len()
    );
    for (k, v) in &r.headers {
        head += &format!("{k}: {v}\r\n");
    }
    let mut conn = conn;
    conn.write_all(format!("{head}\r\n{text}").as_bytes()).ok();
}

/// The path's segments after `/3.0/sites/{site}/`, and the query.
fn split(target: &str) -> (Vec<String>, BTreeMap<String, String>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segs = path
        .trim_start_matches("/3.0/")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let q = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("%20", " ")))
        .collect();
    (segs, q)
}

fn route(s: &Shared, method: &str, target: &str, body: &[u8]) -> Reply {
    let (segs, q) = split(target);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    match (method, segs.as_slice()) {
        ("GET", ["sites", _, "jobs"]) => list(s, &q),
        ("POST", ["sites", _, "jobs"]) => submit(s, &body),
        ("GET", ["sites", _, "jobs", id]) => match one(s, id) {
            Some(j) => reply(200, j),
            None => error(404, &format!("Cannot find job #{id} on the site")),
        },
        ("DELETE", ["sites", _, "jobs", id]) => delete(s, id),
        ("POST", ["sites", _, "jobs", id, "walltime"]) => walltime(s, id, &body),
        ("POST", ["sites", _, "deployments"]) => deploy(s, &body),
        ("GET", ["sites", site, "status"]) => match &s.oar {
            Some(o) => status(o, site),
            None => error(404, "no OAR behind this stand-in"),
        },
        ("GET", [])
        | ("GET", ["sites"])
        | ("GET", ["sites", _])
        | ("GET", ["network_equipments"])
        | ("GET", ["sites", _, "network_equipments"])
        | ("GET", ["sites", _, "clusters"])
        | ("GET", ["sites", _, "clusters", _, "nodes"]) => match &s.oar {
            Some(o) => reference(o, &segs),
            None => error(404, "no OAR behind this stand-in"),
        },
        ("GET", ["sites", _, "deployments", uid]) => follow(s, uid),
        _ => error(404, &format!("no route for {method} {target}")),
    }
}

/// A shell word.
fn sq(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

/// Runs `cmd` on OAR's frontend as the user; (exit ok, stdout+stderr).
fn on_frontend(o: &OarLink, cmd: &str) -> (bool, String) {
    let out = std::process::Command::new("ssh")
        .arg("-F")
        .arg(&o.ssh_config)
        .args(["-o", "BatchMode=yes", &o.site, cmd])
        .output();
    match out {
        Ok(out) => (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ),
        Err(e) => (false, format!("cannot run ssh: {e}")),
    }
}

/// `oarstat -fJ`'s job as g5k-api shows it (lib/oar/job.rb).
fn from_oar(j: &Value) -> Value {
    let uid = j["Job_Id"].as_u64().unwrap_or(0);
    let t = |k: &str| j.get(k).and_then(Value::as_i64).unwrap_or(0);
    let mut v = json!({
        "uid": uid, "user_uid": j["owner"], "user": j["owner"], "walltime": j["walltime"],
        "queue": j["queue"], "state": j["state"].as_str().unwrap_or("").to_lowercase(),
        "project": j["project"], "types": j["types"], "mode": j["jobType"],
        "command": j["command"], "submitted_at": t("submissionTime"),
        "started_at": t("startTime"), "stopped_at": t("stopTime"),
        "message": j["message"], "properties": j["properties"],
        "directory": j["launchingDirectory"],
        "events": j["events"].as_array().cloned().unwrap_or_default().iter().map(|e| json!({
            "uid": e["event_id"], "created_at": e["date"], "type": e["type"],
            "description": e["description"]})).collect::<Vec<_>>(),
        "links": links(&format!("jobs/{uid}"), "item"),
        "assigned_nodes": j["assigned_network_address"],
        "resources_by_type": {"cores": j["assigned_resources"]},
    });
    if t("scheduledStart") > 0 {
        v["scheduled_at"] = json!(t("scheduledStart"));
    }
    if let Some(n) = j["name"].as_str() {
        v["name"] = json!(n);
    }
    v
}

fn oar_jobs(o: &OarLink, which: &str) -> Vec<Value> {
    let (_, text) = on_frontend(o, &format!("oarstat -fJ {which}"));
    let start = text.find('{').unwrap_or(text.len());
    serde_json::from_str::<Value>(&text[start..])
        .ok()
        .and_then(|v| v.as_object().cloned())
        .map(|m| m.values().map(from_oar).collect())
        .unwrap_or_default()
}

fn one(s: &Shared, id: &str) -> Option<Value> {
    let st = s.state.lock().unwrap();
    if let Some(j) = st
        .jobs
        .iter()
        .find(|j| j["uid"].as_u64().map(|u| u.to_string()).as_deref() == Some(id))
    {
        return Some(j.clone());
    }
    drop(st);
    let o = s.oar.as_ref()?;
    id.parse::<u64>().ok()?;
    oar_jobs(o, &format!("-j {id}")).pop()
}

/// `GET jobs`: OAR's current jobs and the added ones, newest first, filtered by `user`,
/// `state`, `name`, `queue`, paged by `offset` and `limit` (default 50, at most 500).
fn list(s: &Shared, q: &BTreeMap<String, String>) -> Reply {
    let mut all: Vec<Value> = s.oar.as_ref().map(|o| oar_jobs(o, "")).unwrap_or_default();
    all.sort_by_key(|j| std::cmp::Reverse(j["uid"].as_u64()));
    all.extend(s.state.lock().unwrap().jobs.iter().cloned());
    let states: Option<Vec<&str>> = q.get("state").map(|v| v.split(',').collect());
    let keep = |j: &Value| {
        q.get("user").is_none_or(|u| j["user"].as_str() == Some(u))
            && q.get("name").is_none_or(|n| j["name"].as_str() == Some(n))
            && q.get("queue")
                .is_none_or(|n| j["queue"].as_str() == Some(n))
            && states
                .as_ref()
                .is_none_or(|ss| ss.contains(&j["state"].as_str().unwrap_or("")))
    };
    let items: Vec<Value> = all.into_iter().filter(keep).collect();
    let offset: usize = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit: usize = q
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
        .min(500);
    let page: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
    reply(
        200,
        json!({"total": items.len(), "offset": offset, "items": page,
               "links": links("jobs", "collection")}),
    )
}

fn submit(s: &Shared, b: &Value) -> Reply {
    let Some(o) = &s.oar else {
        // no OAR: recorded as a waiting job
        let uid = {
            let mut st = s.state.lock().unwrap();
            st.next_uid += 1;
            let uid = st.next_uid;
            let mut j = json!({"uid": uid, "user_uid": "alice", "user": "alice",
                "state": "waiting", "types": b["types"], "events": [],
                "links": links(&format!("jobs/{uid}"), "item")});
            if let Some(n) = b.get("name") {
                j["name"] = n.clone();
            }
            st.jobs.insert(0, j);
            uid
        };
        return created(s, uid);
    };
    let str_of = |k: &str| b.get(k).and_then(Value::as_str);
    let mut cmd = String::from("oarsub");
    if let Some(r) = str_of("resources") {
        cmd += &format!(" -l {}", sq(r));
    }
    for t in b["types"].as_array().cloned().unwrap_or_default() {
        cmd += &format!(" -t {}", sq(t.as_str().unwrap_or("")));
    }
    for (k, flag) in [
        ("name", "-n"),
        ("queue", "-q"),
        ("project", "--project"),
        ("reservation", "-r"),
        ("properties", "-p"),
        ("directory", "-d"),
    ] {
        if let Some(v) = str_of(k) {
            cmd += &format!(" {flag} {}", sq(v));
        }
    }
    if let Some(c) = str_of("command") {
        cmd += &format!(" {}", sq(c));
    }
    let (ok, text) = on_frontend(o, &cmd);
    let id = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("OAR_JOB_ID="))
        .and_then(|v| v.trim().parse::<u64>().ok());
    match id {
        Some(id) if ok => created(s, id),
        _ => error(400, &text.trim().replace('\n', " / ")),
    }
}

fn created(s: &Shared, uid: u64) -> Reply {
    let mut r = reply(201, one(s, &uid.to_string()).unwrap_or(json!({"uid": uid})));
    r.headers
        .push(("Location".into(), format!("/3.0/sites/SITE/jobs/{uid}")));
    r
}

fn delete(s: &Shared, id: &str) -> Reply {
    {
        let mut st = s.state.lock().unwrap();
        if let Some(j) = st
            .jobs
            .iter_mut()
            .find(|j| j["uid"].as_u64().map(|u| u.to_string()).as_deref() == Some(id))
        {
            j["state"] = json!("error");
            j["events"] = json!([{"type": "FRAG_JOB_REQUEST",
                "description": format!("User alice requested to frag the job {id}")}]);
            return reply(202, json!({"uid": j["uid"], "status": "deleted"}));
        }
    }
    let Some(o) = &s.oar else {
        return error(404, &format!("Cannot find job #{id}"));
    };
    let (ok, text) = on_frontend(o, &format!("oardel {}", sq(id)));
    if !ok {
        return error(400, text.trim());
    }
    let mut r = reply(
        202,
        json!({"uid": id.parse::<u64>().ok(), "status": "deleted"}),
    );
    r.headers
        .push(("X-Oar-Info".into(), text.trim().replace('\n', " ")));
    r
}

fn walltime(s: &Shared, id: &str, b: &Value) -> Reply {
    let Some(o) = &s.oar else {
        return error(404, "no OAR behind this stand-in");
    };
    let w = b["walltime"].as_str().unwrap_or("");
    let (ok, text) = on_frontend(o, &format!("oarwalltime {} {}", sq(id), sq(w)));
    if ok {
        reply(202, json!({"status": "Accepted", "message": text.trim()}))
    } else {
        error(400, text.trim())
    }
}

fn deploy(s: &Shared, b: &Value) -> Reply {
    let mut st = s.state.lock().unwrap();
    let uid = format!("D-{:08x}", st.deployments.len() + 1);
    let d = json!({"uid": uid, "site_uid": "SITE", "user_uid": "alice",
        "environment": b["environment"], "status": "waiting", "nodes": b["nodes"],
        "created_at": 1774256340, "links": links(&format!("deployments/{uid}"), "item")});
    st.deployments.insert(uid.clone(), (d.clone(), 0));
    let mut r = reply(201, d);
    r.headers.push((
        "Location".into(),
        format!("/3.0/sites/SITE/deployments/{uid}"),
    ));
    r
}

fn follow(s: &Shared, uid: &str) -> Reply {
    let mut st = s.state.lock().unwrap();
    let fail = st.fail_deploy.clone();
    let Some((d, steps)) = st.deployments.get_mut(uid) else {
        return error(404, &format!("Cannot find deployment {uid}"));
    };
    *steps += 1;
    if *steps == 1 {
        d["status"] = json!("processing");
    } else if d["status"] == "processing" {
        let mut result = serde_json::Map::new();
        for n in d["nodes"].as_array().cloned().unwrap_or_default() {
            let n = n.as_str().unwrap_or("").to_string();
            let r = match fail.get(&n) {
                Some(e) => json!({"macro": "SetDeploymentEnv", "micro": "reboot",
                                  "state": "KO", "error": e}),
                None => json!({"macro": "BootNewEnv", "micro": "", "state": "OK"}),
            };
            result.insert(n, r);
        }
        d["result"] = Value::Object(result);
        d["status"] = json!("terminated");
    }
    reply(200, d.clone())
}

/// The reference's commit of this stand-in (g5k-api puts the reference repository's).
const VERSION: &str = "0a4e0a4e0a4e0a4e0a4e0a4e0a4e0a4e0a4e0a4e";

/// OAR's resources (`oarnodes -J`), by resource id; an empty map when OAR does not
/// answer.
fn oar_resources(o: &OarLink) -> BTreeMap<u64, Value> {
    let (_, text) = on_frontend(o, "oarnodes -J");
    let start = text.find('{').unwrap_or(text.len());
    serde_json::from_str::<Value>(&text[start..])
        .ok()
        .and_then(|v| v.as_object().cloned())
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
                .collect()
        })
        .unwrap_or_default()
}

/// OAR's current jobs as `oarstat -fJ` gives them.
fn oar_raw_jobs(o: &OarLink) -> Vec<Value> {
    let (_, text) = on_frontend(o, "oarstat -fJ");
    let start = text.find('{').unwrap_or(text.len());
    serde_json::from_str::<Value>(&text[start..])
        .ok()
        .and_then(|v| v.as_object().cloned())
        .map(|m| m.into_values().collect())
        .unwrap_or_default()
}

/// The resource ids a job holds (running) or will hold (a scheduled reservation).
fn job_resources(j: &Value) -> Vec<u64> {
    let num = |v: &Value| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    };
    let mut ids: Vec<u64> = j["assigned_resources"]
        .as_array()
        .map(|a| a.iter().filter_map(num).collect())
        .unwrap_or_default();
    if ids.is_empty()
        && let Some(r) = j["reserved_resources"].as_object()
    {
        ids = r.keys().filter_map(|k| k.parse().ok()).collect();
    }
    ids
}

/// `GET /sites/{site}/status` from OAR.
fn status(o: &OarLink, site: &str) -> Reply {
    let resources = oar_resources(o);
    if resources.is_empty() {
        return error(500, &format!("cannot read OAR's resources on {}", o.site));
    }
    let jobs: Vec<Value> = oar_raw_jobs(o)
        .into_iter()
        .filter(|j| !matches!(j["state"].as_str(), Some("Terminated" | "Error")))
        .collect();
    let mut nodes = serde_json::Map::new();
    for (id, r) in &resources {
        let Some(name) = r["network_address"].as_str() else {
            continue;
        };
        let node = nodes.entry(name.to_string()).or_insert_with(|| {
            json!({"hard": r["state"].as_str().unwrap_or("").to_lowercase(), "soft": "free",
                   "comment": r.get("comment").and_then(Value::as_str).unwrap_or(""),
                   "reservations": [], "free_slots": 0, "freeable_slots": 0,
                   "busy_slots": 0})
        });
        let on_it: Vec<&Value> = jobs
            .iter()
            .filter(|j| job_resources(j).contains(id))
            .collect();
        let running = on_it.iter().any(|j| {
            matches!(
                j["state"].as_str(),
                Some("Running" | "Launching" | "toLaunch")
            )
        });
        let besteffort = running
            && on_it
                .iter()
                .all(|j| j["queue"].as_str() == Some("besteffort"));
        let slot = if !running {
            "free_slots"
        } else if besteffort {
            "freeable_slots"
        } else {
            "busy_slots"
        };
        node[slot] = json!(node[slot].as_u64().unwrap_or(0) + 1);
        if running && !besteffort {
            node["soft"] = json!("busy");
        } else if besteffort && node["soft"] == "free" {
            node["soft"] = json!("busy_besteffort");
        }
        let list = node["reservations"].as_array_mut().unwrap();
        for j in on_it {
            let uid = j["Job_Id"].as_u64();
            if list.iter().any(|x| x["uid"].as_u64() == uid) {
                continue;
            }
            let mut v = from_oar(j);
            let m = v.as_object_mut().unwrap();
            for k in [
                "links",
                "events",
                "assigned_nodes",
                "resources_by_type",
                "stopped_at",
            ] {
                m.remove(k);
            }
            list.push(v);
        }
    }
    let mut v = json!({"uid": now(), "nodes": nodes,
        "vlans": {}, "links": links("status", "item")});
    v["links"][0]["href"] = json!(format!("/3.0/sites/{site}/status"));
    reply(200, v)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A collection of g5k-api.
fn collection(items: Vec<Value>, rest: &str) -> Value {
    json!({"total": items.len(), "offset": 0, "items": items, "version": VERSION,
           "links": links(rest, "collection")})
}

/// The reference of OAR's site: its clusters and nodes from OAR's resources.
fn reference(o: &OarLink, segs: &[&str]) -> Reply {
    let site = o.site.as_str();
    let mut clusters: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    for r in oar_resources(o).values() {
        if let (Some(c), Some(h)) = (r["cluster"].as_str(), r["host"].as_str()) {
            *clusters
                .entry(c.into())
                .or_default()
                .entry(h.into())
                .or_default() += 1;
        }
    }
    let site_item = json!({"uid": site, "type": "site", "name": site,
        "description": "the test OAR", "version": VERSION,
        "links": links("", "item")});
    let cluster_item = |c: &str, n: usize| {
        json!({"uid": c, "type": "cluster", "queues": ["default", "admin"],
            "exotic": false, "nodes_count": n, "model": "network namespace",
            "version": VERSION, "links": links(&format!("clusters/{c}"), "item")})
    };
    let node_item = |c: &str, h: &str, cores: u32| {
        json!({"uid": h, "type": "node", "exotic": false, "network_adapters": [],
            "architecture": {"nb_cores": cores, "nb_procs": 1, "nb_threads": cores,
                             "platform_type": "x86_64"},
            "supported_job_types": {"besteffort": true, "deploy": true, "max_walltime": 0,
                                    "queues": ["admin", "default"], "virtual": false},
            "version": VERSION,
            "links": links(&format!("clusters/{c}/nodes/{h}"), "item")})
    };
    let v = match segs {
        [] => json!({"type": "grid", "uid": "grid5000", "version": VERSION,
                     "links": [{"rel": "sites", "href": "/3.0/sites",
                                "type": "application/vnd.grid5000.collection+json"}],
                     "timestamp": now()}),
        ["sites"] => collection(vec![site_item], "sites"),
        ["sites", s] if *s == site => site_item,
        ["network_equipments"] => collection(vec![], "network_equipments"),
        ["sites", s, "network_equipments"] if *s == site => {
            collection(vec![], "network_equipments")
        }
        ["sites", s, "clusters"] if *s == site => collection(
            clusters
                .iter()
                .map(|(c, hosts)| cluster_item(c, hosts.len()))
                .collect(),
            "clusters",
        ),
        ["sites", s, "clusters", c, "nodes"] if *s == site && clusters.contains_key(*c) => {
            collection(
                clusters[*c]
                    .iter()
                    .map(|(h, cores)| node_item(c, h, *cores))
                    .collect(),
                &format!("clusters/{c}/nodes"),
            )
        }
        _ => return error(404, &format!("Cannot find {}", segs.join("/"))),
    };
    reply(200, v)
}
