//! The graph itself: an undirected multigraph keyed by name, as networkx's `MultiGraph`
//! that execo's `g5k_graph` extends, keeping networkx's orders (nodes and neighbours in
//! the order they were added), since execo's walk depends on them (the first router of a
//! site, the first leaf removed).

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

/// What a graph node stands for (execo's `kind` attribute).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub enum Kind {
    /// A compute node (execo's `node`).
    Host,
    /// A switch (`switch`).
    Switch,
    /// A router (`router`).
    Router,
    /// A linecard of a switch or router that uses several (`linecard`).
    Linecard,
    /// A backbone (RENATER) equipment (`renater`).
    Renater,
    /// A virtual equipment (`virtual`).
    Virtual,
    /// Any other kind the reference names (`hpcswitch`, ...), or none (empty).
    Other(String),
}

impl Kind {
    /// execo's name of the kind.
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Host => "node",
            Kind::Switch => "switch",
            Kind::Router => "router",
            Kind::Linecard => "linecard",
            Kind::Renater => "renater",
            Kind::Virtual => "virtual",
            Kind::Other(s) => s,
        }
    }

    /// The kind named `s` in the reference data or by execo.
    pub fn from_name(s: &str) -> Kind {
        match s {
            "node" => Kind::Host,
            "switch" => Kind::Switch,
            "router" => Kind::Router,
            "linecard" => Kind::Linecard,
            "renater" => Kind::Renater,
            "virtual" => Kind::Virtual,
            other => Kind::Other(other.to_string()),
        }
    }
}

impl From<Kind> for String {
    fn from(k: Kind) -> String {
        k.as_str().to_string()
    }
}

/// A node's attributes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeData {
    /// What it is.
    pub kind: Kind,
    /// Hosts: the flops of one core (`performance.core_flops`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power: Option<f64>,
    /// Hosts: the number of cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cores: Option<u64>,
    /// Equipment and linecards: the backplane's bandwidth in bit/s, when the reference
    /// gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backplane: Option<f64>,
}

impl NodeData {
    /// A node of `kind` with no other attribute.
    pub fn of(kind: Kind) -> NodeData {
        NodeData {
            kind,
            power: None,
            cores: None,
            backplane: None,
        }
    }
}

/// A link between two nodes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edge {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
    /// execo's key: the sorted names joined by `_` (with the host's device for host
    /// links, `taurus-1-eth0_force10.lyon`), unique between two nodes.
    pub key: String,
    /// Bandwidth in bit/s, when known.
    pub bandwidth: Option<f64>,
    /// Latency in seconds (backbone links).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<f64>,
    /// Whether the link is in use (a host's adapter that is mounted).
    pub active: bool,
}

/// An undirected multigraph of named nodes, in insertion order.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    order: Vec<String>,
    nodes: HashMap<String, NodeData>,
    /// Each node's neighbours, in the order the first link to them was added.
    adj: HashMap<String, Vec<String>>,
    edges: Vec<Edge>,
}

impl Graph {
    /// Whether `n` is a node.
    pub fn has_node(&self, n: &str) -> bool {
        self.nodes.contains_key(n)
    }

    /// The node's attributes.
    pub fn node(&self, n: &str) -> Option<&NodeData> {
        self.nodes.get(n)
    }

    /// Adds `n`, or replaces its attributes keeping its place (networkx's `add_node`).
    pub fn add_node(&mut self, n: &str, data: NodeData) {
        if self.nodes.insert(n.to_string(), data).is_none() {
            self.order.push(n.to_string());
            self.adj.insert(n.to_string(), Vec::new());
        }
    }

    /// Removes `n` and its links; nothing when it is not there.
    pub fn remove_node(&mut self, n: &str) {
        if self.nodes.remove(n).is_none() {
            return;
        }
        self.order.retain(|x| x != n);
        for nb in self.adj.remove(n).unwrap_or_default() {
            if let Some(l) = self.adj.get_mut(&nb) {
                l.retain(|x| x != n);
            }
        }
        self.edges.retain(|e| e.a != n && e.b != n);
    }

    /// The nodes with their attributes, in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = (&str, &NodeData)> {
        self.order
            .iter()
            .filter_map(|n| self.nodes.get(n).map(|d| (n.as_str(), d)))
    }

    /// The number of nodes.
    pub fn node_count(&self) -> usize {
        self.order.len()
    }

    /// The links, in insertion order.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The neighbours of `n`, in the order they were linked.
    pub fn neighbors(&self, n: &str) -> &[String] {
        self.adj.get(n).map(Vec::as_slice).unwrap_or_default()
    }

    /// Whether a link `key` joins `a` and `b`.
    pub fn has_edge_key(&self, a: &str, b: &str, key: &str) -> bool {
        self.edges
            .iter()
            .any(|e| e.key == key && ((e.a == a && e.b == b) || (e.a == b && e.b == a)))
    }

    /// Whether any link joins `a` and `b`.
    pub fn has_edge(&self, a: &str, b: &str) -> bool {
        self.adj.get(a).is_some_and(|l| l.iter().any(|x| x == b))
    }

    /// Adds a link, adding its ends with no attributes (kind empty) when missing, as
    /// networkx does.
    pub fn add_edge(&mut self, e: Edge) {
        for n in [&e.a, &e.b] {
            if !self.has_node(n) {
                self.add_node(n, NodeData::of(Kind::Other(String::new())));
            }
        }
        if !self.has_edge(&e.a, &e.b) {
            let (a, b) = (e.a.clone(), e.b.clone());
            self.adj.entry(a.clone()).or_default().push(b.clone());
            if a != b {
                self.adj.entry(b).or_default().push(a);
            }
        }
        self.edges.push(e);
    }

    /// A shortest path from `from` to `to` (both included), by networkx's bidirectional
    /// breadth-first search, so that ties are broken as execo's are; `None` when there is
    /// none.
    pub fn shortest_path(&self, from: &str, to: &str) -> Option<Vec<String>> {
        if !self.has_node(from) || !self.has_node(to) {
            return None;
        }
        if from == to {
            return Some(vec![from.to_string()]);
        }
        let mut pred: HashMap<&str, Option<&str>> = HashMap::from([(from, None)]);
        let mut succ: HashMap<&str, Option<&str>> = HashMap::from([(to, None)]);
        let mut forward: VecDeque<&str> = VecDeque::from([from]);
        let mut reverse: VecDeque<&str> = VecDeque::from([to]);
        let meet = 'search: loop {
            if forward.is_empty() || reverse.is_empty() {
                return None;
            }
            if forward.len() <= reverse.len() {
                let level: Vec<&str> = forward.drain(..).collect();
                for v in level {
                    for w in self.neighbors(v) {
                        let w = w.as_str();
                        if !pred.contains_key(w) {
                            forward.push_back(w);
                            pred.insert(w, Some(v));
                        }
                        if succ.contains_key(w) {
                            break 'search w;
                        }
                    }
                }
            } else {
                let level: Vec<&str> = reverse.drain(..).collect();
                for v in level {
                    for w in self.neighbors(v) {
                        let w = w.as_str();
                        if !succ.contains_key(w) {
                            succ.insert(w, Some(v));
                            reverse.push_back(w);
                        }
                        if pred.contains_key(w) {
                            break 'search w;
                        }
                    }
                }
            }
        };
        let mut path = Vec::new();
        let mut w = Some(meet);
        while let Some(x) = w {
            path.push(x.to_string());
            w = pred.get(x).copied().flatten();
        }
        path.reverse();
        let mut w = succ.get(meet).copied().flatten();
        while let Some(x) = w {
            path.push(x.to_string());
            w = succ.get(x).copied().flatten();
        }
        Some(path)
    }
}

/// execo's `_unique_link_key`: the names sorted, joined by `_`.
pub fn link_key(a: &str, b: &str) -> String {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    format!("{x}_{y}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(a: &str, b: &str) -> Edge {
        Edge {
            a: a.into(),
            b: b.into(),
            key: link_key(a, b),
            bandwidth: None,
            latency: None,
            active: true,
        }
    }

    #[test]
    fn nodes_keep_their_order_and_removal_drops_links() {
        let mut g = Graph::default();
        for n in ["c", "a", "b"] {
            g.add_node(n, NodeData::of(Kind::Switch));
        }
        g.add_edge(edge("a", "b"));
        g.add_edge(edge("b", "c"));
        g.add_node("c", NodeData::of(Kind::Router));
        let names: Vec<&str> = g.nodes().map(|(n, _)| n).collect();
        assert_eq!(names, ["c", "a", "b"]);
        assert_eq!(g.node("c").unwrap().kind, Kind::Router);
        assert_eq!(g.shortest_path("a", "c").unwrap(), ["a", "b", "c"]);
        g.remove_node("b");
        assert!(g.edges().is_empty());
        assert!(g.neighbors("a").is_empty());
        assert_eq!(g.shortest_path("a", "c"), None);
        assert_eq!(link_key("z", "a"), "a_z");
    }
}
