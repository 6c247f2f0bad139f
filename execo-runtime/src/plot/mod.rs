//! Box plots of an experiment's results: a metric against one parameter, one box per
//! (level, group), the figure of execo's TCP congestion example.
//!
//! Results files are read as untyped JSON values, so any experiment's file plots without
//! its `Params` type: `results.jsonl` (one `{"params": {..}, "result": ..}` per line) or
//! `results.yaml` (a sequence of the same entries). A name is looked up as
//! `params.<name>`, then `result.<name>`, then `<name>` from the entry's root, so
//! `num_flows`, `throughput_bps`, `result.bw` and `result` (a bare number) all work.
//!
//! The statistics are matplotlib's `boxplot`: quartiles by linear interpolation
//! (`numpy.percentile`'s default), whiskers at the most extreme values within 1.5 IQR of
//! the box, the rest drawn as outliers. Numeric levels are placed at their values, as
//! execo's figure does; any other level makes the axis categorical.
//!
//! The module follows the three steps of a figure, one file each: `read` turns a
//! results file into [`Point`]s with the sweeper's results reader (one set of rules for
//! every reader of results files: a cut last line left out with a warning, a damaged
//! one an error naming its line), `stats` computes the boxes, and `render` lays them
//! out and writes the PNG or SVG with the sweeper's atomic write (temporary file,
//! fsync, rename, fsync of the directory), so a figure on disk is complete or absent.
//! `render` uses `stats`; nothing reaches back, and this file holds only the shared
//! types.
//!
//! # Caveats
//!
//! plotters draws text with `ab_glyph` from a TrueType file read at run time (no
//! fontconfig): `EXECO_FONT`, else DejaVu Sans from Debian's `fonts-dejavu-core` or its
//! usual places elsewhere. The font is read once and kept for the life of the process.

mod read;
pub(crate) mod render;
mod stats;

use std::fmt;
use std::path::PathBuf;

pub use read::read_entries;
pub use render::check_output;
pub use stats::{BoxStats, percentile};

/// Why a plot could not be made, with the file and the cause named.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The results file could not be read.
    #[error("failed to read `{path}`: {cause}")]
    Read {
        /// The results file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        cause: std::io::Error,
    },
    /// A line or the document is not valid JSON / YAML, or not a sequence of entries.
    #[error("failed to parse `{path}`{at}: {cause}")]
    Parse {
        /// The results file.
        path: PathBuf,
        /// ` line N` when known.
        at: String,
        /// The parser's message.
        cause: String,
    },
    /// The file holds no entries.
    #[error("`{path}` holds no results")]
    Empty {
        /// The results file.
        path: PathBuf,
    },
    /// No entry has the name asked for.
    #[error("no entry of `{path}` has a {role} `{name}`; available: {}", available.join(", "))]
    Missing {
        /// The results file.
        path: PathBuf,
        /// `metric`, `x` or `group`.
        role: &'static str,
        /// The name as given.
        name: String,
        /// The names the entries do have (`params.*`, `result.*`).
        available: Vec<String>,
    },
    /// Some entries have the parameter and this one does not.
    #[error("`{path}` {at}: no {role} `{name}` in this entry, though others have one")]
    MissingIn {
        /// The results file.
        path: PathBuf,
        /// `line N` or `entry N`.
        at: Location,
        /// `x` or `group`.
        role: &'static str,
        /// The name as given.
        name: String,
    },
    /// The metric of an entry is not a number.
    #[error("`{path}` {at}: metric `{name}` is {value}, not a number")]
    NotNumber {
        /// The results file.
        path: PathBuf,
        /// `line N` or `entry N`.
        at: Location,
        /// The metric's name.
        name: String,
        /// The value found, as JSON.
        value: String,
    },
    /// The file's extension says neither JSON Lines nor YAML, or an output's says
    /// neither PNG nor SVG.
    #[error("cannot tell the format of `{path}` from its extension: {expected}")]
    Extension {
        /// The file.
        path: PathBuf,
        /// What is accepted.
        expected: &'static str,
    },
    /// No TrueType font was found to draw text with.
    #[error(
        "no font to draw text with (tried {}): install Debian's `fonts-dejavu-core` \
         (apt-get install fonts-dejavu-core) or set EXECO_FONT to a .ttf file",
        tried.join(", ")
    )]
    NoFont {
        /// The paths tried.
        tried: Vec<String>,
    },
    /// The font file is there but could not be used.
    #[error("failed to load font `{path}`: {cause}")]
    BadFont {
        /// The font file.
        path: PathBuf,
        /// Why.
        cause: String,
    },
    /// The values of the metric (or the numeric levels of x) are finite but so far
    /// apart that the axis's length overflows an f64: plotters would compute its ticks
    /// forever.
    #[error(
        "failed to draw `{path}`: {role} `{name}` spans {low:e} to {high:e}, a range too \
         wide for an axis (its length overflows a 64-bit float)"
    )]
    Range {
        /// The output file.
        path: PathBuf,
        /// `metric` or `x`.
        role: &'static str,
        /// The metric's or the parameter's name.
        name: String,
        /// The smallest value.
        low: f64,
        /// The largest value.
        high: f64,
    },
    /// plotters failed to draw.
    #[error("failed to draw `{path}`: {cause}")]
    Draw {
        /// The output file.
        path: PathBuf,
        /// plotters' message.
        cause: String,
    },
    /// The figure could not be written.
    #[error("failed to write `{path}`: {cause}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O or encoder error.
        cause: String,
    },
}

impl PlotError {
    /// Whether the error is in what the user gave (file, names, extensions) rather than
    /// in the machine (font, disk).
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            PlotError::NoFont { .. }
                | PlotError::BadFont { .. }
                | PlotError::Draw { .. }
                | PlotError::Write { .. }
        )
    }
}

/// Where an entry is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line (JSON Lines; YAML entries starting at column 0).
    Line(usize),
    /// A 1-based entry number, when its line is not known.
    Entry(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Entry(n) => write!(f, "entry {n}"),
        }
    }
}

/// A level of the x parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Level {
    /// A numeric level, placed at its value.
    Number(f64),
    /// Any other level (string, boolean, list...), shown as text.
    Text(String),
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Number(v) => write!(f, "{}", short(*v)),
            Level::Text(s) => f.write_str(s),
        }
    }
}

/// One measurement: its x level, its group and the metric's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The x parameter's level.
    pub x: Level,
    /// The group parameter's level, as text (`None` without `--group`).
    pub group: Option<String>,
    /// The metric.
    pub value: f64,
}

/// A box plot of a metric against one parameter, optionally grouped by another.
#[derive(Debug, Clone)]
pub struct BoxPlot {
    /// The parameter on the x axis.
    pub x: String,
    /// The parameter whose levels are drawn side by side (`cc`: cubic, reno).
    pub group: Option<String>,
    /// The measured value (`throughput_bps`, `result.bw`, `result`).
    pub metric: String,
    /// A title above the plot.
    pub title: Option<String>,
    /// The x axis's label (default: the x parameter's name).
    pub x_label: Option<String>,
    /// The y axis's label (default: the metric's name).
    pub y_label: Option<String>,
    /// Width and height in pixels (PNG) or user units (SVG).
    pub size: (u32, u32),
}

impl BoxPlot {
    /// A plot of `metric` against `x`, ungrouped, untitled, 1024 x 640.
    pub fn new(x: impl Into<String>, metric: impl Into<String>) -> Self {
        BoxPlot {
            x: x.into(),
            group: None,
            metric: metric.into(),
            title: None,
            x_label: None,
            y_label: None,
            size: (1024, 640),
        }
    }
}

/// A number as a short axis label: `20`, `0.25`, `940M`, `1.5G`.
fn short(v: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    let a = v.abs();
    if a >= 1e15 {
        // Past T, a fixed-point label would run to hundreds of digits.
        return format!("{v:.2e}");
    }
    for (scale, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")] {
        if a >= scale {
            let scale = if suffix == "k" { 1e3 } else { scale };
            return format!("{}{suffix}", trim(format!("{:.2}", v / scale)));
        }
    }
    if a == 0.0 || a >= 0.01 {
        trim(format!("{v:.3}"))
    } else {
        format!("{v:.2e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_labels() {
        assert_eq!(short(20.0), "20");
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(9.4e8), "940M");
        assert_eq!(short(1.5e9), "1.5G");
        assert_eq!(short(12_000.0), "12k");
        assert_eq!(short(-3.0), "-3");
        assert_eq!(short(1e308), "1.00e308");
        assert_eq!(short(-2.5e15), "-2.50e15");
    }
}
