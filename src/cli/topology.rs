//! `execo g5k topology` and `execo g5k charter`: the network graph of some sites,
//! clusters or hosts (listed, as JSON, or drawn to a PNG or SVG), and whether a moment
//! falls in Grid'5000's usage charter, with the next charter period; so that what
//! `execo::g5k::topology` and `execo::g5k::charter` know is a command away.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use execo::g5k::charter::{self, Date};
use execo::g5k::oar::{format_oar_date, oar_date_to_unixts};
use execo::g5k::topology::G5kGraph;
use execo::g5k::{G5kError, Reference};
use serde_json::json;

/// Options of `execo g5k topology`.
#[derive(Args, Debug)]
pub struct TopologyArgs {
    /// Sites, clusters or hosts (`lyon`, `taurus`, `taurus-1`); several sites get the
    /// backbone between them.
    #[arg(required = true, value_name = "ELEMENT")]
    elements: Vec<String>,
    /// Draw the graph into this file, `.png` or `.svg`.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print the graph as JSON (nodes, links, site routers, backbone) instead of text.
    #[arg(long)]
    json: bool,
}

/// Options of `execo g5k charter`.
#[derive(Args, Debug)]
pub struct CharterArgs {
    /// The moment, Europe/Paris: `YYYY-MM-DD HH:MM[:SS]`, or `YYYY-MM-DD` (its
    /// midnight); now when not given.
    #[arg(value_name = "DATE")]
    date: Option<String>,
}

/// Runs `execo g5k topology`.
pub fn topology(args: TopologyArgs) -> ExitCode {
    finish("topology", topology_lines(args))
}

/// Runs `execo g5k charter`.
pub fn charter(args: CharterArgs) -> ExitCode {
    finish("charter", charter_lines(args).map_err(|e| e.to_string()))
}

fn finish(verb: &str, lines: Result<Vec<String>, String>) -> ExitCode {
    match lines {
        Ok(lines) => {
            for l in lines {
                if let Err(e) = outln!("{l}") {
                    return super::stdout_failed("g5k", &e);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("execo g5k {verb}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A bandwidth as people write it: `25 Gbit/s`.
fn rate(bw: Option<f64>) -> String {
    match bw {
        None => "unknown rate".to_string(),
        Some(b) if b >= 1e12 => format!("{} Tbit/s", b / 1e12),
        Some(b) if b >= 1e9 => format!("{} Gbit/s", b / 1e9),
        Some(b) => format!("{} Mbit/s", b / 1e6),
    }
}

fn topology_lines(args: TopologyArgs) -> Result<Vec<String>, String> {
    #[cfg(feature = "plot")]
    if let Some(out) = &args.output {
        execo::plot::check_output(out).map_err(|e| e.to_string())?;
    }
    #[cfg(not(feature = "plot"))]
    if args.output.is_some() {
        return Err("figures need execo built with the `plot` feature".into());
    }
    let r = Reference::blocking_global().map_err(|e| e.to_string())?;
    let g = G5kGraph::new(r, &args.elements).map_err(|e| e.to_string())?;
    let mut lines = Vec::new();
    let routers: serde_json::Map<String, serde_json::Value> = g
        .sites()
        .into_iter()
        .filter_map(|s| g.site_router(&s).map(|r| (s, r.into())))
        .collect();
    if args.json {
        let nodes: Vec<serde_json::Value> = g
            .graph()
            .nodes()
            .map(|(n, d)| {
                let mut v = serde_json::to_value(d).unwrap_or_default();
                v["name"] = n.into();
                v
            })
            .collect();
        let doc = json!({
            "api_commit": g.api_commit,
            "sites": g.sites(),
            "site_routers": routers,
            "backbone": g.backbone(),
            "nodes": nodes,
            "edges": g.graph().edges(),
        });
        lines.push(serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
    } else {
        lines.push(format!(
            "# {} nodes, {} links (reference {})",
            g.graph().node_count(),
            g.graph().edges().len(),
            g.api_commit.get(..7).unwrap_or(&g.api_commit)
        ));
        for (n, d) in g.graph().nodes() {
            lines.push(format!("{n} ({})", d.kind.as_str()));
        }
        for e in g.graph().edges() {
            let (a, b) = if e.a <= e.b {
                (&e.a, &e.b)
            } else {
                (&e.b, &e.a)
            };
            let mut l = format!("{a} -- {b} {}", rate(e.bandwidth));
            if let Some(lat) = e.latency {
                l.push_str(&format!(" {} ms", lat * 1e3));
            }
            if !e.active {
                l.push_str(" (inactive)");
            }
            lines.push(l);
        }
    }
    #[cfg(feature = "plot")]
    if let Some(out) = &args.output {
        g.render(out).map_err(|e| e.to_string())?;
        if !args.json {
            lines.push(format!("# figure written to {}", out.display()));
        }
    }
    Ok(lines)
}

fn charter_lines(args: CharterArgs) -> Result<Vec<String>, G5kError> {
    let t = match &args.date {
        None => execo::g5k::oar::time::now_unix(),
        Some(s) => {
            let full = if s.trim().contains(' ') {
                s.trim().to_string()
            } else {
                format!("{} 00:00:00", s.trim())
            };
            oar_date_to_unixts(&full).map_err(|_| {
                G5kError::new(
                    "read",
                    format!("date {s}"),
                    "not a date (`YYYY-MM-DD [HH:MM[:SS]]`, Europe/Paris)",
                )
            })?
        }
    };
    let when = format!("{} Europe/Paris", format_oar_date(t));
    let mut lines = Vec::new();
    let horizon = t + 366 * 86_400;
    if charter::g5k_charter_time(t) {
        let end = charter::next_charter_period(t, horizon).map_or(t, |p| p.1);
        lines.push(format!(
            "{when}: in charter time until {}",
            format_oar_date(end)
        ));
        return Ok(lines);
    }
    let why = charter::day_off(Date::paris(t)).unwrap_or("night");
    lines.push(format!("{when}: not in charter time ({why})"));
    match charter::next_charter_period(t, horizon) {
        Some((s, e)) => lines.push(format!(
            "next charter period: {} to {}",
            format_oar_date(s),
            format_oar_date(e)
        )),
        None => lines.push("no charter period within a year".into()),
    }
    Ok(lines)
}
