//! OAR jobs through the REST API: `POST /sites/{s}/jobs`, `GET` (one job, or every page
//! of the list), `DELETE`, `POST .../walltime`; finding a job again by its name; and
//! waiting for the start, bounded, ending with an error when the job ends or goes away
//! first. What the API says of a job is read into the same [`JobInfo`] as `oarstat`'s.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::g5k::G5kError;
use crate::g5k::api::Method;
use crate::g5k::oar::parse::{JobEvent, JobInfo, JobState};
use crate::g5k::oar::time::{format_oar_date, format_oar_duration, now_unix};
use crate::g5k::oar::{OarSubmission, Walltime};

use super::site::ApiSite;

/// The command of a job that gives none (execo's).
pub const DEFAULT_COMMAND: &str = "sleep 31536000";
/// The longest period between two polls of a wait, when the predicted start is far.
pub const MAX_POLL: Duration = Duration::from_secs(30);
/// Consecutive failed polls (each already retried) that end a wait.
pub const MAX_POLL_FAILURES: u32 = 3;
/// The states of a job that has not ended, as the API names them.
pub const LIVING: &str =
    "waiting,hold,tolaunch,toerror,toackreservation,launching,running,suspended,resuming,finishing";

/// The body of `POST /sites/{s}/jobs` for `spec`: `resources` (with the walltime),
/// `types` (`origin=execo` added, as with `oarsub`), `name`, `queue`, `project`,
/// `reservation` (Europe/Paris), `properties`, `directory`, `command`. Options given
/// as `oarsub` arguments have no place in it: an error.
pub fn submission_body(spec: &OarSubmission) -> Result<Value, G5kError> {
    if let Some(o) = spec.additional_options.as_deref().filter(|o| !o.is_empty()) {
        return Err(G5kError::new(
            "submit",
            spec.describe(),
            format!(
                "`additional_options` ({o}) are oarsub arguments, which the REST API does not take"
            ),
        ));
    }
    let mut resources: Vec<&str> = spec
        .resources
        .iter()
        .map(String::as_str)
        .filter(|r| !r.is_empty())
        .collect();
    let walltime = spec
        .walltime
        .as_ref()
        .map(|w| {
            w.seconds()
                .map(|s| format!("walltime={}", format_oar_duration(s)))
        })
        .transpose()?;
    let mut r = resources.join("+");
    if let Some(w) = &walltime {
        if r.is_empty() {
            r = w.clone();
        } else {
            r = format!("{r},{w}");
        }
    }
    resources.clear();
    let mut types: Vec<&str> = Vec::new();
    for t in spec
        .job_types
        .iter()
        .map(String::as_str)
        .chain(["origin=execo"])
    {
        if !types.contains(&t) {
            types.push(t);
        }
    }
    let mut b = json!({
        "resources": r,
        "types": types,
        "command": spec.command.as_deref().unwrap_or(DEFAULT_COMMAND),
    });
    let m = b.as_object_mut().expect("an object");
    if let Some(n) = &spec.name {
        m.insert("name".into(), json!(n));
    }
    if let Some(q) = &spec.queue {
        m.insert("queue".into(), json!(q));
    }
    if let Some(p) = &spec.project {
        m.insert("project".into(), json!(p));
    }
    if let Some(p) = &spec.properties {
        m.insert("properties".into(), json!(p));
    }
    if let Some(d) = &spec.directory {
        m.insert("directory".into(), json!(d.display().to_string()));
    }
    if let Some(d) = &spec.reservation {
        m.insert("reservation".into(), json!(d.to_oar()?));
    }
    Ok(b)
}

/// A state as the API writes it (`waiting`, `toackreservation`), as OAR names it.
pub fn state(s: &str) -> JobState {
    const NAMES: [&str; 12] = [
        "Waiting",
        "Hold",
        "toLaunch",
        "toError",
        "toAckReservation",
        "Launching",
        "Running",
        "Suspended",
        "Resuming",
        "Finishing",
        "Terminated",
        "Error",
    ];
    let s = s.trim();
    NAMES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(s))
        .map_or_else(|| JobState::Other(s.to_string()), |n| JobState::parse(n))
}

/// What the API says of a job, as a [`JobInfo`]: `uid`, `name`, `user`, `state`,
/// `submitted_at`, `started_at`, `scheduled_at`, `stopped_at` (0 or null: none),
/// `walltime`, `assigned_nodes` (sorted), `types`, `message`, `events`.
pub fn job_info(v: &Value) -> Result<JobInfo, String> {
    let id = v
        .get("uid")
        .and_then(|u| {
            u.as_u64()
                .or_else(|| u.as_str().and_then(|s| s.parse().ok()))
        })
        .ok_or("the job has no `uid`")?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let t = |k: &str| v.get(k).and_then(Value::as_i64).filter(|&t| t > 0);
    let strings = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut nodes = strings("assigned_nodes");
    nodes.sort();
    nodes.dedup();
    let events = v
        .get("events")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| JobEvent {
                    kind: e
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    description: e
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .trim()
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(JobInfo {
        id,
        name: s("name").filter(|n| !n.is_empty()),
        owner: s("user").or_else(|| s("user_uid")).unwrap_or_default(),
        state: state(&s("state").ok_or(format!("job {id} has no `state`"))?),
        submission: t("submitted_at"),
        start: t("started_at"),
        scheduled_start: t("scheduled_at"),
        stop: t("stopped_at"),
        walltime: v.get("walltime").and_then(Value::as_u64),
        nodes,
        types: strings("types"),
        message: s("message").unwrap_or_default(),
        events,
    })
}

fn thing(id: u64) -> String {
    format!("job {id}")
}

/// `POST /sites/{s}/jobs`: submits `spec`; its id. OAR's refusal is an error with its
/// words (a refused reservation's carries a
/// [`ReservationRefused`](crate::g5k::error::ReservationRefused)).
pub async fn submit(site: &ApiSite, spec: &OarSubmission) -> Result<u64, G5kError> {
    let body = submission_body(spec)?;
    let what = spec.describe();
    let a = site
        .request(
            Method::Post,
            &site.path("jobs"),
            Some(&body),
            &[],
            "submit",
            &what,
        )
        .await?;
    job_info(&a.body)
        .map(|i| i.id)
        .map_err(|c| G5kError::new("submit", what, c).on(site.describe()))
}

/// `GET /sites/{s}/jobs/{id}`: what the API says of job `id`.
pub async fn info(site: &ApiSite, id: u64) -> Result<JobInfo, G5kError> {
    let a = site
        .request(
            Method::Get,
            &site.path(&format!("jobs/{id}")),
            None,
            &[],
            "read",
            &thing(id),
        )
        .await?;
    job_info(&a.body).map_err(|c| G5kError::new("read", thing(id), c).on(site.describe()))
}

/// `GET /sites/{s}/jobs` with `query` (`state`, `user`, `queue`...), every page.
pub async fn list(site: &ApiSite, query: &[(&str, &str)]) -> Result<Vec<JobInfo>, G5kError> {
    site.collection("jobs", query, "list", "the jobs")
        .await?
        .iter()
        .map(|v| job_info(v).map_err(|c| G5kError::new("list", "the jobs", c).on(site.describe())))
        .collect()
}

/// Blocking form of [`list`].
pub fn blocking_list(site: &ApiSite, query: &[(&str, &str)]) -> Result<Vec<JobInfo>, G5kError> {
    crate::g5k::oar::jobs::blocking(list(site, query), || {
        Err(crate::g5k::oar::jobs::on_kernel("list", "the jobs"))
    })
}

/// The user's jobs that have not ended, every page of them.
pub async fn current(site: &ApiSite) -> Result<Vec<JobInfo>, G5kError> {
    let jobs = list(site, &[("user", site.user()), ("state", LIVING)]).await?;
    Ok(jobs
        .into_iter()
        .filter(|j| !j.state.is_final() && (j.owner.is_empty() || j.owner == site.user()))
        .collect())
}

/// Blocking form of [`current`].
pub fn blocking_current(site: &ApiSite) -> Result<Vec<JobInfo>, G5kError> {
    crate::g5k::oar::jobs::blocking(current(site), || {
        Err(crate::g5k::oar::jobs::on_kernel("list", "the user's jobs"))
    })
}

/// The user's job named `name` that has not ended, if there is one; several is an error
/// naming them.
pub async fn find_by_name(site: &ApiSite, name: &str) -> Result<Option<u64>, G5kError> {
    let mut found: Vec<u64> = current(site)
        .await?
        .into_iter()
        .filter(|j| j.name.as_deref() == Some(name))
        .map(|j| j.id)
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
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .on(site.describe())),
    }
}

/// Submits `spec`, unless it has a name and the user has a living job of that name on
/// the site: that one is reused. Its id, and whether it was reused.
pub async fn reserve(site: &ApiSite, spec: &OarSubmission) -> Result<(u64, bool), G5kError> {
    if let Some(name) = &spec.name
        && let Some(id) = find_by_name(site, name).await?
    {
        tracing::info!("reusing job {id} on {} (named {name})", site.site());
        return Ok((id, true));
    }
    submit(site, spec).await.map(|id| (id, false))
}

/// `DELETE /sites/{s}/jobs/{id}` (the API answers 202: OAR deletes it shortly after).
pub async fn delete(site: &ApiSite, id: u64) -> Result<(), G5kError> {
    site.request(
        Method::Delete,
        &site.path(&format!("jobs/{id}")),
        None,
        &[],
        "delete",
        &thing(id),
    )
    .await
    .map(|_| ())
}

/// `POST /sites/{s}/jobs/{id}/walltime`: asks OAR (`oarwalltime`) for `more` walltime.
/// OAR grants it when the job's next hours are free (at once, or later: it is then
/// pending); a refusal is an error with OAR's words.
pub async fn extend_walltime(site: &ApiSite, id: u64, more: &Walltime) -> Result<(), G5kError> {
    let secs = more.seconds()?;
    let body = json!({ "walltime": format!("+{}", format_oar_duration(secs)) });
    site.request(
        Method::Post,
        &site.path(&format!("jobs/{id}/walltime")),
        Some(&body),
        &[],
        "extend the walltime of",
        &thing(id),
    )
    .await
    .map(|_| ())
}

/// How long to wait before the next poll, knowing the predicted start (the site's pace
/// keeps it to one request a second at least).
fn period(predicted: Option<i64>, now: i64) -> Duration {
    match predicted {
        Some(p) if p - now > 10 => {
            Duration::from_secs(((p - now) / 4) as u64).clamp(super::site::PACE, MAX_POLL)
        }
        _ => super::site::PACE,
    }
}

/// Waits until job `id` runs; what the API says of it then (its nodes in
/// [`JobInfo::nodes`]). `prediction` is called with the predicted start whenever it
/// changes. Ends with an error naming the job and the site when the job ends first
/// (Terminated, Error, deleted), when the API no longer knows it, after
/// [`MAX_POLL_FAILURES`] failed polls running, or after `timeout`.
pub async fn wait_start(
    site: &ApiSite,
    id: u64,
    timeout: Duration,
    mut prediction: Option<&mut (dyn FnMut(Option<i64>) + Send)>,
) -> Result<JobInfo, G5kError> {
    let deadline = Instant::now() + timeout;
    let err = |cause: String| {
        G5kError::new("wait for the start of", thing(id), cause).on(site.describe())
    };
    let (mut failures, mut last_prediction, mut last_state) = (0, None, None);
    loop {
        match info(site, id).await {
            Ok(i) => {
                failures = 0;
                match &i.state {
                    JobState::Running => return Ok(i),
                    s if s.is_final() => {
                        let how = if i.deleted() {
                            "the job was deleted before it started".to_string()
                        } else {
                            format!("the job ended ({s}) before it started")
                        };
                        return Err(err(format!("{how}: {}", i.end_reason())));
                    }
                    _ => {}
                }
                if i.scheduled_start != last_prediction {
                    last_prediction = i.scheduled_start;
                    if let Some(t) = last_prediction {
                        tracing::debug!(
                            "job {id} on {}: predicted start {}",
                            site.site(),
                            format_oar_date(t)
                        );
                    }
                    if let Some(cb) = prediction.as_deref_mut() {
                        cb(last_prediction);
                    }
                }
                last_state = Some(i.state);
            }
            Err(e) if e.cause.starts_with("HTTP 404") => {
                return Err(err(format!(
                    "the API no longer knows the job ({})",
                    e.cause
                )));
            }
            Err(e) => {
                failures += 1;
                tracing::warn!("{e}");
                if failures >= MAX_POLL_FAILURES {
                    return Err(err(format!(
                        "reading it failed {failures} times running, last: {}",
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
        let next = (now + period(last_prediction, now_unix())).min(deadline);
        crate::kernel::kernel().sleep_until(next).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_as_the_api_takes_it() {
        let s = OarSubmission::new("{cluster='taurus'}/nodes=2")
            .walltime("1:00")
            .job_type("deploy")
            .name("xp")
            .queue("default")
            .project("p")
            .reservation("2026-05-01 19:00:00");
        assert_eq!(
            submission_body(&s).unwrap(),
            json!({"resources": "{cluster='taurus'}/nodes=2,walltime=1:0:0",
                   "types": ["deploy", "origin=execo"], "command": "sleep 31536000",
                   "name": "xp", "queue": "default", "project": "p",
                   "reservation": "2026-05-01 19:00:00"})
        );
        let e =
            submission_body(&OarSubmission::new("nodes=1").additional_options("-O x")).unwrap_err();
        assert!(e.to_string().contains("additional_options"), "{e}");
    }

    #[test]
    fn the_fixtures_jobs_read_as_oarstat_s() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/g5k/synthetic/sites/lyon/jobs/1954321.json");
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        )
        .unwrap();
        let i = job_info(&v).unwrap();
        assert_eq!(i.id, 1954321);
        assert_eq!(i.state, JobState::Running);
        assert_eq!(i.name.as_deref(), Some("execo"));
        assert_eq!(i.owner, "alice");
        assert_eq!(i.walltime, Some(7200));
        assert_eq!(i.start, Some(1774255820));
        assert_eq!(
            i.nodes,
            ["taurus-1.lyon.grid5000.fr", "taurus-10.lyon.grid5000.fr"]
        );
        assert_eq!(state("toackreservation"), JobState::ToAckReservation);
        assert_eq!(state("terminated"), JobState::Terminated);
    }

    #[test]
    fn the_poll_period_follows_the_prediction() {
        assert_eq!(period(None, 0), Duration::from_secs(1));
        assert_eq!(period(Some(40), 0), Duration::from_secs(10));
        assert_eq!(period(Some(100_000), 0), MAX_POLL);
    }
}
