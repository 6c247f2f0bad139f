//! Planning on real OAR data: jobs submitted to the test OAR (tests/it/oar.rs's
//! testbed) with OAR's own commands, one running now and one advance reservation later,
//! then the planning read back through the stand-in API server (g5k_rest_server.rs),
//! whose `/sites/{site}/status` and reference come from that OAR. The busy intervals of
//! the nodes must be the jobs', and the first slot for more nodes than are free now
//! must start when the running job ends. And a reservation's walltime longer than the
//! free window OAR's advance reservations leave is refused before anything is submitted
//! (`check_free_window`).
//!
//! The window starts six hours ahead: the other tests' jobs (minutes of walltime) are
//! over by then, and their advance reservations are under the lock this test holds.

use std::collections::BTreeMap;
use std::time::Duration;

use execo::g5k::api::{Api, ApiOptions};
use execo::g5k::oar::OarSubmission;
use execo::g5k::oar::time::now_unix;
use execo::g5k::planning::intervals::{JOB_END_MARGIN, fill_free};
use execo::g5k::planning::{PlanningRequest, compute_slots};
use execo::g5k::reservation::check_free_window;
use execo::g5k::{Backend, Job, NodeRequest, Reference};

use crate::Scratch;
use crate::g5k_rest::{oar_server, reservations_lock};

/// Deletes the jobs when the test ends, however it ends.
struct Release(Vec<Job>);

impl Drop for Release {
    fn drop(&mut self) {
        let s = crate::oar::testbed().settings();
        for j in &self.0 {
            j.blocking_delete(&s).ok();
        }
    }
}

fn api(srv: &crate::g5k_rest_server::RestServer) -> Api {
    Api::with_options(ApiOptions {
        uri: srv.uri(),
        credentials: Some(("alice".into(), "pw".into())),
        verify_ssl: true,
        timeout: Duration::from_secs(120),
        additional_args: BTreeMap::new(),
    })
    .unwrap()
}

#[test]
fn g5k_planning_on_real_oar_jobs_read_back_through_the_api() {
    let (srv, t) = oar_server();
    let _lock = reservations_lock();
    let s = t.settings();
    let backend = Backend::Commands(t.frontend());
    let mut release = Release(Vec::new());

    // one job running now on two of the three nodes, eight hours
    let running = OarSubmission::new("{cluster='oarn'}/nodes=2")
        .walltime("8:00:00")
        .name("planning-running");
    let (j1, _) = Job::blocking_reserve(&running, &backend, &s).unwrap();
    release.0.push(j1.clone());
    let info1 = j1
        .blocking_wait_start(Some(Duration::from_secs(600)), None, &s)
        .unwrap();
    let start1 = info1.start.expect("a running job has a start");
    let mut nodes1 = info1.nodes.clone();
    nodes1.sort();
    assert_eq!(nodes1.len(), 2, "{info1:?}");
    let end1 = start1 + 8 * 3600 + JOB_END_MARGIN;

    // one advance reservation of one node, ten hours ahead, for an hour
    let at = (now_unix() / 60 + 10 * 60) * 60;
    let later = OarSubmission::new("{cluster='oarn'}/nodes=1")
        .walltime("1:00:00")
        .reservation(at)
        .name("planning-later");
    let (j2, _) = Job::blocking_reserve(&later, &backend, &s).unwrap();
    release.0.push(j2.clone());
    let span2 = (at, at + 3600 + JOB_END_MARGIN);

    // the planning of the three nodes, read back through the API
    let api = api(&srv);
    let dir = Scratch::new("g5k-planning-oar");
    let r = Reference::blocking_load(&api, &dir.0.join("cache")).unwrap();
    assert_eq!(r.sites(), std::slice::from_ref(&t.site));
    let (w0, w1) = (start1 + 6 * 3600, start1 + 14 * 3600);
    let p = PlanningRequest::new(t.nodes.clone())
        .start(w0)
        .end(w1)
        .blocking_get(&api, &r)
        .unwrap();
    let hosts: BTreeMap<&str, _> = p.hosts().map(|(_, c, h, el)| (h, (c, el))).collect();
    let names: Vec<&str> = hosts.keys().copied().collect();
    assert_eq!(names, t.nodes, "{p:?}");

    // the reservation is on exactly one node
    let with2: Vec<&str> = hosts
        .iter()
        .filter(|(_, (_, el))| el.busy.contains(&span2))
        .map(|(h, _)| *h)
        .collect();
    assert_eq!(
        with2.len(),
        1,
        "the reservation {span2:?} on {with2:?}: {p:?}"
    );
    for (h, (cluster, el)) in &hosts {
        assert_eq!(*cluster, "oarn");
        let mut busy = Vec::new();
        if nodes1.iter().any(|n| n == h) {
            busy.push((w0, end1));
        }
        if with2[0] == *h {
            busy.push(span2);
        }
        assert_eq!(el.busy, busy, "{h}: {p:?}");
        assert_eq!(el.free, fill_free(&busy, w0, w1), "{h}: {p:?}");
    }

    // one node is free now; three only once the running job is over
    let slots = compute_slots(&p, 3600, &[], false);
    let first = |n: u32| {
        slots
            .iter()
            .find(|sl| sl.get("oarn") >= n)
            .map(|sl| sl.start)
    };
    assert_eq!(first(1), Some(w0), "{slots:?}");
    assert_eq!(first(3), Some(end1), "{slots:?}");
    let at_w0 = slots.iter().find(|sl| sl.start == w0).unwrap();
    assert_eq!(at_w0.get("oarn"), 1, "{slots:?}");
}

#[test]
fn g5k_planning_refuses_a_walltime_longer_than_the_free_window_on_real_oar() {
    let (srv, t) = oar_server();
    let _lock = reservations_lock();
    let s = t.settings();
    let backend = Backend::Commands(t.frontend());
    let mut release = Release(Vec::new());
    // from an hour ahead (the other tests' jobs are over then), every node is free for
    // two hours, then an advance reservation takes them all
    let t0 = (now_unix() / 60 + 60) * 60;
    let all = t.nodes.len();
    let spec = OarSubmission::new(format!("{{cluster='oarn'}}/nodes={all}"))
        .walltime("1:00:00")
        .reservation(t0 + 2 * 3600)
        .name("planning-window");
    let (job, _) = Job::blocking_reserve(&spec, &backend, &s).unwrap();
    release.0.push(job);
    let api = api(&srv);
    let dir = Scratch::new("g5k-planning-oar-window");
    let r = Reference::blocking_load(&api, &dir.0.join("cache")).unwrap();
    let p = PlanningRequest::new(t.nodes.clone())
        .start(t0)
        .end(t0 + 4 * 3600)
        .blocking_get(&api, &r)
        .unwrap();
    let req = |text: &str| NodeRequest::parse(text).unwrap();
    let e = check_free_window(&req(&format!("oarn:{all},walltime=3:00")), &p, t0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("longer than the free window"), "{e}");
    assert!(e.contains("2:0:0 from now"), "{e}");
    check_free_window(&req(&format!("oarn:{all},walltime=1:00")), &p, t0).unwrap();
    check_free_window(&req("oarn:1,walltime=1:59"), &p, t0).unwrap();
}
