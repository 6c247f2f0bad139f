//! Deploying an environment through the REST API (`POST /sites/{s}/deployments`, then
//! `GET` until it is over), each node's outcome read from the deployment's `result`:
//! `OK`, or `KO` with kadeploy's error. The kadeploy3 way is [`super::super::kadeploy`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::g5k::G5kError;
use crate::g5k::api::Method;
use crate::host::Host;

use super::site::ApiSite;

/// What to deploy where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentRequest {
    /// The nodes (fqdns).
    pub nodes: Vec<String>,
    /// The environment: `debian12-min`, `name@user`, or a URL.
    pub environment: String,
    /// The public key put in root's authorized keys (its text or a URL).
    pub key: Option<String>,
    /// The kavlan the nodes are in.
    pub vlan: Option<u32>,
}

impl DeploymentRequest {
    /// `environment` on `nodes`.
    pub fn new<I, S>(nodes: I, environment: impl Into<String>) -> DeploymentRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        DeploymentRequest {
            nodes: nodes.into_iter().map(Into::into).collect(),
            environment: environment.into(),
            ..Default::default()
        }
    }

    /// The body of the `POST`.
    pub fn body(&self) -> Value {
        let mut b = json!({"nodes": self.nodes, "environment": self.environment});
        let m = b.as_object_mut().expect("an object");
        if let Some(k) = &self.key {
            m.insert("key".into(), json!(k));
        }
        if let Some(v) = self.vlan {
            m.insert("vlan".into(), json!(v));
        }
        b
    }

    fn thing(&self) -> String {
        format!("environment {}", self.environment)
    }
}

/// How a deployment ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentResult {
    /// Its uid (`D-...`).
    pub uid: String,
    /// Its final status: `terminated`, `error` or `canceled`.
    pub status: String,
    /// The nodes running the environment, sorted.
    pub ok: Vec<Host>,
    /// The others, by address, with kadeploy's error (or why none was given).
    pub ko: BTreeMap<String, String>,
}

/// Whether a deployment's status is final.
fn over(status: &str) -> bool {
    matches!(status, "terminated" | "error" | "canceled")
}

/// Reads a finished deployment's answer: each requested node OK, or KO with its error;
/// a node the result does not name is KO.
pub fn result(uid: &str, requested: &[String], v: &Value) -> DeploymentResult {
    let status = v
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let per_node = v.get("result").and_then(Value::as_object);
    let mut ok = Vec::new();
    let mut ko = BTreeMap::new();
    for n in requested {
        match per_node.and_then(|r| r.get(n)) {
            Some(r) if r.get("state").and_then(Value::as_str) == Some("OK") => {
                ok.push(Host::new(n))
            }
            Some(r) => {
                let why = r
                    .get("error")
                    .and_then(Value::as_str)
                    .filter(|e| !e.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        format!(
                            "KO (macro step {}, micro step {})",
                            r.get("macro").and_then(Value::as_str).unwrap_or("?"),
                            r.get("micro").and_then(Value::as_str).unwrap_or("?")
                        )
                    });
                ko.insert(n.clone(), why);
            }
            None => {
                ko.insert(
                    n.clone(),
                    format!("the deployment ended ({status}) without a result for it"),
                );
            }
        }
    }
    ok.sort_by(|a: &Host, b| a.address.cmp(&b.address));
    DeploymentResult {
        uid: uid.to_string(),
        status,
        ok,
        ko,
    }
}

/// Deploys `req` on `site` and follows it (one request a second at most, more seldom as
/// it goes on, up to one every 10 s) until it is over; each node's outcome. Ends with an
/// error when the API refuses it, loses it, or after `timeout` (the deployment is then
/// cancelled with `DELETE`).
pub async fn deploy(
    site: &ApiSite,
    req: &DeploymentRequest,
    timeout: Duration,
) -> Result<DeploymentResult, G5kError> {
    let thing = req.thing();
    let deadline = Instant::now() + timeout;
    let a = site
        .request(
            Method::Post,
            &site.path("deployments"),
            Some(&req.body()),
            &[],
            "deploy",
            &thing,
        )
        .await?;
    let uid = a
        .body
        .get("uid")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            G5kError::new("deploy", &thing, "the answer names no deployment `uid`")
                .on(site.describe())
        })?
        .to_string();
    let url = site.path(&format!("deployments/{uid}"));
    let mut v = a.body;
    let mut pause = super::site::PACE;
    loop {
        let status = v.get("status").and_then(Value::as_str).unwrap_or("");
        if over(status) {
            return Ok(result(&uid, &req.nodes, &v));
        }
        if Instant::now() >= deadline {
            if let Err(e) = site
                .request(
                    Method::Delete,
                    &url,
                    None,
                    &[],
                    "cancel",
                    &format!("deployment {uid}"),
                )
                .await
            {
                tracing::warn!("{e}");
            }
            return Err(G5kError::new(
                "deploy",
                &thing,
                format!(
                    "deployment {uid} still {status} after {:.0} s: cancelled",
                    timeout.as_secs_f64()
                ),
            )
            .on(site.describe()));
        }
        crate::kernel::kernel()
            .sleep_until((Instant::now() + pause).min(deadline))
            .await;
        pause = (pause * 2).min(Duration::from_secs(10));
        v = site
            .request(
                Method::Get,
                &url,
                None,
                &[],
                "follow",
                &format!("deployment {uid}"),
            )
            .await?
            .body;
    }
}

/// Blocking form of [`deploy`].
pub fn blocking_deploy(
    site: &ApiSite,
    req: &DeploymentRequest,
    timeout: Duration,
) -> Result<DeploymentResult, G5kError> {
    crate::g5k::oar::jobs::blocking(deploy(site, req, timeout), || {
        Err(crate::g5k::oar::jobs::on_kernel("deploy", &req.thing()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_ok_or_ko_with_its_error() {
        let nodes = vec!["a-1".to_string(), "a-2".into(), "a-3".into(), "a-4".into()];
        let v = json!({"status": "terminated", "result": {
            "a-1": {"macro": "3", "micro": "", "state": "OK"},
            "a-2": {"macro": "2", "micro": "reboot", "state": "KO", "error": "reboot timed out"},
            "a-3": {"macro": "1", "micro": "check", "state": "KO"}}});
        let r = result("D-1", &nodes, &v);
        assert_eq!(
            r.ok.iter().map(|h| h.address.as_str()).collect::<Vec<_>>(),
            ["a-1"]
        );
        assert_eq!(r.ko["a-2"], "reboot timed out");
        assert!(r.ko["a-3"].contains("check"), "{:?}", r.ko);
        assert!(r.ko["a-4"].contains("without a result"), "{:?}", r.ko);
        assert_eq!(
            DeploymentRequest::new(["a-1"], "debian12-min").body(),
            json!({"nodes": ["a-1"], "environment": "debian12-min"})
        );
    }
}
