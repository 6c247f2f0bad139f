//! Counts of a sweep: overall ([`SweepStats`], execo's `ParamSweeper.stats()` and
//! `__str__`) and per parameter and level ([`ParamStats`], execo's `sweep_stats`), to
//! see at a glance which levels are done and which keep failing.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Where a combination of the sweep stands (what the counts count; the state machine
/// in `state` moves combinations between them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Todo = 0,
    InProgress = 1,
    Done = 2,
    Skipped = 3,
}

/// How many combinations of the current sweep are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepStats {
    /// Combinations in the sweep.
    pub total: usize,
    /// Neither done, in progress nor skipped: what `get_next` hands out (execo's
    /// "remaining").
    pub todo: usize,
    /// Held by a process (this one or another).
    pub in_progress: usize,
    /// Done (durably).
    pub done: usize,
    /// Skipped by this instance in this run (retried by later runs).
    pub skipped: usize,
}

impl SweepStats {
    fn add(&mut self, s: Status) {
        self.total += 1;
        match s {
            Status::Todo => self.todo += 1,
            Status::InProgress => self.in_progress += 1,
            Status::Done => self.done += 1,
            Status::Skipped => self.skipped += 1,
        }
    }
}

impl fmt::Display for SweepStats {
    /// execo's form: `6 total, 2 done, 0 skipped, 1 in progress, 3 remaining`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} total, {} done, {} skipped, {} in progress, {} remaining",
            self.total, self.done, self.skipped, self.in_progress, self.todo
        )
    }
}

/// The counts of the combinations where one parameter has one level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelStats {
    /// The level, as JSON.
    pub level: serde_json::Value,
    /// Its counts.
    pub stats: SweepStats,
}

/// One parameter's levels, in the order they first appear in the sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParameterStats {
    /// The parameter (a top-level key of the combinations' JSON objects).
    pub name: String,
    /// Its levels.
    pub levels: Vec<LevelStats>,
}

/// execo's `sweep_stats`: per parameter and level, how many combinations are in each
/// state. Parameters sorted by name; a restricted sub-parameter counts only the
/// combinations that have it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ParamStats {
    /// The parameters.
    pub params: Vec<ParameterStats>,
}

impl ParamStats {
    pub(super) fn build<'a>(items: impl Iterator<Item = (&'a serde_json::Value, Status)>) -> Self {
        let mut by_name: BTreeMap<String, Vec<LevelStats>> = BTreeMap::new();
        for (v, s) in items {
            let Some(obj) = v.as_object() else { continue };
            for (name, level) in obj {
                let levels = by_name.entry(name.clone()).or_default();
                let at = match levels.iter().position(|l| l.level == *level) {
                    Some(i) => i,
                    None => {
                        levels.push(LevelStats {
                            level: level.clone(),
                            stats: SweepStats::default(),
                        });
                        levels.len() - 1
                    }
                };
                levels[at].stats.add(s);
            }
        }
        ParamStats {
            params: by_name
                .into_iter()
                .map(|(name, levels)| ParameterStats { name, levels })
                .collect(),
        }
    }
}

fn level_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl fmt::Display for ParamStats {
    /// A table: parameter, level, total, done, skipped, in progress, remaining, % done.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<(String, String, SweepStats)> = self
            .params
            .iter()
            .flat_map(|p| {
                p.levels
                    .iter()
                    .map(|l| (p.name.clone(), level_text(&l.level), l.stats))
            })
            .collect();
        let wn = rows.iter().map(|r| r.0.len()).chain([9]).max().unwrap_or(9);
        let wl = rows.iter().map(|r| r.1.len()).chain([5]).max().unwrap_or(5);
        writeln!(
            f,
            "{:wn$}  {:wl$}  {:>6}  {:>6}  {:>7}  {:>11}  {:>9}  {:>6}",
            "parameter", "level", "total", "done", "skipped", "in progress", "remaining", "%done"
        )?;
        let mut last = "";
        for (name, level, s) in &rows {
            let shown = if name == last { "" } else { name.as_str() };
            last = name;
            let pct = if s.total > 0 {
                100.0 * s.done as f64 / s.total as f64
            } else {
                0.0
            };
            writeln!(
                f,
                "{shown:wn$}  {level:wl$}  {:>6}  {:>6}  {:>7}  {:>11}  {:>9}  {pct:>5.1}%",
                s.total, s.done, s.skipped, s.in_progress, s.todo
            )?;
        }
        Ok(())
    }
}
