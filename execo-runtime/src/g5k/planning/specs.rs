//! The submissions that take what was planned: execo's `get_jobs_specs` (one OAR
//! submission per site: explicit hosts, clusters, the rest of the site, a KaVLAN), put
//! on a slot ([`on_slot`]: every site's job starts at the slot's start with the same
//! walltime, so they start and end together), and written for the REST API
//! ([`rest_submission`], the body of `POST /sites/{site}/jobs`).
//!
//! Two of execo's resource strings are not valid OAR and are written as OAR reads them:
//! a site's count with exclusions (`{...}/` and `nodes=N` as two requests, here
//! `{...}/nodes=N`) and the KaVLAN (`{type='kavlan'}/vlan=1+`, here without the
//! trailing `+`). Hosts and exclusions are listed sorted (execo's follow set order).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::g5k::oar::{OarDate, OarSubmission, Walltime};
use crate::g5k::reference::Queues;
use crate::g5k::{G5kError, Reference};

use super::distribute::Resources;
use super::slots::{KavlanFree, Slot};

/// execo's `get_jobs_specs`: per site, the submission of `resources` without
/// `excluded`, named `name`. Sites come in the order their first element has in
/// `resources` (sorted).
pub fn get_jobs_specs(
    r: &Reference,
    resources: &Resources,
    excluded: &[String],
    name: Option<&str>,
) -> Vec<(OarSubmission, String)> {
    let all_sites = r.sites();
    let all_clusters = r.clusters(Queues::All);
    let g5k_nodes: BTreeSet<String> = r.hosts(Queues::All).into_iter().collect();
    let mut sites: Vec<String> = Vec::new();
    let push = |s: String, sites: &mut Vec<String>| {
        if !sites.contains(&s) {
            sites.push(s);
        }
    };
    for e in resources.nodes.keys() {
        if excluded.contains(e) {
            continue;
        }
        if all_sites.contains(e) {
            push(e.clone(), &mut sites);
        } else if all_clusters.contains(e) {
            if let Ok(s) = r.cluster_site(e) {
                push(s, &mut sites);
            }
        } else if g5k_nodes.contains(e)
            && let Ok(s) = r.host_site(e)
        {
            push(s, &mut sites);
        }
    }
    let kavlan = resources.kavlan.as_ref().map(|k| {
        if sites.len() > 1 {
            ("kavlan-global", k)
        } else {
            ("kavlan", k)
        }
    });
    let mut vlan_pending = kavlan.is_some();
    let quoted = |set: &BTreeSet<String>| {
        set.iter()
            .map(|h| format!("'{h}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut specs = Vec::new();
    for site in &sites {
        let site_nodes: BTreeSet<String> = r
            .site_hosts(site, Queues::All)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let site_clusters: BTreeSet<String> = r
            .site_clusters(site, Queues::All)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let ex_hosts: BTreeSet<String> = site_nodes
            .iter()
            .filter(|h| excluded.contains(h))
            .cloned()
            .collect();
        let ex_clusters: BTreeSet<String> = site_clusters
            .iter()
            .filter(|c| excluded.contains(c))
            .cloned()
            .collect();
        let mut hosts_c = Vec::new();
        if !ex_hosts.is_empty() {
            hosts_c.push(format!("host NOT IN ({})", quoted(&ex_hosts)));
        }
        let mut clusters_c = Vec::new();
        if !ex_clusters.is_empty() {
            clusters_c.push(format!("cluster NOT IN ({})", quoted(&ex_clusters)));
        }
        let mut rdefs = Vec::new();
        let explicit: BTreeSet<String> = site_nodes
            .iter()
            .filter(|h| resources.nodes.contains_key(*h) && !excluded.contains(h))
            .filter(|h| r.host_cluster(h).is_ok_and(|c| !excluded.contains(&c)))
            .cloned()
            .collect();
        if !explicit.is_empty() {
            rdefs.push(format!(
                "{{host IN ({})}}/nodes={}",
                quoted(&explicit),
                explicit.len()
            ));
        }
        for c in site_clusters
            .iter()
            .filter(|c| resources.nodes.contains_key(*c) && !excluded.contains(c))
        {
            let mut cons = vec![format!("cluster='{c}'")];
            cons.extend(hosts_c.iter().cloned());
            rdefs.push(format!(
                "{{{}}}/nodes={}",
                cons.join(" AND "),
                resources.nodes[c]
            ));
        }
        if let Some(n) = resources.nodes.get(site) {
            let cons: Vec<String> = hosts_c.iter().chain(&clusters_c).cloned().collect();
            if cons.is_empty() {
                rdefs.push(format!("nodes={n}"));
            } else {
                rdefs.push(format!("{{{}}}/nodes={n}", cons.join(" AND ")));
            }
        }
        if vlan_pending && let Some((kind, k)) = kavlan {
            let here = match k {
                KavlanFree::Sites(s) => kind != "kavlan-global" || s.contains(site),
                KavlanFree::Count(_) => true,
            };
            if here {
                rdefs.push(format!("{{type='{kind}'}}/vlan=1"));
                vlan_pending = false;
            }
        }
        if !rdefs.is_empty() {
            let mut sub = OarSubmission {
                resources: rdefs,
                ..Default::default()
            };
            sub.name = name.map(str::to_string);
            specs.push((sub, site.clone()));
        }
    }
    specs
}

/// The submissions put on `slot`: each reserved at its start, with its length as
/// walltime, so that the jobs of every site start together and end together.
pub fn on_slot(specs: Vec<(OarSubmission, String)>, slot: &Slot) -> Vec<(OarSubmission, String)> {
    specs
        .into_iter()
        .map(|(s, site)| {
            (
                s.reservation(OarDate::Unix(slot.start))
                    .walltime(Walltime::Secs((slot.end - slot.start).max(1) as u64)),
                site,
            )
        })
        .collect()
}

/// The body of `POST /sites/{site}/jobs` for `sub` (g5k-api's `resources`, `command`,
/// `types`, `reservation`, `name`, `queue`, `project`, `properties`, `directory`).
pub fn rest_submission(sub: &OarSubmission) -> Result<Value, G5kError> {
    let mut res = sub.resources.join("+");
    if let Some(w) = &sub.walltime {
        res += &format!(
            ",walltime={}",
            crate::g5k::oar::format_oar_duration(w.seconds()?)
        );
    }
    let mut types: Vec<&str> = sub.job_types.iter().map(String::as_str).collect();
    if !types.contains(&"origin=execo") {
        types.push("origin=execo");
    }
    let mut v = json!({
        "resources": res,
        "command": sub.command.as_deref().unwrap_or("sleep 31536000"),
        "types": types,
    });
    if let Some(d) = &sub.reservation {
        v["reservation"] = d.unix()?.into();
    }
    for (k, x) in [
        ("name", &sub.name),
        ("queue", &sub.queue),
        ("project", &sub.project),
        ("properties", &sub.properties),
    ] {
        if let Some(x) = x {
            v[k] = x.clone().into();
        }
    }
    if let Some(d) = &sub.directory {
        v["directory"] = d.display().to_string().into();
    }
    Ok(v)
}
