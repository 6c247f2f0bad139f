//! From a results file to points: the sweeper's results reader (one set of rules for
//! every reader of results files), then names looked up in each entry.

use std::path::Path;

use serde_json::Value;

use super::{BoxPlot, Level, Location, PlotError, Point};
use crate::sweep::{self, SweepError, Syntax};

impl BoxPlot {
    /// Reads the points of `path` (`.jsonl`, `.yaml`, `.yml`). Entries whose metric is
    /// absent or null (a failed run) are skipped with a warning; an entry without the
    /// x or group parameter that others have is an error.
    pub fn load_points(&self, path: &Path) -> Result<Vec<Point>, PlotError> {
        let entries = read_entries(path)?;
        let missing = |role, name: &str| PlotError::Missing {
            path: path.to_path_buf(),
            role,
            name: name.to_string(),
            available: available(&entries),
        };
        let mut wanted = vec![("metric", &self.metric), ("x", &self.x)];
        wanted.extend(self.group.as_ref().map(|g| ("group", g)));
        for (role, name) in wanted {
            if entries.iter().all(|(_, e)| lookup(e, name).is_none()) {
                return Err(missing(role, name));
            }
        }
        let mut points = Vec::with_capacity(entries.len());
        let mut skipped = Vec::new();
        for (at, e) in &entries {
            let value = match lookup(e, &self.metric) {
                None | Some(Value::Null) => {
                    skipped.push(at.to_string());
                    continue;
                }
                Some(v) => v.as_f64().ok_or_else(|| PlotError::NotNumber {
                    path: path.to_path_buf(),
                    at: *at,
                    name: self.metric.clone(),
                    value: v.to_string(),
                })?,
            };
            let param = |role, name: &str| {
                lookup(e, name).ok_or_else(|| PlotError::MissingIn {
                    path: path.to_path_buf(),
                    at: *at,
                    role,
                    name: name.to_string(),
                })
            };
            let x = match param("x", &self.x)? {
                Value::Number(n) => n.as_f64().map_or(Level::Text(n.to_string()), Level::Number),
                v => Level::Text(text(v)),
            };
            let group = match &self.group {
                Some(g) => Some(text(param("group", g)?)),
                None => None,
            };
            points.push(Point { x, group, value });
        }
        if !skipped.is_empty() {
            tracing::warn!(
                "`{}`: no `{}` at {}: skipped",
                path.display(),
                self.metric,
                skipped.join(", ")
            );
        }
        Ok(points)
    }
}

/// A parameter's level as a label: strings bare, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `name` in an entry: `params.<name>`, then `result.<name>`, then from the root.
fn lookup<'a>(entry: &'a Value, name: &str) -> Option<&'a Value> {
    let path = |root: Option<&'a Value>| {
        name.split('.')
            .try_fold(root?, |v: &'a Value, key| v.as_object()?.get(key))
    };
    path(entry.get("params"))
        .or_else(|| path(entry.get("result")))
        .or_else(|| path(Some(entry)))
}

/// The names entries have, for error messages: `params.*` then `result.*` (or
/// `result` when it is a bare value), deduplicated, in first-seen order.
fn available(entries: &[(Location, Value)]) -> Vec<String> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<String>) {
        match v.as_object() {
            Some(map) if !map.is_empty() => {
                for (k, sub) in map {
                    walk(&format!("{prefix}.{k}"), sub, out);
                }
            }
            _ => {
                if !out.iter().any(|o| o == prefix) {
                    out.push(prefix.to_string());
                }
            }
        }
    }
    let mut out = Vec::new();
    for root in ["params", "result"] {
        for (_, e) in entries {
            if let Some(v) = e.get(root) {
                walk(root, v, &mut out);
            }
        }
    }
    out
}

/// The entries of a results file, each with where it starts, read with the sweeper's
/// reader ([`read_results`](crate::sweep::read_results)'s rules): a last entry cut by a
/// kill is left out with a warning, any other that does not read is an error naming
/// its line.
pub fn read_entries(path: &Path) -> Result<Vec<(Location, Value)>, PlotError> {
    if Syntax::of(path).is_none() {
        return Err(PlotError::Extension {
            path: path.to_path_buf(),
            expected: "use .jsonl, .yaml or .yml",
        });
    }
    let entries: Vec<(Location, Value)> = sweep::read_entries::<Value>(path)
        .map_err(|e| from_sweep(path, e))?
        .into_iter()
        .enumerate()
        .map(|(i, (line, v))| (line.map_or(Location::Entry(i + 1), Location::Line), v))
        .collect();
    if entries.is_empty() {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(entries)
}

/// The reader's error as a plot's.
fn from_sweep(path: &Path, e: SweepError) -> PlotError {
    match e {
        SweepError::Io { source, .. } => PlotError::Read {
            path: path.to_path_buf(),
            cause: source,
        },
        SweepError::Results { line, cause, .. } => PlotError::Parse {
            path: path.to_path_buf(),
            at: line.map(|l| format!(" line {l}")).unwrap_or_default(),
            cause,
        },
        other => PlotError::Parse {
            path: path.to_path_buf(),
            at: String::new(),
            cause: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order() {
        let e: Value = serde_json::json!({
            "params": {"n": 1, "bw": "param wins"},
            "result": {"bw": 2.5, "nested": {"x": 7}},
        });
        assert_eq!(lookup(&e, "bw"), Some(&Value::from("param wins")));
        assert_eq!(lookup(&e, "result.bw"), Some(&Value::from(2.5)));
        assert_eq!(lookup(&e, "nested.x"), Some(&Value::from(7)));
        assert_eq!(lookup(&e, "absent"), None);
        let bare: Value = serde_json::json!({"params": {"n": 1}, "result": 3.0});
        assert_eq!(lookup(&bare, "result"), Some(&Value::from(3.0)));
    }
}
