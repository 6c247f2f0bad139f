//! Parse errors of node sets: what is wrong, where (a byte offset), and the input with a
//! caret under the place, cut to a window around it when long.

use std::fmt;

#[cfg(doc)]
use super::MAX_HOSTS;

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
    pub(super) fn new(kind: NodeSetErrorKind, position: usize, input: &str) -> NodeSetError {
        NodeSetError {
            kind,
            position,
            input: input.to_string(),
        }
    }

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
    /// A bracket group right after another, or after another and digits: `a[1-2][3]`,
    /// `a[1-2]0[3]` (ClusterShell refuses them too).
    #[error("a `[` right after a bracket group (only digits between them)")]
    ReopenedBracket,
    /// `[]`: a range list with nothing in it.
    #[error("empty range list `[]`")]
    EmptyBrackets,
    /// Nothing before or after an operator (`,`, `!`, `&`, `^`).
    #[error("missing node set on one side of `{op}`")]
    MissingOperand {
        /// The operator.
        op: char,
    },
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
    /// A range whose bounds disagree on padding: `[01-3]`, `[1-010]` (a bound with
    /// leading zeros sets the width, and then both bounds must have it).
    #[error("padding length mismatch in `{range}` (both bounds must have the same width)")]
    PaddingMismatch {
        /// The range as written.
        range: String,
    },
    /// A negative index: `[-3]`, `[-5-5]` (ClusterShell reads them; we do not, see the
    /// README).
    #[error("negative index in `{range}`")]
    NegativeIndex {
        /// The range as written.
        range: String,
    },
    /// Digits right after a group with a step: `[1-9/2]0`.
    #[error("digits right after a range list with a step (`[1-9/2]0`)")]
    StepWithTrailingDigits,
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
