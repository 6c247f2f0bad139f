//! Waiting for a job to start, and its nodes once it has.
//!
//! execo polls `oarstat` every 10-20 s, so a job that starts in 3 s is seen after 10;
//! EnOSlib's wait has no end. Here the wait polls once a second while the start is near
//! or unknown (never more than one `oarstat` a second), stretches the period when OAR
//! predicts a start far away, and always ends: on Running (its nodes come with the same
//! `oarstat -J`), on an error when the job ends first (deleted: OAR's events say so),
//! when OAR forgets it, when the frontend fails three times running, or at the timeout.
//! Its polls ride on one shared ssh connection to the frontend
//! ([`Frontend::multiplexed`](crate::g5k::Frontend::multiplexed)): a poll is then a
//! session on it, not a new handshake.

use std::time::{Duration, Instant};

use crate::g5k::{G5kError, Settings};
use crate::host::Host;

use super::jobs::{OarJob, blocking, job_info_within, last_words, on_kernel, run};
use super::parse::{JobInfo, JobState, node_list};
use super::time::{format_oar_date, now_unix};

/// The shortest period between two `oarstat`s of one wait.
pub const MIN_POLL: Duration = Duration::from_secs(1);
/// The longest, when the predicted start is far.
pub const MAX_POLL: Duration = Duration::from_secs(30);
/// Consecutive failed `oarstat`s that end a wait.
pub const MAX_POLL_FAILURES: u32 = 3;

/// How long to wait before the next poll, knowing the predicted start.
fn period(predicted: Option<i64>, now: i64) -> Duration {
    match predicted {
        Some(p) if p - now > 10 => {
            Duration::from_secs(((p - now) / 4) as u64).clamp(MIN_POLL, MAX_POLL)
        }
        _ => MIN_POLL,
    }
}

/// execo's `wait_oar_job_start`: waits until `job` runs and returns what OAR says of it
/// then (its nodes in [`JobInfo::nodes`]). `prediction` is called with the predicted
/// start (unix time) whenever it changes. Ends with an error naming the job and its site
/// when the job ends or is deleted first, when OAR does not know it, when its frontend
/// fails [`MAX_POLL_FAILURES`] times running, or after `timeout` (`oar_wait_timeout`
/// when `None`).
pub async fn wait_oar_job_start(
    job: &OarJob,
    timeout: Option<Duration>,
    mut prediction: Option<&mut (dyn FnMut(Option<i64>) + Send)>,
    settings: &Settings,
) -> Result<JobInfo, G5kError> {
    let timeout = timeout.unwrap_or(settings.oar_wait_timeout);
    let polled_job = OarJob::new(job.id, job.frontend.multiplexed());
    let deadline = Instant::now() + timeout;
    let thing = job.thing();
    let err = |cause: String| {
        G5kError::new("wait for the start of", &thing, cause).on(job.frontend.describe())
    };
    let mut failures = 0;
    let mut last_prediction = None;
    let mut last_state = None;
    loop {
        let polled = Instant::now();
        let per_call = settings
            .oar_timeout
            .min(deadline.saturating_duration_since(polled))
            .max(MIN_POLL);
        match job_info_within(&polled_job, per_call).await {
            Ok(info) => {
                failures = 0;
                match &info.state {
                    JobState::Running => return Ok(info),
                    s if s.is_final() => {
                        let how = if info.deleted() {
                            "the job was deleted before it started".to_string()
                        } else {
                            format!("the job ended ({s}) before it started")
                        };
                        return Err(err(format!("{how}: {}", info.end_reason())));
                    }
                    _ => {}
                }
                if info.scheduled_start != last_prediction {
                    last_prediction = info.scheduled_start;
                    if let Some(t) = last_prediction {
                        tracing::debug!("{job}: predicted start {}", format_oar_date(t));
                    }
                    if let Some(cb) = prediction.as_deref_mut() {
                        cb(last_prediction);
                    }
                }
                last_state = Some(info.state);
            }
            Err(e) if e.cause.contains("OAR knows no such job") => return Err(e),
            Err(e) => {
                failures += 1;
                tracing::warn!("{e}");
                if failures >= MAX_POLL_FAILURES {
                    return Err(err(format!(
                        "oarstat failed {failures} times running, last: {}",
                        e.cause
                    )));
                }
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(err(format!(
                "timed out after {:.0} s (last state: {})",
                timeout.as_secs_f64(),
                last_state.map_or("unknown".to_string(), |s| s.to_string())
            )));
        }
        let next = (polled + period(last_prediction, now_unix())).min(deadline);
        crate::kernel::kernel().sleep_until(next).await;
    }
}

/// Blocking form of [`wait_oar_job_start`].
pub fn blocking_wait_oar_job_start(
    job: &OarJob,
    timeout: Option<Duration>,
    prediction: Option<&mut (dyn FnMut(Option<i64>) + Send)>,
    settings: &Settings,
) -> Result<JobInfo, G5kError> {
    blocking(
        wait_oar_job_start(job, timeout, prediction, settings),
        || Err(on_kernel("wait for the start of", &job.thing())),
    )
}

/// execo's `get_oar_job_nodes`: waits for `job` to start (`timeout` as in
/// [`wait_oar_job_start`]), then its nodes, sorted; a job with no node is an error.
pub async fn oar_job_nodes(
    job: &OarJob,
    timeout: Option<Duration>,
    settings: &Settings,
) -> Result<Vec<Host>, G5kError> {
    let info = wait_oar_job_start(job, timeout, None, settings).await?;
    let mut nodes = info.nodes;
    if nodes.is_empty() {
        // execo's command, for an OAR whose JSON lacks them
        let o = run(
            &job.frontend.multiplexed(),
            &format!(
                "(oarstat -sj {id} | grep 'Running\\|Terminated\\|Error') > /dev/null 2>&1 && \
                 oarstat -pj {id} | oarprint network_address -f - | sort",
                id = job.id
            ),
            settings.oar_timeout,
            "read the nodes of",
            &job.thing(),
        )
        .await?;
        if !o.ok {
            return Err(
                G5kError::new("read the nodes of", job.thing(), last_words(&o.text))
                    .on(job.frontend.describe()),
            );
        }
        nodes = node_list(&o.text);
    }
    check_nodes(job, nodes)
}

/// The nodes as hosts; none is an error naming the job.
pub fn check_nodes(job: &OarJob, nodes: Vec<String>) -> Result<Vec<Host>, G5kError> {
    if nodes.is_empty() {
        return Err(G5kError::new(
            "read the nodes of",
            job.thing(),
            "OAR granted the job no node",
        )
        .on(job.frontend.describe()));
    }
    Ok(nodes.into_iter().map(Host::new).collect())
}

/// Blocking form of [`oar_job_nodes`].
pub fn blocking_oar_job_nodes(
    job: &OarJob,
    timeout: Option<Duration>,
    settings: &Settings,
) -> Result<Vec<Host>, G5kError> {
    blocking(oar_job_nodes(job, timeout, settings), || {
        Err(on_kernel("read the nodes of", &job.thing()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g5k::Frontend;

    #[test]
    fn the_poll_period_follows_the_prediction() {
        assert_eq!(period(None, 1000), MIN_POLL);
        assert_eq!(period(Some(1005), 1000), MIN_POLL);
        assert_eq!(period(Some(1040), 1000), Duration::from_secs(10));
        assert_eq!(period(Some(100_000), 1000), MAX_POLL);
        assert_eq!(period(Some(10), 1000), MIN_POLL);
    }

    #[test]
    fn a_job_with_no_node_is_an_error_naming_it() {
        let job = OarJob::new(12, Frontend::local("lyon").unwrap());
        let e = check_nodes(&job, vec![]).unwrap_err().to_string();
        assert!(
            e.contains("`job 12`") && e.contains("lyon") && e.contains("no node"),
            "{e}"
        );
        let hosts = check_nodes(&job, vec!["a-1".into()]).unwrap();
        assert_eq!(hosts[0].address, "a-1");
    }
}
