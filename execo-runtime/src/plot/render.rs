//! Drawing: the layout of boxes and groups, the axes, the font, and the PNG or SVG
//! written with the sweeper's atomic write, so a figure is complete or absent.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;

use super::stats::BoxStats;
use super::{BoxPlot, Level, PlotError, Point, short};

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
pub(crate) const FAMILY: &str = "sans-serif";

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
        write_figure(out, &bytes)
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
pub(crate) enum Format {
    Png,
    Svg,
}

pub(crate) fn output_format(out: &Path) -> Result<Format, PlotError> {
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

/// Registers the text font once per process.
pub(crate) fn font() -> Result<(), PlotError> {
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

pub(crate) fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Writes the figure with the sweeper's atomic write, durably: a reader, or a crash,
/// never leaves half a figure at `out`.
pub(crate) fn write_figure(out: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    crate::sweep::write_atomic(out, bytes, true).map_err(|e| PlotError::Write {
        path: out.to_path_buf(),
        cause: e.to_string(),
    })
}
