//! Parameter sweeps and their checkpoint: execo's `sweep`, `igeom`, `geom`,
//! `ParamSweeper` and `sweep_stats`.
//!
//! An experiment is a list of combinations of parameters, each run once. [`Sweep`]
//! builds that list (a cartesian product, with execo's restricted sub-sweeps), either as
//! dynamic [`Combination`]s or deserialized into the user's own struct
//! ([`Sweep::typed`]). [`ParamSweeper`] hands the combinations out, to threads,
//! processes and hosts sharing one directory, and remembers which are done so that a
//! killed experiment continues where it stopped (`-C`).
//!
//! The directory is the checkpoint, and it is built to survive `kill -9` at any moment
//! (DESIGN.md, decision 7):
//!
//! - `format`: `execo-sweeper 1`;
//! - `sweep.jsonl`: the current sweep, one combination a line, so that
//!   `execo sweep status` counts what remains without the program;
//! - `done.jsonl`: an append-only log, one line per done combination and its result,
//!   on disk (`fdatasync`) before [`ParamSweeper::done`] returns. It is the source of
//!   truth: a line cut by a kill is dropped (it was never acknowledged), a damaged line
//!   in the middle stops everything (done work is never silently forgotten);
//! - `inprogress.json`: who holds what (host, pid, process start time), rewritten
//!   under the lock so that no reader or kill sees half of it (in place within one page,
//!   by rename beyond). Not fsync'd: it is soft state. An entry whose combination is in
//!   the done log is void (`done` does not rewrite this file: one write fewer per
//!   combination; the next writer drops it). Entries of dead processes of this host go
//!   back to todo by themselves;
//! - `lock`: POSIX `fcntl` record locks (they work on NFS, `flock` does not reliably),
//!   open-file-description locks where the kernel has them. Every operation takes it,
//!   reads what the others changed, changes, writes. Its first bytes count the writes
//!   of `inprogress.json`, so one read tells whether to reload it. Never delete it while
//!   a sweep runs.
//!
//! Results given to [`ParamSweeper::done_with`] travel in the done line itself, and are
//! copied to `results.jsonl` and `results.yaml` with
//! [`ParamSweeper::results_to`]; [`read_results`] reads them back. The copies follow
//! the log, except that a result is never deleted: one the log lacks (a log cut or
//! emptied by hand) goes back into the log, and one that cannot is an error.
//!
//! Combinations are identified by their canonical JSON text (maps sorted by key), so a
//! combination keeps its identity across runs, programs and versions of the struct as
//! long as it serializes the same.

mod error;
pub(crate) mod files;
/// This host's name, as the sweeper records it (the experiment's set-up markers too).
pub(crate) use files::hostname as this_hostname;
mod results;
mod state;
mod stats;
mod status;
mod sweeper;

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use error::SweepError;
// The one atomic write and the one results reader, shared with `plot`.
#[cfg_attr(not(feature = "plot"), allow(unused_imports))]
pub(crate) use files::write_atomic;
pub use results::{ResultEntry, read_results};
#[cfg_attr(not(feature = "plot"), allow(unused_imports))]
pub(crate) use results::{Syntax, read_entries};
pub use stats::{LevelStats, ParamStats, ParameterStats, SweepStats};
pub use status::{InProgressEntry, SweepStatus, reset_dir};
pub use sweeper::{ParamSweeper, SweepItem};

/// The serde this module is built with, for crates that derive `Serialize` and
/// `Deserialize` on their combination structs without depending on serde themselves:
/// `#[derive(execo::sweep::serde::Deserialize)] #[serde(crate = "execo::sweep::serde")]`.
#[doc(hidden)]
pub use serde;

/// execo's `igeom`: `n` integers in geometric progression from `min` to `max`, rounded
/// (half to even, as Python's `round`), deduplicated and sorted, so there may be fewer
/// than `n`. `igeom(1, 20, 5) == [1, 2, 4, 9, 20]`. `min` must be positive for a
/// progression to exist (with 0 the inner values degenerate to 0).
pub fn igeom(min: u64, max: u64, n: usize) -> Vec<u64> {
    match n {
        0 => return Vec::new(),
        1 => return vec![min],
        _ => {}
    }
    let mut v: Vec<u64> = geom(min as f64, max as f64, n)
        .into_iter()
        // `as` saturates (and maps NaN to 0): no panic on degenerate bounds.
        .map(|x| x.round_ties_even() as u64)
        .chain([min, max])
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// execo's `geom`: `n` floats in geometric progression from `min` to `max`, computed
/// exactly as execo does (`min * r^i` with `r = (max/min)^(1/(n-1))`), ends included.
pub fn geom(min: f64, max: f64, n: usize) -> Vec<f64> {
    match n {
        0 => return Vec::new(),
        1 => return vec![min],
        _ => {}
    }
    let ratio = (max / min).powf(1.0 / (n - 1) as f64);
    let mut v = Vec::with_capacity(n);
    v.push(min);
    v.extend((1..n - 1).map(|i| min * ratio.powf(i as f64)));
    v.push(max);
    v
}

/// An `f64` usable in hashed and ordered combinations: equal, hashed and ordered by its
/// bits (IEEE total order), so `0.0 != -0.0` and NaN equals itself. Serialized as the
/// plain number.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Float(pub f64);

impl PartialEq for Float {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for Float {}
impl Hash for Float {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}
impl PartialOrd for Float {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Float {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` keeps the `.0` of whole numbers, like Python's repr.
        write!(f, "{:?}", self.0)
    }
}
impl From<f64> for Float {
    fn from(v: f64) -> Self {
        Float(v)
    }
}

/// One level of a parameter in a dynamic [`Combination`].
///
/// Untagged: it is serialized as the bare JSON value, and read back as the first variant
/// that fits (a whole number is an `Int`, `2.0` a `Float`). NaN and infinities have no
/// JSON form: a combination holding one cannot be checkpointed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(Float),
    /// A string.
    Str(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::$v(v.into())
            }
        }
    )*};
}
value_from!(bool => Bool, i32 => Int, i64 => Int, u32 => Int, f64 => Float, Float => Float,
    String => Str, &str => Str);

impl From<u64> for Value {
    /// Beyond `i64::MAX` the number becomes a `Float` (rounded).
    fn from(v: u64) -> Self {
        i64::try_from(v).map_or(Value::Float(Float(v as f64)), Value::Int)
    }
}
impl From<usize> for Value {
    /// Beyond `i64::MAX` the number becomes a `Float` (rounded).
    fn from(v: usize) -> Self {
        Value::from(v as u64)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Str(v.clone())
    }
}

/// A dynamic combination of parameters, name to level: execo's `HashableDict`. Its JSON
/// form is an object with the names sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Combination(pub BTreeMap<String, Value>);

impl Combination {
    /// The level of parameter `name`, if this combination has it (a restricted
    /// sub-parameter exists only with its level).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

impl fmt::Display for Combination {
    /// `a=1 b=cubic`, names sorted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
enum Factor {
    Levels(Vec<Value>),
    Restricted(Vec<(Value, Sweep)>),
}

impl Factor {
    fn is_empty(&self) -> bool {
        match self {
            Factor::Levels(v) => v.is_empty(),
            Factor::Restricted(v) => v.is_empty(),
        }
    }
}

/// A full factorial design: execo's `sweep()`, as a builder.
///
/// ```
/// use execo_runtime::sweep::Sweep;
/// let combs = Sweep::new()
///     .param("a", [1, 2])
///     .restricted("b", [("x", Sweep::new().param("c", [true, false])), ("y", Sweep::new())])
///     .combinations();
/// assert_eq!(combs.len(), 6); // a=1 b=x c=true, a=1 b=x c=false, a=1 b=y, then a=2 ...
/// assert!(combs[2].get("c").is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Sweep {
    params: Vec<(String, Factor)>,
}

impl Sweep {
    /// An empty sweep: one empty combination.
    pub fn new() -> Self {
        Sweep::default()
    }

    fn set(mut self, name: &str, factor: Factor) -> Self {
        // A name given twice keeps its first place and its last levels (a Python dict).
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = factor,
            None => self.params.push((name.to_string(), factor)),
        }
        self
    }

    /// Parameter `name` takes each of `levels`. With no levels at all the parameter is
    /// dropped (as execo does), rather than making the whole product empty.
    pub fn param<I: IntoIterator<Item = V>, V: Into<Value>>(self, name: &str, levels: I) -> Self {
        self.set(
            name,
            Factor::Levels(levels.into_iter().map(Into::into).collect()),
        )
    }

    /// Parameter `name` takes each level, each with its own sub-sweep, whose parameters
    /// are swept only together with that level (execo's dict form). An empty sub-sweep
    /// gives the bare level.
    pub fn restricted<I, L>(self, name: &str, levels: I) -> Self
    where
        I: IntoIterator<Item = (L, Sweep)>,
        L: Into<Value>,
    {
        self.set(
            name,
            Factor::Restricted(levels.into_iter().map(|(l, s)| (l.into(), s)).collect()),
        )
    }

    /// Every combination, in nested-loop order: parameters in the order they were
    /// declared, the last declared varying fastest; a restricted level's sub-sweep is
    /// walked (in its own order) inside that level. Same order as execo's `sweep()`.
    pub fn combinations(&self) -> Vec<Combination> {
        let mut result = vec![Combination::default()];
        for (name, factor) in &self.params {
            if factor.is_empty() {
                continue;
            }
            let mut next = Vec::new();
            for base in &result {
                match factor {
                    Factor::Levels(levels) => {
                        for level in levels {
                            let mut c = base.clone();
                            c.0.insert(name.clone(), level.clone());
                            next.push(c);
                        }
                    }
                    Factor::Restricted(levels) => {
                        for (level, sub) in levels {
                            for subc in sub.combinations() {
                                let mut c = base.clone();
                                c.0.insert(name.clone(), level.clone());
                                c.0.extend(subc.0);
                                next.push(c);
                            }
                        }
                    }
                }
            }
            result = next;
        }
        result
    }

    /// Every combination (in [`combinations`](Self::combinations) order) deserialized
    /// into `T`, typically the user's struct with one field per parameter (a restricted
    /// sub-parameter as an `Option` field). A missing or mistyped field is an error
    /// naming the combination and the field.
    pub fn typed<T: DeserializeOwned>(&self) -> Result<Vec<T>, SweepError> {
        self.combinations()
            .iter()
            .enumerate()
            .map(|(i, c)| typed_one(i, c))
            .collect()
    }
}

/// Deserializes one combination, through its JSON text so that a type error's column
/// tells which field it is about.
fn typed_one<T: DeserializeOwned>(index: usize, c: &Combination) -> Result<T, SweepError> {
    let mut text = String::from("{");
    let mut spans = Vec::new();
    for (i, (k, v)) in c.0.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        // Serializing strings, bools and numbers to JSON cannot fail (NaN becomes null).
        text.push_str(&serde_json::to_string(k).unwrap_or_default());
        text.push(':');
        let start = text.len();
        text.push_str(&serde_json::to_string(v).unwrap_or_default());
        spans.push((k.as_str(), start, text.len()));
    }
    text.push('}');
    serde_json::from_str(&text).map_err(|e| {
        let cause = e.to_string();
        // Cut serde_json's " at line 1 column N": the combination is shown instead.
        let cause = match cause.rfind(" at line ") {
            Some(at) => cause[..at].to_string(),
            None => cause,
        };
        // The error's column is 1-based and points at (or just after) the bad value.
        let col = e.column();
        let field = if cause.contains('`') {
            None // serde names the field itself (missing field `x`, unknown field `y`)
        } else {
            spans
                .iter()
                .find(|(_, s, end)| col > *s && col <= *end + 1)
                .map(|(k, _, _)| k.to_string())
        };
        SweepError::Typed {
            index,
            combination: c.to_string(),
            field,
            cause,
        }
    })
}
