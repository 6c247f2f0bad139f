//! `execo g5k planning`: when Grid'5000 has the nodes asked for, from the shell. It
//! plans the elements (sites, clusters, hosts) from each site's OAR status, prints the
//! first slot where the walltime fits with what `--want` asks (or some node of the
//! elements), and the submissions that would take it, as an `oarsub` line for the
//! frontend and as the REST API's request, one per site, starting and ending together;
//! `--gantt` and `--slots` draw the planning and its free hosts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use execo::g5k::oar::{
    format_oar_date, format_oar_duration, oar_date_to_unixts, oar_duration_to_seconds,
};
use execo::g5k::planning::{
    KavlanFree, PlanningRequest, distribute_hosts, first_fit, get_jobs_specs, on_slot,
    rest_submission,
};
use execo::g5k::{Api, Reference};

/// Options of `execo g5k planning`.
#[derive(Args, Debug)]
pub struct PlanningArgs {
    /// Sites, clusters or hosts to plan (`lyon taurus chiclet-3`), or `grid5000`;
    /// default: the elements of `--want`.
    elements: Vec<String>,
    /// How long the nodes are wanted, `H:M` or `H:M:S`.
    #[arg(short = 'w', long, value_name = "H:M[:S]")]
    walltime: String,
    /// Not before this date, `YYYY-MM-DD HH:MM[:SS]` (Europe/Paris); default: in a
    /// minute.
    #[arg(long, value_name = "DATE")]
    start: Option<String>,
    /// Not after this date (default: four weeks after the start).
    #[arg(long, value_name = "DATE")]
    end: Option<String>,
    /// What is wanted, `ELEMENT:N` comma-separated (`lyon:4,taurus:2`; `N` 0 or left
    /// out: all that is free; `kavlan` for a KaVLAN); default: some node of the
    /// elements, all that is free of them.
    #[arg(long, value_name = "WANT")]
    want: Option<String>,
    /// The jobs' name.
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// Count best-effort jobs as busy.
    #[arg(long)]
    besteffort_busy: bool,
    /// Draw the planning (execo's Gantt chart) into this `.png` or `.svg`.
    #[arg(long, value_name = "FILE")]
    gantt: Option<PathBuf>,
    /// Draw the free hosts over time, for the walltime, into this `.png` or `.svg`.
    #[arg(long, value_name = "FILE")]
    slots: Option<PathBuf>,
}

/// Runs `execo g5k planning`.
pub fn planning(a: PlanningArgs) -> ExitCode {
    match answer(a) {
        Ok(lines) => {
            for l in lines {
                if let Err(e) = outln!("{l}") {
                    return super::stdout_failed("g5k planning", &e);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("execo g5k planning: {e}");
            ExitCode::FAILURE
        }
    }
}

fn date(s: &str, what: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(t) = s.parse::<i64>() {
        return Ok(t);
    }
    oar_date_to_unixts(s).map_err(|e| format!("--{what}: {e}"))
}

fn wanted(spec: &str) -> Result<BTreeMap<String, u32>, String> {
    let mut out = BTreeMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (e, n) = match part.split_once(':') {
            Some((e, n)) => {
                let n = n.trim().parse::<u32>().map_err(|_| {
                    format!("--want: `{part}`: the count `{n}` is not a number of nodes")
                })?;
                (e.trim(), n)
            }
            None if part == "kavlan" => (part, 1),
            None => (part, 0),
        };
        out.insert(e.to_string(), n);
    }
    if out.is_empty() {
        return Err(format!("--want `{spec}` asks for nothing"));
    }
    Ok(out)
}

fn answer(a: PlanningArgs) -> Result<Vec<String>, String> {
    let walltime = oar_duration_to_seconds(&a.walltime).map_err(|e| e.to_string())? as i64;
    let want = a
        .want
        .as_deref()
        .map(wanted)
        .transpose()?
        .unwrap_or_default();
    let elements: Vec<String> = if a.elements.is_empty() {
        want.keys().filter(|k| *k != "kavlan").cloned().collect()
    } else {
        a.elements.clone()
    };
    if elements.is_empty() {
        return Err("nothing to plan: give sites, clusters or hosts, or --want".into());
    }
    let now = execo::g5k::oar::time::now_unix();
    let mut req = PlanningRequest::new(elements.clone())
        .vlan(want.contains_key("kavlan"))
        .ignore_besteffort(!a.besteffort_busy);
    let start = match &a.start {
        Some(s) => {
            let t = date(s, "start")?;
            if t < now {
                return Err(format!(
                    "failed to plan from `{s}`: the date is in the past (now is {})",
                    format_oar_date(now)
                ));
            }
            t
        }
        None => now + 60,
    };
    req = req.start(start);
    if let Some(e) = &a.end {
        req = req.end(date(e, "end")?);
    }
    let settings = execo::config::Config::global().g5k.clone();
    let r = Reference::blocking_global().map_err(|e| e.to_string())?;
    let api = Api::new(&settings).map_err(|e| e.to_string())?;
    let planning = req.blocking_get(&api, &r).map_err(|e| e.to_string())?;
    let mut lines = Vec::new();
    for (site, why) in &planning.dropped {
        lines.push(format!("# {site} left out: {why}"));
    }
    if let Some(out) = &a.gantt {
        figure(&planning, None, out)?;
    }
    let slot = first_fit(&r, &planning, walltime, &elements, &want);
    if let Some(out) = &a.slots {
        let all = execo::g5k::planning::compute_slots(&planning, walltime, &[], false);
        figure(&planning, Some(&all), out)?;
    }
    let slot = slot.map_err(|e| e.to_string())?;
    let dist_want: BTreeMap<String, u32> = if want.is_empty() {
        elements.iter().map(|e| (e.clone(), 0)).collect()
    } else {
        want.clone()
    };
    let resources = distribute_hosts(&r, &slot, &dist_want, &[], None);
    lines.push(format!(
        "first slot: {} to {} (Europe/Paris), walltime {}",
        format_oar_date(slot.start),
        format_oar_date(slot.end),
        format_oar_duration(walltime as u64)
    ));
    let mut free: Vec<String> = Vec::new();
    for e in dist_want.keys() {
        match e.as_str() {
            "kavlan" => free.push(match &slot.kavlan {
                Some(KavlanFree::Count(n)) => format!("kavlan: {n}"),
                Some(KavlanFree::Sites(s)) => format!("kavlan: {}", s.join(" ")),
                None => "kavlan: 0".to_string(),
            }),
            _ => free.push(format!("{e}: {}", slot.get(e))),
        }
    }
    lines.push(format!("free: {}", free.join(", ")));
    let specs = on_slot(
        get_jobs_specs(&r, &resources, &[], a.name.as_deref()),
        &slot,
    );
    for (sub, site) in &specs {
        let cmd = sub.cmdline(&settings).map_err(|e| e.to_string())?;
        let body = rest_submission(sub).map_err(|e| e.to_string())?;
        lines.push(format!("{site}: {cmd}"));
        lines.push(format!(
            "{site}: POST {}sites/{site}/jobs {body}",
            api.base()
        ));
    }
    Ok(lines)
}

/// Draws the planning (or its slots) into `out`.
#[cfg(feature = "plot")]
fn figure(
    planning: &execo::g5k::planning::Planning,
    slots: Option<&[execo::g5k::planning::Slot]>,
    out: &std::path::Path,
) -> Result<(), String> {
    use execo::g5k::planning::gantt::{draw_gantt, draw_slots};
    match slots {
        None => draw_gantt(planning, out),
        Some(s) => draw_slots(planning, s, out),
    }
    .map_err(|e| e.to_string())
}

#[cfg(not(feature = "plot"))]
fn figure(
    _: &execo::g5k::planning::Planning,
    _: Option<&[execo::g5k::planning::Slot]>,
    out: &std::path::Path,
) -> Result<(), String> {
    Err(format!(
        "failed to draw `{}`: figures need the `plot` feature (this execo is built without it)",
        out.display()
    ))
}
