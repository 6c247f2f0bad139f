//! OAR's commands on the frontends: submit (on several frontends at once, all or
//! nothing for a grid), delete, list, describe, find again by name.
//!
//! Each runs through [`Frontend::command`] (ssh with a pty, or locally) with a
//! timeout (`oar_timeout`), and every failure is an error naming the job, the frontend
//! and the cause in OAR's or ssh's words. Waiting for a job is [`super::wait`]'s.

use std::time::Duration;

use crate::g5k::{Frontend, G5kError, Settings};
use crate::process::ProcessHandle;

use super::parse::{self, JobInfo};
use super::submission::OarSubmission;
use super::time::{OarDate, Walltime};

/// A job of a site: its id and the frontend that knows it.
#[derive(Clone, Debug)]
pub struct OarJob {
    /// The job id.
    pub id: u64,
    /// The frontend of its site.
    pub frontend: Frontend,
}

impl OarJob {
    /// Job `id` of `frontend`'s site.
    pub fn new(id: u64, frontend: Frontend) -> OarJob {
        OarJob { id, frontend }
    }

    /// Its site.
    pub fn site(&self) -> &str {
        self.frontend.site()
    }

    /// How it is named in messages: `job 12`.
    pub fn thing(&self) -> String {
        format!("job {}", self.id)
    }
}

impl std::fmt::Display for OarJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {} on {}", self.id, self.frontend.site())
    }
}

/// What a command on a frontend printed (stdout and stderr: with a pty they are one),
/// and whether it exited 0.
pub(crate) struct Output {
    pub ok: bool,
    pub text: String,
}

/// Starts `cmd` on `frontend`, limited to `timeout`.
pub(crate) fn start(frontend: &Frontend, cmd: &str, timeout: Duration) -> ProcessHandle {
    frontend
        .command(cmd)
        .timeout(timeout)
        .nolog_exit_code(true)
        .nolog_timeout(true)
        .nolog_error(true)
        .start()
}

/// What `h` (a command on `frontend`) printed, or why it did not run: it could not
/// start, timed out or could not reach the frontend; `verb`/`thing` name the error.
pub(crate) async fn finish(
    h: ProcessHandle,
    frontend: &Frontend,
    verb: &str,
    thing: &str,
) -> Result<Output, G5kError> {
    h.wait().await;
    let text = format!("{}{}", h.stdout(), h.stderr()).replace('\r', "");
    let err = |cause: String| G5kError::new(verb, thing, cause).on(frontend.describe());
    if let Some(e) = h.start_error() {
        return Err(err(format!("cannot run `{}`: {e}", h.process().cmdline())));
    }
    if h.timed_out() {
        let after = h
            .duration()
            .map(|d| format!(" after {:.1} s", d.as_secs_f64()))
            .unwrap_or_default();
        return Err(err(format!(
            "`{}` timed out{after}",
            h.remote_cmd().unwrap_or("the command")
        )));
    }
    if h.connection_failed() {
        return Err(err(format!("cannot reach it: {}", last_words(&text))));
    }
    Ok(Output { ok: h.ok(), text })
}

/// Runs `cmd` on `frontend` (see [`finish`]).
pub(crate) async fn run(
    frontend: &Frontend,
    cmd: &str,
    timeout: Duration,
    verb: &str,
    thing: &str,
) -> Result<Output, G5kError> {
    finish(start(frontend, cmd, timeout), frontend, verb, thing).await
}

/// The last meaningful lines of a command's output, for an error's cause.
pub(crate) fn last_words(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Connection to "))
        .collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    if tail.is_empty() {
        "no output".to_string()
    } else {
        tail.join(" / ")
    }
}

/// Runs `fut` on the calling thread; on the kernel's own thread (a handler), where it
/// would deadlock, `fallback` instead.
pub(crate) fn blocking<T>(
    fut: impl std::future::Future<Output = T>,
    fallback: impl FnOnce() -> T,
) -> T {
    crate::kernel::block_on(fut).unwrap_or_else(fallback)
}

pub(crate) fn on_kernel(verb: &str, thing: &str) -> G5kError {
    G5kError::new(
        verb,
        thing,
        "a blocking call cannot wait on the kernel's thread (from a handler): use the async form",
    )
}

/// execo's `oarsub`: each submission on its frontend, all at once; the results in input
/// order. A submission OAR refuses is an error with OAR's message.
pub async fn oarsub(
    specs: &[(OarSubmission, Frontend)],
    settings: &Settings,
) -> Vec<Result<OarJob, G5kError>> {
    let started: Vec<_> = specs
        .iter()
        .map(|(s, f)| {
            s.cmdline(settings)
                .map(|c| start(f, &c, settings.oar_timeout))
        })
        .collect();
    let mut out = Vec::with_capacity(specs.len());
    for ((spec, frontend), started) in specs.iter().zip(started) {
        let thing = spec.describe();
        let r = match started {
            Err(e) => Err(e),
            Ok(h) => match finish(h, frontend, "submit", &thing).await {
                Err(e) => Err(e),
                Ok(o) => parse::oarsub_job_id(&o.text)
                    .map(|id| OarJob::new(id, frontend.clone()))
                    .map_err(|said| {
                        let e = G5kError::new("submit", &thing, &said).on(frontend.describe());
                        match parse::reservation_refused(&said) {
                            Some(r) => e.source(r),
                            None => e,
                        }
                    }),
            },
        };
        out.push(r);
    }
    out
}

/// Blocking form of [`oarsub`].
pub fn blocking_oarsub(
    specs: &[(OarSubmission, Frontend)],
    settings: &Settings,
) -> Vec<Result<OarJob, G5kError>> {
    blocking(oarsub(specs, settings), || {
        specs
            .iter()
            .map(|(s, _)| Err(on_kernel("submit", &s.describe())))
            .collect()
    })
}

/// One submission on one frontend.
pub async fn oarsub_one(
    spec: &OarSubmission,
    frontend: &Frontend,
    settings: &Settings,
) -> Result<OarJob, G5kError> {
    let mut r = oarsub(&[(spec.clone(), frontend.clone())], settings).await;
    r.pop()
        .unwrap_or_else(|| Err(G5kError::new("submit", spec.describe(), "no result")))
}

/// execo's `oardel`, on every job at once; unlike execo's, the errors are returned (in
/// input order), OAR's message in them.
pub async fn oardel(jobs: &[OarJob], settings: &Settings) -> Vec<Result<(), G5kError>> {
    let started: Vec<_> = jobs
        .iter()
        .map(|j| {
            start(
                &j.frontend,
                &format!("oardel {}", j.id),
                settings.oar_timeout,
            )
        })
        .collect();
    let mut out = Vec::with_capacity(jobs.len());
    for (job, h) in jobs.iter().zip(started) {
        out.push(
            match finish(h, &job.frontend, "delete", &job.thing()).await {
                Err(e) => Err(e),
                Ok(o) if o.ok => Ok(()),
                Ok(o) => Err(G5kError::new("delete", job.thing(), last_words(&o.text))
                    .on(job.frontend.describe())),
            },
        );
    }
    out
}

/// Blocking form of [`oardel`].
pub fn blocking_oardel(jobs: &[OarJob], settings: &Settings) -> Vec<Result<(), G5kError>> {
    blocking(oardel(jobs, settings), || {
        jobs.iter()
            .map(|j| Err(on_kernel("delete", &j.thing())))
            .collect()
    })
}

/// What OAR says of `job` (`oarstat -fj ID -J`: unix times); an error when OAR does not
/// know it.
pub async fn oar_job_info(job: &OarJob, settings: &Settings) -> Result<JobInfo, G5kError> {
    job_info_within(job, settings.oar_timeout).await
}

pub(crate) async fn job_info_within(job: &OarJob, timeout: Duration) -> Result<JobInfo, G5kError> {
    let thing = job.thing();
    let o = run(
        &job.frontend,
        &format!("oarstat -fj {} -J", job.id),
        timeout,
        "read",
        &thing,
    )
    .await?;
    let err = |cause: String| G5kError::new("read", &thing, cause).on(job.frontend.describe());
    if !o.ok {
        return Err(err(last_words(&o.text)));
    }
    let jobs = parse::oarstat_json(&o.text).map_err(err)?;
    jobs.into_iter()
        .find(|j| j.id == job.id)
        .ok_or_else(|| err("OAR knows no such job".to_string()))
}

/// Blocking form of [`oar_job_info`].
pub fn blocking_oar_job_info(job: &OarJob, settings: &Settings) -> Result<JobInfo, G5kError> {
    blocking(oar_job_info(job, settings), || {
        Err(on_kernel("read", &job.thing()))
    })
}

/// execo's `get_current_oar_jobs`: the user's jobs that have not ended, on every
/// frontend (all at once), in frontend order then id order.
pub async fn current_oar_jobs(
    frontends: &[Frontend],
    settings: &Settings,
) -> Result<Vec<(OarJob, JobInfo)>, G5kError> {
    let started: Vec<_> = frontends
        .iter()
        .map(|f| start(f, "oarstat -u -J", settings.oar_timeout))
        .collect();
    let mut out = Vec::new();
    for (f, h) in frontends.iter().zip(started) {
        let o = finish(h, f, "list", "the user's jobs").await?;
        let err = |c: String| G5kError::new("list", "the user's jobs", c).on(f.describe());
        if !o.ok {
            return Err(err(last_words(&o.text)));
        }
        for info in parse::oarstat_json(&o.text).map_err(err)? {
            if !info.state.is_final() {
                out.push((OarJob::new(info.id, f.clone()), info));
            }
        }
    }
    Ok(out)
}

/// Blocking form of [`current_oar_jobs`].
pub fn blocking_current_oar_jobs(
    frontends: &[Frontend],
    settings: &Settings,
) -> Result<Vec<(OarJob, JobInfo)>, G5kError> {
    blocking(current_oar_jobs(frontends, settings), || {
        Err(on_kernel("list", "the user's jobs"))
    })
}

/// The user's job named `name` on `frontend`'s site that has not ended, if any; several
/// is an error naming them.
pub async fn find_job_by_name(
    name: &str,
    frontend: &Frontend,
    settings: &Settings,
) -> Result<Option<OarJob>, G5kError> {
    let mut found: Vec<OarJob> = current_oar_jobs(std::slice::from_ref(frontend), settings)
        .await?
        .into_iter()
        .filter(|(_, i)| i.name.as_deref() == Some(name))
        .map(|(j, _)| j)
        .collect();
    match found.len() {
        0 | 1 => Ok(found.pop()),
        _ => Err(G5kError::new(
            "reuse",
            format!("job {name}"),
            format!(
                "several jobs have this name: {}; delete all but one, or choose another name",
                found
                    .iter()
                    .map(|j| j.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .on(frontend.describe())),
    }
}

/// Blocking form of [`find_job_by_name`].
pub fn blocking_find_job_by_name(
    name: &str,
    frontend: &Frontend,
    settings: &Settings,
) -> Result<Option<OarJob>, G5kError> {
    blocking(find_job_by_name(name, frontend, settings), || {
        Err(on_kernel("reuse", &format!("job {name}")))
    })
}

/// Submits `spec` on `frontend`, unless it has a name and the user already has a job of
/// that name on that site that has not ended: that one is reused (beyond execo, as
/// EnOSlib's `job_name`). The job, and whether it was reused.
pub async fn reserve(
    spec: &OarSubmission,
    frontend: &Frontend,
    settings: &Settings,
) -> Result<(OarJob, bool), G5kError> {
    if let Some(name) = &spec.name
        && let Some(job) = find_job_by_name(name, frontend, settings).await?
    {
        tracing::info!("reusing {job} (named {name})");
        return Ok((job, true));
    }
    oarsub_one(spec, frontend, settings)
        .await
        .map(|j| (j, false))
}

/// Blocking form of [`reserve`].
pub fn blocking_reserve(
    spec: &OarSubmission,
    frontend: &Frontend,
    settings: &Settings,
) -> Result<(OarJob, bool), G5kError> {
    blocking(reserve(spec, frontend, settings), || {
        Err(on_kernel("submit", &spec.describe()))
    })
}

/// What [`oarsubgrid`] sets in every submission (execo overwrites these fields).
#[derive(Clone, Debug, Default)]
pub struct GridOptions {
    /// A common reservation date.
    pub reservation: Option<OarDate>,
    /// A common walltime.
    pub walltime: Option<Walltime>,
    /// Common job types.
    pub job_types: Vec<String>,
    /// A common queue.
    pub queue: Option<String>,
    /// A common directory.
    pub directory: Option<std::path::PathBuf>,
    /// Common options.
    pub additional_options: Option<String>,
}

/// execo's `oarsubgrid`: the submissions, with `options` set in each, on their frontends
/// at once, all or nothing: if one fails, the others are deleted and the error is the
/// first failure's.
pub async fn oarsubgrid(
    specs: &[(OarSubmission, Frontend)],
    options: &GridOptions,
    settings: &Settings,
) -> Result<Vec<OarJob>, G5kError> {
    let specs: Vec<(OarSubmission, Frontend)> = specs
        .iter()
        .map(|(s, f)| {
            let mut s = s.clone();
            s.reservation = options.reservation.clone();
            s.walltime = options.walltime.clone();
            s.job_types = options.job_types.clone();
            s.queue = options.queue.clone();
            s.directory = options.directory.clone();
            s.additional_options = options.additional_options.clone();
            (s, f.clone())
        })
        .collect();
    let results = oarsub(&specs, settings).await;
    let mut jobs = Vec::new();
    let mut first_err = None;
    for r in results {
        match r {
            Ok(j) => jobs.push(j),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        None => Ok(jobs),
        Some(mut e) => {
            for (j, r) in jobs.iter().zip(oardel(&jobs, settings).await) {
                if let Err(d) = r {
                    tracing::warn!("{d}");
                }
                tracing::info!("deleted {j}: another submission of the grid failed");
            }
            if !jobs.is_empty() {
                e.cause += &format!(
                    " (deleted the grid's other jobs: {})",
                    jobs.iter()
                        .map(|j| j.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Err(e)
        }
    }
}

/// Blocking form of [`oarsubgrid`].
pub fn blocking_oarsubgrid(
    specs: &[(OarSubmission, Frontend)],
    options: &GridOptions,
    settings: &Settings,
) -> Result<Vec<OarJob>, G5kError> {
    blocking(oarsubgrid(specs, options, settings), || {
        Err(on_kernel("submit", "the grid"))
    })
}
