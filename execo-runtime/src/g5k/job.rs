//! A Grid'5000 job, whichever way it was submitted: OAR's commands on a frontend
//! (execo's way, [`super::oar`]) or the REST API. Experiments hold a [`Job`] and do not
//! care which [`Backend`] is behind it: reserve (reusing a living job of the same name),
//! wait for the start, read the nodes, release.

use std::time::Duration;

use crate::g5k::oar::{self, JobInfo, OarJob, OarSubmission};
use crate::g5k::{Frontend, G5kError, Settings};
use crate::host::Host;

/// How jobs of a site are submitted and followed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Backend {
    /// OAR's commands (`oarsub`, `oarstat`, `oardel`) on the site's frontend.
    Commands(Frontend),
}

impl Backend {
    /// The site it submits to.
    pub fn site(&self) -> &str {
        match self {
            Backend::Commands(f) => f.site(),
        }
    }

    /// How it is named in messages: `frontend lyon`, `the API of lyon`.
    pub fn describe(&self) -> String {
        match self {
            Backend::Commands(f) => f.describe(),
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

    fn oar(&self) -> OarJob {
        match &self.backend {
            Backend::Commands(f) => OarJob::new(self.id, f.clone()),
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
        }
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
        oar::oar_job_info(&self.oar(), settings).await
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
        oar::wait_oar_job_start(&self.oar(), timeout, prediction, settings).await
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
        oar::oar_job_nodes(&self.oar(), timeout, settings).await
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

    /// Releases it.
    pub async fn delete(&self, settings: &Settings) -> Result<(), G5kError> {
        oar::oardel(&[self.oar()], settings)
            .await
            .pop()
            .unwrap_or_else(|| Err(G5kError::new("delete", self.thing(), "no result")))
    }

    /// Blocking form of [`Job::delete`].
    pub fn blocking_delete(&self, settings: &Settings) -> Result<(), G5kError> {
        oar::jobs::blocking(self.delete(settings), || {
            Err(oar::jobs::on_kernel("delete", &self.thing()))
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
