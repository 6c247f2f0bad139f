//! OAR, Grid'5000's batch scheduler, through its commands as execo drives it: reserve
//! nodes (`oarsub`), wait for them, read them, release them (`oardel`).
//!
//! The commands run on each site's [`Frontend`](crate::g5k::Frontend) (ssh with a pty,
//! or locally), never through a REST API, so that what works in a terminal on the
//! frontend works here. Parts: [`submission`] (what to ask, execo's `oarsub` line),
//! [`time`] (OAR's dates and durations, Europe/Paris), [`parse`] (what the commands
//! print), [`jobs`] (the commands themselves, and reuse of a job by its name),
//! [`wait`] (the start, bounded, and the nodes). Every call is async with a
//! `blocking_*` twin, like the rest of the library.

pub mod jobs;
pub mod parse;
pub mod submission;
pub mod time;
pub mod wait;

pub use jobs::{
    GridOptions, OarJob, blocking_current_oar_jobs, blocking_find_job_by_name,
    blocking_oar_job_info, blocking_oardel, blocking_oarsub, blocking_oarsubgrid, blocking_reserve,
    current_oar_jobs, find_job_by_name, oar_job_info, oardel, oarsub, oarsub_one, oarsubgrid,
    reserve,
};
pub use parse::{JobEvent, JobInfo, JobState};
pub use submission::OarSubmission;
pub use time::{
    OarDate, Walltime, format_oar_date, format_oar_duration, oar_date_to_unixts,
    oar_duration_to_seconds,
};
pub use wait::{
    blocking_oar_job_nodes, blocking_wait_oar_job_start, oar_job_nodes, wait_oar_job_start,
};
