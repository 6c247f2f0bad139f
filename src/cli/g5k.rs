//! `execo g5k`: what the Grid'5000 reference API knows, from the shell: sites, clusters
//! and hosts, one a line or folded into a node set, and any attribute of them by its
//! dotted path (`--attr architecture.nb_cores`), so that scripts get node lists and
//! figures without writing a program. The data comes from the reference cache (see
//! `execo::g5k::cache`): one `GET /` when it is current, and it still answers, with a
//! warning, when the API is away.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use execo::g5k::Reference;
use execo::g5k::reference::Queues;
use execo::nodeset::NodeSet;
use serde_json::Value;

/// `execo g5k` subcommands.
#[derive(Subcommand, Debug)]
pub enum G5kCommand {
    /// The sites: `execo g5k sites`.
    Sites(Common),
    /// The clusters, of every site or of SITE: `execo g5k clusters lyon`.
    Clusters(Scoped),
    /// The hosts (fully qualified), of every site, of SITE or of CLUSTER:
    /// `execo g5k hosts taurus --fold`.
    Hosts(Scoped),
    /// The first slot where a walltime fits, and the submissions that take it:
    /// `execo g5k planning lyon --walltime 2:00 --want taurus:4 --gantt p.png`.
    Planning(super::planning::PlanningArgs),
    /// The network graph of sites, clusters or hosts (hosts, switches, routers,
    /// backbone), listed or drawn: `execo g5k topology lyon lille -o topo.svg`.
    Topology(super::topology::TopologyArgs),
    /// Whether a moment is in Grid'5000's usage charter, and the next charter period:
    /// `execo g5k charter '2026-07-14 12:00'`.
    Charter(super::topology::CharterArgs),
}

/// Options of every `execo g5k` subcommand.
#[derive(Args, Debug)]
pub struct Common {
    /// Print this attribute of each, a dotted path into its JSON
    /// (`architecture.nb_cores`, `network_adapters.0.switch`), as `NAME: VALUE`.
    #[arg(long, value_name = "PATH")]
    attr: Option<String>,
    /// Fold the names into one node set (`taurus-[1-12].lyon.grid5000.fr`); with
    /// `--attr`, one node set per distinct value.
    #[arg(short = 'f', long)]
    fold: bool,
}

/// Options of `clusters` and `hosts`.
#[derive(Args, Debug)]
pub struct Scoped {
    /// A site (`lyon`), or for `hosts` a site or a cluster (`taurus`).
    scope: Option<String>,
    /// Only clusters in one of these OAR queues (comma-separated), or `all`
    /// (execo's `queues` argument).
    #[arg(long, default_value = "default", value_name = "QUEUES")]
    queues: String,
    #[command(flatten)]
    common: Common,
}

/// Runs `execo g5k`.
pub fn g5k(command: G5kCommand) -> ExitCode {
    let command = match command {
        G5kCommand::Planning(a) => return super::planning::planning(a),
        G5kCommand::Topology(a) => return super::topology::topology(a),
        G5kCommand::Charter(a) => return super::topology::charter(a),
        c => c,
    };
    match answer(command) {
        Ok(lines) => {
            for l in lines {
                if let Err(e) = outln!("{l}") {
                    return super::stdout_failed("g5k", &e);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("execo g5k: {e}");
            ExitCode::FAILURE
        }
    }
}

fn answer(command: G5kCommand) -> Result<Vec<String>, String> {
    let r = Reference::blocking_global().map_err(|e| e.to_string())?;
    let (names, common, kind) = match command {
        // dispatched by `g5k` above (they need no listing)
        G5kCommand::Topology(_) | G5kCommand::Charter(_) => return Ok(Vec::new()),
        G5kCommand::Sites(common) => (r.sites(), common, Kind::Site),
        G5kCommand::Clusters(s) => {
            let owned = queues(&s.queues);
            let refs: Vec<&str> = owned.iter().flatten().map(String::as_str).collect();
            let q = owned.as_ref().map_or(Queues::All, |_| Queues::Any(&refs));
            let names = match &s.scope {
                None => r.clusters(q),
                Some(site) => r.site_clusters(site, q).map_err(|e| e.to_string())?,
            };
            (names, s.common, Kind::Cluster)
        }
        G5kCommand::Hosts(s) => {
            let owned = queues(&s.queues);
            let refs: Vec<&str> = owned.iter().flatten().map(String::as_str).collect();
            let q = owned.as_ref().map_or(Queues::All, |_| Queues::Any(&refs));
            let names = match &s.scope {
                None => r.hosts(q),
                Some(x) if r.sites().contains(x) => {
                    r.site_hosts(x, q).map_err(|e| e.to_string())?
                }
                Some(x) => match r.cluster_hosts(x) {
                    Ok(h) => h,
                    Err(_) => {
                        return Err(format!(
                            "failed to find `{x}` on {}: no such site or cluster in the \
                             Grid'5000 reference (sites: {}; clusters: {})",
                            r.api_uri,
                            r.sites().join(", "),
                            r.clusters(Queues::All).join(", ")
                        ));
                    }
                },
            };
            (names, s.common, Kind::Host)
        }
        G5kCommand::Planning(_) => return Err("`planning` runs on its own".into()),
    };
    let Some(path) = &common.attr else {
        return Ok(if common.fold {
            vec![fold(names.iter())]
        } else {
            names
        });
    };
    let mut values = Vec::with_capacity(names.len());
    for n in &names {
        let attrs = match kind {
            Kind::Site => r.site_attributes(n),
            Kind::Cluster => r.cluster_attributes(n),
            Kind::Host => r.host_attributes(n),
        }
        .map_err(|e| e.to_string())?;
        values.push(lookup(attrs, path));
    }
    if !names.is_empty() && values.iter().all(Option::is_none) {
        return Err(format!(
            "no attribute `{path}` in any of the {} {}s (reference version {})",
            names.len(),
            kind.name(),
            r.version
        ));
    }
    let shown: Vec<String> = values.iter().map(|v| show(*v)).collect();
    if common.fold {
        let mut groups: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for (n, v) in names.iter().zip(&shown) {
            groups.entry(v).or_default().push(n);
        }
        return Ok(groups
            .into_iter()
            .map(|(v, hosts)| format!("{}: {v}", fold(hosts.into_iter())))
            .collect());
    }
    Ok(names
        .iter()
        .zip(shown)
        .map(|(n, v)| format!("{n}: {v}"))
        .collect())
}

#[derive(Clone, Copy)]
enum Kind {
    Site,
    Cluster,
    Host,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Site => "site",
            Kind::Cluster => "cluster",
            Kind::Host => "host",
        }
    }
}

/// Names folded into a node set, as `execo nodeset -f` folds them (every run of digits
/// a dimension: `taurus-[1-12].lyon.grid5000.fr`).
fn fold<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(String::as_str).collect::<NodeSet>().fold()
}

/// `--queues`: `None` for `all`, else the queues named.
fn queues(arg: &str) -> Option<Vec<String>> {
    if arg.trim() == "all" {
        return None;
    }
    Some(
        arg.split(',')
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty())
            .collect(),
    )
}

/// The value at the dotted `path` (numbers index arrays).
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(v, |v, key| match v {
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            Value::Object(m) => m.get(key),
            _ => None,
        })
}

/// A value as printed: strings bare, the rest as compact JSON, a missing one as `null`.
fn show(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "null".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdns_fold_and_read_back() {
        let names: Vec<String> = [
            "taurus-1.lyon.grid5000.fr",
            "taurus-2.lyon.grid5000.fr",
            "sirius-1.lyon.grid5000.fr",
            "chiclet-3.lille.grid5000.fr",
            "frontend",
        ]
        .map(String::from)
        .to_vec();
        let f = fold(names.iter());
        assert!(f.contains("taurus-[1-2].lyon.grid5000.fr"), "{f}");
        let mut back: Vec<String> = NodeSet::parse(&f)
            .unwrap()
            .iter()
            .map(String::from)
            .collect();
        back.sort();
        let mut names = names;
        names.sort();
        assert_eq!(back, names);
    }

    #[test]
    fn dotted_paths_reach_objects_and_arrays() {
        let v = serde_json::json!({"architecture": {"nb_cores": 12},
            "network_adapters": [{"switch": "force10"}]});
        assert_eq!(show(lookup(&v, "architecture.nb_cores")), "12");
        assert_eq!(show(lookup(&v, "network_adapters.0.switch")), "force10");
        assert_eq!(show(lookup(&v, "architecture.nope")), "null");
    }
}
