//! Node sets: the compact way cluster users name many hosts, like `node-[1-100,200]`.
//!
//! On a cluster, hosts are numbered, and people do not type a hundred host names: they
//! write `node-[1-100]`, as ClusterShell (`nodeset`, `clush`), pdsh, Slurm and OAR print
//! and accept them. A [`NodeSet`] reads that syntax ([`NodeSet::parse`]), holds the
//! expanded host names in order and without duplicates, and prints them back in the
//! folded form ([`NodeSet::fold`], also its `Display`). It iterates over plain host names,
//! so it can stand wherever a list of hosts is expected.
//!
//! # Syntax
//!
//! - Patterns are separated by commas; whitespace around the commas is allowed, and a
//!   comma inside brackets belongs to the range list: `a[1-3],b[1-2]`.
//! - A bracket group holds a comma-separated list of numbers and ranges `low-high`, with
//!   an optional step `low-high/step`: `node-[1-10/2,20]`.
//! - Zero padding comes from the lower bound when it has leading zeros: `h[08-10]` is
//!   `h08 h09 h10`, `h[8-10]` is `h8 h9 h10`.
//! - Several groups in one pattern give their cartesian product, leftmost group
//!   slowest: `rack[1-2]-node[1-3]` is `rack1-node1 rack1-node2 … rack2-node3`.
//! - A pattern prefixed with `!` removes its hosts from what the patterns to its left
//!   gave: `node-[1-10],!node-5`. [`NodeSet::difference`] does the same between sets.
//! - Anything else is part of a name: `frontend.site` and `user@host:22` pass through
//!   unchanged, except what ssh would read as an option: a name (or the user or address
//!   of `user@address`) cannot start with `-`, and control characters are refused
//!   (see [`host`](crate::host): host names are data, never options).
//!
//! Errors say what is wrong and where, as a byte offset and a caret under the input. An
//! expression never expands to more than [`MAX_HOSTS`] names, so a typo such as
//! `node-[1-999999999]` is an error, not an exhausted memory.
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
//! assert_eq!(set.to_string(), "node-[1-3,5],frontend.site,h[08-10]");
//!
//! let rest = NodeSet::parse("node-[1-10],!node-[4-6]").unwrap();
//! assert_eq!(rest.fold(), "node-[1-3,7-10]");
//!
//! let err = NodeSet::parse("node-[1-3").unwrap_err();
//! assert_eq!(err.position(), 5);
//! assert_eq!(err.to_string(), "unclosed `[` at byte 5\n  node-[1-3\n       ^");
//! ```
//!
//! # Limits
//!
//! Names are arbitrary strings, but only those without whitespace, control characters,
//! `[`, `]`, `,`, a leading `!` or `-` (nor a `-` after the last `@`) can be written in
//! the syntax, so only sets of such names survive a round trip through
//! [`NodeSet::fold`] and [`NodeSet::parse`]. An IPv6 address in brackets (`[::1]`) is
//! not node-set syntax. Only the last run of digits of a name is folded
//! (`rack1-node[1-2],rack2-node[1-2]`), and steps are read but never written.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::sync::Arc;

/// The most host names an expression may expand to, counted over all its patterns
/// (exclusions and duplicates included).
pub const MAX_HOSTS: usize = 1_000_000;

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
        Parser::new(input).parse()
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

    /// The folded form, ClusterShell style: `node-1 node-2 node-3 node-5 other` gives
    /// `node-[1-3,5],other`.
    ///
    /// Names that differ only by their last run of digits are grouped, and consecutive
    /// numbers become ranges; zero padding is kept (`h01 h02 h03` gives `h[01-03]`), a
    /// lone number stays without brackets (`node-7`) and names without digits stay as
    /// they are. Groups come in order of first appearance, numbers ascending inside a
    /// group. [`NodeSet::parse`] reads the result back to the same hosts (see the
    /// module's limits on names).
    pub fn fold(&self) -> String {
        fold(&self.hosts)
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

// ---------------------------------------------------------------------------------------
// Errors

/// Why a node-set expression could not be parsed: what is wrong, and where.
///
/// Its `Display` is the message, the byte offset, and the input (or the part of it
/// around the offset) with a caret under the offending place:
///
/// ```text
/// reversed range `5-1`: 5 is greater than 1 at byte 6
///   node-[5-1]
///         ^
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSetError {
    kind: NodeSetErrorKind,
    position: usize,
    input: String,
}

impl NodeSetError {
    /// What is wrong.
    pub fn kind(&self) -> &NodeSetErrorKind {
        &self.kind
    }

    /// Where, as a 0-based byte offset into the input (the input's length when the
    /// problem is at its end).
    pub fn position(&self) -> usize {
        self.position
    }

    /// The expression as given.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for NodeSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.position)?;
        let (line, column) = excerpt(&self.input, self.position);
        write!(f, "\n  {line}\n  {:column$}^", "")
    }
}

impl std::error::Error for NodeSetError {}

/// What is wrong with a node-set expression (see [`NodeSetError`] for where).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeSetErrorKind {
    /// A `[` without its `]`.
    #[error("unclosed `[`")]
    UnclosedBracket,
    /// A `]` without a `[` before it.
    #[error("`]` without a matching `[`")]
    UnmatchedBracket,
    /// A `[` inside a range list.
    #[error("nested `[` (the `[` at byte {open} is not closed)")]
    NestedBracket {
        /// Where the enclosing `[` is.
        open: usize,
    },
    /// `[]`: a range list with nothing in it.
    #[error("empty range list `[]`")]
    EmptyBrackets,
    /// Nothing between two commas, or before the first, or after the last.
    #[error("empty pattern (two commas in a row, or a comma at the start or end)")]
    EmptyPattern,
    /// A `!` with nothing after it.
    #[error("`!` must be followed by a pattern to exclude")]
    EmptyExclusion,
    /// `!!`: a pattern excluded twice.
    #[error("`!!`: a pattern can be excluded only once")]
    DoubleExclusion,
    /// Nothing between two commas of a range list, or before its first, or after its
    /// last.
    #[error("empty item in a range list (two commas in a row, or a comma next to a bracket)")]
    EmptyRangeItem,
    /// A range with a missing bound: `[1-]`, `[-3]`.
    #[error("range `{range}` lacks its {bound} bound")]
    MissingBound {
        /// The range as written.
        range: String,
        /// `"lower"` or `"upper"`.
        bound: &'static str,
    },
    /// A range whose lower bound is greater than its upper bound: `[5-1]`.
    #[error("reversed range `{range}`: {low} is greater than {high}")]
    ReversedRange {
        /// The range as written.
        range: String,
        /// The lower bound.
        low: u64,
        /// The upper bound.
        high: u64,
    },
    /// Something other than digits where a number is expected: `[a-c]`.
    #[error("`{text}` is not a number (a range list holds numbers and ranges, like `[1-3,5]`)")]
    NotANumber {
        /// The text found instead.
        text: String,
    },
    /// A number that does not fit in 64 bits.
    #[error("number `{text}` is too large")]
    NumberTooLarge {
        /// The number as written.
        text: String,
    },
    /// A step on a single number: `[5/2]`.
    #[error("a step needs a range, like `1-10/2`")]
    StepWithoutRange,
    /// A `/` with no step after it: `[1-10/]`.
    #[error("missing step after `/`")]
    MissingStep,
    /// A step of 0: `[1-10/0]`.
    #[error("the step must be at least 1")]
    ZeroStep,
    /// Whitespace inside a pattern (it is allowed only around commas).
    #[error("unexpected whitespace (allowed only around commas)")]
    UnexpectedWhitespace,
    /// A host or user name that starts with `-`: ssh would read it as an option.
    #[error("a {what} cannot start with `-` (ssh would read it as an option)")]
    OptionLike {
        /// `"host name"` or `"user name"`.
        what: &'static str,
    },
    /// A control character (a tab or newline is [`UnexpectedWhitespace`](Self::UnexpectedWhitespace)).
    #[error("control character in a host name")]
    ControlCharacter,
    /// The expression would expand to more than [`MAX_HOSTS`] names.
    #[error("the expression would expand to more than {limit} host names")]
    TooManyHosts {
        /// The limit, [`MAX_HOSTS`].
        limit: usize,
    },
}

/// The input, or a window of it around `position`, with control characters replaced,
/// and the column (in characters) of `position` in it.
fn excerpt(input: &str, position: usize) -> (String, usize) {
    const HALF: usize = 36;
    let mut position = position.min(input.len());
    while !input.is_char_boundary(position) {
        position -= 1;
    }
    let chars_before = input[..position].chars().count();
    let chars_total = chars_before + input[position..].chars().count();
    let (skip, take) = if chars_total <= 2 * HALF {
        (0, chars_total)
    } else {
        let skip = chars_before.saturating_sub(HALF);
        (skip, 2 * HALF)
    };
    let mut line = String::new();
    let mut column = chars_before - skip;
    if skip > 0 {
        line.push('…');
        column += 1;
    }
    for c in input.chars().skip(skip).take(take) {
        line.push(if c.is_control() { '?' } else { c });
    }
    if skip + take < chars_total {
        line.push('…');
    }
    (line, column)
}

// ---------------------------------------------------------------------------------------
// Parsing

/// One range item of a bracket group: `low[-high[/step]]`, numbers printed `width` wide.
struct RangeItem {
    low: u64,
    high: u64,
    step: u64,
    width: usize,
}

impl RangeItem {
    fn count(&self) -> u64 {
        ((self.high - self.low) / self.step).saturating_add(1)
    }
}

/// A piece of a pattern: literal text, or a bracket group starting at byte `open`.
enum Part<'a> {
    Literal(&'a str),
    Group { open: usize, items: Vec<RangeItem> },
}

/// The set under construction. A removal takes the name out of the index only; a name
/// added again after its removal is pushed again, and `finish` keeps, for each name, the
/// entry that is in the index (the last one), so that `!` patterns stay cheap.
#[derive(Default)]
struct Builder {
    set: NodeSet,
    removals: usize,
}

impl Builder {
    fn insert(&mut self, host: &str) {
        self.set.insert_shared(host.into());
    }

    fn remove(&mut self, host: &str) {
        if self.set.index.remove(host) {
            self.removals += 1;
        }
    }

    fn finish(mut self) -> NodeSet {
        if self.removals > 0 {
            let index = &self.set.index;
            self.set
                .hosts
                .retain(|h| index.get(&**h).is_some_and(|live| Arc::ptr_eq(live, h)));
        }
        self.set
    }
}

/// One pattern of an expression, checked and counted, ready to expand.
struct Pattern<'a> {
    parts: Vec<Part<'a>>,
    exclude: bool,
    count: usize,
}

struct Parser<'a> {
    input: &'a str,
    /// How many more names may be expanded.
    budget: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Parser<'a> {
        Parser {
            input,
            budget: MAX_HOSTS,
        }
    }

    fn err<T>(&self, kind: NodeSetErrorKind, position: usize) -> Result<T, NodeSetError> {
        Err(NodeSetError {
            kind,
            position,
            input: self.input.to_string(),
        })
    }

    /// Checks the whole expression first, so that nothing is expanded when it is wrong.
    fn parse(self) -> Result<NodeSet, NodeSetError> {
        let patterns = self.plan()?;
        let mut set = Builder::default();
        let added: usize = patterns
            .iter()
            .filter(|p| !p.exclude)
            .map(|p| p.count)
            .sum();
        set.set.hosts.reserve(added);
        set.set.index.reserve(added);
        for pattern in &patterns {
            expand(&mut set, pattern);
        }
        Ok(set.finish())
    }

    /// Splits the expression into patterns and checks each (a blank one has none).
    fn plan(mut self) -> Result<Vec<Pattern<'a>>, NodeSetError> {
        let mut patterns = Vec::new();
        if self.input.trim().is_empty() {
            return Ok(patterns);
        }
        let mut start = 0;
        let mut open: Option<usize> = None;
        for (i, c) in self.input.char_indices() {
            match c {
                '[' => match open {
                    Some(open) => return self.err(NodeSetErrorKind::NestedBracket { open }, i),
                    None => open = Some(i),
                },
                ']' => match open {
                    Some(_) => open = None,
                    None => return self.err(NodeSetErrorKind::UnmatchedBracket, i),
                },
                ',' if open.is_none() => {
                    patterns.push(self.pattern(start, i)?);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if let Some(open) = open {
            return self.err(NodeSetErrorKind::UnclosedBracket, open);
        }
        patterns.push(self.pattern(start, self.input.len())?);
        Ok(patterns)
    }

    /// Checks the pattern in `input[start..end]` (between commas, untrimmed).
    fn pattern(&mut self, start: usize, end: usize) -> Result<Pattern<'a>, NodeSetError> {
        let input = self.input;
        let raw = &input[start..end];
        let body = raw.trim_start();
        let mut start = start + (raw.len() - body.len());
        let body = body.trim_end();
        if body.is_empty() {
            return self.err(NodeSetErrorKind::EmptyPattern, start);
        }
        let exclude = body.starts_with('!');
        let body = if exclude {
            let rest = &body[1..];
            if rest.is_empty() {
                return self.err(NodeSetErrorKind::EmptyExclusion, start);
            }
            start += 1;
            if rest.starts_with('!') {
                return self.err(NodeSetErrorKind::DoubleExclusion, start - 1);
            }
            rest
        } else {
            body
        };
        let parts = self.parts(body, start)?;
        self.option_like(body, start)?;
        let count = self.count(&parts, start)?;
        self.budget -= count;
        Ok(Pattern {
            parts,
            exclude,
            count,
        })
    }

    /// Refuses a pattern at byte `start` whose user or address starts with `-` (the
    /// address follows the last `@`, as [`Host::parse`](crate::host::Host::parse) reads
    /// it).
    fn option_like(&self, body: &str, start: usize) -> Result<(), NodeSetError> {
        let at = body.rfind('@');
        if body.starts_with('-') {
            let what = if at.is_some() {
                "user name"
            } else {
                "host name"
            };
            return self.err(NodeSetErrorKind::OptionLike { what }, start);
        }
        match at {
            Some(at) if body[at + 1..].starts_with('-') => self.err(
                NodeSetErrorKind::OptionLike { what: "host name" },
                start + at + 1,
            ),
            _ => Ok(()),
        }
    }

    /// Splits a (trimmed) pattern starting at byte `start` into literals and groups.
    fn parts(&self, body: &'a str, start: usize) -> Result<Vec<Part<'a>>, NodeSetError> {
        let mut parts = Vec::new();
        let mut lit_start = 0;
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '[' => {
                    if lit_start < i {
                        parts.push(Part::Literal(&body[lit_start..i]));
                    }
                    let Some(len) = body[i + 1..].find(']') else {
                        return self.err(NodeSetErrorKind::UnclosedBracket, start + i);
                    };
                    let close = i + 1 + len;
                    let items = self.group(&body[i + 1..close], start + i)?;
                    parts.push(Part::Group {
                        open: start + i,
                        items,
                    });
                    lit_start = close + 1;
                    // Skip the group's content: `]` is ASCII, so this stays on a char
                    // boundary.
                    for _ in chars.by_ref().take_while(|&(j, _)| j < close) {}
                }
                ']' => return self.err(NodeSetErrorKind::UnmatchedBracket, start + i),
                c if c.is_whitespace() => {
                    return self.err(NodeSetErrorKind::UnexpectedWhitespace, start + i);
                }
                c if c.is_control() => {
                    return self.err(NodeSetErrorKind::ControlCharacter, start + i);
                }
                _ => {}
            }
        }
        if lit_start < body.len() {
            parts.push(Part::Literal(&body[lit_start..]));
        }
        Ok(parts)
    }

    /// Parses the content of a bracket group whose `[` is at byte `open`.
    fn group(&self, content: &str, open: usize) -> Result<Vec<RangeItem>, NodeSetError> {
        if content.trim().is_empty() {
            return self.err(NodeSetErrorKind::EmptyBrackets, open);
        }
        let mut items = Vec::new();
        let mut offset = open + 1;
        for raw in content.split(',') {
            let item = raw.trim_start();
            let item_start = offset + (raw.len() - item.len());
            let item = item.trim_end();
            if item.is_empty() {
                return self.err(NodeSetErrorKind::EmptyRangeItem, offset);
            }
            items.push(self.range_item(item, item_start)?);
            offset += raw.len() + 1;
        }
        Ok(items)
    }

    /// Parses `low[-high[/step]]` starting at byte `at`.
    fn range_item(&self, item: &str, at: usize) -> Result<RangeItem, NodeSetError> {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some((step, at + range.len() + 1))),
            None => (item, None),
        };
        let (low_text, high) = match range.split_once('-') {
            Some((low, high)) => (low, Some((high, at + low.len() + 1))),
            None => (range, None),
        };
        let missing = |bound| NodeSetErrorKind::MissingBound {
            range: range.to_string(),
            bound,
        };
        if low_text.is_empty() {
            return self.err(missing("lower"), at);
        }
        let low = self.number(low_text, at)?;
        let high = match high {
            Some(("", pos)) => return self.err(missing("upper"), pos),
            Some((text, pos)) => Some(self.number(text, pos)?),
            None => None,
        };
        if let Some(high) = high
            && high < low
        {
            let kind = NodeSetErrorKind::ReversedRange {
                range: range.to_string(),
                low,
                high,
            };
            return self.err(kind, at);
        }
        let step = match step {
            None => 1,
            Some(_) if high.is_none() => {
                return self.err(NodeSetErrorKind::StepWithoutRange, at + range.len());
            }
            Some(("", pos)) => return self.err(NodeSetErrorKind::MissingStep, pos),
            Some((text, pos)) => match self.number(text, pos)? {
                0 => return self.err(NodeSetErrorKind::ZeroStep, pos),
                step => step,
            },
        };
        let width = if low_text.len() > 1 && low_text.starts_with('0') {
            low_text.len()
        } else {
            0
        };
        Ok(RangeItem {
            low,
            high: high.unwrap_or(low),
            step,
            width,
        })
    }

    /// Parses a non-empty run of decimal digits starting at byte `at`.
    fn number(&self, text: &str, at: usize) -> Result<u64, NodeSetError> {
        if let Some((i, c)) = text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            let kind = if c.is_whitespace() {
                NodeSetErrorKind::UnexpectedWhitespace
            } else {
                NodeSetErrorKind::NotANumber {
                    text: text.to_string(),
                }
            };
            return self.err(kind, at + i);
        }
        match text.parse() {
            Ok(n) => Ok(n),
            Err(_) => self.err(
                NodeSetErrorKind::NumberTooLarge {
                    text: text.to_string(),
                },
                at,
            ),
        }
    }

    /// How many names the pattern expands to, checked against the budget.
    fn count(&self, parts: &[Part<'_>], start: usize) -> Result<usize, NodeSetError> {
        let too_many = NodeSetErrorKind::TooManyHosts { limit: MAX_HOSTS };
        let mut product: usize = 1;
        for part in parts {
            if let Part::Group { open, items } = part {
                let size = items
                    .iter()
                    .fold(0u64, |sum, item| sum.saturating_add(item.count()));
                match usize::try_from(size)
                    .ok()
                    .and_then(|size| product.checked_mul(size))
                {
                    Some(p) if p <= self.budget => product = p,
                    _ => return self.err(too_many, *open),
                }
            }
        }
        if product > self.budget {
            return self.err(too_many, start);
        }
        Ok(product)
    }
}

/// Adds (or removes) the names of a pattern, leftmost group slowest.
fn expand(set: &mut Builder, pattern: &Pattern<'_>) {
    let parts = &pattern.parts;
    // Each group's numbers, already formatted.
    let groups: Vec<Formatted> = parts
        .iter()
        .filter_map(|part| match part {
            Part::Literal(_) => None,
            Part::Group { items, .. } => Some(format_group(items)),
        })
        .collect();
    let mut cursor = vec![0usize; groups.len()];
    let mut name = String::new();
    for _ in 0..pattern.count {
        name.clear();
        let mut g = 0;
        for part in parts {
            match part {
                Part::Literal(text) => name.push_str(text),
                Part::Group { .. } => {
                    name.push_str(groups[g].get(cursor[g]));
                    g += 1;
                }
            }
        }
        if pattern.exclude {
            set.remove(&name);
        } else {
            set.insert(&name);
        }
        // Advance the odometer, rightmost group fastest.
        for g in (0..groups.len()).rev() {
            cursor[g] += 1;
            if cursor[g] < groups[g].ends.len() {
                break;
            }
            cursor[g] = 0;
        }
    }
}

/// The numbers of a bracket group, formatted with their padding, in one string.
struct Formatted {
    text: String,
    /// Where each number ends in `text`.
    ends: Vec<usize>,
}

impl Formatted {
    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// The numbers of a bracket group, formatted with their padding, in order.
fn format_group(items: &[RangeItem]) -> Formatted {
    let mut out = Formatted {
        text: String::new(),
        ends: Vec::new(),
    };
    for item in items {
        let mut n = item.low;
        loop {
            let _ = write!(out.text, "{n:0width$}", width = item.width);
            out.ends.push(out.text.len());
            match n.checked_add(item.step) {
                Some(next) if next <= item.high => n = next,
                _ => break,
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Folding

/// A name split around its last run of ASCII digits.
struct Split<'a> {
    prefix: &'a str,
    digits: &'a str,
    suffix: &'a str,
    value: u64,
}

fn split_last_number(name: &str) -> Option<Split<'_>> {
    let bytes = name.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit)? + 1;
    let start = bytes[..end]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let digits = &name[start..end];
    Some(Split {
        prefix: &name[..start],
        digits,
        suffix: &name[end..],
        value: digits.parse().ok()?,
    })
}

/// The padding width a run of digits declares: its length if it has a leading zero.
fn padding(digits: &str) -> usize {
    if digits.len() > 1 && digits.starts_with('0') {
        digits.len()
    } else {
        0
    }
}

fn fold(hosts: &[Arc<str>]) -> String {
    // Each numbered name's family: the names with the same prefix and suffix. Neighbours
    // usually share theirs, so the last one is tried before the map.
    struct Family<'a> {
        prefix: &'a str,
        suffix: &'a str,
        /// The padding widths seen in the family.
        widths: Vec<usize>,
    }
    let mut families: Vec<Family<'_>> = Vec::new();
    let mut family_index: HashMap<(&str, &str), usize> = HashMap::new();
    let mut splits: Vec<Option<(Split<'_>, usize)>> = Vec::with_capacity(hosts.len());
    let mut last: Option<usize> = None;
    for host in hosts {
        let Some(split) = split_last_number(host) else {
            splits.push(None);
            continue;
        };
        let f = match last {
            Some(f) if families[f].prefix == split.prefix && families[f].suffix == split.suffix => {
                f
            }
            _ => *family_index
                .entry((split.prefix, split.suffix))
                .or_insert_with(|| {
                    families.push(Family {
                        prefix: split.prefix,
                        suffix: split.suffix,
                        widths: Vec::new(),
                    });
                    families.len() - 1
                }),
        };
        last = Some(f);
        let width = padding(split.digits);
        if width > 0 && !families[f].widths.contains(&width) {
            families[f].widths.push(width);
        }
        splits.push(Some((split, f)));
    }

    // Groups in order of first appearance. A padded number goes to the group of its
    // width; an unpadded one joins the widest padded group it prints identically in
    // (its length is at least the width), if any, else the unpadded group.
    enum Item<'a> {
        Literal(&'a str),
        Group(usize),
    }
    struct Group {
        family: usize,
        width: usize,
        numbers: Vec<u64>,
    }
    let mut items: Vec<Item<'_>> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_index: HashMap<(usize, usize), usize> = HashMap::new();
    let mut last: Option<usize> = None;
    for (host, split) in hosts.iter().zip(&splits) {
        let Some((split, f)) = split else {
            items.push(Item::Literal(host));
            continue;
        };
        let (family, width) = (
            *f,
            match padding(split.digits) {
                0 => families[*f]
                    .widths
                    .iter()
                    .copied()
                    .filter(|&w| w <= split.digits.len())
                    .max()
                    .unwrap_or(0),
                width => width,
            },
        );
        let g = match last {
            Some(g) if groups[g].family == family && groups[g].width == width => g,
            _ => *group_index.entry((family, width)).or_insert_with(|| {
                groups.push(Group {
                    family,
                    width,
                    numbers: Vec::new(),
                });
                items.push(Item::Group(groups.len() - 1));
                groups.len() - 1
            }),
        };
        last = Some(g);
        groups[g].numbers.push(split.value);
    }

    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Item::Literal(name) => out.push_str(name),
            Item::Group(g) => {
                let group = &mut groups[*g];
                let width = group.width;
                let family = &families[group.family];
                out.push_str(family.prefix);
                if let [n] = group.numbers[..] {
                    let _ = write!(out, "{n:0width$}");
                } else {
                    group.numbers.sort_unstable();
                    out.push('[');
                    let mut first = true;
                    for (low, high) in runs(&group.numbers) {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        let _ = if low == high {
                            write!(out, "{low:0width$}")
                        } else {
                            write!(out, "{low:0width$}-{high:0width$}")
                        };
                    }
                    out.push(']');
                }
                out.push_str(family.suffix);
            }
        }
    }
    out
}

/// The runs of consecutive numbers in a sorted slice, as `(low, high)`.
fn runs(numbers: &[u64]) -> impl Iterator<Item = (u64, u64)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let &low = numbers.get(i)?;
        let mut high = low;
        i += 1;
        while i < numbers.len() && high.checked_add(1) == Some(numbers[i]) {
            high = numbers[i];
            i += 1;
        }
        Some((low, high))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(expr: &str) -> Vec<String> {
        NodeSet::parse(expr)
            .unwrap_or_else(|e| panic!("{expr:?}: {e}"))
            .into_iter()
            .collect()
    }

    fn names(list: &str) -> Vec<String> {
        list.split_whitespace().map(str::to_string).collect()
    }

    fn error(expr: &str) -> NodeSetError {
        match NodeSet::parse(expr) {
            Ok(set) => panic!("{expr:?} parsed as {set:?}"),
            Err(e) => e,
        }
    }

    /// A small deterministic pseudo-random generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len() as u64) as usize]
        }
    }

    #[test]
    fn plain_names_pass_through() {
        assert_eq!(hosts("frontend.site"), names("frontend.site"));
        assert_eq!(hosts("user@host:22"), names("user@host:22"));
        assert_eq!(
            hosts("a, user@b.site:2222 ,c"),
            names("a user@b.site:2222 c")
        );
        assert_eq!(hosts("node-7"), names("node-7"));
    }

    #[test]
    fn empty_input_is_the_empty_set() {
        assert!(NodeSet::parse("").unwrap().is_empty());
        assert!(NodeSet::parse("  \t ").unwrap().is_empty());
        assert_eq!(NodeSet::new().fold(), "");
    }

    #[test]
    fn ranges_and_padding() {
        assert_eq!(hosts("node-[1-3]"), names("node-1 node-2 node-3"));
        assert_eq!(hosts("n[8-10]"), names("n8 n9 n10"));
        assert_eq!(hosts("n[008-010]"), names("n008 n009 n010"));
        assert_eq!(
            hosts("h[01-10].site"),
            names(
                "h01.site h02.site h03.site h04.site h05.site h06.site h07.site h08.site h09.site h10.site"
            )
        );
        assert_eq!(hosts("h[98-101]"), names("h98 h99 h100 h101"));
        assert_eq!(hosts("h[098-101]"), names("h098 h099 h100 h101"));
        assert_eq!(hosts("h[1-010]"), names("h1 h2 h3 h4 h5 h6 h7 h8 h9 h10"));
        assert_eq!(hosts("h[0-2]"), names("h0 h1 h2"));
        assert_eq!(hosts("h[00-02]"), names("h00 h01 h02"));
        assert_eq!(hosts("h[3,1,2]"), names("h3 h1 h2"));
        assert_eq!(hosts("h[1-2,5,7-8]"), names("h1 h2 h5 h7 h8"));
        assert_eq!(hosts("[1-3]"), names("1 2 3"));
        assert_eq!(hosts("h[ 1-2 , 4 ]"), names("h1 h2 h4"));
    }

    #[test]
    fn steps() {
        assert_eq!(hosts("n[1-10/2]"), names("n1 n3 n5 n7 n9"));
        assert_eq!(hosts("n[1-9/4]"), names("n1 n5 n9"));
        assert_eq!(hosts("n[01-10/3]"), names("n01 n04 n07 n10"));
        assert_eq!(hosts("n[5-5/7]"), names("n5"));
        let top = u64::MAX;
        assert_eq!(
            hosts(&format!("n[{}-{top}/5]", top - 10)),
            names(&format!("n{} n{} n{}", top - 10, top - 5, top))
        );
    }

    #[test]
    fn cartesian_product_in_order() {
        assert_eq!(
            hosts("rack[1-2]-node[01-03]"),
            names("rack1-node01 rack1-node02 rack1-node03 rack2-node01 rack2-node02 rack2-node03")
        );
        assert_eq!(hosts("[1-2][7-8]"), names("17 18 27 28"));
    }

    #[test]
    fn several_patterns_and_whitespace() {
        assert_eq!(hosts("a[1-3],b[1-2]"), names("a1 a2 a3 b1 b2"));
        assert_eq!(hosts(" a[1-2] ,\tb , c[1,3] "), names("a1 a2 b c1 c3"));
        assert_eq!(hosts("x[1-2]y[3-4]z"), names("x1y3z x1y4z x2y3z x2y4z"));
    }

    #[test]
    fn duplicates_removed_order_kept() {
        assert_eq!(hosts("a[1-3],a[2-4]"), names("a1 a2 a3 a4"));
        assert_eq!(hosts("b,a,b,a[1-2],a1"), names("b a a1 a2"));
    }

    #[test]
    fn exclusion() {
        assert_eq!(
            hosts("node-[1-10],!node-5"),
            names("node-1 node-2 node-3 node-4 node-6 node-7 node-8 node-9 node-10")
        );
        assert_eq!(hosts("n[1-5], !n[2-4]"), names("n1 n5"));
        assert_eq!(hosts("!n1,n[1-2]"), names("n1 n2"));
        // Left to right: a host removed then added again comes back at the end.
        assert_eq!(hosts("n[1-3],!n2,n2"), names("n1 n3 n2"));
        assert_eq!(hosts("n1,!n1"), Vec::<String>::new());
    }

    #[test]
    fn set_operations() {
        let a = NodeSet::parse("n[1-5]").unwrap();
        let b = NodeSet::parse("n[4-8],x").unwrap();
        assert_eq!(a.union(&b).fold(), "n[1-8],x");
        assert_eq!(
            b.union(&a).iter().collect::<Vec<_>>()[..3],
            ["n4", "n5", "n6"]
        );
        assert_eq!(a.difference(&b).fold(), "n[1-3]");
        assert_eq!(b.difference(&a).fold(), "n[6-8],x");
        assert_eq!(a.intersection(&b).fold(), "n[4-5]");
        assert!(a.contains("n3"));
        assert!(!a.contains("n6"));
        assert!(!a.contains("n"));
        assert_eq!(a.len(), 5);
        assert!(!a.is_empty());
    }

    #[test]
    fn traits() {
        let set: NodeSet = "n[1-3]".parse().unwrap();
        let same: NodeSet = ["n3", "n1", "n2", "n1", ""].into_iter().collect();
        assert_eq!(set, same, "equality ignores order");
        assert_eq!(same.len(), 3, "duplicates and empty names dropped");
        assert_ne!(set, NodeSet::parse("n[1-4]").unwrap());
        assert_ne!(set, NodeSet::parse("n[1-2],m").unwrap());
        let strings: NodeSet = vec!["a".to_string(), "b".to_string()].into_iter().collect();
        assert_eq!(strings.fold(), "a,b");
        let cloned = set.clone();
        assert_eq!(cloned, set);
        assert_eq!(format!("{set:?}"), r#"NodeSet("n[1-3]")"#);
        assert_eq!(format!("{set}"), "n[1-3]");
        let borrowed: Vec<&str> = (&set).into_iter().collect();
        assert_eq!(borrowed, ["n1", "n2", "n3"]);
        assert_eq!(set.iter().next_back(), Some("n3"));
        assert_eq!(set.iter().len(), 3);
        let owned: Vec<String> = set.into_iter().collect();
        assert_eq!(owned, names("n1 n2 n3"));
        let mut grown = NodeSet::new();
        assert!(grown.insert("x"));
        assert!(!grown.insert("x"));
        assert!(!grown.insert(""));
        grown.extend(names("y x z"));
        assert_eq!(grown.fold(), "x,y,z");
    }

    fn fold_of(list: &str) -> String {
        names(list).into_iter().collect::<NodeSet>().fold()
    }

    #[test]
    fn folding() {
        assert_eq!(
            fold_of("node-1 node-2 node-3 node-5 other"),
            "node-[1-3,5],other"
        );
        assert_eq!(fold_of("h01 h02 h03"), "h[01-03]");
        assert_eq!(fold_of("node-7"), "node-7");
        assert_eq!(fold_of("alpha beta"), "alpha,beta");
        assert_eq!(fold_of("n3 n1 n2"), "n[1-3]");
        assert_eq!(fold_of("n1 m1 n2 m3"), "n[1-2],m[1,3]");
        assert_eq!(fold_of("a1.site a2.site b1.site"), "a[1-2].site,b1.site");
        assert_eq!(fold_of("h8 h9 h10 h11"), "h[8-11]");
        assert_eq!(fold_of("h08 h09 h10 h11"), "h[08-11]");
        assert_eq!(fold_of("h01 h1 h2"), "h01,h[1-2]");
        assert_eq!(fold_of("h10 h01"), "h[01,10]");
        assert_eq!(fold_of("h099 h100 h0100"), "h[099-100],h0100");
        assert_eq!(
            fold_of("rack1-node1 rack1-node2 rack2-node1"),
            "rack1-node[1-2],rack2-node1"
        );
        assert_eq!(fold_of("n0 n1 n3"), "n[0-1,3]");
        assert_eq!(
            fold_of("user@h1:22 user@h2:22"),
            "user@h1:22,user@h2:22",
            "the last number is the port"
        );
        assert_eq!(fold_of("user@h1 user@h2"), "user@h[1-2]");
        let top = u64::MAX;
        assert_eq!(
            fold_of(&format!("n{} n{top}", top - 1)),
            format!("n[{}-{top}]", top - 1)
        );
        // A run of digits too large for u64 stays as it is.
        assert_eq!(
            fold_of("n99999999999999999999999"),
            "n99999999999999999999999"
        );
    }

    #[test]
    fn fold_parse_round_trips_examples() {
        for expr in [
            "node-[1-3,5],other",
            "h[01-100]",
            "h[001-009],h[01-20]",
            "h[1-3],h[01-03],h[001-003]",
            "rack[1-2]-node[01-10]",
            "a[1-10/3],b[0-0],c",
            "x[0-3]y[0-3]",
        ] {
            let set = NodeSet::parse(expr).unwrap();
            let folded = set.fold();
            assert_eq!(NodeSet::parse(&folded).unwrap(), set, "{expr} -> {folded}");
        }
    }

    #[test]
    fn fold_parse_round_trips_generated_sets() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let prefixes = ["", "n", "node-", "rack1-node", "h.", "user@host", "a0b"];
        let suffixes = ["", ".site", "-ib", "x", ":22"];
        for round in 0..500 {
            let mut set = NodeSet::new();
            for _ in 0..rng.below(60) {
                let prefix = rng.pick(&prefixes);
                let suffix = rng.pick(&suffixes);
                let name = match rng.below(10) {
                    0 => format!("{prefix}{suffix}"),
                    1 => format!("{prefix}{}{suffix}", rng.next()),
                    _ => {
                        let width = *rng.pick(&[0, 0, 2, 3, 4]);
                        let max = *rng.pick(&[10, 120, 1200]);
                        let n = rng.below(max);
                        format!("{prefix}{n:0width$}{suffix}")
                    }
                };
                if name.starts_with('-') {
                    continue; // not a host name (ssh would read it as an option)
                }
                set.insert(name);
            }
            let folded = set.fold();
            let back = NodeSet::parse(&folded)
                .unwrap_or_else(|e| panic!("round {round}: {folded:?}: {e}"));
            assert_eq!(back, set, "round {round}: {folded}");
            assert_eq!(back.fold(), folded, "folding is stable");
        }
    }

    #[test]
    fn large_set_expands_and_folds() {
        let set = NodeSet::parse("node-[1-100000]").unwrap();
        assert_eq!(set.len(), 100_000);
        assert_eq!(set.iter().next(), Some("node-1"));
        assert_eq!(set.iter().next_back(), Some("node-100000"));
        assert_eq!(set.fold(), "node-[1-100000]");
    }

    #[test]
    fn limit_on_expansion() {
        // Checked without expanding: the limit itself is allowed.
        let plan = Parser::new("[1-1000]-[1-1000]").plan().unwrap();
        assert_eq!(plan[0].count, MAX_HOSTS);
        let plan = Parser::new("a[1-500000],!a[1-499999],b").plan().unwrap();
        assert_eq!(plan.iter().map(|p| p.count).sum::<usize>(), MAX_HOSTS);
        let e = error("node-[1-999999999]");
        assert_eq!(
            e.kind(),
            &NodeSetErrorKind::TooManyHosts { limit: MAX_HOSTS }
        );
        assert_eq!(e.position(), 5);
        let e = error("a[1-1000][1-1001]");
        assert_eq!(e.position(), 9, "the group that passes the limit");
        let e = error("a[1-600000],b[1-600000]");
        assert_eq!(e.position(), 13);
        let e = error(&format!("a[0-{}]", u64::MAX));
        assert!(matches!(e.kind(), NodeSetErrorKind::TooManyHosts { .. }));
        let e = error("a[1-1000000],b");
        assert_eq!(e.position(), 13, "no budget left for the last name");
        let e = error(&format!("a[0-{m}][0-{m}][0-{m}][0-{m}]", m = u64::MAX));
        assert_eq!(e.position(), 1);
    }

    #[test]
    fn errors_with_positions() {
        use NodeSetErrorKind as K;
        let cases: Vec<(&str, NodeSetErrorKind, usize)> = vec![
            ("node[1-3", K::UnclosedBracket, 4),
            ("a,node[1-3", K::UnclosedBracket, 6),
            ("node]", K::UnmatchedBracket, 4),
            ("node[1]]", K::UnmatchedBracket, 7),
            ("a[1-2,b[3]", K::NestedBracket { open: 1 }, 7),
            ("a[[1]]", K::NestedBracket { open: 1 }, 2),
            ("node[]", K::EmptyBrackets, 4),
            ("node[ ]", K::EmptyBrackets, 4),
            ("a,,b", K::EmptyPattern, 2),
            (",a", K::EmptyPattern, 0),
            ("a,", K::EmptyPattern, 2),
            ("a, ,b", K::EmptyPattern, 3),
            ("a,!", K::EmptyExclusion, 2),
            ("!!a", K::DoubleExclusion, 0),
            ("n[1,,2]", K::EmptyRangeItem, 4),
            ("n[1,]", K::EmptyRangeItem, 4),
            ("n[,1]", K::EmptyRangeItem, 2),
            (
                "n[1-]",
                K::MissingBound {
                    range: "1-".into(),
                    bound: "upper",
                },
                4,
            ),
            (
                "n[-3]",
                K::MissingBound {
                    range: "-3".into(),
                    bound: "lower",
                },
                2,
            ),
            (
                "node-[5-1]",
                K::ReversedRange {
                    range: "5-1".into(),
                    low: 5,
                    high: 1,
                },
                6,
            ),
            ("n[a-c]", K::NotANumber { text: "a".into() }, 2),
            ("n[1-3a]", K::NotANumber { text: "3a".into() }, 5),
            ("n[1-2-3]", K::NotANumber { text: "2-3".into() }, 5),
            ("n[1-3/x]", K::NotANumber { text: "x".into() }, 6),
            ("n[1-3/2/2]", K::NotANumber { text: "2/2".into() }, 7),
            ("n[é]", K::NotANumber { text: "é".into() }, 2),
            (
                "n[1-99999999999999999999]",
                K::NumberTooLarge {
                    text: "99999999999999999999".into(),
                },
                4,
            ),
            ("n[5/2]", K::StepWithoutRange, 3),
            ("n[1-9/]", K::MissingStep, 6),
            ("n[1-9/0]", K::ZeroStep, 6),
            ("node 1", K::UnexpectedWhitespace, 4),
            ("n[1 -3]", K::UnexpectedWhitespace, 3),
            ("! n1", K::UnexpectedWhitespace, 1),
            ("a,b c", K::UnexpectedWhitespace, 3),
            ("-oProxyCommand=x", K::OptionLike { what: "host name" }, 0),
            ("a, -h[1-2]", K::OptionLike { what: "host name" }, 3),
            ("!-h", K::OptionLike { what: "host name" }, 1),
            ("-u@h", K::OptionLike { what: "user name" }, 0),
            ("u@-oProxyCommand=x", K::OptionLike { what: "host name" }, 2),
            ("a@b@-c", K::OptionLike { what: "host name" }, 4),
            ("n\u{1b}1", K::ControlCharacter, 1),
        ];
        for (expr, kind, position) in cases {
            let e = error(expr);
            assert_eq!((e.kind(), e.position()), (&kind, position), "{expr:?}: {e}");
            assert_eq!(e.input(), expr);
        }
    }

    #[test]
    fn a_dash_inside_a_name_is_fine() {
        assert_eq!(
            hosts("node-[1-2],u-1@h-1,u@h-"),
            names("node-1 node-2 u-1@h-1 u@h-")
        );
    }

    #[test]
    fn error_display_has_message_and_caret() {
        assert_eq!(
            error("node-[5-1]").to_string(),
            "reversed range `5-1`: 5 is greater than 1 at byte 6\n  node-[5-1]\n        ^"
        );
        assert_eq!(
            error("a,").to_string(),
            "empty pattern (two commas in a row, or a comma at the start or end) at byte 2\n  a,\n    ^"
        );
        // Control characters are shown as `?`, columns count characters.
        assert_eq!(
            error("é\tn[x]").to_string(),
            "unexpected whitespace (allowed only around commas) at byte 2\n  é?n[x]\n   ^"
        );
        // A long input is cut around the position.
        let long = format!("{},n[1-]", "a".repeat(200));
        let shown = error(&long).to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].starts_with("  …aaa") && lines[1].ends_with("n[1-]"),
            "{shown}"
        );
        let caret = lines[2].chars().count() - 1;
        assert_eq!(lines[1].chars().nth(caret), Some(']'), "{shown}");
        let long = format!("n[x],{}", "b".repeat(200));
        let shown = error(&long).to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert!(
            lines[1].starts_with("  n[x],bbb") && lines[1].ends_with('…'),
            "{shown}"
        );
        assert_eq!(lines[2], "    ^");
    }

    #[test]
    fn malformed_inputs_never_panic() {
        let malformed = [
            "[",
            "]",
            "[]",
            "][",
            "[[",
            "]]",
            "[-]",
            "[,]",
            "[/]",
            "[1-/]",
            "[-/1]",
            "!",
            "!!",
            "!,",
            ",",
            ",,",
            "!]",
            "![",
            "a[1-2]]",
            "a[1-2][",
            "[1-2",
            "1-2]",
            "[0-0/0]",
            "[00-]",
            "[-00]",
            "[999999999999999999999999-1]",
            "[1--2]",
            "[1-2//3]",
            "[ - ]",
            "[\u{0}]",
            "a\u{0}b",
            "[1-2]\u{301}",
            "é[1-2]ü",
            "[1-2],![",
            "!a[",
            "a[1]b[2]c[3]",
            "a[1-3/99999999999999999999]",
            "[18446744073709551615]",
            "[18446744073709551615-18446744073709551615/1]",
            "[18446744073709551616]",
            "\u{a0}a\u{a0}",
            "a\u{2028}b",
            "[１-２]",
        ];
        for expr in malformed {
            if let Ok(set) = NodeSet::parse(expr) {
                // Whatever parses must fold and parse back to itself.
                let folded = set.fold();
                assert_eq!(NodeSet::parse(&folded).as_ref(), Ok(&set), "{expr:?}");
            } else {
                let _ = error(expr).to_string();
            }
        }
    }

    #[test]
    fn random_inputs_never_panic() {
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        let alphabet: Vec<char> = "[]-,!/0123456789 ab.@:é\t".chars().collect();
        let (mut parsed, mut failed) = (0, 0);
        for round in 0..20_000 {
            let len = rng.below(24) as usize;
            let input: String = if round % 3 == 0 {
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                (0..len).map(|_| *rng.pick(&alphabet)).collect()
            };
            match NodeSet::parse(&input) {
                Ok(set) => {
                    parsed += 1;
                    assert!(set.len() <= MAX_HOSTS);
                    if set.len() <= 10_000 {
                        let folded = set.fold();
                        let back = NodeSet::parse(&folded);
                        assert_eq!(back.as_ref(), Ok(&set), "{input:?} -> {folded:?}");
                    }
                }
                Err(e) => {
                    failed += 1;
                    assert!(e.position() <= input.len(), "{input:?}: {e}");
                    assert!(input.is_char_boundary(e.position()), "{input:?}: {e}");
                    assert!(e.to_string().contains('^'));
                }
            }
        }
        assert!(
            parsed > 1000 && failed > 1000,
            "{parsed} parsed, {failed} failed"
        );
    }
}
