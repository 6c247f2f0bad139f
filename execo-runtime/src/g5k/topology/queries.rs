//! What experiments ask of the topology (execo's `g5k_graph` getters): its hosts,
//! clusters and sites, a host's neighbours, an equipment's hosts, a site's router, the
//! backbone, a host's adapters.

use super::G5kGraph;
use super::graph::Kind;
use crate::g5k::G5kError;
use crate::g5k::reference::{Adapter, host_shortname};

impl G5kGraph {
    fn missing(&self, what: &str, name: &str) -> G5kError {
        let known: Vec<&str> = self
            .graph
            .nodes()
            .filter(|(_, d)| match what {
                "host" => d.kind == Kind::Host,
                _ => d.kind != Kind::Host,
            })
            .map(|(n, _)| n)
            .take(20)
            .collect();
        G5kError::new(
            "find",
            name,
            format!(
                "no such {what} in the topology of {} (its {what}s: {})",
                self.sites().join(", "),
                known.join(", ")
            ),
        )
    }

    /// execo's `get_hosts`: the hosts (short names), of `cluster` or of `site` when
    /// given, in the order they were added.
    pub fn hosts(&self, cluster: Option<&str>, site: Option<&str>) -> Vec<String> {
        self.graph
            .nodes()
            .filter(|(_, d)| d.kind == Kind::Host)
            .filter(|(n, _)| {
                let e = self.reference.hosts.get(*n);
                cluster.is_none_or(|c| e.and_then(|e| e.cluster.as_deref()) == Some(c))
                    && site.is_none_or(|s| e.is_some_and(|e| e.site == s))
            })
            .map(|(n, _)| n.to_string())
            .collect()
    }

    /// execo's `get_clusters`: the clusters of the hosts, sorted.
    pub fn clusters(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .hosts(None, None)
            .iter()
            .filter_map(|h| self.reference.hosts.get(h)?.cluster.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// execo's `get_sites`: the sites of the hosts, sorted.
    pub fn sites(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .hosts(None, None)
            .iter()
            .filter_map(|h| Some(self.reference.hosts.get(h)?.site.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// execo's `get_site_router`: the first router whose name holds the site's
    /// (`gw.lyon`), if any.
    pub fn site_router(&self, site: &str) -> Option<String> {
        self.graph
            .nodes()
            .find(|(n, d)| d.kind == Kind::Router && n.contains(site))
            .map(|(n, _)| n.to_string())
    }

    /// execo's `get_backbone`: the backbone (RENATER) nodes.
    pub fn backbone(&self) -> Vec<String> {
        self.graph
            .nodes()
            .filter(|(_, d)| d.kind == Kind::Renater)
            .map(|(n, _)| n.to_string())
            .collect()
    }

    /// execo's `get_host_adapters`: the host's adapters that can carry an experiment's
    /// traffic (Ethernet, mountable, not management, wired to a switch).
    pub fn host_adapters(&self, host: &str) -> Result<Vec<Adapter>, G5kError> {
        Ok(self
            .reference
            .host(host)?
            .network_adapters
            .into_iter()
            .filter(|a| {
                !a.management
                    && a.mountable
                    && a.interface == "Ethernet"
                    && a.switch.as_deref().is_some_and(|s| !s.is_empty())
            })
            .collect())
    }

    /// execo's `get_equip_hosts`: the hosts linked to the equipment (`force10.lyon`, or
    /// its uid when one site has it), directly or through its linecards.
    pub fn equip_hosts(&self, equip: &str) -> Result<Vec<String>, G5kError> {
        let name = self.equip_node(equip)?;
        let uid = name.split('.').next().unwrap_or_default();
        let mut hosts = Vec::new();
        for nb in self.graph.neighbors(&name) {
            let kind = self.graph.node(nb).map(|d| &d.kind);
            if kind == Some(&Kind::Host) {
                hosts.push(nb.clone());
            } else if kind == Some(&Kind::Linecard) && nb.starts_with(&format!("{uid}-lc")) {
                for h in self.graph.neighbors(nb) {
                    if self.graph.node(h).map(|d| &d.kind) == Some(&Kind::Host) {
                        hosts.push(h.clone());
                    }
                }
            }
        }
        Ok(hosts)
    }

    /// The equipment's node name, from `uid.site` or a uid that one site has.
    fn equip_node(&self, equip: &str) -> Result<String, G5kError> {
        let is_equip = |n: &str| {
            self.graph
                .node(n)
                .is_some_and(|d| !matches!(d.kind, Kind::Host | Kind::Linecard))
        };
        if is_equip(equip) {
            return Ok(equip.to_string());
        }
        let found: Vec<String> = self
            .graph
            .nodes()
            .filter(|(n, _)| n.split_once('.').is_some_and(|(u, _)| u == equip) && is_equip(n))
            .map(|(n, _)| n.to_string())
            .collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(self.missing("equipment", equip)),
            many => Err(G5kError::new(
                "find",
                equip,
                format!(
                    "several sites have it ({}): name one as UID.SITE",
                    many.join(", ")
                ),
            )),
        }
    }

    /// execo's `get_host_neighbours`: the other hosts on the switch of the host's first
    /// adapter.
    pub fn host_neighbours(&self, host: &str) -> Result<Vec<String>, G5kError> {
        let short = host_shortname(host);
        if self.graph.node(&short).map(|d| &d.kind) != Some(&Kind::Host) {
            return Err(self.missing("host", host));
        }
        let site = self.reference.host_site(&short)?;
        let Some(switch) = self
            .host_adapters(&short)?
            .into_iter()
            .find_map(|a| a.switch)
        else {
            return Ok(Vec::new());
        };
        Ok(self
            .equip_hosts(&format!("{switch}.{site}"))?
            .into_iter()
            .filter(|h| *h != short)
            .collect())
    }
}
