//! Where a site's OAR data comes from, and what planning keeps of it: its nodes (with
//! whether OAR can give them) and its active jobs (when, on which nodes and VLANs, in
//! which queue). Planning is built from this [`SiteData`] alone, so a source (the
//! API's `/sites/{site}/status` here; OAR's own listings could fill the same) never
//! changes the result.
//!
//! `/sites/{site}/status` (g5k-api `lib/oar/resource.rb` `status`) gives, in one
//! request, every node with its `hard` state and `comment`, and every active job
//! (running, launching and waiting) on it, whatever the number of jobs: it is an item,
//! not a collection, so the 500-item cap of the API's collections (which makes execo's
//! planning silently miss the jobs past the 500th) does not apply. Its `vlans` give the
//! KaVLAN jobs the same way. It does not carry OAR's `maintenance` property: a node
//! whose comment starts with `maintenance` is taken as under maintenance. A status
//! without the jobs (`job_details=no`, what the API gives anonymous callers) is an error
//! rather than a planning where every node looks free.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::g5k::{Api, G5kError};

/// A node as OAR sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    /// Its fully qualified name (`taurus-1.lyon.grid5000.fr`).
    pub name: String,
    /// OAR's state, lower case: `alive`, `dead`, `absent`, `suspected`, `standby`.
    pub state: String,
    /// Under maintenance (OAR's `maintenance = 'YES'`).
    pub maintenance: bool,
}

impl NodeState {
    /// Whether planning counts it (execo: not `Dead`, not in maintenance).
    pub fn usable(&self) -> bool {
        self.state != "dead" && !self.maintenance
    }
}

/// An active job as planning reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpan {
    /// OAR's job id.
    pub uid: u64,
    /// Its queue (`default`, `besteffort`...).
    pub queue: String,
    /// When it started, else when it is scheduled to (unix time); `None` for a waiting
    /// job OAR has not placed yet (execo skips it).
    pub start: Option<i64>,
    /// Its walltime, in seconds.
    pub walltime: i64,
    /// The nodes it holds or will hold (fully qualified).
    pub nodes: Vec<String>,
    /// The VLANs it holds (their numbers).
    pub vlans: Vec<u32>,
}

/// A site's OAR data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteData {
    /// Its nodes, whatever their state.
    pub nodes: Vec<NodeState>,
    /// Its active jobs.
    pub jobs: Vec<JobSpan>,
}

/// Reads a site's data from the API's `/sites/{site}/status`.
pub async fn status(api: &Api, site: &str) -> Result<SiteData, G5kError> {
    let path = format!("sites/{site}/status");
    let v = api
        .get(&path, &[("disks", "no"), ("subnets", "no")])
        .await?;
    from_status(&v).map_err(|cause| G5kError::new("read", api.url(&path), cause).on(site))
}

/// [`status`], blocking.
pub fn blocking_status(api: &Api, site: &str) -> Result<SiteData, G5kError> {
    crate::kernel::block_on(status(api, site)).unwrap_or_else(|| {
        Err(G5kError::new(
            "read",
            format!("sites/{site}/status"),
            "a blocking call was made on the kernel's thread (from a handler); use the \
             async call",
        ))
    })
}

/// The [`SiteData`] of a `/sites/{site}/status` document.
pub fn from_status(v: &Value) -> Result<SiteData, String> {
    let nodes = v
        .get("nodes")
        .and_then(Value::as_object)
        .ok_or("the answer has no `nodes` object")?;
    let mut data = SiteData::default();
    let mut jobs: BTreeMap<u64, JobSpan> = BTreeMap::new();
    for (name, n) in nodes {
        let state = n
            .get("hard")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("node `{name}` has no `hard` state"))?
            .to_ascii_lowercase();
        let maintenance = n.get("comment").and_then(Value::as_str).is_some_and(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("maintenance")
        });
        if n.get("reservations").is_none() {
            return Err(format!(
                "node `{name}` comes without its jobs (`reservations`): the API gave the \
                 status without job details, as it does to anonymous callers; planning \
                 needs them (give the API credentials)"
            ));
        }
        data.nodes.push(NodeState {
            name: name.clone(),
            state,
            maintenance,
        });
        for r in reservations(n) {
            let uid = job_uid(r).ok_or_else(|| format!("a job of node `{name}` has no `uid`"))?;
            let job = match jobs.entry(uid) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => e.insert(job_of(r, uid)?),
            };
            job.nodes.push(name.clone());
        }
    }
    if let Some(vlans) = v.get("vlans").and_then(Value::as_object) {
        for (id, vl) in vlans {
            let Ok(number) = id.parse::<u32>() else {
                continue;
            };
            for r in reservations(vl) {
                let uid = job_uid(r).ok_or_else(|| format!("a job of VLAN {id} has no `uid`"))?;
                let job = match jobs.entry(uid) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => e.insert(job_of(r, uid)?),
                };
                job.vlans.push(number);
            }
        }
    }
    data.jobs = jobs.into_values().collect();
    Ok(data)
}

fn reservations(v: &Value) -> impl Iterator<Item = &Value> {
    v.get("reservations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn job_uid(r: &Value) -> Option<u64> {
    r.get("uid").and_then(Value::as_u64)
}

/// A job of a `reservations` list; execo's start: `started_at` unless 0, else
/// `scheduled_at`.
fn job_of(r: &Value, uid: u64) -> Result<JobSpan, String> {
    let int = |k: &str| r.get(k).and_then(Value::as_i64);
    let walltime = int("walltime").ok_or_else(|| format!("job {uid} has no `walltime`"))?;
    let start = match int("started_at") {
        Some(s) if s != 0 => Some(s),
        _ => int("scheduled_at"),
    };
    Ok(JobSpan {
        uid,
        queue: r
            .get("queue")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string(),
        start,
        walltime,
        nodes: Vec::new(),
        vlans: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_status_reads_nodes_jobs_and_vlans() {
        let job = |uid: u64, started: i64, sched: i64| {
            json!({"uid": uid, "walltime": 3600, "queue": "default",
                   "started_at": started, "scheduled_at": sched})
        };
        let v = json!({"nodes": {
            "a-1.s.grid5000.fr": {"hard": "alive", "comment": "OK",
                                  "reservations": [job(1, 100, 90), job(2, 0, 5000)]},
            "a-2.s.grid5000.fr": {"hard": "dead", "comment": "", "reservations": [job(1, 100, 90)]},
            "a-3.s.grid5000.fr": {"hard": "alive", "comment": "Maintenance: disk",
                                  "reservations": []},
        }, "vlans": {"4": {"reservations": [job(2, 0, 5000)]}}});
        let d = from_status(&v).unwrap();
        let usable: Vec<bool> = d.nodes.iter().map(NodeState::usable).collect();
        assert_eq!(usable, [true, false, false]);
        assert_eq!(d.jobs.len(), 2);
        assert_eq!(d.jobs[0].start, Some(100));
        assert_eq!(d.jobs[0].nodes, ["a-1.s.grid5000.fr", "a-2.s.grid5000.fr"]);
        assert_eq!(d.jobs[1].start, Some(5000));
        assert_eq!(d.jobs[1].vlans, [4]);
    }

    #[test]
    fn a_status_without_job_details_is_an_error() {
        let v = json!({"nodes": {"a-1.s.grid5000.fr": {"hard": "alive", "soft": "busy"}}});
        let e = from_status(&v).unwrap_err();
        assert!(e.contains("without job details"), "{e}");
    }
}
