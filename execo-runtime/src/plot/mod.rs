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
//! # Caveats
//!
//! plotters draws text with `ab_glyph` from a TrueType file read at run time (no
//! fontconfig): `EXECO_FONT`, else DejaVu Sans from Debian's `fonts-dejavu-core` or its
//! usual places elsewhere. The font is read once and kept for the life of the process.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use serde_json::Value;

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

/// A box's numbers, as matplotlib's `boxplot` computes them.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    /// First quartile (25th percentile, linear interpolation).
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// The lowest value at or above `q1 - 1.5 IQR` (or `q1` if none is below it).
    pub whisker_low: f64,
    /// The highest value at or below `q3 + 1.5 IQR` (or `q3` if none is above it).
    pub whisker_high: f64,
    /// Values beyond the whiskers, ascending.
    pub outliers: Vec<f64>,
}

impl BoxStats {
    /// The box of `values` (any order); `None` when there are none or one is NaN.
    pub fn of(values: &[f64]) -> Option<BoxStats> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let (q1, median, q3) = (
            percentile(&v, 25.0),
            percentile(&v, 50.0),
            percentile(&v, 75.0),
        );
        let iqr = q3 - q1;
        let (lo, hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
        // matplotlib's cbook.boxplot_stats: the whisker stops at the box when no value
        // lies between the box and the fence.
        let whisker_low = v.iter().copied().find(|&x| x >= lo).filter(|&x| x <= q1);
        let whisker_high = v
            .iter()
            .rev()
            .copied()
            .find(|&x| x <= hi)
            .filter(|&x| x >= q3);
        let (whisker_low, whisker_high) = (whisker_low.unwrap_or(q1), whisker_high.unwrap_or(q3));
        let outliers = v
            .iter()
            .copied()
            .filter(|&x| x < whisker_low || x > whisker_high)
            .collect();
        Some(BoxStats {
            q1,
            median,
            q3,
            whisker_low,
            whisker_high,
            outliers,
        })
    }
}

/// The `p`th percentile (0..=100) of ascending `sorted`, interpolated linearly between
/// the closest ranks (`numpy.percentile`'s default); NaN when empty, finite when the
/// values are.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let rank = p.clamp(0.0, 100.0) / 100.0 * last as f64;
    let below = rank.floor() as usize;
    let above = (below + 1).min(last);
    let frac = rank - below as f64;
    let (a, b) = (sorted[below], sorted[above]);
    let gap = b - a;
    if gap.is_finite() {
        a + gap * frac
    } else {
        // Values whose distance overflows (-1e308 and 1e308): the same point, computed
        // without the overflow.
        a * (1.0 - frac) + b * frac
    }
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

/// Matplotlib's default colour cycle (tab10), so figures look like execo's.
const COLORS: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// The font family name text is drawn with; the font is registered under it.
const FAMILY: &str = "sans-serif";

/// Where DejaVu Sans lives on the common distributions (Debian's fonts-dejavu-core
/// first).
const FONT_PATHS: [&str; 5] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
];

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

    /// Draws `points` into `out`, a PNG or an SVG according to its extension.
    pub fn render(&self, points: &[Point], out: &Path) -> Result<(), PlotError> {
        let format = output_format(out)?;
        font()?;
        let layout = Layout::new(points).map_err(|Overflow { x, low, high }| PlotError::Range {
            path: out.to_path_buf(),
            role: if x { "x" } else { "metric" },
            name: if x { &self.x } else { &self.metric }.clone(),
            low,
            high,
        })?;
        let draw_err = |e: &dyn fmt::Display| PlotError::Draw {
            path: out.to_path_buf(),
            cause: e.to_string(),
        };
        let (w, h) = self.size;
        let bytes = match format {
            Format::Png => {
                let mut rgb = vec![0u8; w as usize * h as usize * 3];
                {
                    let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                    self.draw(&root, &layout).map_err(|e| draw_err(&e))?;
                    root.present().map_err(|e| draw_err(&e))?;
                }
                encode_png(&rgb, (w, h)).map_err(|e| PlotError::Write {
                    path: out.to_path_buf(),
                    cause: e.to_string(),
                })?
            }
            Format::Svg => {
                let mut svg = String::new();
                {
                    let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                    self.draw(&root, &layout).map_err(|e| draw_err(&e))?;
                    root.present().map_err(|e| draw_err(&e))?;
                }
                svg.into_bytes()
            }
        };
        write_atomically(out, &bytes)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let mut builder = ChartBuilder::on(root);
        builder
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(90);
        if let Some(t) = &self.title {
            builder.caption(t, (FAMILY, 26));
        }
        let mut chart = builder.build_cartesian_2d(
            Ticked {
                range: l.x_range.0..l.x_range.1,
                ticks: l.ticks.clone(),
            },
            l.y_range.0..l.y_range.1,
        )?;
        let x_label = |v: &f64| l.tick_label(*v);
        let y_label = |v: &f64| short(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .x_desc(self.x_label.as_deref().unwrap_or(&self.x))
            .y_desc(self.y_label.as_deref().unwrap_or(&self.metric))
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style((FAMILY, 16))
            .axis_desc_style((FAMILY, 18))
            .draw()?;
        let half = l.box_width / 2.0;
        for (gi, group) in l.groups.iter().enumerate() {
            let color = COLORS[gi % COLORS.len()];
            let offset = l.offset(gi);
            let thin = ShapeStyle::from(&color).stroke_width(1);
            let mut elements: Vec<DynElement<DB, (f64, f64)>> = Vec::new();
            for (x, stats) in &group.boxes {
                let c = x + offset;
                elements.push(
                    Rectangle::new([(c - half, stats.q3), (c + half, stats.q1)], thin).into_dyn(),
                );
                elements.push(
                    PathElement::new(
                        vec![(c - half, stats.median), (c + half, stats.median)],
                        ShapeStyle::from(&color).stroke_width(2),
                    )
                    .into_dyn(),
                );
                for (from, to) in [
                    (stats.q1, stats.whisker_low),
                    (stats.q3, stats.whisker_high),
                ] {
                    elements.push(PathElement::new(vec![(c, from), (c, to)], thin).into_dyn());
                    elements.push(
                        PathElement::new(vec![(c - half / 2.0, to), (c + half / 2.0, to)], thin)
                            .into_dyn(),
                    );
                }
                for &o in &stats.outliers {
                    elements.push(Circle::new((c, o), 3, thin).into_dyn());
                }
            }
            chart.draw_series(elements)?;
            // The median line through the levels, unshifted, as in execo's figure; it
            // carries the legend entry.
            let medians = group.boxes.iter().map(|(x, s)| (*x, s.median));
            let series = chart.draw_series(LineSeries::new(medians, color))?;
            if let Some(name) = &group.name {
                series.label(name.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            }
        }
        if l.groups.iter().any(|g| g.name.is_some()) {
            chart
                .configure_series_labels()
                .position(l.legend_corner())
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font((FAMILY, 16))
                .draw()?;
        }
        Ok(())
    }
}

/// PNG or SVG.
enum Format {
    Png,
    Svg,
}

fn output_format(out: &Path) -> Result<Format, PlotError> {
    match out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => Ok(Format::Png),
        Some(e) if e.eq_ignore_ascii_case("svg") => Ok(Format::Svg),
        _ => Err(PlotError::Extension {
            path: out.to_path_buf(),
            expected: "use .png or .svg",
        }),
    }
}

/// Checks that `out` names a format `render` can write, before any work is done.
pub fn check_output(out: &Path) -> Result<(), PlotError> {
    output_format(out).map(drop)
}

/// One group's boxes, at their levels' positions (before the group's offset).
struct Series {
    name: Option<String>,
    boxes: Vec<(f64, BoxStats)>,
}

/// Values an axis cannot span: the lowest and highest, of x or of the metric.
struct Overflow {
    x: bool,
    low: f64,
    high: f64,
}

/// Whether an axis from `lo` to `hi` can be drawn: both ends finite and its length too
/// (a length of infinity sends plotters' tick search into an endless loop).
fn drawable((lo, hi): (f64, f64)) -> bool {
    lo.is_finite() && hi.is_finite() && (hi - lo).is_finite()
}

/// Where everything goes: positions of levels, offsets of groups, axis ranges.
struct Layout {
    /// Level labels by position (categorical axis), empty for a numeric axis.
    categories: Vec<String>,
    ticks: Vec<f64>,
    groups: Vec<Series>,
    spacing: f64,
    box_width: f64,
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl Layout {
    fn new(points: &[Point]) -> Result<Layout, Overflow> {
        let numeric = points.iter().all(|p| matches!(p.x, Level::Number(_)));
        // Categorical levels are sorted as text; positions are 1, 2, 3...
        let mut categories: Vec<String> = Vec::new();
        if !numeric {
            categories = points.iter().map(|p| p.x.to_string()).collect();
            categories.sort();
            categories.dedup();
        }
        let position = |x: &Level| match x {
            Level::Number(v) if numeric => *v,
            other => {
                let s = other.to_string();
                categories.iter().position(|c| *c == s).unwrap_or(0) as f64 + 1.0
            }
        };
        // Groups in order of first appearance: the order the sweep ran them.
        let mut names: Vec<Option<String>> = Vec::new();
        for p in points {
            if !names.contains(&p.group) {
                names.push(p.group.clone());
            }
        }
        let mut ticks: Vec<f64> = points.iter().map(|p| position(&p.x)).collect();
        ticks.sort_by(f64::total_cmp);
        ticks.dedup();
        let groups: Vec<Series> = names
            .into_iter()
            .map(|name| {
                let mut by_x: BTreeMap<u64, (f64, Vec<f64>)> = BTreeMap::new();
                for p in points.iter().filter(|p| p.group == name) {
                    let pos = position(&p.x);
                    // Ordered keys for f64 positions: total order bits.
                    let key = ordered(pos);
                    by_x.entry(key).or_insert((pos, Vec::new())).1.push(p.value);
                }
                let boxes = by_x
                    .into_values()
                    .filter_map(|(x, v)| BoxStats::of(&v).map(|s| (x, s)))
                    .collect();
                Series { name, boxes }
            })
            .collect();
        // execo's figure: two groups 0.36 apart, each box 0.3 wide; narrower when more
        // groups or closer levels share the space.
        let gap = ticks.windows(2).map(|w| w[1] - w[0]).fold(1.0f64, f64::min);
        let n = groups.len().max(1) as f64;
        let spacing = (0.36f64).min(0.8 * gap / n);
        let box_width = spacing * 0.8;
        let (lo, hi) = (
            ticks.first().copied().unwrap_or(0.0),
            ticks.last().copied().unwrap_or(0.0),
        );
        let x_range = if numeric {
            (lo.min(0.0).min(lo - 1.0), hi + 1.0)
        } else {
            (0.0, hi + 1.0)
        };
        let values = groups.iter().flat_map(|g| {
            g.boxes.iter().flat_map(|(_, s)| {
                [s.whisker_low, s.whisker_high]
                    .into_iter()
                    .chain(s.outliers.iter().copied())
            })
        });
        let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let y_range = if !min.is_finite() {
            (0.0, 1.0)
        } else {
            let pad = if max > min {
                (max - min) * 0.05
            } else {
                min.abs().max(1.0) * 0.1
            };
            let padded = ((min - pad).max(f64::MIN), (max + pad).min(f64::MAX));
            // Values near the ends of f64 get no margin rather than no plot.
            if drawable(padded) { padded } else { (min, max) }
        };
        if !drawable(x_range) {
            return Err(Overflow {
                x: true,
                low: lo,
                high: hi,
            });
        }
        if !drawable(y_range) {
            return Err(Overflow {
                x: false,
                low: min,
                high: max,
            });
        }
        Ok(Layout {
            categories,
            ticks,
            groups,
            spacing,
            box_width,
            x_range,
            y_range,
        })
    }

    /// How far group `i` is shifted from its level.
    fn offset(&self, i: usize) -> f64 {
        (i as f64 - (self.groups.len() as f64 - 1.0) / 2.0) * self.spacing
    }

    /// Lower right as in execo's figure when the boxes at the last level leave room
    /// there; else the corner with the most room above or below the boxes at the first
    /// or last level.
    fn legend_corner(&self) -> SeriesLabelPosition {
        let (y0, y1) = self.y_range;
        // The lowest and highest drawn values at a level.
        let extent = |level: Option<f64>| {
            let at = self
                .groups
                .iter()
                .flat_map(|g| g.boxes.iter().filter(|(x, _)| Some(*x) == level));
            at.fold((y1, y0), |(lo, hi), (_, s)| {
                let lo = s
                    .outliers
                    .iter()
                    .fold(lo.min(s.whisker_low), |a, &o| a.min(o));
                let hi = s
                    .outliers
                    .iter()
                    .fold(hi.max(s.whisker_high), |a, &o| a.max(o));
                (lo, hi)
            })
        };
        let (first, last) = (
            extent(self.ticks.first().copied()),
            extent(self.ticks.last().copied()),
        );
        let corners = [
            (SeriesLabelPosition::LowerRight, last.0 - y0),
            (SeriesLabelPosition::UpperRight, y1 - last.1),
            (SeriesLabelPosition::LowerLeft, first.0 - y0),
            (SeriesLabelPosition::UpperLeft, y1 - first.1),
        ];
        if corners[0].1 >= (y1 - y0) * 0.3 {
            return SeriesLabelPosition::LowerRight;
        }
        corners
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(SeriesLabelPosition::LowerRight, |(c, _)| c)
    }

    fn tick_label(&self, v: f64) -> String {
        if self.categories.is_empty() {
            return short(v);
        }
        let i = v.round() as i64 - 1;
        usize::try_from(i)
            .ok()
            .and_then(|i| self.categories.get(i))
            .cloned()
            .unwrap_or_default()
    }
}

/// A linear axis whose ticks are the levels, like `plt.xticks(levels)`.
/// (plotters' `with_key_points` wrapper lacks a formatter for f64 axes.)
struct Ticked {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.range.start, self.range.end);
        let frac = if hi > lo {
            (value - lo) / (hi - lo)
        } else {
            0.5
        };
        limit.0 + (frac * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// A key that sorts like the f64 it comes from.
fn ordered(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
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

/// The entries of a results file, each with where it starts.
pub fn read_entries(path: &Path) -> Result<Vec<(Location, Value)>, PlotError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let yaml = match ext {
        "jsonl" | "json" => false,
        "yaml" | "yml" => true,
        _ => {
            return Err(PlotError::Extension {
                path: path.to_path_buf(),
                expected: "use .jsonl, .yaml or .yml",
            });
        }
    };
    let content = std::fs::read_to_string(path).map_err(|cause| PlotError::Read {
        path: path.to_path_buf(),
        cause,
    })?;
    let parse = |at: String, cause: String| PlotError::Parse {
        path: path.to_path_buf(),
        at,
        cause,
    };
    let entries = if yaml {
        let doc: Option<Value> =
            serde_norway::from_str(&content).map_err(|e| parse(String::new(), e.to_string()))?;
        let items = match doc {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(parse(
                    String::new(),
                    "expected a sequence of `- params: ...` entries".into(),
                ));
            }
        };
        // The sweeper writes block sequences: each entry starts with `- ` at column 0.
        let starts: Vec<usize> = content
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("- ") || *l == "-")
            .map(|(i, _)| i + 1)
            .collect();
        let lines_known = starts.len() == items.len();
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let at = if lines_known {
                    Location::Line(starts[i])
                } else {
                    Location::Entry(i + 1)
                };
                (at, v)
            })
            .collect()
    } else {
        let mut out = Vec::new();
        for (i, line) in content.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line)
                .map_err(|e| parse(format!(" line {}", i + 1), e.to_string()))?;
            out.push((Location::Line(i + 1), v));
        }
        out
    };
    if entries.is_empty() {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(entries)
}

/// Registers the text font once per process.
fn font() -> Result<(), PlotError> {
    static FONT: OnceLock<Result<(), String>> = OnceLock::new();
    let load = || -> Result<(), PlotError> {
        let from_env = std::env::var_os("EXECO_FONT").map(PathBuf::from);
        let candidates: Vec<PathBuf> = match &from_env {
            Some(p) => vec![p.clone()],
            None => FONT_PATHS.iter().map(PathBuf::from).collect(),
        };
        let Some(path) = candidates.iter().find(|p| p.is_file()) else {
            return Err(PlotError::NoFont {
                tried: candidates.iter().map(|p| p.display().to_string()).collect(),
            });
        };
        let bad = |cause: String| PlotError::BadFont {
            path: path.clone(),
            cause,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        // plotters keeps fonts as `&'static [u8]`: the file is read once per process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font(FAMILY, FontStyle::Normal, bytes)
            .map_err(|_| bad("not a TrueType or OpenType font".into()))
    };
    match FONT.get_or_init(|| load().map_err(|e| e.to_string())) {
        Ok(()) => Ok(()),
        // Rebuild the typed error for the caller (the cached one is its message).
        Err(_) => load(),
    }
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Writes `bytes` to a temporary file beside `out`, then renames it: a reader never
/// sees half a figure.
fn write_atomically(out: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let err = |e: std::io::Error| PlotError::Write {
        path: out.to_path_buf(),
        cause: e.to_string(),
    };
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, out).map_err(|e| {
        std::fs::remove_file(&tmp).ok();
        err(e)
    })
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

    #[test]
    fn percentiles_of_values_whose_distance_overflows_stay_finite() {
        let v = [-1e308, 1e308];
        assert_eq!(percentile(&v, 25.0), -5e307);
        assert_eq!(percentile(&v, 50.0), 0.0);
        assert_eq!(percentile(&[f64::MIN, f64::MAX], 100.0), f64::MAX);
        let s = BoxStats::of(&[-1e308, 1e308, 1e308]).unwrap();
        assert!(s.q1.is_finite() && s.q3 == 1e308, "{s:?}");
    }

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
