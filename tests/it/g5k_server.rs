//! A stand-in for the Grid'5000 API server (which exists nowhere here), named as such: a
//! real HTTP/1.1 server on loopback, over std's `TcpListener`, serving the real reference
//! data of `tests/fixtures/g5k/` (copied from the real API's repository, wrapped as
//! g5k-api wraps it) at the real paths under `/3.0/`, with the same status codes,
//! `version`s and ETags, and faults injected on demand: a status for the next requests or
//! for all, a body that is not JSON, a server that never answers, a moved `version`,
//! paged collections, and going away. The sites' OAR data (`/sites/{site}/status`)
//! comes from `synthetic/` or a test's own directory ([`ApiServer::data`]), with the
//! views of the same data that execo's planning reads derived from it (`g5k_oar_views`).

// The OAR views live beside this file (also when an example includes it by path).
#[path = "g5k_oar_views.rs"]
mod g5k_oar_views;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// What the server does wrong, set by the test.
#[derive(Default)]
pub struct Faults {
    /// Statuses answered to the next requests, one each, before answering normally.
    pub next: VecDeque<u16>,
    /// A status (and message) answered to every request.
    pub always: Option<(u16, String)>,
    /// Answer every request with an HTML page, status 200.
    pub not_json: bool,
    /// Read requests and never answer them.
    pub hang: bool,
    /// The `version` of `/` (the reference moved).
    pub version: Option<String>,
    /// Page collections by this many items (honouring `offset` and `limit`).
    pub page: Option<usize>,
    /// Requests whose target contains this text get this status (a site that fails).
    pub broken: Option<(String, u16)>,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    /// The path and query, `/3.0/sites?queues=all`.
    pub target: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
}

struct Shared {
    faults: Mutex<Faults>,
    data: Mutex<Option<PathBuf>>,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
    stopped: (Mutex<bool>, Condvar),
}

/// The server; stopped (the port closed, hanging connections released) when dropped or
/// with [`stop`](Self::stop).
pub struct ApiServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/g5k")
}

impl ApiServer {
    /// Starts the server on a free loopback port.
    pub fn start() -> ApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            faults: Mutex::new(Faults::default()),
            data: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            stopped: (Mutex::new(false), Condvar::new()),
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
        ApiServer {
            addr,
            shared,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/3.0/`, what `api_uri` is set to.
    pub fn uri(&self) -> String {
        format!("http://{}/3.0/", self.addr)
    }

    /// Changes the faults.
    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.shared.faults.lock().unwrap());
    }

    /// Serves the files of `dir` (same layout as the fixtures) before the fixtures'.
    pub fn data(&self, dir: &std::path::Path) {
        *self.shared.data.lock().unwrap() = Some(dir.to_path_buf());
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.requests.lock().unwrap().clear();
    }

    /// Stops listening (the port then refuses connections) and releases hanging
    /// connections.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        {
            let (m, cv) = &self.shared.stopped;
            *m.lock().unwrap() = true;
            cv.notify_all();
        }
        // Wake the accept loop.
        TcpStream::connect(self.addr).ok();
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(conn: TcpStream, s: &Shared) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let (mut authorization, mut accept, mut if_none_match) = (None, None, None);
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(v),
                "accept" => accept = Some(v),
                "if-none-match" => if_none_match = Some(v),
                "content-length" => length = v.parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok();
    s.requests.lock().unwrap().push(Request {
        target: target.clone(),
        authorization,
        accept,
    });
    let mut conn = conn;
    let reply = {
        let mut f = s.faults.lock().unwrap();
        if f.hang {
            None
        } else if let Some((_, code)) = f.broken.as_ref().filter(|(t, _)| target.contains(t)) {
            Some(error(
                *code,
                &format!("injected failure {code} for {target}"),
            ))
        } else if let Some(code) = f.next.pop_front() {
            Some(error(code, &format!("injected failure {code}")))
        } else if let Some((code, msg)) = &f.always {
            Some(error(*code, msg))
        } else if f.not_json {
            Some((
                200,
                "text/html".to_string(),
                b"<html><body>Service Unavailable (maintenance)</body></html>".to_vec(),
                None,
            ))
        } else if method != "GET" {
            Some(error(405, "only GET is served here"))
        } else {
            let data = s.data.lock().unwrap().clone();
            Some(resource(&target, &f, data.as_deref()))
        }
    };
    let Some((code, ctype, body, etag)) = reply else {
        // Never answer; wait for the server to stop.
        let (m, cv) = &s.stopped;
        let mut stopped = m.lock().unwrap();
        while !*stopped {
            stopped = cv.wait(stopped).unwrap();
        }
        return;
    };
    if let (Some(e), Some(inm)) = (&etag, &if_none_match)
        && e == inm
    {
        write!(
            conn,
            "HTTP/1.1 304 Not Modified\r\nETag: {e}\r\nConnection: close\r\n\r\n"
        )
        .ok();
        return;
    }
    let reason = match code {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Other",
    };
    let etag = etag.map(|e| format!("ETag: {e}\r\n")).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{etag}Connection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).ok();
    conn.write_all(&body).ok();
}

type Reply = (u16, String, Vec<u8>, Option<String>);

/// g5k-api's error body.
fn error(code: u16, message: &str) -> Reply {
    let body = serde_json::json!({"code": code, "message": message, "title": "Error"});
    (
        code,
        "application/json".into(),
        body.to_string().into_bytes(),
        None,
    )
}

/// The fixture file for `target` (query arguments and a trailing slash ignored, as the
/// real server serves the same data for them), with the faults applied.
fn resource(target: &str, f: &Faults, data: Option<&std::path::Path>) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Some(rel) = path.strip_prefix("/3.0") else {
        return error(404, &format!("Cannot find resource {path}"));
    };
    let rel = rel.trim_matches('/');
    if rel.split('/').any(|p| p == ".." || p.is_empty()) && !rel.is_empty() {
        return error(404, &format!("Cannot find resource {path}"));
    }
    let file = if rel.is_empty() {
        fixtures().join("index.json")
    } else {
        let name = format!("{rel}.json");
        [data.map(|d| d.join(&name)), Some(fixtures().join(&name))]
            .into_iter()
            .flatten()
            .chain([fixtures().join("synthetic").join(&name)])
            .find(|p| p.is_file())
            .unwrap_or_else(|| fixtures().join(&name))
    };
    let derived = g5k_oar_views::derive(rel, query, |site| {
        let name = format!("sites/{site}/status.json");
        [
            data.map(|d| d.join(&name)),
            Some(fixtures().join("synthetic").join(&name)),
        ]
        .into_iter()
        .flatten()
        .find_map(|p| std::fs::read(p).ok())
        .map(|t| serde_json::from_slice(&t).expect("status fixture is JSON"))
    });
    let mut v: serde_json::Value = match derived {
        Some(Ok(v)) => v,
        Some(Err(code)) => return error(code, &format!("Cannot find resource /{rel}")),
        None => {
            let Ok(text) = std::fs::read(&file) else {
                return error(404, &format!("Cannot find resource /{rel}"));
            };
            serde_json::from_slice(&text).expect("fixture is JSON")
        }
    };
    if rel.is_empty()
        && let Some(version) = &f.version
    {
        v["version"] = serde_json::Value::String(version.clone());
    }
    if let (Some(page), Some(items)) = (f.page, v.get("items").and_then(|i| i.as_array()).cloned())
    {
        let arg = |k: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                .and_then(|n| n.parse::<usize>().ok())
        };
        let offset = arg("offset").unwrap_or(0).min(items.len());
        let limit = arg("limit").unwrap_or(page).min(page);
        let end = (offset + limit).min(items.len());
        v["items"] = serde_json::Value::Array(items[offset..end].to_vec());
        v["offset"] = offset.into();
        v["total"] = items.len().into();
    }
    let body = serde_json::to_vec_pretty(&v).unwrap();
    // The ETag of the real server is a digest of the body; any stable digest will do.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (
        200,
        "application/json; charset=utf-8".into(),
        body,
        Some(format!("\"{h:016x}\"")),
    )
}
