//! What OAR's commands print, read: `oarsub`'s job id or its refusal, `oarstat`'s job
//! lists and job descriptions in both formats (`-J` JSON with unix times, and the text
//! one with local dates, Europe/Paris on Grid'5000), `oarprint`'s node list.
//!
//! Kept apart from running the commands so that it is tested on the real outputs
//! (tests/fixtures/oar/, taken from OAR 2.5.9).

use std::collections::BTreeMap;

use serde_json::Value;

use super::time::{oar_date_to_unixts, oar_duration_to_seconds};
use crate::g5k::error::ReservationRefused;

/// A job's state, as OAR names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Waiting to be scheduled or to start.
    Waiting,
    /// Held by its owner.
    Hold,
    /// Scheduled, about to be launched.
    ToLaunch,
    /// On its way to Error.
    ToError,
    /// A reservation waiting for its acknowledgement.
    ToAckReservation,
    /// Being launched on its nodes.
    Launching,
    /// Running: its nodes are known.
    Running,
    /// Suspended.
    Suspended,
    /// Resuming from suspension.
    Resuming,
    /// Ending.
    Finishing,
    /// Ended normally (final).
    Terminated,
    /// Ended in error, or deleted (final).
    Error,
    /// A state this version does not know.
    Other(String),
}

impl JobState {
    /// From OAR's name.
    pub fn parse(s: &str) -> JobState {
        match s.trim() {
            "Waiting" => JobState::Waiting,
            "Hold" => JobState::Hold,
            "toLaunch" => JobState::ToLaunch,
            "toError" => JobState::ToError,
            "toAckReservation" => JobState::ToAckReservation,
            "Launching" => JobState::Launching,
            "Running" => JobState::Running,
            "Suspended" => JobState::Suspended,
            "Resuming" => JobState::Resuming,
            "Finishing" => JobState::Finishing,
            "Terminated" => JobState::Terminated,
            "Error" => JobState::Error,
            other => JobState::Other(other.to_string()),
        }
    }

    /// Whether the job has ended (Terminated or Error): it will never run again.
    pub fn is_final(&self) -> bool {
        matches!(self, JobState::Terminated | JobState::Error)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            JobState::Waiting => "Waiting",
            JobState::Hold => "Hold",
            JobState::ToLaunch => "toLaunch",
            JobState::ToError => "toError",
            JobState::ToAckReservation => "toAckReservation",
            JobState::Launching => "Launching",
            JobState::Running => "Running",
            JobState::Suspended => "Suspended",
            JobState::Resuming => "Resuming",
            JobState::Finishing => "Finishing",
            JobState::Terminated => "Terminated",
            JobState::Error => "Error",
            JobState::Other(s) => s,
        };
        f.write_str(s)
    }
}

/// One event of a job (`FRAG_JOB_REQUEST`, `SWITCH_INTO_ERROR_STATE`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEvent {
    /// The event's type.
    pub kind: String,
    /// What OAR says about it.
    pub description: String,
}

/// What `oarstat -fj` says of a job (execo's `get_oar_job_info`, and more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobInfo {
    /// The job id.
    pub id: u64,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Its owner.
    pub owner: String,
    /// Its state.
    pub state: JobState,
    /// When it was submitted (unix time).
    pub submission: Option<i64>,
    /// When it started (unix time), once it has.
    pub start: Option<i64>,
    /// When it is predicted to start (unix time), when OAR predicts it.
    pub scheduled_start: Option<i64>,
    /// When it stopped (unix time), once it has.
    pub stop: Option<i64>,
    /// Its walltime in seconds, once scheduled.
    pub walltime: Option<u64>,
    /// Its nodes (`assigned_network_address`), sorted, once it runs.
    pub nodes: Vec<String>,
    /// Its types.
    pub types: Vec<String>,
    /// OAR's message about it.
    pub message: String,
    /// Its events (a deletion shows as `FRAG_JOB_REQUEST`).
    pub events: Vec<JobEvent>,
}

impl JobInfo {
    /// Whether its owner (or an admin) asked to delete it.
    pub fn deleted(&self) -> bool {
        self.events.iter().any(|e| e.kind == "FRAG_JOB_REQUEST")
    }

    /// Why it ended, in OAR's words: its events, else its message.
    pub fn end_reason(&self) -> String {
        if self.events.is_empty() {
            self.message.clone()
        } else {
            self.events
                .iter()
                .map(|e| format!("{}: {}", e.kind, e.description))
                .collect::<Vec<_>>()
                .join("; ")
        }
    }
}

/// `oarsub`'s job id (`^OAR_JOB_ID=(\d+)\s*$`, execo's), or what OAR said instead: its
/// messages, the admission rules' chatter left out.
pub fn oarsub_job_id(output: &str) -> Result<u64, String> {
    let mut id = None;
    let mut said = Vec::new();
    for line in output.lines().map(|l| l.trim_end_matches('\r').trim()) {
        if let Some(v) = line.strip_prefix("OAR_JOB_ID=") {
            id = v.trim().parse::<u64>().ok();
        } else if !chatter(line) {
            said.push(line.to_string());
        }
    }
    let refused = output.contains("Reservation not valid");
    match id {
        Some(id) if !refused => Ok(id),
        _ if said.is_empty() => Err("oarsub printed no job id".to_string()),
        _ => Err(said.join(" ")),
    }
}

/// Why OAR refused a reservation, read from its words (`oarsub`'s "Reservation not
/// valid --> KO (...)" line, or the job's message): `None` when they say none of the
/// three things OAR's metascheduler says.
pub fn reservation_refused(said: &str) -> Option<ReservationRefused> {
    if let Some((_, rest)) = said.split_once("This reservation could run at ") {
        let date: String = rest.chars().take(19).collect();
        let unix = oar_date_to_unixts(&date).ok()?;
        return Some(ReservationRefused::CouldRunAt { date, unix });
    }
    if said.contains("This reservation cannot run") {
        return Some(ReservationRefused::CannotRun);
    }
    if said.contains("Reservation too old") {
        return Some(ReservationRefused::TooOld);
    }
    None
}

/// A line of `oarsub`'s that says nothing of a refusal: blank, an admission rule's note
/// (not its error), the reservation's progress, ssh's goodbye.
fn chatter(line: &str) -> bool {
    let rule_note = line.starts_with("[ADMISSION RULE]") && !line.contains("Error");
    line.is_empty()
        || rule_note
        || ["Reservation mode", "Reservation valid", "Connection to "]
            .iter()
            .any(|p| line.starts_with(p))
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn nonzero(v: Option<&Value>) -> Option<i64> {
    v.and_then(int).filter(|&t| t > 0)
}

fn job_from_json(id: &str, j: &Value) -> Result<JobInfo, String> {
    let s = |k: &str| j.get(k).and_then(Value::as_str).map(str::to_string);
    let id = j
        .get("Job_Id")
        .and_then(int)
        .or_else(|| id.parse().ok())
        .ok_or_else(|| format!("job `{id}` has no id"))?;
    let strings = |k: &str| -> Vec<String> {
        j.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut nodes = strings("assigned_network_address");
    nodes.sort();
    nodes.dedup();
    let events = j
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
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(JobInfo {
        id: id as u64,
        name: s("name").filter(|n| !n.is_empty()),
        owner: s("owner").or_else(|| s("job_user")).unwrap_or_default(),
        state: JobState::parse(&s("state").unwrap_or_default()),
        submission: nonzero(j.get("submissionTime")),
        start: nonzero(j.get("startTime")),
        scheduled_start: nonzero(j.get("scheduledStart")),
        stop: nonzero(j.get("stopTime")),
        walltime: j.get("walltime").and_then(int).map(|w| w as u64),
        nodes,
        types: strings("types"),
        message: s("message").unwrap_or_default(),
        events,
    })
}

/// The jobs of an `oarstat ... -J` output (`{"ID": {...}}`), in id order. Nothing
/// printed (OAR's answer for no job) is no job.
pub fn oarstat_json(output: &str) -> Result<Vec<JobInfo>, String> {
    let t = output.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let start = t
        .find('{')
        .ok_or_else(|| format!("not JSON: {}", first_line(t)))?;
    let v: Value = serde_json::from_str(&t[start..])
        .map_err(|e| format!("not oarstat's JSON ({e}): {}", first_line(t)))?;
    let map = v
        .as_object()
        .ok_or_else(|| format!("not oarstat's JSON: {}", first_line(t)))?;
    let mut jobs = map
        .iter()
        .map(|(id, j)| job_from_json(id, j))
        .collect::<Result<Vec<_>, _>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// A job of `oarstat -fj`'s text format (both OAR's old `start_time` and new
/// `startTime` keys, as execo reads them). Dates are read as Europe/Paris.
pub fn oarstat_text(output: &str) -> Result<JobInfo, String> {
    let mut kv: BTreeMap<String, String> = BTreeMap::new();
    let mut id = None;
    let mut events = Vec::new();
    let mut in_events = false;
    for raw in output.lines() {
        let line = raw.trim_end_matches('\r');
        if let Some(v) = line.strip_prefix("Job_Id:") {
            id = v.trim().parse::<u64>().ok();
            continue;
        }
        if in_events {
            // `2026-11-23 01:53:09> FRAG_JOB_REQUEST:User alice requested...`
            if let Some((_, rest)) = line.split_once("> ") {
                let (kind, desc) = rest.split_once(':').unwrap_or((rest, ""));
                events.push(JobEvent {
                    kind: kind.trim().to_string(),
                    description: desc.trim().to_string(),
                });
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(" = ").or_else(|| {
            line.trim_end()
                .strip_suffix(" =")
                .map(|k| (k, ""))
                .filter(|_| line.starts_with(' '))
        }) {
            let k = k.trim().to_string();
            in_events = k == "events";
            kv.insert(k, v.trim().to_string());
        }
    }
    let id = id.ok_or_else(|| format!("not oarstat's text: {}", first_line(output)))?;
    let get = |a: &str, b: &str| kv.get(a).or_else(|| kv.get(b)).filter(|v| !v.is_empty());
    let date = |a: &str, b: &str| get(a, b).and_then(|d| oar_date_to_unixts(d).ok());
    let mut nodes: Vec<String> = get("assigned_hostnames", "assigned_hostnames")
        .map(|h| h.split('+').map(str::to_string).collect())
        .unwrap_or_default();
    nodes.sort();
    nodes.dedup();
    Ok(JobInfo {
        id,
        name: get("name", "name").cloned(),
        owner: get("owner", "job_user").cloned().unwrap_or_default(),
        state: JobState::parse(get("state", "state").map(String::as_str).unwrap_or("")),
        submission: date("submissionTime", "submission_time"),
        start: date("startTime", "start_time"),
        scheduled_start: date("scheduledStart", "scheduled_start"),
        stop: date("stopTime", "stop_time"),
        walltime: get("walltime", "walltime").and_then(|w| oar_duration_to_seconds(w).ok()),
        nodes,
        types: get("types", "types")
            .map(|t| t.split(", ").map(str::to_string).collect())
            .unwrap_or_default(),
        message: get("message", "message").cloned().unwrap_or_default(),
        events,
    })
}

/// The job ids of `oarstat -u`'s text (`^(\d+)\s`, execo's).
pub fn oarstat_u_text(output: &str) -> Vec<u64> {
    output
        .lines()
        .filter_map(|l| {
            let first = l.split_whitespace().next()?;
            (l.starts_with(first) && first.bytes().all(|b| b.is_ascii_digit()))
                .then(|| first.parse().ok())
                .flatten()
        })
        .collect()
}

/// Host names, one a line (`oarprint`), sorted, without duplicates or blank lines.
pub fn node_list(output: &str) -> Vec<String> {
    let mut v: Vec<String> = output
        .lines()
        .map(|l| l.trim_end_matches('\r').trim())
        .filter(|l| !l.is_empty() && !l.starts_with("Connection to "))
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/oar")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn oarsub_gives_a_job_id_or_oar_s_refusal() {
        assert_eq!(oarsub_job_id(&fixture("oarsub-batch.out")), Ok(5));
        assert_eq!(oarsub_job_id(&fixture("oarsub-resa-ok.out")), Ok(7));
        let ko = oarsub_job_id(&fixture("oarsub-resa-ko.out")).unwrap_err();
        assert!(ko.contains("Reservation not valid --> KO"), "{ko}");
        // with a pty, stderr comes in the same stream
        let too_many = format!(
            "{}{}",
            fixture("oarsub-too-many.out"),
            fixture("oarsub-too-many.err")
        );
        let e = oarsub_job_id(&too_many).unwrap_err();
        assert!(
            e.contains("There are not enough resources for your request"),
            "{e}"
        );
        assert!(!e.contains("ADMISSION RULE"), "{e}");
        // an admission rule's refusal is OAR's message
        let e = oarsub_job_id("[ADMISSION RULE] Error: unknown job type: x\n").unwrap_err();
        assert_eq!(e, "[ADMISSION RULE] Error: unknown job type: x");
    }

    #[test]
    fn both_oarstat_formats_say_the_same() {
        for state in [
            "running",
            "waiting",
            "terminated",
            "deleted",
            "resa-scheduled",
        ] {
            let j = oarstat_json(&fixture(&format!("oarstat-fj-{state}.json"))).unwrap();
            assert_eq!(j.len(), 1, "{state}");
            let j = &j[0];
            let t = oarstat_text(&fixture(&format!("oarstat-fj-{state}.txt"))).unwrap();
            assert_eq!(
                (t.id, &t.state, &t.name),
                (j.id, &j.state, &j.name),
                "{state}"
            );
            assert_eq!(t.nodes, j.nodes, "{state}");
            assert_eq!(t.deleted(), j.deleted(), "{state}");
            // the samples were taken on a machine in UTC: their text dates read as
            // Europe/Paris are one hour (winter) before the JSON's unix times
            assert_eq!(t.submission.map(|s| s + 3600), j.submission, "{state}");
            assert_eq!(t.start.map(|s| s + 3600), j.start, "{state}");
        }
        let r = &oarstat_json(&fixture("oarstat-fj-running.json")).unwrap()[0];
        assert_eq!(r.id, 5);
        assert_eq!(r.state, JobState::Running);
        assert_eq!(r.name.as_deref(), Some("sample"));
        assert_eq!(r.nodes, ["node-1"]);
        assert_eq!(r.walltime, Some(300));
        assert_eq!(r.start, Some(1_795_398_753));
        let w = &oarstat_json(&fixture("oarstat-fj-waiting.json")).unwrap()[0];
        assert_eq!((w.start, w.scheduled_start, w.walltime), (None, None, None));
        let resa = &oarstat_json(&fixture("oarstat-fj-resa-scheduled.json")).unwrap()[0];
        assert_eq!(resa.scheduled_start, Some(1_795_400_592));
        assert_eq!(resa.name, None);
        let d = &oarstat_json(&fixture("oarstat-fj-deleted.json")).unwrap()[0];
        assert_eq!(d.state, JobState::Error);
        assert!(d.deleted());
        assert!(
            d.end_reason().contains("FRAG_JOB_REQUEST"),
            "{}",
            d.end_reason()
        );
        let t = oarstat_text(&fixture("oarstat-fj-deleted.txt")).unwrap();
        assert!(t.deleted());
        assert_eq!(t.walltime, Some(300));
    }

    #[test]
    fn job_lists_and_node_lists() {
        let u = oarstat_json(&fixture("oarstat-u.json")).unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!((u[0].id, u[0].owner.as_str()), (5, "alice"));
        assert_eq!(oarstat_u_text(&fixture("oarstat-u.txt")), [5]);
        assert_eq!(oarstat_json("").unwrap(), []);
        assert!(oarstat_json("oarstat: command not found").is_err());
        assert_eq!(
            node_list(&fixture("oarprint-network_address.txt")),
            ["node-1"]
        );
        assert_eq!(node_list("b-2\r\na-1\r\n\r\nb-2\n"), ["a-1", "b-2"]);
    }

    #[test]
    fn oar_s_three_refusals_are_typed() {
        let r = reservation_refused(&fixture("oarsub-resa-ko.out")).unwrap();
        match r {
            ReservationRefused::CouldRunAt { date, unix } => {
                assert_eq!(date, "2026-11-23 02:34:13");
                assert_eq!(unix, oar_date_to_unixts("2026-11-23 02:34:13").unwrap());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            reservation_refused("This reservation cannot run"),
            Some(ReservationRefused::CannotRun)
        );
        assert_eq!(
            reservation_refused("Reservation too old"),
            Some(ReservationRefused::TooOld)
        );
        assert_eq!(reservation_refused("There are not enough resources"), None);
    }
}
