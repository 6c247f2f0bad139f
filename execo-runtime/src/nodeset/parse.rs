//! Reading node-set expressions: the whole expression is checked and counted first
//! (every pattern, against [`MAX_HOSTS`]), then expanded, so a wrong or huge expression
//! costs nothing.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

use super::error::{NodeSetError, NodeSetErrorKind};

/// The most host names an expression may expand to, counted over all its patterns
/// (exclusions and duplicates included).
pub const MAX_HOSTS: usize = 1_000_000;

/// The names an expression gave, in order, each allocated once and shared by the
/// order and the index.
#[derive(Default)]
pub(super) struct Parsed {
    pub hosts: Vec<Arc<str>>,
    pub index: HashSet<Arc<str>>,
}

/// Parses a node-set expression.
pub(super) fn parse(input: &str) -> Result<Parsed, NodeSetError> {
    Parser::new(input).parse()
}

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
    set: Parsed,
    removals: usize,
}

impl Builder {
    fn insert(&mut self, host: &str) {
        let host: Arc<str> = host.into();
        if self.set.index.insert(Arc::clone(&host)) {
            self.set.hosts.push(host);
        }
    }

    fn remove(&mut self, host: &str) {
        if self.set.index.remove(host) {
            self.removals += 1;
        }
    }

    fn finish(mut self) -> Parsed {
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
pub(super) struct Pattern<'a> {
    parts: Vec<Part<'a>>,
    exclude: bool,
    pub(super) count: usize,
}

pub(super) struct Parser<'a> {
    input: &'a str,
    /// How many more names may be expanded.
    budget: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(input: &'a str) -> Parser<'a> {
        Parser {
            input,
            budget: MAX_HOSTS,
        }
    }

    fn err<T>(&self, kind: NodeSetErrorKind, position: usize) -> Result<T, NodeSetError> {
        Err(NodeSetError::new(kind, position, self.input))
    }

    /// Checks the whole expression first, so that nothing is expanded when it is wrong.
    fn parse(self) -> Result<Parsed, NodeSetError> {
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
    pub(super) fn plan(mut self) -> Result<Vec<Pattern<'a>>, NodeSetError> {
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
