//! How many nodes to take where: execo's `distribute_hosts`, from what a slot has free
//! and what is wanted (clusters first, then sites, then the rest of `grid5000` spread
//! one node at a time over the sites, round robin), with elements excluded and an
//! optional ratio. The sites go round in sorted order (execo's follow hash order).

use std::collections::BTreeMap;

use crate::g5k::Reference;
use crate::g5k::reference::Queues;

use super::slots::{KavlanFree, Slot};

/// Nodes wanted per element (`grid5000`, sites, clusters, hosts), and a KaVLAN: what
/// [`get_jobs_specs`](super::get_jobs_specs) turns into submissions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// Element → number of nodes.
    pub nodes: BTreeMap<String, u32>,
    /// A KaVLAN: on one site, or (global) on one of these sites.
    pub kavlan: Option<KavlanFree>,
}

/// execo's `distribute_hosts`: the nodes to take in `slot` for `wanted` (0 meaning all
/// the element has free), without `excluded`, scaled by `ratio` (floored) when given.
/// `kavlan` in `wanted` takes the slot's free KaVLANs.
pub fn distribute_hosts(
    r: &Reference,
    slot: &Slot,
    wanted: &BTreeMap<String, u32>,
    excluded: &[String],
    ratio: Option<f64>,
) -> Resources {
    let mut avail: BTreeMap<String, i64> = slot
        .free
        .iter()
        .map(|(k, v)| (k.clone(), i64::from(*v)))
        .collect();
    let get = |a: &BTreeMap<String, i64>, k: &str| a.get(k).copied().unwrap_or(0);
    let clusters = r.clusters(Queues::All);
    let sites = r.sites();
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for (c, &n) in wanted.iter().filter(|(e, _)| clusters.contains(e)) {
        let nodes = if n > 0 { i64::from(n) } else { get(&avail, c) };
        if let Ok(site) = r.cluster_site(c) {
            *avail.entry(site).or_default() -= nodes;
        }
        out.insert(c.clone(), nodes);
    }
    for e in excluded.iter().filter(|e| clusters.contains(e)) {
        if let Some(&n) = avail.get(e) {
            *avail.entry("grid5000".into()).or_default() -= n;
            if let Ok(site) = r.cluster_site(e) {
                *avail.entry(site).or_default() -= n;
            }
            avail.insert(e.clone(), 0);
        }
    }
    for (s, &n) in wanted
        .iter()
        .filter(|(e, _)| sites.contains(e) && !excluded.contains(e))
    {
        out.insert(s.clone(), if n > 0 { i64::from(n) } else { get(&avail, s) });
    }
    for e in excluded.iter().filter(|e| sites.contains(e)) {
        if let Some(&n) = avail.get(e) {
            *avail.entry("grid5000".into()).or_default() -= n;
            avail.insert(e.clone(), 0);
        }
    }
    if let Some(&n) = wanted.get("grid5000") {
        let target = if n > 0 {
            i64::from(n)
        } else {
            get(&avail, "grid5000")
        };
        let mut ring: Vec<String> = avail
            .keys()
            .filter(|k| sites.contains(k))
            .cloned()
            .collect();
        let mut total = 0;
        let mut i = 0;
        while total < target && !ring.is_empty() {
            let idx = i % ring.len();
            let site = ring[idx].clone();
            if get(&avail, &site) <= 0 {
                // execo starts a new cycle from the first site.
                ring.remove(idx);
                i = 0;
                continue;
            }
            *avail.entry(site.clone()).or_default() -= 1;
            *out.entry(site).or_default() += 1;
            total += 1;
            i = idx + 1;
        }
    }
    let scale = |n: i64| -> u32 {
        let n = match ratio {
            Some(x) => (n as f64 * x).floor() as i64,
            None => n,
        };
        n.clamp(0, i64::from(u32::MAX)) as u32
    };
    Resources {
        nodes: out.into_iter().map(|(k, v)| (k, scale(v))).collect(),
        kavlan: if wanted.contains_key("kavlan") {
            slot.kavlan.clone()
        } else {
            None
        },
    }
}
