//! Questions answered from the reference data: execo_g5k's `api_utils` getters (which
//! sites, clusters and hosts there are, where a host is, its attributes, the network
//! equipment it is wired to), with typed structs for what experiments read and raw JSON
//! for the rest.
//!
//! Why a module of its own: the getters only read a [`Reference`] already in memory
//! (loaded once, see [`cache`](super::cache)), so they are plain synchronous functions
//! that never touch the network, and a name that is not in the data is an error naming
//! it, never a panic. Each getter's doc names the execo function it stands for.
//!
//! Host names are accepted in every form execo accepts: short (`taurus-1`), fully
//! qualified (`taurus-1.lyon.grid5000.fr`), and with an interface, kavlan or IPv6 part
//! (`taurus-1-eth1`, `taurus-1-kavlan-4.lyon.grid5000.fr`, `taurus-1-ipv6`).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::G5kError;
use super::cache::{Entry, Reference};

/// Which clusters count, by their OAR queues (execo's `queues` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queues<'a> {
    /// Every cluster (execo's `queues=None`).
    All,
    /// Clusters with at least one of these queues. A cluster that lists no queue is in
    /// `admin`, `default` and `besteffort`, as execo's `filter_clusters` has it.
    Any(&'a [&'a str]),
}

impl Queues<'_> {
    /// The `default` queue, execo's default.
    pub const DEFAULT: Queues<'static> = Queues::Any(&["default"]);
}

/// A node's processors, as the reference describes them (`architecture`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Architecture {
    /// Cores of the node, all processors together.
    pub nb_cores: u32,
    /// Processors (sockets).
    pub nb_procs: u32,
    /// Hardware threads.
    pub nb_threads: u32,
    /// `x86_64`, `ppc64le`, `aarch64`...
    pub platform_type: String,
}

/// A node's measured performance (`performance`), in flop/s.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Performance {
    /// One core's flop/s.
    pub core_flops: Option<f64>,
    /// The whole node's flop/s (what execo's `get_fastest_host` compares).
    pub node_flops: Option<f64>,
}

/// One network adapter of a node (`network_adapters[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Adapter {
    /// `eth0`, `ib0`, `bmc`.
    pub device: String,
    /// The name the system gives it (`enp68s0f0`), when known.
    pub name: Option<String>,
    /// `Ethernet`, `InfiniBand`, `Omni-Path`...
    pub interface: String,
    /// Whether it is the management (BMC) adapter.
    pub management: bool,
    /// Whether it can be configured by users.
    pub mountable: bool,
    /// Whether it is configured on the standard environment.
    pub mounted: bool,
    /// Whether it is cabled and up.
    pub enabled: bool,
    /// Whether kavlan can move it to a VLAN.
    pub kavlan: bool,
    /// The equipment it is wired to, when it is.
    pub switch: Option<String>,
    /// The port of that equipment.
    pub switch_port: Option<String>,
    /// Bits per second, when known.
    pub rate: Option<f64>,
    /// Its DNS name (`taurus-1-eth1.lyon.grid5000.fr`), when it has one.
    pub network_address: Option<String>,
    /// Its IPv4 address, when it has one.
    pub ip: Option<String>,
}

/// A node, with what experiments read typed (the rest is in
/// [`Reference::host_attributes`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Node {
    /// `taurus-1`.
    pub uid: String,
    /// Its site, `lyon`.
    #[serde(skip_deserializing)]
    pub site: String,
    /// Its cluster, `taurus`.
    #[serde(skip_deserializing)]
    pub cluster: String,
    /// Processors and cores.
    pub architecture: Architecture,
    /// Flop/s.
    pub performance: Performance,
    /// Network adapters, in the reference's order.
    pub network_adapters: Vec<Adapter>,
    /// Whether the node is exotic (reserved only with `-t exotic`).
    pub exotic: bool,
    /// OAR job types the node accepts, as the reference has them.
    pub supported_job_types: Value,
}

impl Node {
    /// Cores of the node (`architecture.nb_cores`).
    pub fn cores(&self) -> u32 {
        self.architecture.nb_cores
    }

    /// The node's flop/s (`performance.node_flops`), when measured.
    pub fn flops(&self) -> Option<f64> {
        self.performance.node_flops
    }

    /// The fully qualified name, `taurus-1.lyon.grid5000.fr`.
    pub fn fqdn(&self) -> String {
        format!("{}.{}.grid5000.fr", self.uid, self.site)
    }
}

/// A cluster, with what experiments read typed (the rest is in
/// [`Reference::cluster_attributes`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cluster {
    /// `taurus`.
    pub uid: String,
    /// Its site, `lyon`.
    #[serde(skip_deserializing)]
    pub site: String,
    /// Its OAR queues; `["admin", "default"]` when the reference lists none (what the API
    /// server assumes).
    pub queues: Vec<String>,
    /// Whether the cluster is exotic (reserved only with `-t exotic`).
    pub exotic: bool,
    /// How many nodes it has, as the reference says.
    pub nodes_count: Option<u32>,
    /// The hardware model.
    pub model: Option<String>,
}

/// One port of a linecard.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Port {
    /// What is plugged in: a node (`taurus-1`), another equipment, or nothing.
    pub uid: Option<String>,
    /// The plugged thing's own port (`eth0`).
    pub port: Option<String>,
    /// `node`, `switch`, `router`, `backbone`, `other`...
    pub kind: Option<String>,
    /// Bits per second; the linecard's when unset.
    pub rate: Option<f64>,
    /// Seconds, when known.
    pub latency: Option<f64>,
}

/// One linecard of a network equipment. `{}` (linecard 0 often is) is a linecard with
/// nothing known.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Linecard {
    /// What its ports connect to.
    pub kind: Option<String>,
    /// Bits per second of its ports; often null.
    pub rate: Option<f64>,
    /// Ports, by index; empty objects are free ports.
    pub ports: Vec<Port>,
}

/// A network equipment (switch, router), typed for topology walks: `backplane_bps` and
/// rates may be missing or null in the real data, and are then `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Equipment {
    /// `force10`, `gw`, `renater-lyon`.
    pub uid: String,
    /// Its site, or `None` for the backbone.
    #[serde(skip_deserializing)]
    pub site: Option<String>,
    /// `router`, `switch`, `hpcswitch`, `virtual`.
    pub kind: Option<String>,
    /// Backplane bandwidth in bits per second, when known.
    pub backplane_bps: Option<f64>,
    /// Linecards, by index.
    pub linecards: Vec<Linecard>,
}

/// execo's `canonical_host_name`: the host's name without interface, kavlan or IPv6
/// part (`taurus-1-eth1.lyon.grid5000.fr` → `taurus-1.lyon.grid5000.fr`,
/// `taurus-1-kavlan-4` → `taurus-1`). Other names come back as given.
pub fn canonical_host_name(host: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"^([A-Za-z][A-Za-z0-9]*-[0-9]+)(?:-(?:eth|ib|myri|bmc|kavlan-)[0-9]*|-ipv6)*(\..*)?$",
        )
        .expect("the canonical host name pattern is valid")
    });
    match re.captures(host) {
        Some(c) => format!("{}{}", &c[1], c.get(2).map_or("", |m| m.as_str())),
        None => host.to_string(),
    }
}

/// execo's `get_host_shortname`: the canonical name up to its first dot
/// (`taurus-1-eth1.lyon.grid5000.fr` → `taurus-1`).
pub fn host_shortname(host: &str) -> String {
    let c = canonical_host_name(host);
    c.split('.').next().unwrap_or_default().to_string()
}

/// execo's `get_kavlan_host_name`: the name of `host` in kavlan `vlan`
/// (`taurus-1.lyon.grid5000.fr`, 4 → `taurus-1-kavlan-4.lyon.grid5000.fr`).
pub fn kavlan_host_name(host: &str, vlan: u32) -> String {
    match host.split_once('.') {
        Some((short, rest)) => format!("{short}-kavlan-{vlan}.{rest}"),
        None => format!("{host}-kavlan-{vlan}"),
    }
}

impl Reference {
    fn unknown(&self, what: &str, name: &str, known: &[&String]) -> G5kError {
        let mut list: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
        list.truncate(20);
        let more = if known.len() > list.len() {
            ", ..."
        } else {
            ""
        };
        G5kError::new(
            "find",
            name,
            format!(
                "no such {what} in the Grid'5000 reference (version {}; {what}s: {}{more})",
                short_version(&self.version),
                list.join(", ")
            ),
        )
        .on(&self.api_uri)
    }

    fn site_entry(&self, site: &str) -> Result<&Value, G5kError> {
        self.sites
            .get(site)
            .ok_or_else(|| self.unknown("site", site, &self.sites.keys().collect::<Vec<_>>()))
    }

    fn cluster_entry(&self, cluster: &str) -> Result<&Entry, G5kError> {
        self.clusters.get(cluster).ok_or_else(|| {
            self.unknown(
                "cluster",
                cluster,
                &self.clusters.keys().collect::<Vec<_>>(),
            )
        })
    }

    fn host_entry(&self, host: &str) -> Result<(&String, &Entry), G5kError> {
        // Most names are plain (`taurus-1`, `taurus-1.lyon.grid5000.fr`): no pattern
        // for those.
        let plain = host.split('.').next().unwrap_or_default();
        if let Some(found) = self.hosts.get_key_value(plain) {
            return Ok(found);
        }
        let short = host_shortname(host);
        self.hosts.get_key_value(&short).ok_or_else(|| {
            let clusters: Vec<&String> = self.clusters.keys().collect();
            G5kError::new(
                "find",
                host,
                format!(
                    "no such host in the Grid'5000 reference (version {}; its clusters: {})",
                    short_version(&self.version),
                    clusters
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .on(&self.api_uri)
        })
    }

    fn queues_of(&self, cluster: &str) -> Vec<String> {
        let q: Vec<String> = self
            .clusters
            .get(cluster)
            .and_then(|e| e.attrs.get("queues"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|q| q.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if q.is_empty() {
            ["admin", "default", "besteffort"]
                .map(String::from)
                .to_vec()
        } else {
            q
        }
    }

    /// execo's `filter_clusters`: the clusters of `clusters` in `queues`, in order.
    pub fn filter_clusters<'c>(
        &self,
        clusters: &'c [String],
        queues: Queues<'_>,
    ) -> Vec<&'c String> {
        clusters
            .iter()
            .filter(|c| match queues {
                Queues::All => true,
                Queues::Any(wanted) => {
                    let have = self.queues_of(c);
                    wanted.iter().any(|w| have.iter().any(|h| h == w))
                }
            })
            .collect()
    }

    /// execo's `get_g5k_sites`: every site, sorted.
    pub fn sites(&self) -> Vec<String> {
        self.sites.keys().cloned().collect()
    }

    /// execo's `get_site_clusters`: the clusters of `site` in `queues`, sorted.
    pub fn site_clusters(&self, site: &str, queues: Queues<'_>) -> Result<Vec<String>, G5kError> {
        self.site_entry(site)?;
        let all: Vec<String> = self
            .clusters
            .iter()
            .filter(|(_, e)| e.site == site)
            .map(|(c, _)| c.clone())
            .collect();
        Ok(self
            .filter_clusters(&all, queues)
            .into_iter()
            .cloned()
            .collect())
    }

    /// execo's `get_g5k_clusters`: the clusters in `queues`, site by site (sites sorted,
    /// then clusters sorted).
    pub fn clusters(&self, queues: Queues<'_>) -> Vec<String> {
        self.sites
            .keys()
            .flat_map(|s| self.site_clusters(s, queues).unwrap_or_default())
            .collect()
    }

    /// execo's `get_cluster_hosts`: the fully qualified names of the cluster's nodes, in
    /// node number order (`taurus-2` before `taurus-10`).
    pub fn cluster_hosts(&self, cluster: &str) -> Result<Vec<String>, G5kError> {
        let e = self.cluster_entry(cluster)?;
        let mut hosts: Vec<&String> = self
            .hosts
            .iter()
            .filter(|(_, h)| h.cluster.as_deref() == Some(cluster))
            .map(|(n, _)| n)
            .collect();
        hosts.sort_by_key(|n| natural_key(n));
        Ok(hosts
            .into_iter()
            .map(|n| format!("{n}.{}.grid5000.fr", e.site))
            .collect())
    }

    /// execo's `get_site_hosts`: the nodes of the site's clusters in `queues`.
    pub fn site_hosts(&self, site: &str, queues: Queues<'_>) -> Result<Vec<String>, G5kError> {
        let mut out = Vec::new();
        for c in self.site_clusters(site, queues)? {
            out.extend(self.cluster_hosts(&c)?);
        }
        Ok(out)
    }

    /// execo's `get_g5k_hosts`: every node of the clusters in `queues`.
    pub fn hosts(&self, queues: Queues<'_>) -> Vec<String> {
        self.clusters(queues)
            .iter()
            .flat_map(|c| self.cluster_hosts(c).unwrap_or_default())
            .collect()
    }

    /// execo's `get_cluster_site`.
    pub fn cluster_site(&self, cluster: &str) -> Result<String, G5kError> {
        Ok(self.cluster_entry(cluster)?.site.clone())
    }

    /// execo's `get_host_site`.
    pub fn host_site(&self, host: &str) -> Result<String, G5kError> {
        Ok(self.host_entry(host)?.1.site.clone())
    }

    /// execo's `get_host_cluster`.
    pub fn host_cluster(&self, host: &str) -> Result<String, G5kError> {
        Ok(self.host_entry(host)?.1.cluster.clone().unwrap_or_default())
    }

    /// execo's `get_host_longname`: `taurus-1` → `taurus-1.lyon.grid5000.fr`.
    pub fn host_longname(&self, host: &str) -> Result<String, G5kError> {
        let (n, e) = self.host_entry(host)?;
        Ok(format!("{n}.{}.grid5000.fr", e.site))
    }

    /// execo's `get_host_attributes`: the node's attributes as the API gives them
    /// (without `links`).
    pub fn host_attributes(&self, host: &str) -> Result<&Value, G5kError> {
        Ok(&self.host_entry(host)?.1.attrs)
    }

    /// execo's `get_cluster_attributes`.
    pub fn cluster_attributes(&self, cluster: &str) -> Result<&Value, G5kError> {
        Ok(&self.cluster_entry(cluster)?.attrs)
    }

    /// execo's `get_site_attributes`.
    pub fn site_attributes(&self, site: &str) -> Result<&Value, G5kError> {
        self.site_entry(site)
    }

    /// The node, typed.
    pub fn host(&self, host: &str) -> Result<Node, G5kError> {
        let (n, e) = self.host_entry(host)?;
        let mut node: Node = typed(&e.attrs, n, &self.api_uri)?;
        node.site = e.site.clone();
        node.cluster = e.cluster.clone().unwrap_or_default();
        Ok(node)
    }

    /// The cluster, typed (execo's `get_cluster_queues` is its `queues`).
    pub fn cluster(&self, cluster: &str) -> Result<Cluster, G5kError> {
        let e = self.cluster_entry(cluster)?;
        let mut c: Cluster = typed(&e.attrs, cluster, &self.api_uri)?;
        c.site = e.site.clone();
        if c.queues.is_empty() {
            c.queues = vec!["admin".into(), "default".into()];
        }
        Ok(c)
    }

    /// execo's `get_fastest_host`: the host of `hosts` with the most flop/s
    /// (`performance.node_flops`); the first of equals. An unknown host is an error; a
    /// host without the figure counts as the slowest.
    pub fn fastest_host<'h>(&self, hosts: &'h [String]) -> Result<&'h String, G5kError> {
        let mut best: Option<(&String, f64)> = None;
        for h in hosts {
            let f = self
                .host_attributes(h)?
                .pointer("/performance/node_flops")
                .and_then(Value::as_f64)
                .unwrap_or(f64::NEG_INFINITY);
            if best.is_none_or(|(_, b)| f > b) {
                best = Some((h, f));
            }
        }
        best.map(|b| b.0)
            .ok_or_else(|| G5kError::new("choose", "the fastest host", "no host given"))
    }

    /// A network equipment by `uid`, or `uid.site` (also `uid.site.grid5000.fr`) when
    /// several sites have one of that name (`gw`, `sw-1`): a bare name found on several
    /// sites is an error naming them.
    fn equipment_entry(&self, name: &str) -> Result<(Option<&String>, &Value), G5kError> {
        let bare = name.strip_suffix(".grid5000.fr").unwrap_or(name);
        let (uid, site) = match bare.rsplit_once('.') {
            Some((u, s)) if self.sites.contains_key(s) => (u, Some(s)),
            _ => (bare, None),
        };
        let by_uid = |v: &&Value| v.get("uid").and_then(Value::as_str) == Some(uid);
        let mut found: Vec<(Option<&String>, &Value)> = self
            .network
            .iter()
            .filter(|(s, _)| site.is_none_or(|w| w == s.as_str()))
            .filter_map(|(s, list)| list.iter().find(by_uid).map(|v| (Some(s), v)))
            .collect();
        if site.is_none()
            && let Some(v) = self.backbone.iter().find(by_uid)
        {
            found.push((None, v));
        }
        match found.len() {
            1 => return Ok(found[0]),
            0 => {}
            _ => {
                let sites: Vec<&str> = found
                    .iter()
                    .map(|(s, _)| s.map_or("the backbone", |s| s.as_str()))
                    .collect();
                return Err(G5kError::new(
                    "find",
                    name,
                    format!(
                        "several network equipments have that name, in {}: name one as \
                         `{uid}.SITE`",
                        sites.join(", ")
                    ),
                )
                .on(&self.api_uri));
            }
        }
        let all: Vec<String> = self
            .network
            .values()
            .flatten()
            .chain(&self.backbone)
            .filter_map(|v| v.get("uid").and_then(Value::as_str).map(str::to_string))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Err(self.unknown("network equipment", name, &all.iter().collect::<Vec<_>>()))
    }

    /// execo's `get_network_equipment_attributes`: a site's or the backbone's equipment,
    /// by `uid` or, when several sites have one of that name, `uid.site`.
    pub fn network_equipment_attributes(&self, uid: &str) -> Result<&Value, G5kError> {
        Ok(self.equipment_entry(uid)?.1)
    }

    /// The equipment, typed (missing or null `backplane_bps` and rates are `None`).
    pub fn network_equipment(&self, uid: &str) -> Result<Equipment, G5kError> {
        let (site, v) = self.equipment_entry(uid)?;
        let mut e: Equipment = typed(v, uid, &self.api_uri)?;
        e.site = site.cloned();
        Ok(e)
    }

    /// execo's `get_network_equipment_site`: `None` for the backbone.
    pub fn network_equipment_site(&self, uid: &str) -> Result<Option<String>, G5kError> {
        Ok(self.equipment_entry(uid)?.0.cloned())
    }

    /// execo's `get_site_network_equipments`: the uids of the site's equipment, sorted.
    pub fn site_network_equipments(&self, site: &str) -> Result<Vec<String>, G5kError> {
        self.site_entry(site)?;
        let mut v: Vec<String> = self
            .network
            .get(site)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("uid").and_then(Value::as_str).map(str::to_string))
            .collect();
        v.sort();
        Ok(v)
    }

    /// The backbone's equipment (`/network_equipments`), sorted.
    pub fn backbone_network_equipments(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .backbone
            .iter()
            .filter_map(|e| e.get("uid").and_then(Value::as_str).map(str::to_string))
            .collect();
        v.sort();
        v
    }

    /// execo's `get_host_network_equipments`: the equipment the host's adapters are
    /// wired to, sorted.
    pub fn host_network_equipments(&self, host: &str) -> Result<Vec<String>, G5kError> {
        let attrs = self.host_attributes(host)?;
        let set: BTreeSet<String> = attrs
            .get("network_adapters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("switch").and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Ok(set.into_iter().collect())
    }

    /// execo's `get_cluster_network_equipments`: the equipment its nodes are wired to.
    pub fn cluster_network_equipments(&self, cluster: &str) -> Result<Vec<String>, G5kError> {
        let mut set = BTreeSet::new();
        for h in self.cluster_hosts(cluster)? {
            set.extend(self.host_network_equipments(&h)?);
        }
        Ok(set.into_iter().collect())
    }
}

/// `attrs` as `T`, or an error naming the thing.
fn typed<T: serde::de::DeserializeOwned>(
    attrs: &Value,
    name: &str,
    api: &str,
) -> Result<T, G5kError> {
    T::deserialize(attrs).map_err(|e| {
        G5kError::new("read", name, format!("unexpected reference data: {e}"))
            .on(api)
            .source(e)
    })
}

fn short_version(v: &str) -> &str {
    v.get(..7).unwrap_or(v)
}

/// Sorts `taurus-2` before `taurus-10`.
fn natural_key(name: &str) -> (String, u64) {
    match name.rsplit_once('-') {
        Some((p, n)) if n.chars().all(|c| c.is_ascii_digit()) => {
            (p.to_string(), n.parse().unwrap_or(u64::MAX))
        }
        _ => (name.to_string(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_drop_interface_kavlan_and_ipv6_parts() {
        for (given, want) in [
            ("taurus-1", "taurus-1"),
            ("taurus-1.lyon.grid5000.fr", "taurus-1.lyon.grid5000.fr"),
            (
                "taurus-1-eth1.lyon.grid5000.fr",
                "taurus-1.lyon.grid5000.fr",
            ),
            (
                "taurus-1-kavlan-4.lyon.grid5000.fr",
                "taurus-1.lyon.grid5000.fr",
            ),
            ("taurus-1-eth1-kavlan-4", "taurus-1"),
            (
                "taurus-1-ipv6.lyon.grid5000.fr",
                "taurus-1.lyon.grid5000.fr",
            ),
            ("taurus-1-ib0", "taurus-1"),
            ("frontend", "frontend"),
        ] {
            assert_eq!(canonical_host_name(given), want, "{given}");
        }
        assert_eq!(host_shortname("taurus-1-eth1.lyon.grid5000.fr"), "taurus-1");
    }

    #[test]
    fn kavlan_names() {
        assert_eq!(
            kavlan_host_name("taurus-1.lyon.grid5000.fr", 4),
            "taurus-1-kavlan-4.lyon.grid5000.fr"
        );
        assert_eq!(kavlan_host_name("taurus-1", 12), "taurus-1-kavlan-12");
    }

    #[test]
    fn equipment_accepts_missing_and_null_rates() {
        let e: Equipment = serde_json::from_value(serde_json::json!({
            "uid": "sneowise", "kind": "switch", "backplane_bps": null,
            "linecards": [{}, {"rate": null, "ports": [{}, {"uid": "x", "rate": 1e10}]}]
        }))
        .unwrap();
        assert_eq!(e.backplane_bps, None);
        assert_eq!(e.linecards[1].ports[1].rate, Some(1e10));
    }
}
