//! For the stand-in Grid'5000 API server (`g5k_server`): the views of a site's OAR data
//! that execo's planning reads, derived from the site's `/status` document so that both
//! readers see the same data. g5k-api builds all of them from the same OAR database:
//! - `/sites/{s}/internal/oarapi/resources/details.json` (OAR's REST API, proxied): one
//!   item per node, `network_address`, `type` `default`, `state` (OAR's capitalised
//!   `Alive`, `Dead`...), `maintenance` (`YES` for a node whose comment starts with
//!   `maintenance`, as the planning's status reader takes it);
//! - `/sites/{s}/jobs`: the active jobs, newest first, a collection paged as the real
//!   server pages it (`limit` 50 by default and **at most 500**, `offset`);
//! - `/sites/{s}/jobs/{uid}`: a job with `assigned_nodes` and `resources_by_type`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The view `rel` (the path under `/3.0/`, no slashes around) asks for, from the
/// site's status (`status(site)`); `None` when `rel` is not one of these views or the
/// site has no status, `Err(404)` for an unknown job.
pub fn derive(
    rel: &str,
    query: &str,
    status: impl Fn(&str) -> Option<Value>,
) -> Option<Result<Value, u16>> {
    let parts: Vec<&str> = rel.split('/').collect();
    let (site, rest) = match parts.as_slice() {
        ["sites", site, rest @ ..] => (*site, rest),
        _ => return None,
    };
    let view = match rest {
        ["internal", "oarapi", "resources", "details.json"] => View::Resources,
        ["jobs"] => View::Jobs,
        ["jobs", uid] => View::Job(uid.parse().ok()?),
        _ => return None,
    };
    let st = status(site)?;
    let arg = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|n| n.parse::<usize>().ok())
    };
    let nodes = st["nodes"].as_object().cloned().unwrap_or_default();
    Some(match view {
        View::Resources => {
            let items: Vec<Value> = nodes
                .iter()
                .map(|(name, n)| {
                    let hard = n["hard"].as_str().unwrap_or("alive");
                    let state = match hard {
                        "standby" => "Absent".to_string(),
                        h => {
                            let mut c = h.chars();
                            c.next()
                                .map(|f| f.to_uppercase().chain(c).collect())
                                .unwrap_or_default()
                        }
                    };
                    let maintenance = n["comment"]
                        .as_str()
                        .is_some_and(|c| c.to_ascii_lowercase().starts_with("maintenance"));
                    json!({
                        "network_address": name,
                        "type": "default",
                        "state": state,
                        "maintenance": if maintenance { "YES" } else { "NO" },
                    })
                })
                .collect();
            Ok(json!({"total": items.len(), "offset": 0, "items": items}))
        }
        View::Jobs => {
            let mut jobs: Vec<Value> = jobs(site, &st).into_values().collect();
            jobs.sort_by_key(|j| std::cmp::Reverse(j["uid"].as_u64()));
            let total = jobs.len();
            let offset = arg("offset").unwrap_or(0).min(total);
            let limit = arg("limit").unwrap_or(50).min(500);
            let items: Vec<Value> = jobs[offset..(offset + limit).min(total)]
                .iter()
                .map(|j| {
                    let mut j = j.clone();
                    let o = j.as_object_mut().unwrap();
                    o.remove("assigned_nodes");
                    o.remove("resources_by_type");
                    j
                })
                .collect();
            Ok(json!({"total": total, "offset": offset, "items": items}))
        }
        View::Job(uid) => jobs(site, &st).remove(&uid).ok_or(404),
    })
}

enum View {
    Resources,
    Jobs,
    Job(u64),
}

/// The site's active jobs by uid, each as `GET /sites/{s}/jobs/{uid}` gives it.
fn jobs(site: &str, st: &Value) -> BTreeMap<u64, Value> {
    let mut out: BTreeMap<u64, Value> = BTreeMap::new();
    let mut add = |r: &Value, node: Option<&str>, vlan: Option<&str>| {
        let Some(uid) = r["uid"].as_u64() else { return };
        let j = out.entry(uid).or_insert_with(|| {
            let mut j = r.clone();
            j["events"] = json!([]);
            j["links"] = json!([
                {"rel": "self", "href": format!("/3.0/sites/{site}/jobs/{uid}"),
                 "type": "application/vnd.grid5000.item+json"},
                {"rel": "parent", "href": format!("/3.0/sites/{site}"),
                 "type": "application/vnd.grid5000.item+json"},
            ]);
            j["resources_by_type"] = json!({"cores": []});
            j["assigned_nodes"] = json!([]);
            j
        });
        if let Some(n) = node {
            j["assigned_nodes"].as_array_mut().unwrap().push(n.into());
            j["resources_by_type"]["cores"]
                .as_array_mut()
                .unwrap()
                .push(format!("{n}/0").into());
        }
        if let Some(v) = vlan {
            let rbt = j["resources_by_type"].as_object_mut().unwrap();
            rbt.entry("vlans")
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .unwrap()
                .push(v.into());
        }
    };
    for (name, n) in st["nodes"].as_object().into_iter().flatten() {
        for r in n["reservations"].as_array().into_iter().flatten() {
            add(r, Some(name), None);
        }
    }
    for (id, v) in st["vlans"].as_object().into_iter().flatten() {
        for r in v["reservations"].as_array().into_iter().flatten() {
            add(r, None, Some(id));
        }
    }
    out
}
