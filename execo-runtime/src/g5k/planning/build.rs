//! execo's `get_planning` once the data is in: which sites the elements name, the
//! skeleton of clusters and VLANs, the usable nodes and the jobs' busy intervals, then
//! per element the merged, truncated busy list and its free complement, and last the
//! hosts the elements did not ask for taken out. Pure: the data is given, nothing is
//! fetched here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::g5k::reference::Queues;
use crate::g5k::{G5kError, Reference};

use super::intervals::{fill_free, job_span, merge, truncate};
use super::source::SiteData;
use super::{ElementPlanning, Planning, SitePlanning, Span};

/// A host's cluster and site read from its name, as execo reads them
/// (`taurus-1.lyon.grid5000.fr` → `taurus`, `lyon`).
pub(crate) fn name_parts(host: &str) -> (String, Option<String>) {
    let mut labels = host.split('.');
    let short = labels.next().unwrap_or_default();
    let site = labels.next().map(str::to_string);
    let cluster = match short.rsplit_once('-') {
        Some((c, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => c,
        _ => short,
    };
    (cluster.to_string(), site)
}

/// The sites `elements` name (a site, a cluster in `queues`, a host), sorted, and the
/// elements themselves (`grid5000` standing for every site); an element naming none of
/// them is an error listing what exists.
pub(crate) fn sites_of(
    r: &Reference,
    elements: &[String],
    queues: Queues<'_>,
) -> Result<(Vec<String>, Vec<String>), G5kError> {
    let all_sites = r.sites();
    if elements.iter().any(|e| e == "grid5000") {
        return Ok((all_sites.clone(), all_sites));
    }
    let clusters = r.clusters(queues);
    let mut sites = BTreeSet::new();
    let mut unknown = Vec::new();
    for e in elements {
        if all_sites.contains(e) {
            sites.insert(e.clone());
        } else if clusters.contains(e) {
            sites.insert(r.cluster_site(e)?);
        } else if let Ok(site) = r.host_site(e)
            && r.host_cluster(e).is_ok_and(|c| clusters.contains(&c))
        {
            sites.insert(site);
        } else {
            unknown.push(e.as_str());
        }
    }
    if !unknown.is_empty() {
        return Err(G5kError::new(
            "plan",
            unknown.join(", "),
            format!(
                "no such site, cluster (in the queues asked for) or host in the Grid'5000 \
                 reference (sites: {}; clusters: {})",
                all_sites.join(", "),
                clusters.join(", ")
            ),
        )
        .on(&r.api_uri));
    }
    if sites.is_empty() {
        return Err(G5kError::new("plan", "[]", "no element given").on(&r.api_uri));
    }
    Ok((sites.into_iter().collect(), elements.to_vec()))
}

/// The routed KaVLANs of a site (execo's `_get_vlans_API`: the `vlans` of its network
/// equipment, numbers above 3).
pub(crate) fn site_vlans(r: &Reference, site: &str) -> Vec<String> {
    let mut out = Vec::new();
    for uid in r.site_network_equipments(site).unwrap_or_default() {
        let Ok(e) = r.network_equipment_attributes(&format!("{uid}.{site}")) else {
            continue;
        };
        let Some(vlans) = e.get("vlans").and_then(Value::as_object) else {
            continue;
        };
        if vlans.len() <= 2 {
            continue;
        }
        for p in vlans.values() {
            if let Some(name) = p.get("name").and_then(Value::as_str)
                && let Some(n) = name.split('-').nth(1).and_then(|n| n.parse::<u32>().ok())
                && n > 3
            {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The planning of one site from its data: clusters of `queues`, usable nodes, jobs.
pub(crate) fn site_planning(
    r: &Reference,
    site: &str,
    queues: Queues<'_>,
    vlan: bool,
    data: &SiteData,
    ignore_besteffort: bool,
) -> Result<SitePlanning, G5kError> {
    let mut sp = SitePlanning::default();
    for c in r.site_clusters(site, queues)? {
        sp.clusters.insert(c, BTreeMap::new());
    }
    for n in data.nodes.iter().filter(|n| n.usable()) {
        let (cluster, _) = name_parts(&n.name);
        if let Some(hosts) = sp.clusters.get_mut(&cluster) {
            hosts.insert(n.name.clone(), ElementPlanning::default());
        }
    }
    if vlan {
        sp.vlans = Some(
            site_vlans(r, site)
                .into_iter()
                .map(|v| (v, ElementPlanning::default()))
                .collect(),
        );
    }
    for job in &data.jobs {
        if ignore_besteffort && job.queue == "besteffort" {
            continue;
        }
        let Some(start) = job.start else { continue };
        let span = job_span(start, job.walltime);
        for node in &job.nodes {
            let (cluster, _) = name_parts(node);
            if let Some(h) = sp.clusters.get_mut(&cluster).and_then(|c| c.get_mut(node)) {
                h.busy.push(span);
            }
        }
        if let (Some(vlans), Some(&v)) = (sp.vlans.as_mut(), job.vlans.first())
            && v > 3
            && let Some(el) = vlans.get_mut(&format!("kavlan-{v}"))
        {
            el.busy.push(span);
        }
    }
    Ok(sp)
}

/// Sorts, merges and truncates every element's busy list, adds the charter's busy
/// periods, and computes the free lists (the end of execo's `get_planning`).
pub(crate) fn finish(planning: &mut Planning, charter: Option<&[Span]>) {
    let (start, end) = (planning.start, planning.end);
    for sp in planning.sites.values_mut() {
        let els = sp
            .clusters
            .values_mut()
            .flat_map(|c| c.values_mut())
            .chain(sp.vlans.iter_mut().flat_map(|v| v.values_mut()));
        for el in els {
            if let Some(c) = charter {
                el.busy.extend_from_slice(c);
            }
            el.busy.sort_unstable();
            merge(&mut el.busy);
            truncate(&mut el.busy, start, end);
            el.free = fill_free(&el.busy, start, end);
        }
    }
}

/// Keeps only the hosts the elements ask for (by site, cluster, short or long name), and
/// the clusters left with some.
pub(crate) fn clean(r: &Reference, planning: &mut Planning, elements: &[String]) {
    let wanted: BTreeSet<&str> = elements.iter().map(String::as_str).collect();
    for (site, sp) in planning.sites.iter_mut() {
        let site_wanted = wanted.contains(site.as_str());
        for (cluster, hosts) in sp.clusters.iter_mut() {
            if site_wanted || wanted.contains(cluster.as_str()) {
                continue;
            }
            hosts.retain(|h, _| {
                let short = h.split('.').next().unwrap_or_default();
                wanted.contains(h.as_str())
                    || wanted.contains(short)
                    || r.host_longname(h)
                        .is_ok_and(|l| wanted.contains(l.as_str()))
            });
        }
        sp.clusters.retain(|_, hosts| !hosts.is_empty());
    }
}
