//! One site of the Grid'5000 REST API, as the jobs and deployments of that site are
//! asked for: never more than one request a second to a site (whichever [`ApiSite`]
//! value sends it: the pace is kept per API and site for the whole process), 5xx
//! retried with a growing pause, and every failure one [`G5kError`] naming the
//! request, the site and the server's own words.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::g5k::api::{Answer, Api, Method, TRIES};
use crate::g5k::{G5kError, Settings};

/// The shortest time between two requests to one site.
pub const PACE: Duration = Duration::from_secs(1);
/// The first pause before a request that got a 5xx is tried again; it doubles each
/// time ([`TRIES`] tries in all).
pub const RETRY_PAUSE: Duration = Duration::from_secs(1);

type Slot = Arc<tokio::sync::Mutex<Option<Instant>>>;

/// When the last request to each (API, site) left.
fn slot(key: &str) -> Slot {
    static SLOTS: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    let mut m = SLOTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    m.entry(key.to_string()).or_default().clone()
}

/// A site of the API, and the user it acts as.
#[derive(Clone)]
pub struct ApiSite {
    api: Api,
    site: String,
    user: String,
    pace: Slot,
}

impl std::fmt::Debug for ApiSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSite")
            .field("base", &self.api.base())
            .field("site", &self.site)
            .field("user", &self.user)
            .finish()
    }
}

impl ApiSite {
    /// Site `site` of `api`. The user whose jobs are found again by name is the API's
    /// (its credentials), else this machine's (`$USER`), as inside Grid'5000.
    pub fn new(api: Api, site: impl Into<String>) -> ApiSite {
        let user = api
            .user()
            .map(str::to_string)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_default();
        let site = site.into();
        let pace = slot(&format!("{}|{site}", api.base()));
        ApiSite {
            api,
            site,
            user,
            pace,
        }
    }

    /// Site `site` of the API as `settings` configure it.
    pub fn from_settings(
        settings: &Settings,
        site: impl Into<String>,
    ) -> Result<ApiSite, G5kError> {
        Ok(ApiSite::new(Api::new(settings)?, site))
    }

    /// The site.
    pub fn site(&self) -> &str {
        &self.site
    }

    /// The user it acts as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The API.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// How it is named in messages: `the API of lyon (https://...)`.
    pub fn describe(&self) -> String {
        format!("the API of {} ({})", self.site, self.api.base())
    }

    /// `sites/{site}/{rest}`.
    pub fn path(&self, rest: &str) -> String {
        format!("sites/{}/{}", self.site, rest.trim_start_matches('/'))
    }

    /// Waits for this site's turn, then sends.
    async fn paced(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, G5kError> {
        let mut last = self.pace.lock().await;
        if let Some(t) = *last {
            crate::kernel::kernel().sleep_until(t + PACE).await;
        }
        *last = Some(Instant::now());
        drop(last);
        self.api.send(method, url, body).await
    }

    /// `method url` (relative to the API's base) paced, its 5xx tried again up to
    /// [`TRIES`] times with a doubling pause (a `POST` only on 502, 503 and 504, which
    /// did not reach the scheduler: a 500 may have submitted the job). The answer when
    /// its status is 2xx, or one in `accept`; else an error `failed to VERB `THING` on
    /// the API of SITE: HTTP STATUS: MESSAGE`, its source a
    /// [`ReservationRefused`](crate::g5k::error::ReservationRefused) when that is what
    /// OAR said.
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        accept: &[u16],
        verb: &str,
        thing: &str,
    ) -> Result<Answer, G5kError> {
        let mut pause = RETRY_PAUSE;
        let mut attempt = 1;
        loop {
            let a = self
                .paced(method, url, body)
                .await
                .map_err(|e| G5kError::new(verb, thing, e.cause.clone()).on(self.describe()))?;
            if a.ok() || accept.contains(&a.status) {
                return Ok(a);
            }
            let retried = match method {
                Method::Post => matches!(a.status, 502..=504),
                _ => a.status >= 500,
            };
            if retried && attempt < TRIES {
                tracing::debug!(
                    "{method} {url} on {}: HTTP {}, try {attempt} of {TRIES}, again in {pause:?}",
                    self.site,
                    a.status
                );
                crate::kernel::kernel()
                    .sleep_until(Instant::now() + pause)
                    .await;
                pause *= 2;
                attempt += 1;
                continue;
            }
            let mut cause = format!("HTTP {}: {}", a.status, a.message);
            if retried {
                cause.push_str(&format!(" (tried {TRIES} times)"));
            }
            let e = G5kError::new(verb, thing, cause).on(self.describe());
            return Err(
                match crate::g5k::oar::parse::reservation_refused(&a.message) {
                    Some(r) => e.source(r),
                    None => e,
                },
            );
        }
    }

    /// The items of the paged collection `sites/{site}/{rest}` with `query`, every page:
    /// asked [`PAGE_LIMIT`](crate::g5k::api::PAGE_LIMIT) at a time, by `offset`, until
    /// `total` came (the API caps a page at 500, and a client reading only the first
    /// misses the rest).
    pub async fn collection(
        &self,
        rest: &str,
        query: &[(&str, &str)],
        verb: &str,
        thing: &str,
    ) -> Result<Vec<Value>, G5kError> {
        let mut items: Vec<Value> = Vec::new();
        loop {
            let mut q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect();
            q.push(format!("offset={}", items.len()));
            q.push(format!("limit={}", crate::g5k::api::PAGE_LIMIT));
            let url = format!("{}?{}", self.path(rest), q.join("&"));
            let a = self
                .request(Method::Get, &url, None, &[], verb, thing)
                .await?;
            let bad = |what: &str| {
                G5kError::new(verb, thing, format!("{what} in the answer to GET {url}"))
                    .on(self.describe())
            };
            let page = a
                .body
                .get("items")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("no `items` array"))?;
            let total = a
                .body
                .get("total")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("no `total`"))? as usize;
            let empty = page.is_empty();
            items.extend(page.iter().cloned());
            if items.len() >= total {
                return Ok(items);
            }
            if empty {
                return Err(bad(&format!(
                    "{total} items said, an empty page at offset {}",
                    items.len()
                )));
            }
        }
    }
}

/// `v` fit for a query string.
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("waiting,running"), "waiting,running");
        assert_eq!(encode("a b&c=d"), "a%20b%26c%3Dd");
    }
}
