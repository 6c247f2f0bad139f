//! Figures of a planning (feature `plot`): execo's `draw_gantt` (per site, one row per
//! host, busy in grey and free in its cluster's colour, over the window) and
//! `draw_slots` (free hosts per cluster over time, stacked, for a walltime), written
//! as PNG or SVG by the box plots' renderer (its font, encoder and atomic write), so a
//! figure on disk is complete or absent.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::g5k::oar::format_oar_date;
use crate::plot::PlotError;
use crate::plot::render::{FAMILY, Format, encode_png, font, output_format, write_figure};

use super::slots::Slot;
use super::{Planning, Span};

/// execo's `_set_colors`: a pastel per site (sorted), its clusters shaded from it.
const SITE_COLORS: [(u8, u8, u8); 10] = [
    (255, 122, 122),
    (255, 204, 122),
    (255, 255, 122),
    (255, 246, 153),
    (204, 255, 122),
    (122, 255, 122),
    (122, 255, 255),
    (122, 204, 255),
    (204, 188, 255),
    (255, 188, 255),
];
const BUSY: RGBColor = RGBColor(0x66, 0x66, 0x66);

/// The colour of each cluster of the planning, as execo gives them.
fn cluster_colors(p: &Planning) -> Vec<(String, RGBColor)> {
    let mut out = Vec::new();
    for (i_site, sp) in p.sites.values().enumerate() {
        let base = SITE_COLORS[i_site % SITE_COLORS.len()];
        let chans = [base.0, base.1, base.2];
        let min_i = (0..3).min_by_key(|&i| chans[i]).unwrap_or(0);
        for (i_cluster, c) in sp.clusters.keys().enumerate() {
            let mut col = chans;
            col[min_i] = (f64::from(col[min_i]) + i_cluster as f64 * 0.12 * 255.0).min(255.0) as u8;
            out.push((c.clone(), RGBColor(col[0], col[1], col[2])));
        }
    }
    out
}

fn color_of(colors: &[(String, RGBColor)], c: &str) -> RGBColor {
    colors
        .iter()
        .find(|(n, _)| n == c)
        .map_or(RGBColor(0x7f, 0x7f, 0x7f), |x| x.1)
}

/// A date as the axes show it: `MM-DD HH:MM`, Europe/Paris.
fn date_label(t: f64) -> String {
    let s = format_oar_date(t as i64);
    s.get(5..16).unwrap_or(&s).to_string()
}

/// A figure that draws on any backend.
trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

fn render(fig: &impl Figure, out: &Path) -> Result<(), PlotError> {
    let format = output_format(out)?;
    font()?;
    let draw_err = |e: &dyn std::fmt::Display| PlotError::Draw {
        path: out.to_path_buf(),
        cause: e.to_string(),
    };
    let (w, h) = fig.size();
    let bytes = match format {
        Format::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                fig.draw(&root).map_err(|e| draw_err(&e))?;
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
                fig.draw(&root).map_err(|e| draw_err(&e))?;
                root.present().map_err(|e| draw_err(&e))?;
            }
            svg.into_bytes()
        }
    };
    write_figure(out, &bytes)
}

struct Gantt<'a> {
    p: &'a Planning,
}

impl Figure for Gantt<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.p.sites.len().div_ceil(2).max(1) as u32;
        (1200, 400 * rows)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let n = self.p.sites.len().max(1);
        let cols = if n > 1 { 2 } else { 1 };
        let areas = root.split_evenly((n.div_ceil(cols), cols));
        let colors = cluster_colors(self.p);
        let x = self.p.start as f64..self.p.end as f64;
        for ((site, sp), area) in self.p.sites.iter().zip(areas) {
            let mut rows: Vec<(&str, &str, &[Span], &[Span])> = Vec::new();
            for (c, hosts) in &sp.clusters {
                let mut hs: Vec<(&String, _)> = hosts.iter().collect();
                hs.sort_by_key(|(h, _)| host_key(h));
                for (h, el) in hs {
                    rows.push((c, h, &el.busy, &el.free));
                }
            }
            let n_rows = rows.len().max(1) as f64;
            let mut chart = ChartBuilder::on(&area)
                .caption(capitalised(site), (FAMILY, 22))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(110)
                .build_cartesian_2d(x.clone(), 0.0..n_rows)?;
            let names: Vec<String> = rows
                .iter()
                .map(|r| r.1.split('.').next().unwrap_or(r.1).to_string())
                .collect();
            let y_label = |v: &f64| {
                let i = v.floor() as usize;
                if rows.len() <= 40 && (v - v.floor() - 0.5).abs() < 1e-6 {
                    names.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            };
            let x_label = |v: &f64| date_label(*v);
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_labels(6)
                .y_labels(rows.len().clamp(1, 40) * 2 + 1)
                .x_label_formatter(&x_label)
                .y_label_formatter(&y_label)
                .label_style((FAMILY, 12))
                .draw()?;
            let mut bars = Vec::new();
            for (i, (c, _, busy, free)) in rows.iter().enumerate() {
                let (y0, y1) = (i as f64 + 0.1, i as f64 + 0.9);
                let fc = color_of(&colors, c);
                for &(s, e) in *free {
                    bars.push(Rectangle::new(
                        [(s as f64, y0), (e as f64, y1)],
                        fc.filled(),
                    ));
                }
                for &(s, e) in *busy {
                    bars.push(Rectangle::new(
                        [(s as f64, y0), (e as f64, y1)],
                        BUSY.filled(),
                    ));
                }
            }
            chart.draw_series(bars)?;
        }
        Ok(())
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Hosts in node number order (`taurus-2` before `taurus-10`).
fn host_key(h: &str) -> (String, u64) {
    let short = h.split('.').next().unwrap_or(h);
    match short.rsplit_once('-') {
        Some((c, n)) => (c.to_string(), n.parse().unwrap_or(0)),
        None => (short.to_string(), 0),
    }
}

/// execo's `draw_gantt`: the planning's hosts, site by site, busy and free, into `out`
/// (`.png` or `.svg`).
pub fn draw_gantt(planning: &Planning, out: &Path) -> Result<(), PlotError> {
    render(&Gantt { p: planning }, out)
}

struct SlotsFigure<'a> {
    p: &'a Planning,
    slots: &'a [Slot],
}

impl Figure for SlotsFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, 700)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let colors = cluster_colors(self.p);
        let start = self.slots.first().map_or(self.p.start, |s| s.start) as f64;
        let end = self
            .slots
            .last()
            .map_or(self.p.end, |s| s.end)
            .max(start as i64 + 1) as f64;
        let max = self
            .slots
            .iter()
            .map(|s| s.get("grid5000"))
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption("Free hosts", (FAMILY, 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(start..end, 0.0..max * 1.1)?;
        let x_label = |v: &f64| date_label(*v);
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&x_label)
            .x_desc("Time")
            .y_desc("Nodes available")
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 16))
            .draw()?;
        // Each slot's counts hold from its start to the next slot's start.
        let mut bars = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            let t0 = s.start as f64;
            let t1 = self.slots.get(i + 1).map_or(end, |n| n.start as f64);
            let mut base = 0.0;
            for (c, col) in &colors {
                let n = f64::from(s.get(c));
                if n > 0.0 {
                    bars.push(Rectangle::new([(t0, base), (t1, base + n)], col.filled()));
                    base += n;
                }
            }
        }
        chart.draw_series(bars)?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(start, max), (end, max)],
            BLACK.stroke_width(2),
        )))?;
        for (c, col) in &colors {
            let col = *col;
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
                .label(c.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], col.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font((FAMILY, 14))
            .draw()?;
        Ok(())
    }
}

/// execo's `draw_slots`: the free hosts of each cluster over time, stacked, with the
/// most free as a line, into `out` (`.png` or `.svg`).
pub fn draw_slots(planning: &Planning, slots: &[Slot], out: &Path) -> Result<(), PlotError> {
    render(&SlotsFigure { p: planning, slots }, out)
}
