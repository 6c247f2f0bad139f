//! `execo oar sub|stat|del|nodes|wait`: OAR jobs from the shell, with execo_g5k's
//! meaning (the commands run on the site's frontend, `-f SITE`, else the default one),
//! node sets in (`sub --hosts 'node-[1-3]'`) and out (`nodes` prints `node-[1-3]`), so
//! that a shell script can reserve, wait, run with `execo run -H "$(execo oar nodes
//! ...)"` and release. With `--api`, the same goes through the Grid'5000 REST API
//! (`g5k::rest`) instead of the frontend's commands.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use execo::g5k::oar::{self, OarJob, OarSubmission};
use execo::g5k::rest::{self, ApiSite};
use execo::g5k::{Api, Backend, Frontend, G5kError, Job, Settings};
use execo::nodeset::NodeSet;

/// `execo oar` subcommands.
#[derive(Subcommand, Debug)]
pub enum OarCommand {
    /// Submit a job (`oarsub`); prints `SITE JOB_ID` per frontend.
    Sub(Box<SubArgs>),
    /// The user's current jobs, or one job's description.
    Stat(StatArgs),
    /// Delete jobs (`oardel`).
    Del(JobsArgs),
    /// Wait for a job to start, then print its nodes as a node set.
    Nodes(NodesArgs),
    /// Wait for a job to start (exit 0), or say why it never will (exit 1).
    Wait(WaitArgs),
}

/// Where the commands run.
#[derive(Args, Debug)]
pub struct Where {
    /// The site whose frontend runs the commands (repeat for `sub` on several sites);
    /// default: `default_frontend`, else this machine's site.
    #[arg(short = 'f', long = "frontend", value_name = "SITE")]
    frontends: Vec<String>,
    /// Through the Grid'5000 REST API (`api_uri`) instead of the frontend's commands.
    #[arg(long)]
    api: bool,
}

/// `execo oar sub` options.
#[derive(Args, Debug)]
pub struct SubArgs {
    #[command(flatten)]
    at: Where,
    /// Resources (`-l`), e.g. `nodes=2` or `{cluster='a'}/nodes=3`; repeat to join
    /// with `+`.
    #[arg(short = 'l', long = "resources", value_name = "RESOURCES")]
    resources: Vec<String>,
    /// These hosts exactly (a node set, `node-[1-3]`).
    #[arg(long, value_name = "NODESET")]
    hosts: Option<String>,
    /// Walltime, `H:M:S` or `H:M`.
    #[arg(short = 'w', long)]
    walltime: Option<String>,
    /// A job type (repeat).
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Property filter (SQL).
    #[arg(short = 'p', long)]
    properties: Option<String>,
    /// Queue.
    #[arg(short = 'q', long)]
    queue: Option<String>,
    /// Reservation date, `YYYY-MM-DD HH:MM:SS` (Europe/Paris).
    #[arg(short = 'r', long)]
    reservation: Option<String>,
    /// Working directory on the frontend.
    #[arg(short = 'd', long)]
    directory: Option<String>,
    /// Project.
    #[arg(long)]
    project: Option<String>,
    /// Job name.
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// Reuse the user's job of this name on the site when it has not ended.
    #[arg(long, requires = "name")]
    reuse: bool,
    /// The job's command (default: `sleep 31536000`, execo's).
    command: Option<String>,
}

/// A job given on the command line.
#[derive(Args, Debug)]
pub struct JobsArgs {
    #[command(flatten)]
    at: Where,
    /// Job ids.
    #[arg(required = true, value_name = "JOB_ID")]
    jobs: Vec<u64>,
}

/// `execo oar stat` options.
#[derive(Args, Debug)]
pub struct StatArgs {
    #[command(flatten)]
    at: Where,
    /// A job id: its description instead of the list.
    job: Option<u64>,
}

/// `execo oar nodes` options.
#[derive(Args, Debug)]
pub struct NodesArgs {
    #[command(flatten)]
    at: Where,
    /// The job id.
    job: u64,
    /// One node a line instead of a node set.
    #[arg(long)]
    list: bool,
    /// Seconds to wait for the start at most (default: `oar_wait_timeout`).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
}

/// `execo oar wait` options.
#[derive(Args, Debug)]
pub struct WaitArgs {
    #[command(flatten)]
    at: Where,
    /// The job id.
    job: u64,
    /// Seconds to wait at most (default: `oar_wait_timeout`).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    errln!("execo oar: {e}");
    ExitCode::FAILURE
}

fn frontends(at: &Where, s: &Settings) -> Result<Vec<Frontend>, G5kError> {
    if at.frontends.is_empty() {
        return Ok(vec![Frontend::default_one(s)?]);
    }
    at.frontends.iter().map(|f| Frontend::of(f, s)).collect()
}

/// The sites' backends: their frontends, or their sites of the API with `--api`.
fn backends(at: &Where, s: &Settings) -> Result<Vec<Backend>, G5kError> {
    let fronts = frontends(at, s)?;
    if !at.api {
        return Ok(fronts.into_iter().map(Backend::Commands).collect());
    }
    let api = Api::new(s)?;
    Ok(fronts
        .iter()
        .map(|f| Backend::Rest(ApiSite::new(api.clone(), f.site())))
        .collect())
}

/// The one site's backend.
fn one_backend(at: &Where, s: &Settings) -> Result<Backend, G5kError> {
    let mut b = backends(at, s)?;
    if b.len() > 1 {
        return Err(G5kError::new(
            "choose",
            "the frontend",
            "give one `-f SITE` for this command",
        ));
    }
    Ok(b.remove(0))
}

fn one_frontend(at: &Where, s: &Settings) -> Result<Frontend, G5kError> {
    let mut f = frontends(at, s)?;
    if f.len() > 1 {
        return Err(G5kError::new(
            "choose",
            "the frontend",
            "give one `-f SITE` for this command",
        ));
    }
    Ok(f.remove(0))
}

fn timeout(secs: Option<f64>) -> Result<Option<Duration>, String> {
    secs.map(|t| {
        Duration::try_from_secs_f64(t)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("bad timeout `{t}`: seconds, positive"))
    })
    .transpose()
}

/// Runs `execo oar ...`.
pub fn oar(command: OarCommand) -> ExitCode {
    let s = execo::config::Config::global().g5k.clone();
    match command {
        OarCommand::Sub(a) => sub(*a, &s),
        OarCommand::Stat(a) => stat(a, &s),
        OarCommand::Del(a) => del(a, &s),
        OarCommand::Nodes(a) => nodes(a, &s),
        OarCommand::Wait(a) => wait(a, &s),
    }
}

fn submission(a: &SubArgs) -> Result<OarSubmission, String> {
    let mut spec = OarSubmission {
        resources: a.resources.clone(),
        job_types: a.types.clone(),
        properties: a.properties.clone(),
        queue: a.queue.clone(),
        directory: a.directory.clone().map(Into::into),
        project: a.project.clone(),
        name: a.name.clone(),
        command: a.command.clone(),
        walltime: a.walltime.clone().map(Into::into),
        reservation: a.reservation.clone().map(Into::into),
        ..Default::default()
    };
    if let Some(h) = &a.hosts {
        let set = NodeSet::parse(h).map_err(|e| format!("bad node set `{h}`: {e}"))?;
        if set.is_empty() {
            return Err(format!("bad node set `{h}`: no host"));
        }
        let names: Vec<String> = set
            .iter()
            .map(|n| format!("'{}'", n.replace('\'', "''")))
            .collect();
        spec.resources.push(format!(
            "{{network_address IN ({})}}/nodes={}",
            names.join(","),
            set.len()
        ));
    }
    if spec.resources.is_empty() && spec.walltime.is_none() {
        return Err(
            "say what to reserve: `-l RESOURCES`, `--hosts NODESET` or `-w WALLTIME`".into(),
        );
    }
    Ok(spec)
}

fn sub(a: SubArgs, s: &Settings) -> ExitCode {
    let spec = match submission(&a) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    if a.at.api {
        return sub_api(&a, &spec, s);
    }
    let fronts = match frontends(&a.at, s) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let results: Vec<Result<OarJob, G5kError>> = if a.reuse {
        fronts
            .iter()
            .map(|f| oar::blocking_reserve(&spec, f, s).map(|(j, _)| j))
            .collect()
    } else {
        let specs: Vec<_> = fronts.iter().map(|f| (spec.clone(), f.clone())).collect();
        oar::blocking_oarsub(&specs, s)
    };
    let mut code = ExitCode::SUCCESS;
    for r in results {
        match r {
            Ok(j) => {
                if let Err(e) = outln!("{} {}", j.site(), j.id) {
                    return super::stdout_failed("oar sub", &e);
                }
            }
            Err(e) => code = fail(e),
        }
    }
    code
}

/// `sub --api`: each site in turn.
fn sub_api(a: &SubArgs, spec: &OarSubmission, s: &Settings) -> ExitCode {
    let backends = match backends(&a.at, s) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let mut code = ExitCode::SUCCESS;
    for b in &backends {
        let r = if a.reuse {
            Job::blocking_reserve(spec, b, s).map(|(j, _)| j)
        } else {
            Job::blocking_submit(spec, b, s)
        };
        match r {
            Ok(j) => {
                if let Err(e) = outln!("{} {}", j.site(), j.id) {
                    return super::stdout_failed("oar sub", &e);
                }
            }
            Err(e) => code = fail(e),
        }
    }
    code
}

fn stat(a: StatArgs, s: &Settings) -> ExitCode {
    let fronts = match frontends(&a.at, s) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let lines: Vec<String> = match a.job {
        Some(id) => {
            let b = match one_backend(&a.at, s) {
                Ok(b) => b,
                Err(e) => return fail(e),
            };
            match Job::new(id, b).blocking_info(s) {
                Err(e) => return fail(e),
                Ok(i) => {
                    let date = |t: Option<i64>| t.map(oar::format_oar_date).unwrap_or_default();
                    vec![
                        format!("id: {}", i.id),
                        format!("name: {}", i.name.unwrap_or_default()),
                        format!("owner: {}", i.owner),
                        format!("state: {}", i.state),
                        format!("submission: {}", date(i.submission)),
                        format!("start: {}", date(i.start)),
                        format!("scheduled_start: {}", date(i.scheduled_start)),
                        format!(
                            "walltime: {}",
                            i.walltime.map(oar::format_oar_duration).unwrap_or_default()
                        ),
                        format!("nodes: {}", i.nodes.into_iter().collect::<NodeSet>()),
                        format!("message: {}", i.message),
                    ]
                }
            }
        }
        None if a.at.api => {
            let mut lines = Vec::new();
            let all = match backends(&a.at, s) {
                Ok(b) => b,
                Err(e) => return fail(e),
            };
            for b in all {
                let Backend::Rest(site) = b else { continue };
                match rest::jobs::blocking_current(&site) {
                    Err(e) => return fail(e),
                    Ok(jobs) => lines.extend(jobs.into_iter().map(|i| {
                        format!(
                            "{} {} {} {} {}",
                            site.site(),
                            i.id,
                            i.state,
                            i.name.unwrap_or_else(|| "-".into()),
                            i.nodes.into_iter().collect::<NodeSet>()
                        )
                    })),
                }
            }
            lines
        }
        None => match oar::blocking_current_oar_jobs(&fronts, s) {
            Err(e) => return fail(e),
            Ok(jobs) => jobs
                .into_iter()
                .map(|(j, i)| {
                    format!(
                        "{} {} {} {} {}",
                        j.site(),
                        j.id,
                        i.state,
                        i.name.unwrap_or_else(|| "-".into()),
                        i.nodes.into_iter().collect::<NodeSet>()
                    )
                })
                .collect(),
        },
    };
    for l in lines {
        if let Err(e) = outln!("{l}") {
            return super::stdout_failed("oar stat", &e);
        }
    }
    ExitCode::SUCCESS
}

fn del(a: JobsArgs, s: &Settings) -> ExitCode {
    if a.at.api {
        let b = match one_backend(&a.at, s) {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        let mut code = ExitCode::SUCCESS;
        for &id in &a.jobs {
            if let Err(e) = Job::new(id, b.clone()).blocking_delete(s) {
                code = fail(e);
            }
        }
        return code;
    }
    let f = match one_frontend(&a.at, s) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let jobs: Vec<OarJob> = a
        .jobs
        .iter()
        .map(|&id| OarJob::new(id, f.clone()))
        .collect();
    let mut code = ExitCode::SUCCESS;
    for r in oar::blocking_oardel(&jobs, s) {
        if let Err(e) = r {
            code = fail(e);
        }
    }
    code
}

fn nodes(a: NodesArgs, s: &Settings) -> ExitCode {
    let (b, t) = match (one_backend(&a.at, s), timeout(a.timeout)) {
        (Ok(b), Ok(t)) => (b, t),
        (Err(e), _) => return fail(e),
        (_, Err(e)) => return fail(e),
    };
    match Job::new(a.job, b).blocking_nodes(t, s) {
        Err(e) => fail(e),
        Ok(hosts) => {
            let names: Vec<String> = hosts.into_iter().map(|h| h.address).collect();
            let out = if a.list {
                names.iter().try_for_each(|n| outln!("{n}"))
            } else {
                outln!("{}", names.into_iter().collect::<NodeSet>())
            };
            match out {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => super::stdout_failed("oar nodes", &e),
            }
        }
    }
}

fn wait(a: WaitArgs, s: &Settings) -> ExitCode {
    let (b, t) = match (one_backend(&a.at, s), timeout(a.timeout)) {
        (Ok(b), Ok(t)) => (b, t),
        (Err(e), _) => return fail(e),
        (_, Err(e)) => return fail(e),
    };
    let mut said = |p: Option<i64>| {
        if let Some(p) = p {
            errln!(
                "execo oar: job {}: predicted start {}",
                a.job,
                oar::format_oar_date(p)
            );
        }
    };
    match Job::new(a.job, b).blocking_wait_start(t, Some(&mut said), s) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
