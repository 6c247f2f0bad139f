//! When a walltime fits: execo's `compute_slots` (at every moment some element changes
//! state, how many hosts are free for the whole walltime, per cluster, site and
//! Grid'5000, and which KaVLANs), and the three ways of picking one
//! (`find_first_slot`, `find_max_slot`, `find_free_slot`), plus [`first_fit`], the
//! checked pick the command line uses: what it wants must exist, the walltime must fit
//! in the window, and no fitting slot is an error saying so.

use std::collections::{BTreeMap, BTreeSet};

use crate::g5k::{G5kError, Reference};

use super::{ElementPlanning, Planning};

/// The free KaVLANs of a slot: how many (one site planned), or the sites with a free
/// global one (several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KavlanFree {
    /// Local and routed KaVLANs (`kavlan-4` to `kavlan-9`) free.
    Count(u32),
    /// The sites whose global KaVLAN (number above 10) is free.
    Sites(Vec<String>),
}

impl KavlanFree {
    fn any(&self) -> bool {
        match self {
            KavlanFree::Count(n) => *n > 0,
            KavlanFree::Sites(s) => !s.is_empty(),
        }
    }
}

/// A slot: from `start` to `end` (`start` + walltime), the number of free hosts of each
/// element (`grid5000`, sites, clusters, and hosts as 0 or 1 when asked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Its start (unix seconds).
    pub start: i64,
    /// Its end.
    pub end: i64,
    /// Element → free hosts.
    pub free: BTreeMap<String, u32>,
    /// The free KaVLANs, when the planning has VLANs.
    pub kavlan: Option<KavlanFree>,
}

impl Slot {
    /// The free hosts of `element` (0 when it has none or is not in the slot).
    pub fn get(&self, element: &str) -> u32 {
        self.free.get(element).copied().unwrap_or(0)
    }
}

fn free_at(el: &ElementPlanning, t: i64, walltime: i64) -> bool {
    el.free.iter().any(|&(s, e)| s <= t && e >= t + walltime)
}

/// execo's `_slots_limits`: every interval endpoint, sorted, the last one left out.
pub fn limits(p: &Planning) -> Vec<i64> {
    let mut set = BTreeSet::new();
    for sp in p.sites.values() {
        let els = sp
            .clusters
            .values()
            .flat_map(|c| c.values())
            .chain(sp.vlans.iter().flat_map(|v| v.values()));
        for el in els {
            for &(s, e) in el.busy.iter().chain(&el.free) {
                set.insert(s);
                set.insert(e);
            }
        }
    }
    let mut v: Vec<i64> = set.into_iter().collect();
    v.pop();
    v
}

/// execo's `compute_slots`: one slot per limit, `walltime` seconds long, with the free
/// hosts of every element (and of every host, as 0 or 1, with `include_hosts`);
/// `excluded` sites, clusters and hosts are left out.
pub fn compute_slots(
    planning: &Planning,
    walltime: i64,
    excluded: &[String],
    include_hosts: bool,
) -> Vec<Slot> {
    let owned;
    let p = if excluded.is_empty() {
        planning
    } else {
        let mut q = planning.clone();
        q.sites.retain(|s, _| !excluded.contains(s));
        for sp in q.sites.values_mut() {
            sp.clusters.retain(|c, _| !excluded.contains(c));
            for hosts in sp.clusters.values_mut() {
                hosts.retain(|h, _| !excluded.contains(h));
            }
            if let Some(v) = sp.vlans.as_mut() {
                v.retain(|k, _| !excluded.contains(k));
            }
        }
        owned = q;
        &owned
    };
    let with_vlans = p.sites.values().next().is_some_and(|s| s.vlans.is_some());
    let global = with_vlans && p.sites.len() > 1;
    let vlan_number = |name: &str| name.split('-').nth(1).and_then(|n| n.parse::<u32>().ok());
    let mut slots = Vec::new();
    for limit in limits(p) {
        let mut free: BTreeMap<String, u32> = BTreeMap::new();
        let mut total = 0;
        let mut kavlan = None;
        let mut global_sites = Vec::new();
        for (site, sp) in &p.sites {
            let mut site_n = 0;
            for (cluster, hosts) in &sp.clusters {
                let mut n = 0;
                for (host, el) in hosts {
                    let f = free_at(el, limit, walltime);
                    n += u32::from(f);
                    if include_hosts {
                        free.insert(host.clone(), u32::from(f));
                    }
                }
                free.insert(cluster.clone(), n);
                site_n += n;
            }
            free.insert(site.clone(), site_n);
            total += site_n;
            if let Some(vlans) = &sp.vlans {
                if global {
                    for (v, el) in vlans {
                        if vlan_number(v).is_some_and(|n| n > 10) && free_at(el, limit, walltime) {
                            global_sites.push(site.clone());
                        }
                    }
                } else {
                    let n = vlans
                        .iter()
                        .filter(|(v, el)| {
                            vlan_number(v).is_some_and(|n| n < 10) && free_at(el, limit, walltime)
                        })
                        .count();
                    kavlan = Some(KavlanFree::Count(n as u32));
                }
            }
        }
        if global {
            kavlan = Some(KavlanFree::Sites(global_sites));
        }
        free.insert("grid5000".into(), total);
        slots.push(Slot {
            start: limit,
            end: limit + walltime,
            free,
            kavlan,
        });
    }
    slots
}

/// Whether `wanted` asks for a KaVLAN and the slot has none.
fn vlan_missing(slot: &Slot, wanted: &BTreeMap<String, u32>) -> bool {
    wanted.contains_key("kavlan") && !slot.kavlan.as_ref().is_some_and(KavlanFree::any)
}

fn wanted_nodes(slot: &Slot, wanted: &BTreeMap<String, u32>) -> u32 {
    wanted
        .keys()
        .filter(|e| e.as_str() != "kavlan")
        .map(|e| slot.get(e))
        .sum()
}

/// execo's `find_first_slot`: the first slot where the wanted elements have some free
/// host (and a KaVLAN when `kavlan` is wanted).
pub fn find_first_slot<'s>(slots: &'s [Slot], wanted: &BTreeMap<String, u32>) -> Option<&'s Slot> {
    slots
        .iter()
        .find(|s| wanted_nodes(s, wanted) > 0 && !vlan_missing(s, wanted))
}

/// execo's `find_max_slot`: the slot with the most free hosts in the wanted elements
/// (the first of them on a tie).
pub fn find_max_slot<'s>(slots: &'s [Slot], wanted: &BTreeMap<String, u32>) -> Option<&'s Slot> {
    let mut best: Option<(&Slot, u32)> = None;
    for s in slots {
        let n = wanted_nodes(s, wanted);
        if n > best.map_or(0, |b| b.1) && !vlan_missing(s, wanted) {
            best = Some((s, n));
        }
    }
    best.map(|b| b.0)
}

/// execo's `find_free_slot`: the first slot with at least the wanted number of hosts of
/// every wanted element (a site's count adds its wanted clusters').
pub fn find_free_slot<'s>(
    r: &Reference,
    slots: &'s [Slot],
    wanted: &BTreeMap<String, u32>,
) -> Option<&'s Slot> {
    let mut real = wanted.clone();
    let clusters = r.clusters(crate::g5k::reference::Queues::All);
    for (c, n) in wanted {
        if clusters.contains(c)
            && let Ok(site) = r.cluster_site(c)
            && let Some(s) = real.get_mut(&site)
        {
            *s += n;
        }
    }
    slots.iter().find(|s| {
        !vlan_missing(s, wanted)
            && s.free
                .iter()
                .all(|(e, n)| real.get(e).is_none_or(|w| w <= n))
    })
}

/// The first slot of `walltime` seconds with the `wanted` hosts (`find_free_slot`), or
/// with some free host of `elements` when nothing is wanted (`find_first_slot`),
/// checked: every wanted element is `grid5000`, `kavlan`, or a site or cluster of the
/// planning; the walltime fits in the window; and no slot is "no slot before END".
pub fn first_fit(
    r: &Reference,
    planning: &Planning,
    walltime: i64,
    elements: &[String],
    wanted: &BTreeMap<String, u32>,
) -> Result<Slot, G5kError> {
    let all_clusters = r.clusters(crate::g5k::reference::Queues::All);
    for e in wanted.keys() {
        let known = e == "grid5000"
            || e == "kavlan"
            || planning.sites.contains_key(e)
            || planning.sites.values().any(|s| s.clusters.contains_key(e));
        if !known {
            let cause = if r.sites().contains(e) || all_clusters.contains(e) {
                "it is not in the planning (not among the elements planned, or no usable \
                 node)"
                    .to_string()
            } else {
                format!(
                    "no such site or cluster in the Grid'5000 reference (sites: {}; \
                     clusters: {})",
                    r.sites().join(", "),
                    all_clusters.join(", ")
                )
            };
            return Err(G5kError::new("find", e, cause).on(&r.api_uri));
        }
    }
    if walltime <= 0 {
        return Err(G5kError::new(
            "plan",
            format!("walltime {walltime}s"),
            "a walltime must be positive",
        ));
    }
    let window = planning.end - planning.start;
    if walltime > window {
        return Err(G5kError::new(
            "plan",
            format!(
                "walltime {}",
                crate::g5k::oar::format_oar_duration(walltime as u64)
            ),
            format!(
                "it is longer than the planning's window ({} to {}, {})",
                crate::g5k::oar::format_oar_date(planning.start),
                crate::g5k::oar::format_oar_date(planning.end),
                crate::g5k::oar::format_oar_duration(window as u64)
            ),
        ));
    }
    let slots: Vec<Slot> = compute_slots(planning, walltime, &[], false)
        .into_iter()
        .filter(|s| s.end <= planning.end)
        .collect();
    let found = if wanted.is_empty() {
        let ws: BTreeMap<String, u32> = elements.iter().map(|e| (e.clone(), 0)).collect();
        find_first_slot(&slots, &ws)
    } else {
        find_free_slot(r, &slots, wanted)
    };
    found.cloned().ok_or_else(|| {
        let what = if wanted.is_empty() {
            elements.join(",")
        } else {
            wanted
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        G5kError::new(
            "find a slot for",
            format!(
                "{what}, walltime {}",
                crate::g5k::oar::format_oar_duration(walltime as u64)
            ),
            format!(
                "no slot before {}",
                crate::g5k::oar::format_oar_date(planning.end)
            ),
        )
    })
}
