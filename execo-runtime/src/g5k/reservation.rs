//! An experiment's nodes asked for in one line, and the whole life of their jobs:
//! `taurus:2,walltime=1:00` is planned (one OAR submission per site), reserved (a
//! living job of the experiment's own name is reused, so that `-C` after a `kill -9`
//! picks up its nodes instead of queueing again), waited for, optionally deployed, and
//! released at the end unless `keep` says otherwise.
//!
//! The request's grammar, items separated by commas, in any order:
//!
//! - `NAME:N`, once or more: `N` nodes of cluster `NAME` (or of site `NAME`, anywhere on
//!   it);
//! - `walltime=H:MM` or `H:MM:SS` (default one hour, at most a week);
//! - `deploy=ENV`: the jobs are `deploy` jobs and the nodes get kadeploy3's `ENV`;
//! - `keep`: the jobs are not released at the end (the next run reuses them);
//! - `queue=Q`: OAR's queue (`production`, `besteffort`...);
//! - `site=S`: every `NAME` is on site `S` (without it, the reference API says where
//!   each cluster is).
//!
//! When the reference says where the clusters are, the planning is read first and a
//! walltime longer than the window the wanted nodes are free for is refused before
//! anything is submitted ([`check_free_window`]).
//!
//! Bad input is an error naming the request and the position of the faulty item.
//! Each step is timed ([`Timings`]) for the experiment's record.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::g5k::frontend;
use crate::g5k::kadeploy::{self, DeployOptions, Deployment};
use crate::g5k::oar::jobs::{blocking, on_kernel};
use crate::g5k::oar::time::format_oar_date;
use crate::g5k::oar::{JobState, OarSubmission, format_oar_duration, oar_duration_to_seconds};
use crate::g5k::planning::{Planning, PlanningRequest};
use crate::g5k::{Backend, Frontend, G5kError, Job, Reference, Settings};
use crate::host::Host;

/// The longest walltime accepted: a week, Grid'5000's longest jobs (production queue).
pub const MAX_WALLTIME: u64 = 7 * 24 * 3600;
/// The walltime when the request gives none.
pub const DEFAULT_WALLTIME: u64 = 3600;
/// How many nodes one item may ask for, at most.
const MAX_NODES: u32 = 10_000;

/// `N` nodes of cluster (or site) `name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Want {
    /// A cluster (`taurus`) or a site (`lyon`).
    pub name: String,
    /// How many nodes.
    pub nodes: u32,
}

/// An experiment's nodes, as asked for in one line (see the [module](self) doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRequest {
    /// The nodes, in the order given.
    pub wants: Vec<Want>,
    /// Walltime in seconds.
    pub walltime: u64,
    /// The environment to deploy, if any.
    pub deploy: Option<String>,
    /// Whether the jobs outlive the experiment.
    pub keep: bool,
    /// OAR's queue, if not the default one.
    pub queue: Option<String>,
    /// The site of every name, if given.
    pub site: Option<String>,
    text: String,
}

impl std::str::FromStr for NodeRequest {
    type Err = G5kError;

    fn from_str(s: &str) -> Result<NodeRequest, G5kError> {
        NodeRequest::parse(s)
    }
}

impl std::fmt::Display for NodeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl NodeRequest {
    /// Reads `NAME:N[,NAME:N],walltime=H:MM,deploy=ENV,keep,queue=Q,site=S`; an error
    /// names the request, the position (1-based character) of the faulty item and why.
    pub fn parse(text: &str) -> Result<NodeRequest, G5kError> {
        let mut req = NodeRequest {
            wants: Vec::new(),
            walltime: DEFAULT_WALLTIME,
            deploy: None,
            keep: false,
            queue: None,
            site: None,
            text: text.trim().to_string(),
        };
        let mut seen = BTreeSet::new();
        let mut offset = 0;
        for raw in text.split(',') {
            let lead = raw.len() - raw.trim_start().len();
            let item = raw.trim();
            let at = text[..offset + lead].chars().count() + 1;
            offset += raw.len() + 1;
            let bad = |why: String| {
                G5kError::new(
                    "read",
                    format!("node request {}", text.trim()),
                    format!("at character {at} (`{item}`): {why}"),
                )
            };
            if item.is_empty() {
                return Err(bad(
                    "an empty item (items are `NAME:N`, `walltime=H:MM`, `deploy=ENV`, \
                     `keep`, `queue=Q`, `site=S`)"
                        .into(),
                ));
            }
            if let Some((key, value)) = item.split_once('=') {
                let (key, value) = (key.trim(), value.trim());
                if !seen.insert(key.to_string()) {
                    return Err(bad(format!("`{key}` is given twice")));
                }
                if value.is_empty() {
                    return Err(bad(format!("`{key}` has no value")));
                }
                match key {
                    "walltime" => req.walltime = walltime(value).map_err(bad)?,
                    "deploy" => req.deploy = Some(word(value, "an environment").map_err(bad)?),
                    "queue" => req.queue = Some(word(value, "a queue").map_err(bad)?),
                    "site" => req.site = Some(name(value).map_err(|e| bad(format!("site: {e}")))?),
                    _ => {
                        return Err(bad(format!(
                            "unknown setting `{key}` (walltime, deploy, queue, site, keep)"
                        )));
                    }
                }
            } else if item == "keep" {
                if req.keep {
                    return Err(bad("`keep` is given twice".into()));
                }
                req.keep = true;
            } else if let Some((n, count)) = item.split_once(':') {
                let n = name(n.trim()).map_err(bad)?;
                let nodes = count
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|c| (1..=MAX_NODES).contains(c))
                    .ok_or_else(|| {
                        bad(format!(
                            "`{}` is not a number of nodes (1 to {MAX_NODES})",
                            count.trim()
                        ))
                    })?;
                if req.wants.iter().any(|w| w.name == n) {
                    return Err(bad(format!("`{n}` is asked for twice")));
                }
                req.wants.push(Want { name: n, nodes });
            } else {
                return Err(bad(
                    "not `NAME:N`, `walltime=H:MM`, `deploy=ENV`, `keep`, `queue=Q` or `site=S`"
                        .into(),
                ));
            }
        }
        if req.wants.is_empty() {
            return Err(G5kError::new(
                "read",
                format!("node request {}", text.trim()),
                "no nodes asked for: give at least one `CLUSTER:N` or `SITE:N`",
            ));
        }
        Ok(req)
    }

    /// How many nodes in all.
    pub fn nodes(&self) -> u32 {
        self.wants.iter().map(|w| w.nodes).sum()
    }
}

/// A cluster or site name: lowercase letters, digits and `-`, starting with a letter.
fn name(s: &str) -> Result<String, String> {
    let ok = s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a cluster or site name (lowercase letters, digits and `-`, starting \
             with a letter)"
        ))
    }
}

/// A value put on a command line: no spaces nor shell characters.
fn word(s: &str, what: &str) -> Result<String, String> {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@/:+".contains(c))
    {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not {what} (letters, digits and `-_.@/:+` only)"
        ))
    }
}

/// `H:MM` or `H:MM:SS`, positive, at most [`MAX_WALLTIME`].
fn walltime(s: &str) -> Result<u64, String> {
    if !s.contains(':') {
        return Err(format!("walltime `{s}` is not `H:MM` or `H:MM:SS`"));
    }
    if s.split(':').all(|p| p.trim().parse::<u64>() == Ok(0)) {
        return Err("the walltime must be positive".into());
    }
    let secs = oar_duration_to_seconds(s)
        .map_err(|_| format!("walltime `{s}` is not `H:MM` or `H:MM:SS`"))?;
    if secs == 0 {
        return Err("the walltime must be positive".into());
    }
    if secs > MAX_WALLTIME {
        return Err(format!(
            "walltime {s} is longer than Grid'5000's longest jobs ({}, a week in the \
             production queue)",
            format_oar_duration(MAX_WALLTIME)
        ));
    }
    Ok(secs)
}

/// The name of an experiment's jobs: `execo-NAME-HASH`, the hash that of its result
/// directory. A run continuing in the same directory (`-C DIR`) finds the job again;
/// another directory, or another experiment, gets a job of its own.
pub fn job_name(experiment: &str, result_dir: &Path) -> String {
    let clean: String = experiment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // FNV-1a: stable across runs and builds (std's hasher is not).
    let hash = result_dir
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
        });
    format!("execo-{clean}-{hash:08x}")
}

/// One site's part of a plan: what to submit there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SitePlan {
    /// The site.
    pub site: String,
    /// The submission.
    pub submission: OarSubmission,
}

/// Where each name of `req` is: `site=S` when given, else `site_of` (the reference
/// API's `cluster_site`, a site being its own site). One submission per site, in the
/// order the sites first appear, named `name`: its wants as `{cluster='C'}/nodes=N`
/// (`nodes=N` for a whole site), the walltime, the queue, `deploy` when deploying.
pub fn plan(
    req: &NodeRequest,
    name: &str,
    site_of: &dyn Fn(&str) -> Result<String, G5kError>,
) -> Result<Vec<SitePlan>, G5kError> {
    let mut plans: Vec<SitePlan> = Vec::new();
    for want in &req.wants {
        let site = match &req.site {
            Some(s) => s.clone(),
            None => site_of(&want.name)?,
        };
        let resources = if want.name == site {
            format!("nodes={}", want.nodes)
        } else {
            format!("{{cluster='{}'}}/nodes={}", want.name, want.nodes)
        };
        match plans.iter_mut().find(|p| p.site == site) {
            Some(p) => p.submission.resources.push(resources),
            None => {
                let mut s = OarSubmission::new(resources)
                    .walltime(req.walltime)
                    .name(name);
                if let Some(q) = &req.queue {
                    s = s.queue(q);
                }
                if req.deploy.is_some() {
                    s = s.job_type("deploy");
                }
                plans.push(SitePlan {
                    site,
                    submission: s,
                });
            }
        }
    }
    Ok(plans)
}

/// How long each step took, for the experiment's record and figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timings {
    /// Planning (the reference API, when read).
    pub plan: Duration,
    /// Submitting (or finding the job to reuse).
    pub submit: Duration,
    /// Waiting for the jobs to run and reading their nodes.
    pub wait: Duration,
    /// Deploying, when asked.
    pub deploy: Option<Duration>,
    /// Releasing, once done.
    pub release: Option<Duration>,
}

/// An experiment's jobs, running, and their nodes.
#[derive(Debug)]
pub struct Reservation {
    /// What was asked.
    pub request: NodeRequest,
    /// The jobs' name ([`job_name`]).
    pub name: String,
    /// One job per site.
    pub jobs: Vec<Job>,
    /// Every job's nodes, sorted per job, the jobs in order.
    pub nodes: Vec<Host>,
    /// Whether every job was reused rather than submitted.
    pub reused: bool,
    /// Whether the nodes were deployed.
    pub deployed: bool,
    /// How long each step took.
    pub timings: Timings,
    settings: Settings,
    released: bool,
}

/// How the jobs of `site` are submitted: OAR's commands on its frontend today. The one
/// place to switch to another backend (the REST API).
fn backend(site: &str, settings: &Settings) -> Result<Backend, G5kError> {
    Ok(Backend::Commands(Frontend::of(site, settings)?))
}

impl Reservation {
    /// Plans `req`, reserves it under `name` (reusing living jobs of that name), waits
    /// for the jobs to run (at most `oar_wait_timeout`), reads their nodes and deploys
    /// them when asked. On any failure the jobs this call submitted are deleted (unless
    /// `keep`), and the error names the step, the site and the cause.
    pub async fn make(
        req: &NodeRequest,
        name: &str,
        settings: &Settings,
    ) -> Result<Reservation, G5kError> {
        let t = Instant::now();
        // PLANNER: the planning helper's slot search (a common start for every site,
        // walltimes that end together, the wanted clusters checked against the
        // reference) plugs in here, in place of "each site now, on its own"; today the
        // planning only refuses a walltime longer than the free window.
        let plans = if req.site.is_some() {
            plan(req, name, &|_| unreachable_site())?
        } else {
            let reference = Reference::global().await?;
            let sites = reference.sites();
            let plans = plan(req, name, &|n| {
                if sites.iter().any(|s| s == n) {
                    Ok(n.to_string())
                } else {
                    reference.cluster_site(n)
                }
            })?;
            // the planning, when the API gives it, refuses what OAR would only queue
            let now = crate::g5k::oar::time::now_unix();
            let api = crate::g5k::Api::new(&crate::Config::global().g5k)?;
            let wanted = PlanningRequest::new(req.wants.iter().map(|w| w.name.clone()))
                .start(now)
                .end(now + req.walltime as i64 + 60)
                .queues(Some(vec![req.queue.clone().unwrap_or("default".into())]));
            match wanted.get(&api, &reference).await {
                Ok(p) => check_free_window(req, &p, now)?,
                Err(e) => tracing::warn!("reserving {req} without its planning: {e}"),
            }
            plans
        };
        let mut r = Reservation {
            request: req.clone(),
            name: name.to_string(),
            jobs: Vec::new(),
            nodes: Vec::new(),
            reused: true,
            deployed: false,
            timings: Timings {
                plan: t.elapsed(),
                ..Timings::default()
            },
            settings: settings.clone(),
            released: false,
        };
        match r.acquire(&plans).await {
            Ok(()) => Ok(r),
            Err(e) => {
                if !req.keep {
                    r.release_quietly().await;
                }
                Err(e)
            }
        }
    }

    /// Blocking form of [`Reservation::make`].
    pub fn blocking_make(
        req: &NodeRequest,
        name: &str,
        settings: &Settings,
    ) -> Result<Reservation, G5kError> {
        blocking(Reservation::make(req, name, settings), || {
            Err(on_kernel("reserve", &format!("node request {req}")))
        })
    }

    async fn acquire(&mut self, plans: &[SitePlan]) -> Result<(), G5kError> {
        let settings = self.settings.clone();
        let t = Instant::now();
        for p in plans {
            let backend = backend(&p.site, &settings)?;
            let (job, reused) = Job::reserve(&p.submission, &backend, &settings)
                .await
                .map_err(|mut e| {
                    // what was asked, beside the job's name: OAR's refusals do not say
                    e.thing = format!("{} ({})", p.submission.resources.join("+"), e.thing);
                    e
                })?;
            tracing::info!(
                "{} {job} ({}, walltime {})",
                if reused { "reusing" } else { "submitted" },
                p.submission.resources.join("+"),
                format_oar_duration(self.request.walltime)
            );
            self.reused &= reused;
            self.jobs.push(job);
        }
        self.timings.submit = t.elapsed();
        let t = Instant::now();
        let mut per_job = Vec::new();
        for job in &self.jobs {
            let nodes = job.nodes(None, &settings).await?;
            self.nodes.extend(nodes.iter().cloned());
            per_job.push(nodes);
        }
        self.timings.wait = t.elapsed();
        let wanted = self.request.nodes() as usize;
        if self.nodes.len() < wanted {
            return Err(G5kError::new(
                "reserve",
                format!("node request {}", self.request),
                format!(
                    "{} node(s) granted, {wanted} asked for (a reused job asked for fewer?)",
                    self.nodes.len()
                ),
            ));
        }
        tracing::info!(
            "nodes {} after {:.1} s ({:.1} s waiting)",
            self.nodes
                .iter()
                .map(|h| h.address.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            (self.timings.plan + self.timings.submit + self.timings.wait).as_secs_f64(),
            self.timings.wait.as_secs_f64()
        );
        if let Some(env) = self.request.deploy.clone() {
            let t = Instant::now();
            let done = self.deploy(&env, &per_job).await;
            self.timings.deploy = Some(t.elapsed());
            done?;
            self.deployed = true;
        }
        Ok(())
    }

    /// Deploys `env` on the jobs' nodes (`per_job`: each job's). Nodes named with their
    /// site (`taurus-3.lyon.grid5000.fr`) are deployed at once, each by its site's
    /// frontend (execo's way); nodes whose names do not say their site (a test OAR's)
    /// are deployed by their job's frontend. A node left undeployed is an error naming
    /// the job, each such node and kadeploy's reason.
    async fn deploy(&self, env: &str, per_job: &[Vec<Host>]) -> Result<(), G5kError> {
        let named = self
            .nodes
            .iter()
            .all(|h| frontend::site_of_fqdn(&h.address).is_some());
        let groups: Vec<(Vec<&Job>, Vec<Host>, Settings)> = if named {
            vec![(
                self.jobs.iter().collect(),
                self.nodes.clone(),
                self.settings.clone(),
            )]
        } else {
            self.jobs
                .iter()
                .zip(per_job)
                .map(|(job, nodes)| {
                    let settings = Settings {
                        default_frontend: Some(job.site().to_string()),
                        ..self.settings.clone()
                    };
                    (vec![job], nodes.clone(), settings)
                })
                .collect()
        };
        for (jobs, nodes, settings) in groups {
            let out = kadeploy::deploy(
                &Deployment::new(nodes).env_name(env),
                &DeployOptions::new().settings(settings),
            )
            .await?;
            if out.undeployed.is_empty() {
                continue;
            }
            let jobs: Vec<String> = jobs.iter().map(ToString::to_string).collect();
            let why: Vec<String> = out
                .undeployed
                .iter()
                .map(|h| match out.reason(&h.address) {
                    Some(r) => r.to_string(),
                    None => format!("{}: not deployed", h.address),
                })
                .collect();
            return Err(G5kError::new(
                "deploy",
                env,
                format!(
                    "{} of the {} node(s) of {} undeployed ({}): {}",
                    out.undeployed.len(),
                    out.undeployed.len() + out.deployed.len(),
                    jobs.join(", "),
                    out.undeployed
                        .iter()
                        .map(|h| h.address.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    why.join("; ")
                ),
            ));
        }
        Ok(())
    }

    /// The sites, in order.
    pub fn sites(&self) -> Vec<String> {
        self.jobs.iter().map(|j| j.site().to_string()).collect()
    }

    /// The clusters of the nodes (`taurus-3.lyon.grid5000.fr` is of `taurus`), sorted.
    pub fn clusters(&self) -> Vec<String> {
        let set: BTreeSet<String> = self.nodes.iter().map(|h| cluster_of(&h.address)).collect();
        set.into_iter().collect()
    }

    /// Ends with an error naming the job when one of them no longer runs (deleted by
    /// someone else, walltime over): its nodes are not the experiment's any more.
    pub async fn check(&self) -> Result<(), G5kError> {
        for job in &self.jobs {
            let info = job.info(&self.settings).await?;
            if info.state != JobState::Running {
                let how = if info.deleted() {
                    "it was deleted".to_string()
                } else {
                    format!("it is {}", info.state)
                };
                return Err(G5kError::new(
                    "use",
                    job.thing(),
                    format!(
                        "{how}, its nodes are no longer reserved: {}",
                        info.end_reason()
                    ),
                )
                .on(job.backend().describe()));
            }
        }
        Ok(())
    }

    /// Blocking form of [`Reservation::check`].
    pub fn blocking_check(&self) -> Result<(), G5kError> {
        blocking(self.check(), || Err(on_kernel("use", &self.name)))
    }

    /// Deletes the jobs, unless the request said `keep` (then says how the next run
    /// reuses them). A job that had already ended (deleted by someone else, walltime
    /// over) is an error saying so. Once only: later calls do nothing.
    pub async fn release(&mut self) -> Result<(), G5kError> {
        if self.released {
            return Ok(());
        }
        self.released = true;
        if self.request.keep {
            for job in &self.jobs {
                tracing::info!(
                    "keeping {job} (`keep`): the next run with the same result directory \
                     reuses it; `oardel {}` on the frontend releases it",
                    job.id
                );
            }
            return Ok(());
        }
        let t = Instant::now();
        let mut errors = Vec::new();
        for job in &self.jobs {
            let ended = match job.info(&self.settings).await {
                Ok(info) if info.state.is_final() => Some(info),
                _ => None,
            };
            if let Some(info) = ended {
                let how = if info.deleted() {
                    "deleted before the experiment's end (by someone else?)"
                } else {
                    "ended before the experiment's end"
                };
                errors.push(
                    G5kError::new(
                        "release",
                        job.thing(),
                        format!("it was {how}: {}", info.end_reason()),
                    )
                    .on(job.backend().describe()),
                );
                continue;
            }
            match job.delete(&self.settings).await {
                Ok(()) => tracing::info!("released {job}"),
                Err(e) => errors.push(e),
            }
        }
        self.timings.release = Some(t.elapsed());
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(G5kError::new(
                "release",
                &self.name,
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        }
    }

    /// Blocking form of [`Reservation::release`].
    pub fn blocking_release(&mut self) -> Result<(), G5kError> {
        let name = self.name.clone();
        blocking(self.release(), || Err(on_kernel("release", &name)))
    }

    async fn release_quietly(&mut self) {
        if let Err(e) = self.release().await {
            tracing::warn!("{e}");
        }
    }
}

/// The planning's verdict on `req` before anything is submitted: a want whose nodes
/// are free at `now`, but not for the whole walltime (a job or an advance reservation
/// takes them before its end), is refused with the window it has. A want with fewer
/// free nodes than it asks for is left to OAR's queue; one the planning does not know
/// is left to OAR's refusal.
pub fn check_free_window(req: &NodeRequest, planning: &Planning, now: i64) -> Result<(), G5kError> {
    for want in &req.wants {
        let n = want.nodes as usize;
        let mut site = "";
        let mut until: Vec<i64> = planning
            .hosts()
            .filter(|(s, c, _, _)| *s == want.name || *c == want.name)
            .map(|(s, _, _, el)| {
                site = s;
                el.free
                    .iter()
                    .find(|&&(s, e)| s <= now && now < e)
                    .map_or(now, |f| f.1)
            })
            .collect();
        if n == 0 || until.len() < n {
            continue;
        }
        until.sort_unstable_by(|a, b| b.cmp(a));
        let window = until[n - 1] - now;
        if window > 0 && (window as u64) < req.walltime {
            return Err(G5kError::new(
                "reserve",
                format!("{}:{} (node request {req})", want.name, want.nodes),
                format!(
                    "the walltime {} is longer than the free window: {n} node(s) are free \
                     only until {} ({} from now)",
                    format_oar_duration(req.walltime),
                    format_oar_date(until[n - 1]),
                    format_oar_duration(window as u64)
                ),
            )
            .on(site));
        }
    }
    Ok(())
}

fn unreachable_site() -> Result<String, G5kError> {
    Err(G5kError::new("plan", "node request", "no site given"))
}

/// The cluster of a node: its short name without the trailing `-N`.
pub fn cluster_of(address: &str) -> String {
    let short = address.split('.').next().unwrap_or(address);
    let short = short.split("-kavlan-").next().unwrap_or(short);
    match short.rsplit_once('-') {
        Some((c, n)) if !c.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => c.to_string(),
        _ => short.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cluster `taurus` of `lyon`: three nodes, busy from the given times (none: free).
    fn planning(now: i64, busy_from: [Option<i64>; 3]) -> Planning {
        use crate::g5k::planning::{ElementPlanning, SitePlanning, intervals::fill_free};
        let end = now + 86_400;
        let hosts = busy_from
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let busy: Vec<(i64, i64)> = b.iter().map(|&t| (t, end)).collect();
                let free = fill_free(&busy, now, end);
                let el = ElementPlanning { busy, free };
                (format!("taurus-{}.lyon.grid5000.fr", i + 1), el)
            })
            .collect();
        let mut sp = SitePlanning::default();
        sp.clusters.insert("taurus".into(), hosts);
        Planning {
            sites: [("lyon".to_string(), sp)].into(),
            start: now,
            end,
            dropped: Vec::new(),
        }
    }

    #[test]
    fn a_walltime_longer_than_the_free_window_is_refused() {
        let now = 1_774_256_400;
        // two nodes free for 2 hours, one for 4
        let p = planning(
            now,
            [Some(now + 7200), Some(now + 7200), Some(now + 14_400)],
        );
        let req = NodeRequest::parse("taurus:1,walltime=3:00").unwrap();
        check_free_window(&req, &p, now).unwrap();
        let req = NodeRequest::parse("taurus:2,walltime=3:00").unwrap();
        let e = check_free_window(&req, &p, now).unwrap_err().to_string();
        assert!(e.contains("taurus:2"), "{e}");
        assert!(e.contains("longer than the free window"), "{e}");
        assert!(e.contains("2:0:0 from now") && e.contains("lyon"), "{e}");
        let req = NodeRequest::parse("lyon:2,walltime=1:59").unwrap();
        check_free_window(&req, &p, now).unwrap();
        // more nodes than are free now: OAR queues it, nothing to refuse here
        let p = planning(now, [Some(now), Some(now + 7200), None]);
        let req = NodeRequest::parse("taurus:3,walltime=3:00").unwrap();
        check_free_window(&req, &p, now).unwrap();
        // a cluster the planning does not have: left to OAR
        let req = NodeRequest::parse("sirius:1,walltime=3:00").unwrap();
        check_free_window(&req, &p, now).unwrap();
    }

    #[test]
    fn a_request_is_read_whole() {
        let r = NodeRequest::parse(
            "taurus:2, lyon:1,walltime=1:30,deploy=debian11-min,keep,queue=production,site=lyon",
        )
        .unwrap();
        assert_eq!(
            r.wants,
            [
                Want {
                    name: "taurus".into(),
                    nodes: 2
                },
                Want {
                    name: "lyon".into(),
                    nodes: 1
                }
            ]
        );
        assert_eq!(r.walltime, 5400);
        assert_eq!(r.deploy.as_deref(), Some("debian11-min"));
        assert!(r.keep);
        assert_eq!(r.queue.as_deref(), Some("production"));
        assert_eq!(r.site.as_deref(), Some("lyon"));
        assert_eq!(r.nodes(), 3);
        let short: NodeRequest = "oarn:2".parse().unwrap();
        assert_eq!(short.walltime, DEFAULT_WALLTIME);
        assert!(!short.keep && short.deploy.is_none() && short.site.is_none());
        assert_eq!(
            NodeRequest::parse("a:1,walltime=0:10:30").unwrap().walltime,
            630
        );
    }

    fn err(s: &str) -> String {
        NodeRequest::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn bad_requests_say_where_and_why() {
        assert_eq!(
            err("taurus:x,walltime=1:00"),
            "failed to read `node request taurus:x,walltime=1:00`: at character 1 \
             (`taurus:x`): `x` is not a number of nodes (1 to 10000)"
        );
        let e = err("taurus:2,walltime=1h");
        assert!(e.contains("at character 10 (`walltime=1h`)"), "{e}");
        assert!(e.contains("not `H:MM`"), "{e}");
        let e = err("taurus:2,walltime=200:00");
        assert!(e.contains("longer than Grid'5000's longest jobs"), "{e}");
        assert!(err("taurus:2,walltime=0:00").contains("must be positive"));
        let e = err("taurus:2,,keep");
        assert!(e.contains("at character 10"), "{e}");
        assert!(e.contains("an empty item"), "{e}");
        let e = err("taurus:2,colour=red");
        assert!(e.contains("unknown setting `colour`"), "{e}");
        assert!(err("taurus:2,keep,keep").contains("`keep` is given twice"));
        assert!(err("taurus:2,taurus:3").contains("`taurus` is asked for twice"));
        assert!(err("walltime=1:00").contains("no nodes asked for"));
        assert!(err("Taurus:2").contains("not a cluster or site name"));
        assert!(err("taurus:0").contains("not a number of nodes"));
        assert!(err("taurus:2,deploy=a b").contains("not an environment"));
        assert!(err("taurus:2,site=").contains("`site` has no value"));
        assert!(err("taurus").contains("not `NAME:N`"));
        // positions count characters, not bytes
        let e = err("é:1,x");
        assert!(e.contains("at character 1"), "{e}");
        assert!(err("a:1,é").contains("at character 5"));
    }

    #[test]
    fn one_submission_per_site_named_after_the_experiment() {
        let r = NodeRequest::parse("taurus:2,nova:1,nancy:3,walltime=0:30,deploy=env").unwrap();
        let site_of = |n: &str| -> Result<String, G5kError> {
            match n {
                "taurus" | "nova" => Ok("lyon".into()),
                "nancy" => Ok("nancy".into()),
                _ => Err(G5kError::new("find", n, "no such cluster")),
            }
        };
        let p = plan(&r, "execo-xp-1", &site_of).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].site, "lyon");
        assert_eq!(
            p[0].submission.resources,
            ["{cluster='taurus'}/nodes=2", "{cluster='nova'}/nodes=1"]
        );
        assert_eq!(p[0].submission.name.as_deref(), Some("execo-xp-1"));
        assert_eq!(p[0].submission.job_types, ["deploy"]);
        assert_eq!(p[1].site, "nancy");
        assert_eq!(p[1].submission.resources, ["nodes=3"]);
        let line = p[1].submission.cmdline_with_key(None).unwrap();
        assert!(line.contains("walltime=0:30:0"), "{line}");
        let missing = NodeRequest::parse("nope:1").unwrap();
        let e = plan(&missing, "n", &site_of).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("no such cluster"), "{e}");
        let given = NodeRequest::parse("oarn:2,site=testsite,queue=default").unwrap();
        let p = plan(&given, "n", &|_| unreachable_site()).unwrap();
        assert_eq!(p[0].site, "testsite");
        assert_eq!(p[0].submission.queue.as_deref(), Some("default"));
        assert!(p[0].submission.job_types.is_empty());
    }

    #[test]
    fn job_names_follow_the_experiment_and_its_directory() {
        let a = job_name("tcp_congestion", Path::new("/r/a"));
        assert!(a.starts_with("execo-tcp_congestion-"), "{a}");
        assert_eq!(a, job_name("tcp_congestion", Path::new("/r/a")));
        assert_ne!(a, job_name("tcp_congestion", Path::new("/r/b")));
        assert_ne!(a, job_name("netcat", Path::new("/r/a")));
        assert_eq!(
            job_name("a b", Path::new("/")).len(),
            "execo-a_b-".len() + 8
        );
    }

    #[test]
    fn clusters_come_from_node_names() {
        assert_eq!(cluster_of("taurus-3.lyon.grid5000.fr"), "taurus");
        assert_eq!(cluster_of("oarn-1"), "oarn");
        assert_eq!(
            cluster_of("grimoire-8-kavlan-4.nancy.grid5000.fr"),
            "grimoire"
        );
        assert_eq!(cluster_of("frontend"), "frontend");
    }
}
