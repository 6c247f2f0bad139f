//! A Grid'5000 job, whichever way it was submitted: OAR's commands on a frontend
//! (execo's way, [`super::oar`]) or the REST API ([`super::rest`]). Experiments hold a
//! [`Job`] and do not care which [`Backend`] is behind it: reserve (reusing a living job
//! of the same name), wait for the start, read the nodes, extend the walltime, release.

use std::time::Duration;

use crate::g5k::oar::{self, JobInfo, OarJob, OarSubmission, Walltime};
use crate::g5k::rest::{self, ApiSite};
use crate::g5k::{Frontend, G5kError, Settings};
use crate::host::Host;

/// How jobs of a site are submitted and followed.
#[derive(Clone, Debug)]
#[non_exhaustive]
// One per job, cloned rarely: boxing the frontend would only change how it is built.
#[allow(clippy::large_enum_variant)]
pub enum Backend {
    /// OAR's commands (`oarsub`, `oarstat`, `oardel`) on the site's frontend.
    Commands(Frontend),
    /// The REST API's `/sites/{site}/jobs`.
    Rest(ApiSite),
}

impl Backend {
    /// The site it submits to.
    pub fn site(&self) -> &str {
        match self {
            Backend::Commands(f) => f.site(),
            Backend::Rest(a) => a.site(),
        }
    }

    /// How it is named in messages: `frontend lyon`, `the API of lyon`.
    pub fn describe(&self) -> String {
        match self {
            Backend::Commands(f) => f.describe(),
            Backend::Rest(a) => a.describe(),
        }
    }
}

/// A job of a site, and the backend that follows it.
#[derive(Clone, Debug)]
pub struct Job {
    /// The job id.
    pub id: u64,
    backend: Backend,
}

impl Job {
    /// Job `id` of `backend`'s site.
    pub fn new(id: u64, backend: Backend) -> Job {
        Job { id, backend }
    }

    /// Its site.
    pub fn site(&self) -> &str {
        self.backend.site()
    }

    /// The backend that follows it.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// How it is named in messages: `job 12`.
    pub fn thing(&self) -> String {
        format!("job {}", self.id)
    }

    /// The frontend's job, or the API's site.
    fn way(&self) -> Result<OarJob, &ApiSite> {
        match &self.backend {
            Backend::Commands(f) => Ok(OarJob::new(self.id, f.clone())),
            Backend::Rest(a) => Err(a),
        }
    }

    /// Submits `spec` through `backend`, unless it has a name and the user already has a
    /// job of that name on that site that has not ended: that one is reused. The job, and
    /// whether it was reused.
    pub async fn reserve(
        spec: &OarSubmission,
        backend: &Backend,
        settings: &Settings,
    ) -> Result<(Job, bool), G5kError> {
        match backend {
            Backend::Commands(f) => oar::reserve(spec, f, settings)
                .await
                .map(|(j, reused)| (Job::new(j.id, backend.clone()), reused)),
            Backend::Rest(a) => rest::jobs::reserve(a, spec)
                .await
                .map(|(id, reused)| (Job::new(id, backend.clone()), reused)),
        }
    }

    /// Submits `spec` through `backend`, a new job whatever its name.
    pub async fn submit(
        spec: &OarSubmission,
        backend: &Backend,
        settings: &Settings,
    ) -> Result<Job, G5kError> {
        match backend {
            Backend::Commands(f) => oar::oarsub_one(spec, f, settings)
                .await
                .map(|j| Job::new(j.id, backend.clone())),
            Backend::Rest(a) => rest::jobs::submit(a, spec)
                .await
                .map(|id| Job::new(id, backend.clone())),
        }
    }

    /// Blocking form of [`Job::submit`].
    pub fn blocking_submit(
        spec: &OarSubmission,
        backend: &Backend,
        settings: &Settings,
    ) -> Result<Job, G5kError> {
        oar::jobs::blocking(Job::submit(spec, backend, settings), || {
            Err(oar::jobs::on_kernel("submit", &spec.describe()))
        })
    }

    /// Blocking form of [`Job::reserve`].
    pub fn blocking_reserve(
        spec: &OarSubmission,
        backend: &Backend,
        settings: &Settings,
    ) -> Result<(Job, bool), G5kError> {
        oar::jobs::blocking(Job::reserve(spec, backend, settings), || {
            Err(oar::jobs::on_kernel("submit", &spec.describe()))
        })
    }

    /// What the scheduler says of it now.
    pub async fn info(&self, settings: &Settings) -> Result<JobInfo, G5kError> {
        match self.way() {
            Ok(j) => oar::oar_job_info(&j, settings).await,
            Err(a) => rest::jobs::info(a, self.id).await,
        }
    }

    /// Blocking form of [`Job::info`].
    pub fn blocking_info(&self, settings: &Settings) -> Result<JobInfo, G5kError> {
        oar::jobs::blocking(self.info(settings), || {
            Err(oar::jobs::on_kernel("read", &self.thing()))
        })
    }

    /// Waits until it runs (see [`oar::wait_oar_job_start`]: bounded, never more than
    /// one request a second, an error when it ends first); what the scheduler says of it
    /// then, its nodes in [`JobInfo::nodes`].
    pub async fn wait_start(
        &self,
        timeout: Option<Duration>,
        prediction: Option<&mut (dyn FnMut(Option<i64>) + Send)>,
        settings: &Settings,
    ) -> Result<JobInfo, G5kError> {
        match self.way() {
            Ok(j) => oar::wait_oar_job_start(&j, timeout, prediction, settings).await,
            Err(a) => {
                let timeout = timeout.unwrap_or(settings.oar_wait_timeout);
                rest::jobs::wait_start(a, self.id, timeout, prediction).await
            }
        }
    }

    /// Blocking form of [`Job::wait_start`].
    pub fn blocking_wait_start(
        &self,
        timeout: Option<Duration>,
        prediction: Option<&mut (dyn FnMut(Option<i64>) + Send)>,
        settings: &Settings,
    ) -> Result<JobInfo, G5kError> {
        oar::jobs::blocking(self.wait_start(timeout, prediction, settings), || {
            Err(oar::jobs::on_kernel("wait for the start of", &self.thing()))
        })
    }

    /// Waits for the start, then its nodes, sorted; none is an error.
    pub async fn nodes(
        &self,
        timeout: Option<Duration>,
        settings: &Settings,
    ) -> Result<Vec<Host>, G5kError> {
        match self.way() {
            Ok(j) => oar::oar_job_nodes(&j, timeout, settings).await,
            Err(_) => {
                let info = self.wait_start(timeout, None, settings).await?;
                if info.nodes.is_empty() {
                    return Err(G5kError::new(
                        "read the nodes of",
                        self.thing(),
                        "OAR granted the job no node",
                    )
                    .on(self.backend.describe()));
                }
                Ok(info.nodes.into_iter().map(Host::new).collect())
            }
        }
    }

    /// Blocking form of [`Job::nodes`].
    pub fn blocking_nodes(
        &self,
        timeout: Option<Duration>,
        settings: &Settings,
    ) -> Result<Vec<Host>, G5kError> {
        oar::jobs::blocking(self.nodes(timeout, settings), || {
            Err(oar::jobs::on_kernel("read the nodes of", &self.thing()))
        })
    }

    /// Releases it (through the API, OAR deletes it shortly after the answer).
    pub async fn delete(&self, settings: &Settings) -> Result<(), G5kError> {
        match self.way() {
            Ok(j) => oar::oardel(&[j], settings)
                .await
                .pop()
                .unwrap_or_else(|| Err(G5kError::new("delete", self.thing(), "no result"))),
            Err(a) => rest::jobs::delete(a, self.id).await,
        }
    }

    /// Blocking form of [`Job::delete`].
    pub fn blocking_delete(&self, settings: &Settings) -> Result<(), G5kError> {
        oar::jobs::blocking(self.delete(settings), || {
            Err(oar::jobs::on_kernel("delete", &self.thing()))
        })
    }
}

impl Job {
    /// Asks OAR for `more` walltime (`oarwalltime ID +H:M:S`, or the API's
    /// `POST .../walltime`). OAR grants it when the job's next hours are free, at once or
    /// later; a refusal is an error with OAR's words (OAR must allow it:
    /// `WALLTIME_CHANGE_ENABLED`).
    pub async fn extend_walltime(
        &self,
        more: impl Into<Walltime>,
        settings: &Settings,
    ) -> Result<(), G5kError> {
        let more = more.into();
        match self.way() {
            Ok(j) => {
                let secs = more.seconds()?;
                let verb = "extend the walltime of";
                let o = oar::jobs::run(
                    &j.frontend,
                    &format!(
                        "oarwalltime {} +{}",
                        self.id,
                        oar::format_oar_duration(secs)
                    ),
                    settings.oar_timeout,
                    verb,
                    &self.thing(),
                )
                .await?;
                if o.ok {
                    Ok(())
                } else {
                    Err(
                        G5kError::new(verb, self.thing(), oar::jobs::last_words(&o.text))
                            .on(j.frontend.describe()),
                    )
                }
            }
            Err(a) => rest::jobs::extend_walltime(a, self.id, &more).await,
        }
    }

    /// Blocking form of [`Job::extend_walltime`].
    pub fn blocking_extend_walltime(
        &self,
        more: impl Into<Walltime>,
        settings: &Settings,
    ) -> Result<(), G5kError> {
        oar::jobs::blocking(self.extend_walltime(more, settings), || {
            Err(oar::jobs::on_kernel(
                "extend the walltime of",
                &self.thing(),
            ))
        })
    }
}

impl From<OarJob> for Job {
    fn from(j: OarJob) -> Job {
        Job::new(j.id, Backend::Commands(j.frontend))
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {} on {}", self.id, self.site())
    }
}
