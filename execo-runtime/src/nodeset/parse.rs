//! Reading node-set expressions as ClusterShell reads them: operands joined by the
//! operators `,` (union), `!` (difference), `&` (intersection) and `^` (symmetric
//! difference), left to right; each operand a pattern of text and bracket groups, digits
//! next to a group belonging to it (`a2[1-3]` is `a[21-23]`). The whole expression is
//! checked and counted first (against [`MAX_HOSTS`]), then expanded, so a wrong or huge
//! expression costs nothing.

use std::collections::HashSet;
use std::sync::Arc;

use super::error::{NodeSetError, NodeSetErrorKind};
use super::fold::{Idx, runs};

/// The most host names an expression may expand to, counted over all its operands
/// (those removed and duplicates included).
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
    let parser = Parser { input };
    let operands = parser.plan()?;
    let mut set = Builder::default();
    for operand in &operands {
        set.apply(operand.op, expand(operand));
    }
    Ok(set.finish())
}

/// How an operand combines with what the operands to its left gave.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Union,
    Difference,
    Intersection,
    SymmetricDifference,
}

impl Op {
    fn of(c: char) -> Option<Op> {
        match c {
            ',' => Some(Op::Union),
            '!' => Some(Op::Difference),
            '&' => Some(Op::Intersection),
            '^' => Some(Op::SymmetricDifference),
            _ => None,
        }
    }
}

/// A piece of an operand: literal text, or a bracket group's indexes (as text, padding
/// included), in order.
enum Part<'a> {
    Literal(&'a str),
    Group(Vec<String>),
}

/// One operand, checked and counted, ready to expand.
struct Operand<'a> {
    op: Op,
    parts: Vec<Part<'a>>,
    count: usize,
}

/// The set under construction. A removal takes the name out of the index only; a name
/// added again after its removal is pushed again, and `finish` keeps, for each name, the
/// entry that is in the index (the last one), so that removals stay cheap.
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

    fn remove(&mut self, host: &str) -> bool {
        let removed = self.set.index.remove(host);
        self.removals += usize::from(removed);
        removed
    }

    fn apply(&mut self, op: Op, names: Vec<String>) {
        match op {
            Op::Union => names.iter().for_each(|n| self.insert(n)),
            Op::Difference => names.iter().for_each(|n| {
                self.remove(n);
            }),
            Op::Intersection => {
                let keep: HashSet<&str> = names.iter().map(String::as_str).collect();
                let before = self.set.index.len();
                self.set.index.retain(|h| keep.contains(&**h));
                self.removals += before - self.set.index.len();
            }
            Op::SymmetricDifference => {
                let mut seen = HashSet::new();
                for name in &names {
                    if seen.insert(name.as_str()) && !self.remove(name) {
                        self.insert(name);
                    }
                }
            }
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

struct Parser<'a> {
    input: &'a str,
}

/// A bracket group as found: the byte offsets of its `[` and `]`.
#[derive(Clone, Copy)]
struct Brackets {
    open: usize,
    close: usize,
}

impl<'a> Parser<'a> {
    fn err<T>(&self, kind: NodeSetErrorKind, position: usize) -> Result<T, NodeSetError> {
        Err(NodeSetError::new(kind, position, self.input))
    }

    /// Splits the expression into operands and checks each (a blank one has none).
    fn plan(&self) -> Result<Vec<Operand<'a>>, NodeSetError> {
        let mut operands = Vec::new();
        if self.input.trim().is_empty() {
            return Ok(operands);
        }
        let mut budget = MAX_HOSTS;
        let (mut start, mut op) = (0, Op::Union);
        let mut open: Option<usize> = None;
        let mut groups = Vec::new();
        for (i, c) in self.input.char_indices() {
            match c {
                '[' => match open {
                    Some(open) => return self.err(NodeSetErrorKind::NestedBracket { open }, i),
                    None => open = Some(i),
                },
                ']' => match open.take() {
                    Some(open) => groups.push(Brackets { open, close: i }),
                    None => return self.err(NodeSetErrorKind::UnmatchedBracket, i),
                },
                c if open.is_none() => {
                    if let Some(next) = Op::of(c) {
                        operands.push(self.operand(op, start, i, &groups, &mut budget)?);
                        groups.clear();
                        (start, op) = (i + 1, next);
                    }
                }
                _ => {}
            }
        }
        if let Some(open) = open {
            return self.err(NodeSetErrorKind::UnclosedBracket, open);
        }
        operands.push(self.operand(op, start, self.input.len(), &groups, &mut budget)?);
        Ok(operands)
    }

    /// Checks the operand in `input[start..end]` (between operators, untrimmed), whose
    /// bracket groups are `groups`.
    fn operand(
        &self,
        op: Op,
        start: usize,
        end: usize,
        groups: &[Brackets],
        budget: &mut usize,
    ) -> Result<Operand<'a>, NodeSetError> {
        let input = self.input;
        let raw = &input[start..end];
        let trimmed = raw.trim_start();
        if trimmed.is_empty() {
            // The operator next to the hole: the one after it, or at the end the one
            // before.
            let at = if end < input.len() { end } else { start - 1 };
            let op = input[at..].chars().next().unwrap_or(',');
            return self.err(NodeSetErrorKind::MissingOperand { op }, at);
        }
        let start = start + (raw.len() - trimmed.len());
        let end = start + trimmed.trim_end().len();
        // The literal texts around the groups, checked.
        let mut bounds = Vec::with_capacity(groups.len() + 1);
        let mut lit_start = start;
        for g in groups {
            bounds.push((lit_start, g.open));
            lit_start = g.close + 1;
        }
        bounds.push((lit_start, end));
        for &(s, e) in &bounds {
            self.literal(s, e)?;
        }
        self.option_like(start, end)?;

        // Each group takes the digits next to it: those after it (trailing), then
        // those before it (leading); a group right after another (only digits between
        // them) is refused, as ClusterShell refuses it.
        let mut parts = Vec::with_capacity(2 * groups.len() + 1);
        let mut count: usize = 1;
        let mut literal_start = bounds[0].0;
        for (k, g) in groups.iter().enumerate() {
            let (before_start, before_end) = (literal_start, bounds[k].1);
            let (after_start, after_end) = bounds[k + 1];
            let before = &input[before_start..before_end];
            let after = &input[after_start..after_end];
            let trailing =
                after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if k + 1 < groups.len() && trailing == after.len() {
                return self.err(NodeSetErrorKind::ReopenedBracket, groups[k + 1].open);
            }
            let leading =
                before.len() - before.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            let mut content = input[g.open + 1..g.close].to_string();
            if trailing > 0 {
                content = self.amend_trailing(&content, &after[..trailing], g.open)?;
            }
            if leading > 0 {
                let indexes = self.group(&content, g.open, *budget, trailing == 0)?;
                content = amend_leading(&indexes, &before[before.len() - leading..]);
            }
            let raw = trailing == 0 && leading == 0;
            let indexes = self.group(&content, g.open, *budget, raw)?;
            let too_many = NodeSetErrorKind::TooManyHosts { limit: MAX_HOSTS };
            match count.checked_mul(indexes.len()) {
                Some(c) if c <= *budget => count = c,
                _ => return self.err(too_many, g.open),
            }
            if before.len() > leading {
                parts.push(Part::Literal(&before[..before.len() - leading]));
            }
            parts.push(Part::Group(indexes));
            literal_start = after_start + trailing;
        }
        let last = &input[literal_start..bounds[groups.len()].1];
        if !last.is_empty() {
            parts.push(Part::Literal(last));
        }
        if count > *budget {
            return self.err(NodeSetErrorKind::TooManyHosts { limit: MAX_HOSTS }, start);
        }
        *budget -= count;
        Ok(Operand { op, parts, count })
    }

    /// Checks the literal text `input[start..end]` of an operand.
    fn literal(&self, start: usize, end: usize) -> Result<(), NodeSetError> {
        for (i, c) in self.input[start..end].char_indices() {
            if c.is_whitespace() {
                return self.err(NodeSetErrorKind::UnexpectedWhitespace, start + i);
            }
            if c.is_control() {
                return self.err(NodeSetErrorKind::ControlCharacter, start + i);
            }
        }
        Ok(())
    }

    /// Refuses an operand in `input[start..end]` whose user or address starts with `-`
    /// (the address follows the last `@`, as [`Host::parse`](crate::host::Host::parse)
    /// reads it).
    fn option_like(&self, start: usize, end: usize) -> Result<(), NodeSetError> {
        let body = &self.input[start..end];
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

    /// ClusterShell's `_amend_trailing_digits`: the digits after a group go into each
    /// of its numbers, and a range gets the step that keeps its numbers
    /// (`[1-3]0` is `[10-30/10]`).
    fn amend_trailing(
        &self,
        content: &str,
        digits: &str,
        open: usize,
    ) -> Result<String, NodeSetError> {
        if content.contains('/') {
            return self.err(NodeSetErrorKind::StepWithTrailingDigits, open);
        }
        let items: Vec<String> = content
            .split(',')
            .map(|item| {
                let shifted: Vec<String> =
                    item.split('-').map(|b| format!("{b}{digits}")).collect();
                let mut shifted = shifted.join("-");
                if item.contains('-') {
                    shifted.push_str("/1");
                    shifted.extend(std::iter::repeat_n('0', digits.len()));
                }
                shifted
            })
            .collect();
        Ok(items.join(","))
    }

    /// Parses the content of a bracket group whose `[` is at byte `open` into its
    /// indexes (as text, sorted, distinct), refusing more than `budget`. Errors point at
    /// the item when the content is as written (`raw`), else at the `[`.
    fn group(
        &self,
        content: &str,
        open: usize,
        budget: usize,
        raw: bool,
    ) -> Result<Vec<String>, NodeSetError> {
        if content.trim().is_empty() {
            return self.err(NodeSetErrorKind::EmptyBrackets, open);
        }
        let mut items = Vec::new();
        let mut verbatim = Vec::new();
        let mut total: u64 = 0;
        let mut offset = open + 1;
        for piece in content.split(',') {
            let item = piece.trim();
            let at = if raw {
                offset + (piece.len() - piece.trim_start().len())
            } else {
                open
            };
            offset += piece.len() + 1;
            if item.is_empty() {
                return self.err(NodeSetErrorKind::EmptyRangeItem, at);
            }
            // A lone index too large for 64 bits is kept as written (it cannot be in a
            // range), so that such names fold and parse back.
            if item.len() > 19 && item.bytes().all(|b| b.is_ascii_digit()) {
                total = total.saturating_add(1);
                verbatim.push(item.to_string());
                continue;
            }
            let parsed = self.range_item(item, at)?;
            total = total.saturating_add(parsed.count());
            if total > budget as u64 {
                return self.err(NodeSetErrorKind::TooManyHosts { limit: MAX_HOSTS }, open);
            }
            items.push(parsed);
        }
        let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        for item in &items {
            let mut n = item.low;
            loop {
                out.push(format!("{n:0width$}", width = item.width));
                match n.checked_add(item.step) {
                    Some(next) if next <= item.high => n = next,
                    _ => break,
                }
            }
        }
        out.extend(verbatim);
        out.sort_unstable_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        out.dedup();
        Ok(out)
    }

    /// Parses `low[-high[/step]]` (trimmed), at byte `at`,
    /// with ClusterShell's padding rules: a bound with leading zeros sets the width, and
    /// then both bounds must have it.
    fn range_item(&self, item: &str, at: usize) -> Result<RangeItem, NodeSetError> {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range.trim(), Some(step.trim())),
            None => (item, None),
        };
        let (low_text, high_text) = match range.split_once('-') {
            Some((low, high)) => (low.trim(), Some(high.trim())),
            None => (range, None),
        };
        if low_text.is_empty() {
            let kind = if high_text.is_some_and(|h| !h.is_empty()) {
                NodeSetErrorKind::NegativeIndex {
                    range: range.to_string(),
                }
            } else {
                NodeSetErrorKind::MissingBound {
                    range: range.to_string(),
                    bound: "lower",
                }
            };
            return self.err(kind, at);
        }
        let low = self.number(low_text, at)?;
        let high = match high_text {
            Some("") => {
                let kind = NodeSetErrorKind::MissingBound {
                    range: range.to_string(),
                    bound: "upper",
                };
                return self.err(kind, at);
            }
            Some(text) if text.contains('-') => {
                let kind = NodeSetErrorKind::NegativeIndex {
                    range: range.to_string(),
                };
                return self.err(kind, at);
            }
            Some(text) => Some(self.number(text, at)?),
            None => None,
        };
        let pad = |t: &str| t.len() > 1 && t.starts_with('0');
        let high_text = high_text.unwrap_or(low_text);
        if (pad(low_text) || pad(high_text)) && low_text.len() != high_text.len() {
            let kind = NodeSetErrorKind::PaddingMismatch {
                range: range.to_string(),
            };
            return self.err(kind, at);
        }
        let high_value = high.unwrap_or(low);
        if high_value < low {
            let kind = NodeSetErrorKind::ReversedRange {
                range: range.to_string(),
                low,
                high: high_value,
            };
            return self.err(kind, at);
        }
        let step = match step {
            None => 1,
            Some(_) if high.is_none() => return self.err(NodeSetErrorKind::StepWithoutRange, at),
            Some("") => return self.err(NodeSetErrorKind::MissingStep, at),
            Some(text) => match self.number(text, at)? {
                0 => return self.err(NodeSetErrorKind::ZeroStep, at),
                step => step,
            },
        };
        Ok(RangeItem {
            low,
            high: high_value,
            step,
            width: if pad(low_text) { low_text.len() } else { 0 },
        })
    }

    /// Parses a non-empty run of decimal digits, at byte `at`.
    fn number(&self, text: &str, at: usize) -> Result<u64, NodeSetError> {
        if text.chars().any(|c| !c.is_ascii_digit()) {
            let kind = if text.chars().any(char::is_whitespace) {
                NodeSetErrorKind::UnexpectedWhitespace
            } else {
                NodeSetErrorKind::NotANumber {
                    text: text.to_string(),
                }
            };
            return self.err(kind, at);
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
}

/// ClusterShell's `_amend_leading_digits`: the digits before a group go in front of
/// each bound of its contiguous runs (`0[1-3,5]` is `[01-03,05]`).
fn amend_leading(indexes: &[String], digits: &str) -> String {
    let idx: Vec<Idx<'_>> = indexes.iter().map(|s| Idx::new(s)).collect();
    let items: Vec<String> = runs(&idx)
        .into_iter()
        .map(|(low, high)| {
            if low == high {
                format!("{digits}{}", low.text())
            } else {
                format!("{digits}{}-{digits}{}", low.text(), high.text())
            }
        })
        .collect();
    items.join(",")
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

/// The names of an operand, leftmost group slowest.
fn expand(operand: &Operand<'_>) -> Vec<String> {
    let parts = &operand.parts;
    let groups: Vec<&Vec<String>> = parts
        .iter()
        .filter_map(|part| match part {
            Part::Literal(_) => None,
            Part::Group(indexes) => Some(indexes),
        })
        .collect();
    let mut cursor = vec![0usize; groups.len()];
    let mut names = Vec::with_capacity(operand.count);
    for _ in 0..operand.count {
        let mut name = String::new();
        let mut g = 0;
        for part in parts {
            match part {
                Part::Literal(text) => name.push_str(text),
                Part::Group(_) => {
                    name.push_str(&groups[g][cursor[g]]);
                    g += 1;
                }
            }
        }
        names.push(name);
        // Advance the odometer, rightmost group fastest.
        for g in (0..groups.len()).rev() {
            cursor[g] += 1;
            if cursor[g] < groups[g].len() {
                break;
            }
            cursor[g] = 0;
        }
    }
    names
}
