use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use execo::action::{Action, Remote};

use crate::sshd::TestSshd;

#[test]
fn runs_on_every_host_with_round_robin_substitutions() {
    let sshd = TestSshd::start(6);
    let hosts: Vec<_> = (1..=6).map(|i| sshd.host(i)).collect();
    let run = Remote::new("echo <<host>> <<index>> <<targets>>", hosts)
        .params(sshd.params())
        .list("targets", ["t0", "t1", "t2", "t3"])
        .blocking_run()
        .unwrap();
    assert!(
        run.ended() && run.ok(),
        "{:?}",
        run.processes().iter().map(|p| p.dump()).collect::<Vec<_>>()
    );
    let outs: Vec<String> = run
        .processes()
        .iter()
        .map(|p| p.stdout().trim().to_string())
        .collect();
    let want: Vec<String> = (0..6)
        .map(|i| format!("host-{} {i} t{}", i + 1, i % 4))
        .collect();
    assert_eq!(outs, want);
    let s = run.stats();
    assert_eq!(
        (s.num_processes, s.started, s.ended, s.ok, s.finished_ok),
        (6, 6, 6, 6, 6)
    );
    assert!(s.start_time.is_some() && s.end_time.is_some());
}

#[test]
fn the_window_bounds_how_many_run_at_once() {
    let sshd = TestSshd::start(8);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (r, pk) = (running.clone(), peak.clone());
    let run = Remote::new("sleep 0.2", (1..=8).map(|i| sshd.host(i)))
        .params(sshd.params())
        .window(3)
        .configure(move |p, _, _| {
            let (r1, r2, pk) = (r.clone(), r.clone(), pk.clone());
            p.on_start(move |_| {
                let now = r1.fetch_add(1, Ordering::SeqCst) + 1;
                pk.fetch_max(now, Ordering::SeqCst);
            })
            .on_end(move |_| {
                r2.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .blocking_run()
        .unwrap();
    assert!(run.ok());
    assert_eq!(run.processes().len(), 8);
    let peak = peak.load(Ordering::SeqCst);
    assert!((1..=3).contains(&peak), "peak concurrency {peak}");
}

#[test]
fn failures_are_per_host_and_the_others_are_intact() {
    let sshd = TestSshd::start(3);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hosts = vec![
        sshd.host(1),
        execo::host::Host::new("127.0.0.1").port(closed),
        sshd.host(3),
    ];
    let run = Remote::new("echo ok-<<index>>", hosts)
        .params(sshd.params())
        .configure(|p, _, _| p.nolog_exit_code(true))
        .blocking_run()
        .unwrap();
    assert!(!run.ok());
    assert_eq!(
        run.failed_hosts(),
        vec![execo::host::Host::new("127.0.0.1").port(closed)]
    );
    assert!(run.process(1).unwrap().connection_failed());
    assert_eq!(run.process(0).unwrap().stdout().trim(), "ok-0");
    assert_eq!(run.process(2).unwrap().stdout().trim(), "ok-2");
    let s = run.stats();
    assert_eq!((s.ok, s.non_zero_exit_codes), (2, 1));
}

#[test]
fn zero_hosts_end_at_once_and_a_bad_template_is_an_error() {
    let run = Remote::new("true", Vec::<execo::host::Host>::new())
        .blocking_run()
        .unwrap();
    assert!(run.ended() && run.ok() && run.is_empty());
    let err = Remote::new("echo <<nope>>", ["h"])
        .start()
        .expect_err("an error");
    assert!(err.to_string().contains("no list named `nope`"), "{err}");
}

#[test]
fn kill_stops_the_running_and_starts_no_more() {
    let sshd = TestSshd::start(4);
    let run = Remote::new("sleep infinity", (1..=4).map(|i| sshd.host(i)))
        .params(sshd.params())
        .window(2)
        .start()
        .unwrap();
    // The window is full: two run, none ends by itself.
    assert!(
        crate::eventually(Duration::from_secs(60), || {
            let ps = run.processes();
            ps.len() == 2 && ps.iter().all(|p| p.started())
        }),
        "the first two processes start"
    );
    let first = run.process(0).unwrap();
    run.kill().blocking_wait();
    assert!(first.killed());
    assert!(
        run.processes().len() <= 2,
        "no process starts after the kill"
    );
    assert!(run.ended());
}
