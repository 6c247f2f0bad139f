//! The Grid'5000 REST API client: one place that knows how to ask the API and how it
//! answers, so that the reference cache, and anything else that reads the API, gets the
//! same credentials, timeouts, retries and error messages.
//!
//! Why it is built this way:
//! - Where the credentials come from is what Grid'5000 users already have: the `[g5k]`
//!   section of the execo configuration file, else `~/.python-grid5000.yaml` (python-
//!   grid5000's `uri`, `username`, `password`, `verify_ssl`). Inside Grid'5000 the API
//!   needs none, and none are sent.
//! - TLS verification is never turned off behind the user's back (execo turns it off
//!   whenever there is no auth): only `api_verify_ssl = false`, or `verify_ssl: false` in
//!   the YAML file, does, and then a warning says so.
//! - Every request has a timeout, so nothing here waits forever; 500, 502 and 504 are
//!   retried a bounded number of times with backoff (python-grid5000's policy); anything
//!   else is an error naming the URL, the status and the server's own message.
//! - The requests run on the process kernel's event loop (`crate::kernel`), like
//!   processes do, so the blocking twins need no runtime from the user and the async calls
//!   work from any runtime; answers are decoded on the caller's thread, never the
//!   kernel's.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::{G5kError, Settings};

/// How many times a request that got a 500, 502 or 504 is tried in all.
pub const TRIES: u32 = 5;
/// The first pause between tries; it doubles after each (0.3 s, 0.6 s, 1.2 s, 2.4 s:
/// python-grid5000's backoff factor).
pub const BACKOFF: Duration = Duration::from_millis(300);
/// How many requests to the API are under way at once, at most (the reference walk asks
/// for every site and cluster; the API and the access machine are shared).
pub const MAX_CONCURRENT: usize = 8;
/// Pages asked for when reading a paged collection (the server caps `limit` at 500).
pub const PAGE_LIMIT: usize = 500;

/// A client of one Grid'5000 API endpoint. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    base: String,
    client: reqwest::Client,
    auth: Option<(String, String)>,
    args: Vec<(String, String)>,
    timeout: Duration,
    permits: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.inner.base)
            .field("user", &self.inner.auth.as_ref().map(|a| &a.0))
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

/// Where and how to reach the API, once the configuration and
/// `~/.python-grid5000.yaml` are merged (see [`ApiOptions::resolve`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiOptions {
    /// The base URI, ending with `/`: `https://api.grid5000.fr/3.0/`.
    pub uri: String,
    /// HTTP Basic credentials (user, password), from outside Grid'5000 only.
    pub credentials: Option<(String, String)>,
    /// Whether the server's certificate is checked.
    pub verify_ssl: bool,
    /// The timeout of each request.
    pub timeout: Duration,
    /// Query arguments added to every request (execo's `api_additional_args`).
    pub additional_args: BTreeMap<String, String>,
}

/// python-grid5000's configuration file, `~/.python-grid5000.yaml`.
#[derive(Debug, Default, Deserialize)]
struct PythonGrid5000 {
    uri: Option<String>,
    username: Option<String>,
    password: Option<String>,
    verify_ssl: Option<bool>,
}

/// `~/.python-grid5000.yaml`, where python-grid5000 keeps it.
pub fn python_grid5000_file() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".python-grid5000.yaml"))
}

impl ApiOptions {
    /// The options from `settings`, completed by python-grid5000's file `yaml` (when it
    /// exists) for what the settings leave unset: the URI when the settings keep
    /// execo's default, the user and password when they name none; `verify_ssl: false`
    /// in either turns verification off. `inside` (this machine is in Grid'5000): no
    /// credentials at all, the API needs none there.
    pub fn resolve(
        settings: &Settings,
        yaml: Option<&Path>,
        inside: bool,
    ) -> Result<ApiOptions, G5kError> {
        let py = match yaml {
            Some(p) if p.exists() => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    G5kError::new("read", p.display().to_string(), e.to_string()).source(e)
                })?;
                if text.trim().is_empty() {
                    PythonGrid5000::default()
                } else {
                    serde_norway::from_str::<PythonGrid5000>(&text).map_err(|e| {
                        G5kError::new("read", p.display().to_string(), e.to_string()).source(e)
                    })?
                }
            }
            _ => PythonGrid5000::default(),
        };
        let default_uri = Settings::default().api_uri;
        let mut uri = if settings.api_uri != default_uri {
            settings.api_uri.clone()
        } else {
            py.uri.clone().unwrap_or(default_uri)
        };
        if !uri.ends_with('/') {
            uri.push('/');
        }
        let user = settings.api_username.clone().or(py.username.clone());
        let credentials = match (inside, user) {
            (true, _) | (false, None) => None,
            (false, Some(user)) => {
                let password = settings
                    .api_password
                    .clone()
                    .or(py.password.clone())
                    .ok_or_else(|| {
                        G5kError::new(
                            "authenticate",
                            &user,
                            "no password: set `api_password` in the [g5k] section of the \
                             execo configuration file or `password` in ~/.python-grid5000.yaml",
                        )
                        .on(&uri)
                    })?;
                Some((user, password))
            }
        };
        Ok(ApiOptions {
            uri,
            credentials,
            verify_ssl: settings.api_verify_ssl && py.verify_ssl.unwrap_or(true),
            timeout: settings.api_timeout,
            additional_args: settings.api_additional_args.clone(),
        })
    }
}

impl Api {
    /// The API as configured: [`Settings`], `~/.python-grid5000.yaml`, and no
    /// credentials when this machine is in Grid'5000.
    pub fn new(settings: &Settings) -> Result<Api, G5kError> {
        let inside = super::frontend::local_site().is_some();
        let yaml = python_grid5000_file();
        Api::with_options(ApiOptions::resolve(settings, yaml.as_deref(), inside)?)
    }

    /// The API at `options.uri`, exactly as given.
    pub fn with_options(options: ApiOptions) -> Result<Api, G5kError> {
        let setup =
            |cause: String| G5kError::new("set up", "the API client", cause).on(&options.uri);
        let url = reqwest::Url::parse(&options.uri).map_err(|e| setup(format!("bad URI: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(setup(format!("`{}` is not an http(s) URI", options.uri)));
        }
        if !options.verify_ssl && url.scheme() == "https" {
            tracing::warn!(
                "TLS certificates of {} are not verified (api_verify_ssl = false)",
                options.uri
            );
        }
        let host = url.host_str().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|a| a.is_loopback());
        if options.credentials.is_some() && url.scheme() == "http" && !loopback {
            tracing::warn!(
                "the API password for {} goes unencrypted (http, not https)",
                options.uri
            );
        }
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(!options.verify_ssl)
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .user_agent(concat!("execo-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| setup(chain(&e)))?;
        Ok(Api {
            inner: Arc::new(Inner {
                base: options.uri,
                client,
                auth: options.credentials,
                args: options.additional_args.into_iter().collect(),
                timeout: options.timeout,
                permits: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT)),
            }),
        })
    }

    /// The base URI, ending with `/`.
    pub fn base(&self) -> &str {
        &self.inner.base
    }

    /// The full URL of `path` (relative to the base; a leading `/` is ignored).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.inner.base, path.trim_start_matches('/'))
    }

    /// `GET path` (with `query` and the configured additional arguments), decoded as
    /// JSON.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, G5kError> {
        let url = self.url(path);
        let body = self.fetch(path, query).await?;
        decode(&url, query, &body)
    }

    /// [`get`](Self::get), blocking.
    pub fn blocking_get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, G5kError> {
        blocking(self.get(path, query), &self.url(path))
    }

    /// The items of the collection at `path`, every page of it: a paged collection
    /// (`{total, offset, items}`, like `/sites/{site}/jobs`) is read with `offset` and
    /// `limit` until `total` items came. A bare JSON array is returned as is.
    pub async fn get_collection(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<Value>, G5kError> {
        self.start_collection(path, query).await
    }

    /// The configured additional query arguments.
    pub fn args(&self) -> &[(String, String)] {
        &self.inner.args
    }

    /// [`get_collection`](Self::get_collection), its first request sent now (not when
    /// the future is first polled), so that several can be under way at once.
    pub(crate) fn start_collection(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> impl Future<Output = Result<Vec<Value>, G5kError>> + Send + use<> {
        let first = self.fetch(path, query);
        let api = self.clone();
        let path = path.to_string();
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        async move {
            let q: Vec<(&str, &str)> = query
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let body = first.await?;
            let v = decode(&api.url(&path), &q, &body)?;
            api.rest_of(&path, &q, v).await
        }
    }

    /// The items of a collection's first page `first`, and those of the pages after it.
    async fn rest_of(
        &self,
        path: &str,
        query: &[(&str, &str)],
        first: Value,
    ) -> Result<Vec<Value>, G5kError> {
        let url = self.url(path);
        let (mut items, total) = page_of(&url, first)?;
        let Some(total) = total else {
            return Ok(items);
        };
        while items.len() < total {
            let offset = items.len().to_string();
            let limit = PAGE_LIMIT.to_string();
            let mut q: Vec<(&str, &str)> = query
                .iter()
                .filter(|(k, _)| *k != "offset" && *k != "limit")
                .copied()
                .collect();
            q.push(("offset", &offset));
            q.push(("limit", &limit));
            let (page, _) = page_of(&url, self.get(path, &q).await?)?;
            if page.is_empty() {
                return Err(G5kError::new(
                    "read",
                    &url,
                    format!(
                        "the collection says it has {total} items but its page at offset \
                         {offset} is empty"
                    ),
                ));
            }
            items.extend(page);
        }
        Ok(items)
    }

    /// [`get_collection`](Self::get_collection), blocking.
    pub fn blocking_get_collection(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<Value>, G5kError> {
        blocking(self.get_collection(path, query), &self.url(path))
    }

    /// The raw body of `GET path`, fetched on the kernel's event loop.
    pub(crate) fn fetch(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> impl Future<Output = Result<Vec<u8>, G5kError>> + Send + use<> {
        let inner = self.inner.clone();
        let url = self.url(path);
        let query: Vec<(String, String)> = inner
            .args
            .iter()
            .cloned()
            .chain(query.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .collect();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let shown = show_url(&url, &query);
        crate::kernel::kernel().spawn(async move {
            tx.send(fetch_on_kernel(inner, url, query).await).ok();
        });
        async move {
            rx.await.unwrap_or_else(|_| {
                Err(G5kError::new(
                    "read",
                    shown,
                    "the kernel's event loop is gone",
                ))
            })
        }
    }
}

/// An HTTP method of [`Api::send`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`, with a JSON body.
    Post,
    /// `DELETE`.
    Delete,
}

impl Method {
    fn reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        })
    }
}

/// What the server answered to one [`Api::send`], whatever the status.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    /// The server's own words: g5k-api's `message`, else the body's text, shortened.
    pub message: String,
    /// The `Location` header (a created job's or deployment's URL), if any.
    pub location: Option<String>,
}

impl Answer {
    /// A 2xx status.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Api {
    /// The user named by the credentials, if any (outside Grid'5000).
    pub fn user(&self) -> Option<&str> {
        self.inner.auth.as_ref().map(|(u, _)| u.as_str())
    }

    /// One request, tried once: `method url` (`url` relative to the base, with its
    /// query; the configured additional arguments are added), with `body` as JSON. Any
    /// status is an [`Answer`]; only a transport failure (no connection, no answer
    /// within the timeout) is an error. Retrying is the caller's choice (a `POST` is not
    /// always safe to repeat).
    pub fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> impl Future<Output = Result<Answer, G5kError>> + Send + use<> {
        let inner = self.inner.clone();
        let full = self.url(url);
        let shown = format!("{method} {full}");
        let body = body.cloned();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let shown2 = shown.clone();
        crate::kernel::kernel().spawn(async move {
            let r = async {
                let Ok(_permit) = inner.permits.acquire().await else {
                    return Err(G5kError::new("send", &shown, "the client is closed"));
                };
                let mut req = inner
                    .client
                    .request(method.reqwest(), &full)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .query(&inner.args);
                if let Some(b) = &body {
                    req = req
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(b.to_string());
                }
                if let Some((user, password)) = &inner.auth {
                    req = req.basic_auth(user, Some(password));
                }
                let resp = req.send().await.map_err(|e| {
                    G5kError::new("send", &shown, describe(&e, inner.timeout)).source(e)
                })?;
                let status = resp.status().as_u16();
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let bytes = resp.bytes().await.map_err(|e| {
                    G5kError::new("send", &shown, describe(&e, inner.timeout)).source(e)
                })?;
                Ok(Answer {
                    status,
                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                    message: server_message(&bytes),
                    location,
                })
            }
            .await;
            tx.send(r).ok();
        });
        async move {
            rx.await.unwrap_or_else(|_| {
                Err(G5kError::new(
                    "send",
                    shown2,
                    "the kernel's event loop is gone",
                ))
            })
        }
    }
}

/// Runs an API future to its end on the calling thread.
fn blocking<T>(fut: impl Future<Output = Result<T, G5kError>>, url: &str) -> Result<T, G5kError> {
    crate::kernel::block_on(fut).unwrap_or_else(|| {
        Err(G5kError::new(
            "read",
            url,
            "a blocking call was made on the kernel's thread (from an output or lifecycle \
             handler), where it would wait forever; use the async call",
        ))
    })
}

/// The URL with its query, as shown in messages.
fn show_url(url: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{url}?{}", q.join("&"))
}

async fn fetch_on_kernel(
    inner: Arc<Inner>,
    url: String,
    query: Vec<(String, String)>,
) -> Result<Vec<u8>, G5kError> {
    let shown = show_url(&url, &query);
    let Ok(_permit) = inner.permits.acquire().await else {
        return Err(G5kError::new("read", shown, "the client is closed"));
    };
    let mut pause = BACKOFF;
    for attempt in 1..=TRIES {
        let mut req = inner
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&query);
        if let Some((user, password)) = &inner.auth {
            req = req.basic_auth(user, Some(password));
        }
        let resp = req
            .send()
            .await
            .map_err(|e| G5kError::new("read", &shown, describe(&e, inner.timeout)).source(e))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| G5kError::new("read", &shown, describe(&e, inner.timeout)).source(e))?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        let retried = matches!(status.as_u16(), 500 | 502 | 504);
        if retried && attempt < TRIES {
            tracing::debug!("{shown}: HTTP {status}, try {attempt} of {TRIES}, again in {pause:?}");
            tokio::time::sleep(pause).await;
            pause *= 2;
            continue;
        }
        let mut cause = format!("HTTP {status}: {}", server_message(&body));
        if retried {
            cause.push_str(&format!(" (tried {TRIES} times)"));
        }
        if status.as_u16() == 401 {
            cause.push_str(
                " (check `api_username`/`api_password` in the [g5k] section of the execo \
                 configuration file, or ~/.python-grid5000.yaml)",
            );
        }
        return Err(G5kError::new("read", shown, cause));
    }
    Err(G5kError::new("read", shown, "no try was made"))
}

/// What the server said in an error body: g5k-api's `message` (or `title`), else the
/// body's text, shortened.
fn server_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        for key in ["message", "title", "error"] {
            if let Some(m) = v.get(key).and_then(Value::as_str) {
                return m.trim().to_string();
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(empty body)".to_string()
    } else {
        shorten(text, 300)
    }
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// A transport error in words: a timeout says how long was waited, a refused
/// connection says so; the error chain follows.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    let what = chain(e);
    if e.is_timeout() {
        format!("no answer within {} s ({what})", timeout.as_secs_f64())
    } else if e.is_connect() {
        format!("cannot connect ({what})")
    } else {
        what
    }
}

/// An error and its sources, `: `-joined, without repeats.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// The body as JSON, or an error naming the URL and showing how the body starts.
pub(crate) fn decode(url: &str, query: &[(&str, &str)], body: &[u8]) -> Result<Value, G5kError> {
    serde_json::from_slice(body).map_err(|e| {
        let q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let start = shorten(String::from_utf8_lossy(body).trim(), 80);
        G5kError::new(
            "read",
            show_url(url, &q),
            format!("the answer is not JSON ({e}); it starts with `{start}`"),
        )
        .source(e)
    })
}

/// One page of a collection: its items, and its `total` when it is a paged one.
fn page_of(url: &str, v: Value) -> Result<(Vec<Value>, Option<usize>), G5kError> {
    match v {
        Value::Array(items) => Ok((items, None)),
        Value::Object(mut m) => {
            let Some(Value::Array(items)) = m.remove("items") else {
                return Err(G5kError::new(
                    "read",
                    url,
                    "not a collection (no `items` array in the answer)",
                ));
            };
            let total = m.get("total").and_then(Value::as_u64).map(|t| t as usize);
            Ok((items, total))
        }
        _ => Err(G5kError::new(
            "read",
            url,
            "not a collection (neither an object nor an array)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("py.yaml");
        std::fs::write(&p, text).unwrap();
        p
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("execo-api-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn the_python_grid5000_file_completes_the_settings() {
        let d = tmp("py");
        let p = write(
            &d,
            "uri: https://api.example/stable\nusername: alice\npassword: s3cret\nverify_ssl: true\ntimeout: 5\n",
        );
        let o = ApiOptions::resolve(&Settings::default(), Some(&p), false).unwrap();
        assert_eq!(o.uri, "https://api.example/stable/");
        assert_eq!(o.credentials, Some(("alice".into(), "s3cret".into())));
        assert!(o.verify_ssl);
        // The configuration file wins; inside Grid'5000, no credentials.
        let s = Settings {
            api_uri: "http://127.0.0.1:1/3.0/".into(),
            api_username: Some("bob".into()),
            api_password: Some("pw".into()),
            ..Settings::default()
        };
        let o = ApiOptions::resolve(&s, Some(&p), false).unwrap();
        assert_eq!(o.uri, "http://127.0.0.1:1/3.0/");
        assert_eq!(o.credentials, Some(("bob".into(), "pw".into())));
        let o = ApiOptions::resolve(&s, Some(&p), true).unwrap();
        assert_eq!(o.credentials, None);
        std::fs::remove_dir_all(d).ok();
    }

    #[test]
    fn verification_is_off_only_when_asked() {
        let d = tmp("verify");
        let none = ApiOptions::resolve(&Settings::default(), None, false).unwrap();
        assert!(
            none.verify_ssl,
            "no credentials must not turn verification off"
        );
        let p = write(&d, "verify_ssl: false\n");
        assert!(
            !ApiOptions::resolve(&Settings::default(), Some(&p), false)
                .unwrap()
                .verify_ssl
        );
        std::fs::remove_dir_all(d).ok();
    }

    #[test]
    fn a_user_without_password_is_an_error_naming_both_places() {
        let s = Settings {
            api_username: Some("alice".into()),
            ..Settings::default()
        };
        let e = ApiOptions::resolve(&s, None, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("alice") && e.contains("api_password"), "{e}");
    }

    #[test]
    fn a_bad_yaml_file_is_named() {
        let d = tmp("bad");
        let p = write(&d, "uri: [unclosed\n");
        let e = ApiOptions::resolve(&Settings::default(), Some(&p), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("py.yaml"), "{e}");
        std::fs::remove_dir_all(d).ok();
    }

    #[test]
    fn server_messages_are_read_from_json_or_text() {
        assert_eq!(
            server_message(
                br#"{"code":404,"message":"Cannot find site nowhere","title":"Not Found"}"#
            ),
            "Cannot find site nowhere"
        );
        assert_eq!(server_message(b"  Bad Gateway \n"), "Bad Gateway");
        assert_eq!(server_message(b""), "(empty body)");
    }

    #[test]
    fn pages_and_bare_arrays() {
        let (items, total) = page_of(
            "u",
            serde_json::json!({"total": 3, "offset": 0, "items": [1, 2]}),
        )
        .unwrap();
        assert_eq!((items.len(), total), (2, Some(3)));
        let (items, total) = page_of("u", serde_json::json!([1])).unwrap();
        assert_eq!((items.len(), total), (1, None));
        assert!(page_of("u", serde_json::json!({"uid": "x"})).is_err());
    }
}
