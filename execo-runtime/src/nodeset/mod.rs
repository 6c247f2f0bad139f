//! Node sets: the compact way cluster users name many hosts, like `node-[1-100,200]`.
//!
//! On a cluster, hosts are numbered, and people do not type a hundred host names: they
//! write `node-[1-100]`, as ClusterShell (`nodeset`, `clush`), pdsh, Slurm and OAR print
//! and accept them. A [`NodeSet`] reads that syntax ([`NodeSet::parse`]), holds the
//! expanded host names in order and without duplicates, and prints them back in the
//! folded form ([`NodeSet::fold`], also its `Display`). It iterates over plain host names,
//! so it can stand wherever a list of hosts is expected.
//!
//! Reading and folding follow ClusterShell's `nodeset` (1.9), the tool cluster users
//! type daily, so that both give the same hosts and the same folded text; the
//! integration test `nodeset_cli` checks this side by side on ClusterShell's own test
//! patterns, and the README lists where we differ on purpose.
//!
//! # Syntax
//!
//! - Operands are joined by operators, applied left to right: `,` (union), `!`
//!   (difference), `&` (intersection), `^` (symmetric difference):
//!   `node-[1-10]!node-5`. Whitespace around operands is allowed; a comma inside
//!   brackets belongs to the range list.
//! - A bracket group holds a comma-separated list of numbers and ranges `low-high`, with
//!   an optional step `low-high/step`: `node-[1-10/2,20]`.
//! - Zero padding comes from a bound with leading zeros, and then both bounds have the
//!   same width: `h[08-10]` is `h08 h09 h10`, `h[8-10]` is `h8 h9 h10`, `h[01-3]` is an
//!   error. `h01` and `h1` are two different names.
//! - Several groups in one operand give their cartesian product, leftmost group
//!   slowest: `rack[1-2]-node[1-3]` is `rack1-node1 rack1-node2 … rack2-node3`.
//! - Digits next to a group belong to it: `n2[1-3]` is `n[21-23]`, `n[1-3]0` is
//!   `n10 n20 n30`; two groups need something else than digits between them.
//! - Anything else is part of a name: `frontend.site` and `user@host:22` pass through
//!   unchanged, except what ssh would read as an option: a name (or the user or address
//!   of `user@address`) cannot start with `-`, and whitespace and control characters
//!   are refused (see [`host`](crate::host): host names are data, never options).
//!
//! Errors say what is wrong and where, as a byte offset and a caret under the input. An
//! expression never expands to more than [`MAX_HOSTS`] names, so a typo such as
//! `node-[1-999999999]` is an error, not an exhausted memory.
//!
//! # Folding
//!
//! As ClusterShell folds: every run of digits in a name is a dimension (so
//! `taurus-[1-12].lyon.grid5000.fr` folds, its `5000` being the same for all), names
//! with the same text around their digits are folded together in all their dimensions
//! (`a[0-1]b[2-3]`), and the patterns come sorted by that text.
//!
//! # Examples
//!
//! ```
//! use execo_runtime::nodeset::NodeSet;
//!
//! let set = NodeSet::parse("node-[1-3,5], frontend.site, h[08-10]").unwrap();
//! let hosts: Vec<&str> = set.iter().collect();
//! assert_eq!(
//!     hosts,
//!     ["node-1", "node-2", "node-3", "node-5", "frontend.site", "h08", "h09", "h10"]
//! );
//! assert_eq!(set.to_string(), "frontend.site,h[08-10],node-[1-3,5]");
//!
//! let rest = NodeSet::parse("node-[1-10]!node-[4-6]").unwrap();
//! assert_eq!(rest.fold(), "node-[1-3,7-10]");
//!
//! let grid = NodeSet::parse("a0b2,a0b3,a1b2,a1b3").unwrap();
//! assert_eq!(grid.fold(), "a[0-1]b[2-3]");
//!
//! let err = NodeSet::parse("node-[1-3").unwrap_err();
//! assert_eq!(err.position(), 5);
//! assert_eq!(err.to_string(), "unclosed `[` at byte 5\n  node-[1-3\n       ^");
//! ```
//!
//! # Limits
//!
//! Names are arbitrary strings, but only those without whitespace, control characters,
//! `[`, `]`, `,`, `!`, `&`, `^`, a leading `-` (nor a `-` after the last `@`) can be
//! written in the syntax, so only sets of such names survive a round trip through
//! [`NodeSet::fold`] and [`NodeSet::parse`]. An IPv6 address in brackets (`[::1]`) is
//! not node-set syntax. Indexes are at most 64-bit numbers and never negative, steps
//! are read but never written.
//!
//! # Layout
//!
//! The set itself lives here; reading the syntax (`parse`), writing it (`fold`) and the
//! parse errors (`error`) each have a file. They only point down: the set calls the
//! parser and the folder, the parser uses the errors and the folder's range runs (for
//! digits before a group), and neither knows the set: the parser hands back the names
//! and their index, the folder takes a slice of names.

mod error;
mod fold;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

pub use error::{NodeSetError, NodeSetErrorKind};
pub use parse::MAX_HOSTS;

/// A set of host names, in order of first appearance, without duplicates.
///
/// Two sets are equal when they hold the same names, whatever their order.
#[derive(Clone, Default)]
pub struct NodeSet {
    // Each name is allocated once, shared by the order and the index.
    hosts: Vec<Arc<str>>,
    index: HashSet<Arc<str>>,
}

impl NodeSet {
    /// An empty set.
    pub fn new() -> NodeSet {
        NodeSet::default()
    }

    /// Parses a node-set expression (see the [module documentation](self) for the
    /// syntax). An empty or blank string is the empty set.
    pub fn parse(input: &str) -> Result<NodeSet, NodeSetError> {
        let parse::Parsed { hosts, index } = parse::parse(input)?;
        Ok(NodeSet { hosts, index })
    }

    /// How many hosts the set holds.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether the set holds no host.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The host names, in order of first appearance.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.hosts.iter())
    }

    /// Whether `host` is in the set.
    pub fn contains(&self, host: &str) -> bool {
        self.index.contains(host)
    }

    /// Adds `host` at the end unless it is already there (or empty); returns whether it
    /// was added.
    pub fn insert(&mut self, host: impl Into<String>) -> bool {
        let host = host.into();
        if host.is_empty() || self.index.contains(host.as_str()) {
            return false;
        }
        self.insert_shared(host.into())
    }

    /// Adds a name unless it is already there; returns whether it was added.
    fn insert_shared(&mut self, host: Arc<str>) -> bool {
        let added = self.index.insert(Arc::clone(&host));
        if added {
            self.hosts.push(host);
        }
        added
    }

    /// The hosts of `self`, then those of `other` not in `self`.
    pub fn union(&self, other: &NodeSet) -> NodeSet {
        let mut out = self.clone();
        for host in &other.hosts {
            out.insert_shared(Arc::clone(host));
        }
        out
    }

    /// The hosts of `self` that are not in `other`, in `self`'s order.
    pub fn difference(&self, other: &NodeSet) -> NodeSet {
        self.filter(|h| !other.contains(h))
    }

    /// The hosts of `self` that are also in `other`, in `self`'s order.
    pub fn intersection(&self, other: &NodeSet) -> NodeSet {
        self.filter(|h| other.contains(h))
    }

    fn filter(&self, keep: impl Fn(&str) -> bool) -> NodeSet {
        let mut out = NodeSet::new();
        for host in self.hosts.iter().filter(|h| keep(h)) {
            out.insert_shared(Arc::clone(host));
        }
        out
    }

    /// The hosts of `self` or of `other` but not of both: those of `self` in its order,
    /// then those of `other`.
    pub fn symmetric_difference(&self, other: &NodeSet) -> NodeSet {
        let mut out = self.difference(other);
        for host in other.hosts.iter().filter(|h| !self.contains(h)) {
            out.insert_shared(Arc::clone(host));
        }
        out
    }

    /// The folded form, as ClusterShell's `nodeset -f` prints it: `node-1 node-2 node-3
    /// node-5 other` gives `node-[1-3,5],other`.
    ///
    /// Every run of digits is a dimension: names with the same text around their digits
    /// are folded together in all dimensions (`a[0-1]b[2-3]`), consecutive numbers
    /// become ranges, zero padding is kept (`h01 h02 h03` gives `h[01-03]`), a lone
    /// index stays without brackets (`node-7`). The patterns come sorted by their text,
    /// as ClusterShell sorts them. [`NodeSet::parse`] reads the result back to the same
    /// hosts (see the module's limits on names).
    pub fn fold(&self) -> String {
        fold::Folded::new(&self.hosts).text()
    }

    /// The host names in ClusterShell's order, `nodeset -e`'s: the order of the folded
    /// form, each folded piece expanded with its last dimension fastest.
    pub fn sorted(&self) -> Vec<String> {
        fold::Folded::new(&self.hosts).names()
    }
}

impl fmt::Display for NodeSet {
    /// Writes the folded form ([`NodeSet::fold`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fold())
    }
}

impl fmt::Debug for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NodeSet").field(&self.fold()).finish()
    }
}

impl PartialEq for NodeSet {
    fn eq(&self, other: &NodeSet) -> bool {
        self.len() == other.len() && self.hosts.iter().all(|h| other.index.contains(h))
    }
}

impl Eq for NodeSet {}

impl FromStr for NodeSet {
    type Err = NodeSetError;

    fn from_str(s: &str) -> Result<NodeSet, NodeSetError> {
        NodeSet::parse(s)
    }
}

impl FromIterator<String> for NodeSet {
    /// Collects names in order, dropping duplicates and empty strings.
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> NodeSet {
        let mut set = NodeSet::new();
        set.extend(iter);
        set
    }
}

impl<'a> FromIterator<&'a str> for NodeSet {
    /// Collects names in order, dropping duplicates and empty strings.
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> NodeSet {
        iter.into_iter().map(str::to_string).collect()
    }
}

impl Extend<String> for NodeSet {
    /// Adds names at the end, dropping duplicates and empty strings.
    fn extend<I: IntoIterator<Item = String>>(&mut self, iter: I) {
        for host in iter {
            self.insert(host);
        }
    }
}

impl IntoIterator for NodeSet {
    type Item = String;
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(self.hosts.into_iter())
    }
}

impl<'a> IntoIterator for &'a NodeSet {
    type Item = &'a str;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// An iterator over the host names of a [`NodeSet`], in order.
#[derive(Clone, Debug)]
pub struct Iter<'a>(std::slice::Iter<'a, Arc<str>>);

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.0.next().map(|h| &**h)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|h| &**h)
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// An iterator over the host names of a [`NodeSet`], in order, as owned strings.
#[derive(Debug)]
pub struct IntoIter(std::vec::IntoIter<Arc<str>>);

impl Iterator for IntoIter {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        self.0.next().map(|h| String::from(&*h))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<String> {
        self.0.next_back().map(|h| String::from(&*h))
    }
}

impl ExactSizeIterator for IntoIter {}
