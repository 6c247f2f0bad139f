//! execo's `Report`: what happened in one or more actions, as a table for a terminal or
//! as JSON / YAML for a program.
//!
//! A report holds an action's summed [`Stats`] (start, end, length; counts of processes
//! started, ended, failed to start, timed out, force-killed, with expect failures, write
//! errors, non-zero exits, ok) and, for composite actions, one nested report per
//! sub-action.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use super::ActionHandle;
use crate::process::Stats;

/// The summary of an action (and of its sub-actions, nested).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    /// The summed counts of every process below.
    #[serde(flatten)]
    pub stats: Stats,
    /// Seconds from the first start to the last end.
    pub length: Option<f64>,
    /// The reports of the sub-actions, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Report>,
}

impl Report {
    /// A report of `stats` with sub-reports `children`.
    pub fn new(stats: Stats, children: Vec<Report>) -> Report {
        Report {
            length: stats.length().map(|d| d.as_secs_f64()),
            stats,
            children,
        }
    }

    /// One report over several actions (execo's `Report([a, b, c])`), each nested.
    pub fn of<'a>(
        name: impl Into<String>,
        actions: impl IntoIterator<Item = &'a ActionHandle>,
    ) -> Report {
        let children: Vec<Report> = actions.into_iter().map(ActionHandle::report).collect();
        let mut stats = Stats {
            name: name.into(),
            ..Stats::default()
        };
        for c in &children {
            stats.merge(&c.stats);
        }
        if children.iter().any(|c| c.stats.end_time.is_none()) {
            stats.end_time = None;
        }
        Report::new(stats, children)
    }

    /// As pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// As YAML.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).unwrap_or_else(|e| format!("error: {e}\n"))
    }

    fn rows(&self, depth: usize, out: &mut Vec<[String; 14]>) {
        let s = &self.stats;
        let name = format!("{}{}", "  ".repeat(depth), s.name);
        out.push([
            truncate(&name, 40),
            clock(s.start_time),
            clock(s.end_time),
            self.length.map_or("-".into(), |l| format!("{l:.3}s")),
            s.num_processes.to_string(),
            s.started.to_string(),
            s.ended.to_string(),
            s.errors.to_string(),
            s.timeouts.to_string(),
            s.forced_kills.to_string(),
            s.expect_fails.to_string(),
            s.write_errors.to_string(),
            s.non_zero_exit_codes.to_string(),
            s.ok.to_string(),
        ]);
        for c in &self.children {
            c.rows(depth + 1, out);
        }
    }
}

const HEADER: [&str; 14] = [
    "name", "start", "end", "length", "total", "started", "ended", "errors", "timeouts", "killed",
    "expfail", "wrterr", "non-zero", "ok",
];

impl fmt::Display for Report {
    /// execo's table: one row per action, sub-actions indented under their parent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rows = vec![HEADER.map(String::from)];
        self.rows(0, &mut rows);
        let mut widths = [0; 14];
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        for (i, r) in rows.iter().enumerate() {
            let mut line = String::new();
            for (j, (c, w)) in r.iter().zip(widths).enumerate() {
                if j == 0 {
                    line += &format!("{c:<w$}");
                } else {
                    line += &format!("  {c:>w$}");
                }
            }
            writeln!(f, "{}", line.trim_end())?;
            if i == 0 {
                writeln!(f, "{}", "-".repeat(line.trim_end().chars().count()))?;
            }
        }
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

/// `HH:MM:SS.mmm` (UTC) of a time, `-` if unknown.
fn clock(t: Option<SystemTime>) -> String {
    match t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
        Some(d) => {
            let secs = d.as_secs() % 86_400;
            format!(
                "{:02}:{:02}:{:02}.{:03}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60,
                d.subsec_millis()
            )
        }
        None => "-".into(),
    }
}
