//! The figure of a topology (execo's `treemap`), PNG or SVG, drawn with the box plots'
//! renderer (its font, PNG encoding and atomic write). execo lays the graph out with
//! graphviz; here a radial tree does it, with no external program: the backbone (else
//! the router) at the centre, each node's subtree in a sector as wide as its leaves
//! are many, hosts on the outer ring. Colours, shapes and link widths are execo's
//! legend.

use std::collections::{HashMap, HashSet, VecDeque};
use std::f64::consts::PI;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::G5kGraph;
use super::graph::Kind;
use crate::plot::PlotError;
use crate::plot::render::{FAMILY, Format, encode_png, font, output_format, write_figure};

/// The figure's size in pixels (execo's 10 x 10 inches at 100 dpi).
const SIZE: (u32, u32) = (1000, 1000);

fn rgb(hex: u32) -> RGBColor {
    RGBColor((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

/// execo's `_default_edges_legend`: width (in points, 1.5 pixel each here) and colour
/// by bandwidth.
fn edge_style(bw: Option<f64>) -> (u32, RGBColor) {
    let (w, c) = match bw.map(|b| b.round() as u64) {
        Some(100_000_000) => (0.2, 0x666666),
        Some(1_000_000_000) => (0.4, 0x666666),
        Some(3_000_000_000) => (0.6, 0x333333),
        Some(10_000_000_000) => (1.0, 0x111111),
        Some(20_000_000_000) => (2.0, 0x111111),
        Some(30_000_000_000) => (3.0, 0x111111),
        Some(40_000_000_000) => (4.0, 0x111111),
        _ => (0.8, 0x000000),
    };
    (((w * 1.5_f64).round() as u32).max(1), rgb(c))
}

/// execo's `_default_nodes_legend`: colour and size (radius in pixels) by kind.
fn node_style(kind: &Kind) -> (RGBColor, i32) {
    match kind {
        Kind::Renater => (rgb(0x9CF7BC), 12),
        Kind::Router => (rgb(0xBFDFF2), 14),
        Kind::Switch => (rgb(0xF5C9CD), 9),
        Kind::Host => (rgb(0xF0F7BE), 5),
        Kind::Linecard => (WHITE, 4),
        _ => (rgb(0xCCCCCC), 8),
    }
}

/// The label of a node: its name up to the first dot (execo's), whole for routers,
/// which every site names `gw`.
fn label<'n>(n: &'n str, kind: &Kind) -> &'n str {
    match kind {
        Kind::Router => n,
        _ => n.split('.').next().unwrap_or(n),
    }
}

/// Positions in the unit disc: a radial layout of the breadth-first trees of each
/// connected part, from its most central kind of node.
fn layout(g: &G5kGraph) -> HashMap<String, (f64, f64)> {
    let graph = g.graph();
    let rank = |k: &Kind| match k {
        Kind::Renater => 0,
        Kind::Router => 1,
        Kind::Switch | Kind::Virtual | Kind::Other(_) => 2,
        Kind::Linecard => 3,
        Kind::Host => 4,
    };
    let mut seen: HashSet<&str> = HashSet::new();
    // the forest: (node, parent, depth), parts one after the other
    let mut roots = Vec::new();
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut depth: HashMap<&str, usize> = HashMap::new();
    loop {
        let root = graph
            .nodes()
            .filter(|(n, _)| !seen.contains(n))
            .min_by_key(|(n, d)| (rank(&d.kind), usize::MAX - graph.neighbors(n).len()))
            .map(|(n, _)| n);
        let Some(root) = root else { break };
        roots.push(root);
        seen.insert(root);
        depth.insert(root, 0);
        let mut queue = VecDeque::from([root]);
        while let Some(v) = queue.pop_front() {
            for w in graph.neighbors(v) {
                if seen.insert(w) {
                    children.entry(v).or_default().push(w);
                    depth.insert(w, depth[v] + 1);
                    queue.push_back(w);
                }
            }
        }
    }
    fn leaves<'a>(
        n: &'a str,
        ch: &HashMap<&'a str, Vec<&'a str>>,
        memo: &mut HashMap<&'a str, usize>,
    ) -> usize {
        let c = ch.get(n).map_or(1, |c| {
            c.iter().map(|x| leaves(x, ch, memo)).sum::<usize>().max(1)
        });
        memo.insert(n, c);
        c
    }
    let mut count = HashMap::new();
    let total: usize = roots.iter().map(|r| leaves(r, &children, &mut count)).sum();
    let max_depth = depth.values().copied().max().unwrap_or(0);
    // with several parts, their roots sit on a first ring around an empty centre
    let offset = usize::from(roots.len() > 1);
    let ring = 1.0 / (max_depth + offset).max(1) as f64;
    let mut pos = HashMap::new();
    let mut stack: Vec<(&str, f64, f64)> = Vec::new();
    let mut start = 0.0;
    for r in &roots {
        let span = 2.0 * PI * count[r] as f64 / total.max(1) as f64;
        stack.push((r, start, span));
        start += span;
    }
    while let Some((n, from, span)) = stack.pop() {
        let radius = (depth[n] + offset) as f64 * ring;
        let angle = from + span / 2.0;
        pos.insert(n.to_string(), (radius * angle.cos(), radius * angle.sin()));
        let mut at = from;
        for c in children.get(n).into_iter().flatten() {
            let s = span * count[c] as f64 / count[n] as f64;
            stack.push((c, at, s));
            at += s;
        }
    }
    pos
}

impl G5kGraph {
    /// Draws the topology into `out`, a PNG or an SVG according to its extension.
    pub fn render(&self, out: &Path) -> Result<(), PlotError> {
        let format = output_format(out)?;
        font()?;
        let draw_err = |e: &dyn std::fmt::Display| PlotError::Draw {
            path: out.to_path_buf(),
            cause: e.to_string(),
        };
        let (w, h) = SIZE;
        let bytes = match format {
            Format::Png => {
                let mut buf = vec![0u8; w as usize * h as usize * 3];
                {
                    let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
                    self.draw(&root).map_err(|e| draw_err(&e))?;
                    root.present().map_err(|e| draw_err(&e))?;
                }
                encode_png(&buf, (w, h)).map_err(|e| PlotError::Write {
                    path: out.to_path_buf(),
                    cause: e.to_string(),
                })?
            }
            Format::Svg => {
                let mut svg = String::new();
                {
                    let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                    self.draw(&root).map_err(|e| draw_err(&e))?;
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
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let pos = layout(self);
        let (w, h) = SIZE;
        // the layout's bounding box, fitted to the figure above the title
        let (margin, title_h) = (90.0, 80.0);
        let xs = pos.values().map(|p| p.0);
        let ys = pos.values().map(|p| p.1);
        let (x0, x1) = (
            xs.clone().fold(f64::MAX, f64::min),
            xs.fold(f64::MIN, f64::max),
        );
        let (y0, y1) = (
            ys.clone().fold(f64::MAX, f64::min),
            ys.fold(f64::MIN, f64::max),
        );
        let (aw, ah) = (
            f64::from(w) - 2.0 * margin,
            f64::from(h) - 2.0 * margin - title_h,
        );
        let scale = match (x1 - x0 > 1e-9, y1 - y0 > 1e-9) {
            (true, true) => (aw / (x1 - x0)).min(ah / (y1 - y0)),
            (true, false) => aw / (x1 - x0),
            (false, true) => ah / (y1 - y0),
            (false, false) => 1.0,
        };
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let px = |n: &str| -> (i32, i32) {
            let (x, y) = pos.get(n).copied().unwrap_or((cx, cy));
            (
                (f64::from(w) / 2.0 + (x - cx) * scale).round() as i32,
                ((f64::from(h) - title_h) / 2.0 - (y - cy) * scale).round() as i32,
            )
        };
        for e in self.graph().edges() {
            let (width, color) = edge_style(e.bandwidth);
            let style = ShapeStyle {
                color: color.to_rgba(),
                filled: false,
                stroke_width: width,
            };
            root.draw(&PathElement::new(vec![px(&e.a), px(&e.b)], style))?;
        }
        let hosts = self.hosts(None, None).len();
        for (n, d) in self.graph().nodes() {
            let (fill, r) = node_style(&d.kind);
            let (x, y) = px(n);
            let border = BLACK.stroke_width(1);
            match d.kind {
                Kind::Switch => {
                    root.draw(&Rectangle::new(
                        [(x - r, y - r), (x + r, y + r)],
                        fill.filled(),
                    ))?;
                    root.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], border))?;
                }
                Kind::Renater | Kind::Linecard => {
                    let sides = if d.kind == Kind::Renater { 5 } else { 3 };
                    let pts: Vec<(i32, i32)> = (0..sides)
                        .map(|i| {
                            let a = PI / 2.0 + 2.0 * PI * f64::from(i) / f64::from(sides);
                            (
                                x + (f64::from(r) * a.cos()).round() as i32,
                                y - (f64::from(r) * a.sin()).round() as i32,
                            )
                        })
                        .collect();
                    root.draw(&Polygon::new(pts.clone(), fill.filled()))?;
                    let mut closed = pts.clone();
                    closed.push(pts[0]);
                    root.draw(&PathElement::new(closed, border))?;
                }
                _ => {
                    root.draw(&Circle::new((x, y), r, fill.filled()))?;
                    root.draw(&Circle::new((x, y), r, border))?;
                }
            }
        }
        // labels last, over the links and nodes; execo's font sizes: 8 points for
        // equipment, 6 for hosts (fewer when many)
        for (n, d) in self.graph().nodes() {
            let (_, r) = node_style(&d.kind);
            let (x, y) = px(n);
            let size = match d.kind {
                Kind::Host if hosts > 40 => 10,
                Kind::Host | Kind::Linecard => 12,
                Kind::Router => 16,
                _ => 15,
            };
            let font = (FAMILY, size).into_font().color(&BLACK);
            root.draw(&Text::new(
                label(n, &d.kind).to_string(),
                (x + r + 2, y - r - 2),
                font,
            ))?;
        }
        let title = [
            "Created by execo topology".to_string(),
            crate::g5k::oar::time::format_oar_date(crate::g5k::oar::time::now_unix()),
            format!("API commit {}", self.api_commit),
        ];
        for (i, line) in title.iter().enumerate() {
            root.draw(&Text::new(
                line.clone(),
                (100, h as i32 - 70 + 20 * i as i32),
                (FAMILY, 15).into_font().color(&BLACK),
            ))?;
        }
        Ok(())
    }
}
