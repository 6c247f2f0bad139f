//! execo's walk of the reference data into the graph: each host, the equipment its
//! mounted adapters reach and, recursively, the switches and routers those reach, each
//! link once; then the backbone between the sites' routers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::graph::{Edge, Graph, Kind, NodeData, link_key};
use super::{ARBITRARY_LATENCY, G5kGraph};
use crate::g5k::reference::{Queues, host_shortname};
use crate::g5k::{G5kError, Reference};

/// A number of the JSON object `v`, `None` when missing or null.
fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn linecards(eq: &Value) -> &[Value] {
    eq.get("linecards")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The ports of a linecard, when it has a `ports` entry.
fn ports(lc: &Value) -> Option<&[Value]> {
    lc.get("ports").and_then(Value::as_array).map(Vec::as_slice)
}

/// execo's `min(port_bw, equip_bw)`, an unknown bandwidth bounding nothing.
fn min_bw(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// execo's `_parse_port_port`: the linecard of a port spec `0:24`, `1/0/3` (digits
/// after any prefix, then `:` or `/` and digits).
fn parse_port_linecard(spec: &str) -> Option<usize> {
    let rest = spec.trim_start_matches(|c: char| !c.is_ascii_digit());
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (lc, after) = rest.split_at(digits);
    let after = after.strip_prefix([':', '/'])?;
    after
        .starts_with(|c: char| c.is_ascii_digit())
        .then_some(())?;
    lc.parse().ok()
}

fn equip_name(uid: &str, site: &str) -> String {
    format!("{uid}.{site}")
}

fn linecard_name(uid: &str, site: &str, lc: usize) -> String {
    format!("{uid}-lc{lc}.{site}")
}

/// A host's adapter as the walk needs it.
pub(super) struct HostAdapter {
    pub(super) device: String,
    pub(super) switch: String,
    pub(super) mounted: bool,
}

/// The reference data, indexed for the walk.
#[derive(Debug)]
pub(super) struct Index {
    /// site → equipment uid → position in the reference's list.
    equipment: HashMap<String, HashMap<String, usize>>,
}

impl Index {
    pub(super) fn new(r: &Reference) -> Index {
        let equipment = r
            .network
            .iter()
            .map(|(site, list)| {
                let by_uid = list
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| text(e, "uid").map(|u| (u.to_string(), i)))
                    .collect();
                (site.clone(), by_uid)
            })
            .collect();
        Index { equipment }
    }
}

impl G5kGraph {
    /// execo's `g5k_graph(elements)`: the topology of the given sites (their hosts in
    /// the default queue), clusters and hosts, with the backbone between them when
    /// they span several sites. An element that is none of these is an error naming it.
    pub fn new<S: AsRef<str>>(
        reference: Arc<Reference>,
        elements: &[S],
    ) -> Result<G5kGraph, G5kError> {
        let mut g = G5kGraph::empty(reference);
        for e in elements {
            g.add_element(e.as_ref())?;
        }
        if g.sites().len() > 1 {
            g.add_backbone();
        }
        Ok(g)
    }

    /// A graph with nothing in it, to add elements to.
    pub fn empty(reference: Arc<Reference>) -> G5kGraph {
        let index = Index::new(&reference);
        G5kGraph {
            graph: Graph::default(),
            api_commit: reference.version.clone(),
            reference,
            index: Arc::new(index),
        }
    }

    /// Adds a site, a cluster or a host, by name.
    pub fn add_element(&mut self, e: &str) -> Result<(), G5kError> {
        let r = self.reference.clone();
        if r.sites().iter().any(|s| s == e) {
            return self.add_site(e);
        }
        if r.clusters(Queues::DEFAULT).iter().any(|c| c == e) {
            return self.add_cluster(e);
        }
        if r.host_site(e).is_ok() {
            return self.add_host(e);
        }
        Err(G5kError::new(
            "find",
            e,
            format!(
                "no such site, cluster or host in the Grid'5000 reference (version {}; \
                 sites: {}; clusters: {})",
                r.version.get(..7).unwrap_or(&r.version),
                r.sites().join(", "),
                r.clusters(Queues::DEFAULT).join(", ")
            ),
        )
        .on(&r.api_uri))
    }

    /// execo's `add_site`: the hosts of the site's clusters in the default queue.
    pub fn add_site(&mut self, site: &str) -> Result<(), G5kError> {
        for h in self.reference.clone().site_hosts(site, Queues::DEFAULT)? {
            self.add_host(&h)?;
        }
        Ok(())
    }

    /// execo's `add_cluster`: the cluster's hosts.
    pub fn add_cluster(&mut self, cluster: &str) -> Result<(), G5kError> {
        for h in self.reference.clone().cluster_hosts(cluster)? {
            self.add_host(&h)?;
        }
        Ok(())
    }

    /// execo's `add_host`: the host (`taurus-1` or its full name), and the equipment its
    /// mounted adapters are wired to, with what that reaches.
    pub fn add_host(&mut self, host: &str) -> Result<(), G5kError> {
        let r = self.reference.clone();
        let node = r.host(host)?;
        let short = host_shortname(host);
        let adapters = self.adapters(&short);
        if adapters.is_empty() {
            tracing::warn!("host {short} has no valid network connection");
        }
        self.graph.add_node(
            &short,
            NodeData {
                kind: Kind::Host,
                power: node.performance.core_flops,
                cores: Some(u64::from(node.architecture.nb_cores)),
                backplane: None,
            },
        );
        for a in adapters.iter().filter(|a| a.mounted) {
            self.add_equip(&a.switch, &node.site);
            self.filter_equip_leaves();
        }
        Ok(())
    }

    /// The adapters of a host (short name) that execo's `get_host_adapters` keeps.
    pub(super) fn adapters(&self, short: &str) -> Vec<HostAdapter> {
        let Some(entry) = self.reference.hosts.get(short) else {
            return Vec::new();
        };
        let flag = |a: &Value, k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
        entry
            .attrs
            .get("network_adapters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|a| {
                !flag(a, "management")
                    && flag(a, "mountable")
                    && text(a, "interface") == Some("Ethernet")
                    && text(a, "switch").is_some_and(|s| !s.is_empty())
            })
            .map(|a| HostAdapter {
                device: text(a, "device").unwrap_or_default().to_string(),
                switch: text(a, "switch").unwrap_or_default().to_string(),
                mounted: flag(a, "mounted"),
            })
            .collect()
    }

    fn equip(&self, site: &str, uid: &str) -> Option<&Value> {
        let i = *self.index.equipment.get(site)?.get(uid)?;
        self.reference.network.get(site)?.get(i)
    }

    fn is_host(&self, uid: &str) -> bool {
        self.reference.hosts.contains_key(uid)
    }

    /// execo's `_equip_uses_multiple_linecards`.
    fn multiple_linecards(&self, site: &str, uid: &str) -> bool {
        self.equip(site, uid).map_or(0, |e| {
            linecards(e).iter().filter(|lc| ports(lc).is_some()).count()
        }) > 1
    }

    /// execo's `_filter_equip_leaves`: switches, routers and virtual equipment left with
    /// no link (or only to their own linecards, themselves leaves) are removed, until
    /// none is.
    fn filter_equip_leaves(&mut self) {
        loop {
            let mut removed = None;
            for (n, d) in self.graph.nodes() {
                if !matches!(d.kind, Kind::Switch | Kind::Router | Kind::Virtual) {
                    continue;
                }
                let nbs = self.graph.neighbors(n);
                if nbs.is_empty() {
                    removed = Some(vec![n.to_string()]);
                    break;
                }
                let own_lc = |nb: &String| {
                    self.graph
                        .node(nb)
                        .is_some_and(|x| x.kind == Kind::Linecard)
                        && nb.starts_with(&format!("{n}-lc"))
                };
                if nbs
                    .iter()
                    .all(|nb| own_lc(nb) && self.graph.neighbors(nb).len() < 2)
                {
                    let mut v: Vec<String> = nbs.iter().filter(|nb| own_lc(nb)).cloned().collect();
                    v.push(n.to_string());
                    removed = Some(v);
                    break;
                }
            }
            match removed {
                Some(v) => {
                    for n in v {
                        tracing::debug!("removing {n}");
                        self.graph.remove_node(&n);
                    }
                }
                None => return,
            }
        }
    }

    fn checked_add_edge(&mut self, a: &str, b: &str, key: String, bw: Option<f64>, active: bool) {
        if !self.graph.has_edge_key(a, b, &key) {
            self.graph.add_edge(Edge {
                a: a.to_string(),
                b: b.to_string(),
                key,
                bandwidth: bw,
                latency: None,
                active,
            });
        }
    }

    /// The linecard node and its link to its equipment (execo's
    /// `_checked_add_linecard` and the edge that always follows it).
    fn add_linecard(
        &mut self,
        equip_name: &str,
        lc_node: &str,
        backplane: Option<f64>,
        bw: Option<f64>,
    ) {
        if !self.graph.has_node(lc_node) {
            self.graph.add_node(
                lc_node,
                NodeData {
                    backplane,
                    ..NodeData::of(Kind::Linecard)
                },
            );
        }
        self.checked_add_edge(equip_name, lc_node, link_key(equip_name, lc_node), bw, true);
    }

    /// execo's `add_equip`: the equipment `equip` of `site`, its links to what is in
    /// the graph already, and, the first time, the switches and routers it reaches.
    fn add_equip(&mut self, equip: &str, site: &str) {
        let index = self.index.clone();
        let reference = self.reference.clone();
        let Some(data) = index
            .equipment
            .get(site)
            .and_then(|m| m.get(equip))
            .and_then(|&i| reference.network.get(site)?.get(i))
        else {
            tracing::warn!("equipment {equip} of {site} is not described in the reference");
            return;
        };
        let name = equip_name(equip, site);
        let equip_bw = num(data, "backplane_bps");
        let recurse = !self.graph.has_node(&name);
        if recurse {
            self.graph.add_node(
                &name,
                NodeData {
                    backplane: equip_bw,
                    ..NodeData::of(Kind::from_name(text(data, "kind").unwrap_or_default()))
                },
            );
        }
        let multiple = self.multiple_linecards(site, equip);
        for (i_lc, lc) in linecards(data).iter().enumerate() {
            let lc_node = linecard_name(equip, site, i_lc);
            let lc_backplane = if lc.get("backplane_bps").is_some() {
                num(lc, "backplane_bps")
            } else {
                equip_bw
            };
            for (i_port, port) in ports(lc).unwrap_or_default().iter().enumerate() {
                let Some(mut uid) = text(port, "uid").map(str::to_string) else {
                    continue;
                };
                let mut kind = text(port, "kind").map(str::to_string);
                if kind.as_deref() == Some("channel") {
                    let chan = data.get("channels").and_then(|c| c.get(&uid));
                    kind = chan.and_then(|c| text(c, "kind")).map(str::to_string);
                    uid = chan
                        .and_then(|c| text(c, "uid"))
                        .unwrap_or_default()
                        .to_string();
                }
                let target_equip = self.equip(site, &uid);
                let is_renater = uid.contains("renater");
                let kind2: Option<String> = if self.is_host(&uid) {
                    Some("node".into())
                } else if let Some(t) = target_equip {
                    text(t, "kind").map(str::to_string)
                } else if is_renater {
                    Some("virtual".into())
                } else {
                    tracing::debug!(
                        "unable to get the kind of {uid} in {site}: not in the reference"
                    );
                    continue;
                };
                match (&kind, &kind2) {
                    (None, _) => kind = kind2.clone(),
                    (Some(k), Some(k2)) if k != k2 => kind = kind2.clone(),
                    _ => {}
                }
                let port_bw = if port.get("rate").is_some() {
                    num(port, "rate")
                } else {
                    num(lc, "rate")
                };
                if kind.as_deref() == Some("virtual")
                    && target_equip.is_none()
                    && self.is_host(&uid)
                {
                    kind = Some("virtual-node".into());
                }
                let target = if self.graph.has_node(&equip_name(&uid, site)) {
                    Some(equip_name(&uid, site))
                } else if self.graph.has_node(&uid) {
                    Some(uid.clone())
                } else {
                    None
                };
                let kind = kind.unwrap_or_default();
                let switch_or_router = kind == "switch" || kind == "router";
                if let Some(target) = target {
                    if kind == "node" || kind == "virtual-node" {
                        for a in self
                            .adapters(&uid)
                            .into_iter()
                            .filter(|a| a.switch == equip)
                        {
                            let host_end = format!("{target}-{}", a.device);
                            if multiple {
                                self.add_linecard(&name, &lc_node, lc_backplane, equip_bw);
                                self.checked_add_edge(
                                    &lc_node,
                                    &target,
                                    link_key(&lc_node, &host_end),
                                    port_bw,
                                    a.mounted,
                                );
                            } else {
                                self.checked_add_edge(
                                    &name,
                                    &target,
                                    link_key(&name, &host_end),
                                    min_bw(port_bw, equip_bw),
                                    a.mounted,
                                );
                            }
                        }
                    } else if switch_or_router && recurse {
                        let from = if multiple {
                            self.add_linecard(&name, &lc_node, lc_backplane, equip_bw);
                            lc_node.clone()
                        } else {
                            name.clone()
                        };
                        let bw = if multiple {
                            port_bw
                        } else {
                            min_bw(port_bw, equip_bw)
                        };
                        match self.target_linecard(equip, i_lc, i_port, site) {
                            Some(t_lc) => {
                                let to = if self.multiple_linecards(site, &uid) {
                                    linecard_name(&uid, site, t_lc)
                                } else {
                                    target.clone()
                                };
                                self.checked_add_edge(&from, &to, link_key(&from, &to), bw, true);
                            }
                            None => tracing::warn!(
                                "unable to find the target linecard of the link between \
                                 {name} ({i_lc}:{i_port}) and {target}; skipping this link"
                            ),
                        }
                    }
                }
                if is_renater {
                    let keep = self.graph.node(&uid).cloned();
                    self.graph.add_node(
                        &uid,
                        NodeData {
                            kind: Kind::Renater,
                            ..keep.unwrap_or_else(|| NodeData::of(Kind::Renater))
                        },
                    );
                    if multiple {
                        self.add_linecard(&name, &lc_node, lc_backplane, equip_bw);
                        self.checked_add_edge(
                            &lc_node,
                            &uid,
                            link_key(&lc_node, &uid),
                            port_bw,
                            true,
                        );
                    } else {
                        self.checked_add_edge(
                            &name,
                            &uid,
                            link_key(&name, &uid),
                            min_bw(port_bw, equip_bw),
                            true,
                        );
                    }
                } else if switch_or_router {
                    if multiple {
                        self.add_linecard(&name, &lc_node, lc_backplane, equip_bw);
                    }
                    if recurse {
                        self.add_equip(&uid, site);
                    }
                }
            }
        }
    }

    /// execo's `_get_target_lc_and_port`: the linecard of `uid` that port
    /// `i_lc:i_port` of `equip` reaches: the port's own `port` spec when it parses
    /// (execo compares it, a string, with the index found, a number, so it always
    /// prefers the spec), else what the peer's description says.
    fn target_linecard(
        &self,
        equip: &str,
        i_lc: usize,
        i_port: usize,
        site: &str,
    ) -> Option<usize> {
        let port = self.port(site, equip, i_lc, i_port)?;
        if let Some(spec) = text(port, "port")
            && let Some(lc) = parse_port_linecard(spec)
        {
            return Some(lc);
        }
        self.target_linecard_from_peer(equip, i_lc, i_port, site)
    }

    fn port(&self, site: &str, equip: &str, i_lc: usize, i_port: usize) -> Option<&Value> {
        ports(linecards(self.equip(site, equip)?).get(i_lc)?)?.get(i_port)
    }

    /// execo's `_get_target_linecard_and_port_from_api`: the ports of the peer that name
    /// `equip` (directly or through a channel); with several, for a channel the one of
    /// the same rank among the channel's ports, else the first. `None` where execo
    /// raises.
    fn target_linecard_from_peer(
        &self,
        equip: &str,
        i_lc: usize,
        i_port: usize,
        site: &str,
    ) -> Option<usize> {
        let data = self.equip(site, equip)?;
        let port = self.port(site, equip, i_lc, i_port)?;
        let is_channel = text(port, "kind") == Some("channel");
        let chan_source = text(port, "uid")?;
        let uid = if is_channel {
            text(data.get("channels")?.get(chan_source)?, "uid")?
        } else {
            chan_source
        };
        let peer = self.equip(site, uid)?;
        let mut possible = Vec::new();
        for (t_lc, lc) in linecards(peer).iter().enumerate() {
            for (t_p, p) in ports(lc).unwrap_or_default().iter().enumerate() {
                let names_equip = if text(p, "kind") == Some("channel") {
                    peer.get("channels")
                        .and_then(|c| c.get(text(p, "uid")?))
                        .and_then(|c| text(c, "uid"))
                        == Some(equip)
                } else {
                    text(p, "uid") == Some(equip)
                };
                if names_equip {
                    possible.push((t_lc, t_p));
                }
            }
        }
        if possible.len() <= 1 || !is_channel {
            return possible.first().map(|t| t.0);
        }
        // a channel with several ports: match them in order, when both sides keep them
        // on one linecard
        let mut lcs_source = HashSet::new();
        let mut rank = None;
        let mut count = 0;
        for (s_lc, lc) in linecards(data).iter().enumerate() {
            for (s_p, p) in ports(lc).unwrap_or_default().iter().enumerate() {
                if text(p, "uid") == Some(chan_source) {
                    lcs_source.insert(s_lc);
                    if (s_lc, s_p) == (i_lc, i_port) {
                        rank = Some(count);
                    }
                    count += 1;
                }
            }
        }
        let lcs_target: HashSet<usize> = possible.iter().map(|t| t.0).collect();
        if lcs_source.len() > 1 || possible.len() != count || lcs_target.len() > 1 {
            tracing::warn!(
                "channel {chan_source} of {equip} ({site}) spans several linecards or does not \
                 match its peer {uid}: its links cannot be told apart"
            );
            return None;
        }
        possible.get(rank?).map(|t| t.0)
    }

    /// execo's `add_backbone`: the backbone equipment and its links, then only what lies
    /// on the shortest paths between the sites' routers.
    pub fn add_backbone(&mut self) {
        let reference = self.reference.clone();
        for equip in &reference.backbone {
            let Some(src) = text(equip, "uid") else {
                continue;
            };
            self.graph.add_node(src, NodeData::of(Kind::Renater));
            for lc in linecards(equip) {
                for port in ports(lc).unwrap_or_default() {
                    let Some(dst) = text(port, "uid").filter(|u| u.contains("renater-")) else {
                        continue;
                    };
                    let bw = if port.get("rate").is_some() {
                        num(port, "rate")
                    } else {
                        num(lc, "rate")
                    };
                    let latency = num(port, "latency").unwrap_or(ARBITRARY_LATENCY);
                    let kind = text(port, "kind").map_or(Kind::Renater, Kind::from_name);
                    self.graph.add_node(dst, NodeData::of(kind));
                    if !self.graph.has_edge(src, dst) {
                        self.graph.add_edge(Edge {
                            a: src.to_string(),
                            b: dst.to_string(),
                            key: link_key(src, dst),
                            bandwidth: bw,
                            latency: Some(latency),
                            active: true,
                        });
                    }
                }
            }
        }
        let sites = self.sites();
        let mut used: HashSet<String> = HashSet::new();
        for s in &sites {
            for d in sites.iter().filter(|d| *d != s) {
                let (Some(a), Some(b)) = (self.site_router(s), self.site_router(d)) else {
                    continue;
                };
                let path = self.graph.shortest_path(&a, &b).unwrap_or_default();
                used.extend(path.into_iter().filter(|n| n.contains("renater")));
            }
        }
        let unused: Vec<String> = self
            .graph
            .nodes()
            .filter(|(n, d)| d.kind == Kind::Renater && !used.contains(*n))
            .map(|(n, _)| n.to_string())
            .collect();
        for n in unused {
            self.graph.remove_node(&n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_specs_give_their_linecard() {
        assert_eq!(parse_port_linecard("0:24"), Some(0));
        assert_eq!(parse_port_linecard("Ethernet1/47"), Some(1));
        assert_eq!(parse_port_linecard("fortyGigE 0/60"), Some(0));
        assert_eq!(parse_port_linecard("24"), None);
        assert_eq!(parse_port_linecard("x:"), None);
        assert_eq!(min_bw(Some(1.0), None), Some(1.0));
        assert_eq!(min_bw(Some(3.0), Some(2.0)), Some(2.0));
    }
}
