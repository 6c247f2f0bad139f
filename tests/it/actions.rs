//! Actions as a whole: local fan-outs, parallel and sequential groups, waiting on
//! several, expect and write on many processes, reports.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use execo::action::{
    Action, ActionHandle, Local, ParallelActions, Remote, Report, SequentialActions,
    blocking_wait_all, blocking_wait_any, filter_bad_hosts,
};
use execo::{host::Host, nodeset::NodeSet, process::Stdin};

use crate::sshd::TestSshd;

#[test]
fn local_runs_once_per_host_with_its_substitutions() {
    let set = NodeSet::parse("n[1-4]").unwrap();
    let run = Local::per_host("echo <<host>> <<index>> <<color>>", &set)
        .list("color", ["red", "blue"])
        .blocking_run()
        .unwrap();
    assert!(run.ok());
    let outs: Vec<String> = run.processes().iter().map(|p| p.stdout()).collect();
    assert_eq!(
        outs,
        ["n1 0 red\n", "n2 1 blue\n", "n3 2 red\n", "n4 3 blue\n"]
    );
    let one = Local::new("echo alone").blocking_run().unwrap();
    assert_eq!(one.hosts(), [Host::new("localhost")]);
    assert_eq!(one.process(0).unwrap().stdout(), "alone\n");
}

/// When each process of `run` started and ended, in host order.
fn spans(run: &ActionHandle) -> Vec<(std::time::SystemTime, std::time::SystemTime)> {
    run.processes()
        .iter()
        .map(|p| (p.start_time().unwrap(), p.end_time().unwrap()))
        .collect()
}

#[test]
fn sequential_steps_start_after_the_previous_one_ended() {
    let seq = SequentialActions::new()
        .with(Local::per_host("sleep 0.2", ["a", "b"]))
        .with(Local::new("sleep 0.1"))
        .with(
            Local::per_host("exit <<index>>", ["c", "d"])
                .configure(|p, _, _| p.nolog_exit_code(true)),
        )
        .name("three steps");
    let run = seq.blocking_run().unwrap();
    assert_eq!(run.len(), 5);
    assert_eq!(run.children().len(), 3);
    let s = spans(&run);
    assert!(
        s[2].0 >= s[0].1 && s[2].0 >= s[1].1,
        "step 2 waits for step 1"
    );
    assert!(s[3].0 >= s[2].1, "step 3 waits for step 2");
    assert!(!run.ok());
    assert_eq!(run.failed_hosts(), [Host::new("d")]);
    let hosts: Vec<Host> = ["a", "b", "localhost", "c", "d"].map(Host::new).into();
    assert_eq!(
        filter_bad_hosts(&run, &hosts),
        ["a", "b", "localhost", "c"].map(Host::new)
    );

    // The report nests each step under the sequence.
    let r = run.report();
    assert_eq!(r.stats.name, "three steps");
    assert_eq!(r.children.len(), 3);
    assert_eq!((r.stats.num_processes, r.stats.ok), (5, 4));
    assert_eq!(r.children[2].stats.non_zero_exit_codes, 1);
    let table = r.to_string();
    assert!(
        table.lines().nth(2).unwrap().starts_with("three steps"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .nth(3)
            .unwrap()
            .starts_with("  local `sleep 0.2`"),
        "{table}"
    );
    let json: String = r.to_json();
    assert!(
        json.contains("\"children\"") && json.contains("\"finished_ok\": 4"),
        "{json}"
    );
    let yaml = r.to_yaml();
    assert!(
        yaml.contains("name: three steps") && yaml.contains("children:"),
        "{yaml}"
    );
}

#[test]
fn parallel_actions_start_together_and_a_kill_stops_a_sequence() {
    // None of them ends by itself: all three running at once is the proof.
    let par = ParallelActions::new()
        .with(Local::new("sleep infinity"))
        .with(Local::per_host("sleep infinity", ["x", "y"]))
        .start()
        .unwrap();
    assert!(
        crate::eventually(Duration::from_secs(60), || {
            let ps = par.processes();
            ps.len() == 3 && ps.iter().all(|p| p.started() && !p.ended())
        }),
        "all three run at once"
    );
    par.kill();
    assert!(par.blocking_wait_timeout(Duration::from_secs(60)));
    let s = spans(&par);
    assert!(
        s.iter()
            .all(|(start, _)| s.iter().all(|(_, end)| start <= end)),
        "all started before any ended"
    );

    let seq = SequentialActions::new()
        .with(Local::new("sleep infinity"))
        .with(Local::new("echo never"))
        .start()
        .unwrap();
    assert!(crate::eventually(Duration::from_secs(60), || {
        seq.processes().first().is_some_and(|p| p.started())
    }));
    seq.kill();
    assert!(seq.blocking_wait_timeout(Duration::from_secs(60)));
    assert!(seq.processes()[0].killed());
    assert_eq!(seq.processes().len(), 1, "the second step never starts");
    assert!(!seq.ok());
    assert_eq!(seq.stats().num_processes, 2);
}

#[test]
fn wait_any_returns_the_first_to_end_and_wait_all_bounds_its_wait() {
    let slow = Local::new("sleep infinity").start().unwrap();
    let fast = Local::new("sleep 0.1").start().unwrap();
    assert_eq!(blocking_wait_any([&slow, &fast], None), Some(1));
    assert!(!blocking_wait_all(
        [&slow, &fast],
        Some(Duration::from_millis(200))
    ));
    assert_eq!(
        blocking_wait_any([&slow], Some(Duration::from_millis(100))),
        None
    );
    slow.kill();
    assert!(blocking_wait_all(
        [&slow, &fast],
        Some(Duration::from_secs(60))
    ));
    assert_eq!(blocking_wait_any(std::iter::empty(), None), None);
}

#[test]
fn dropping_the_last_handle_kills_the_action() {
    let pid = {
        let run = Local::new("echo $$; exec sleep infinity").start().unwrap();
        let p = {
            let mut p = None;
            assert!(crate::eventually(Duration::from_secs(60), || {
                p = run.process(0);
                p.is_some()
            }));
            p.unwrap()
        };
        p.blocking_expect(r"^\d+")
            .unwrap()
            .as_str()
            .parse::<i32>()
            .unwrap()
    };
    assert!(
        crate::eventually(Duration::from_secs(60), || !crate::alive(pid)),
        "the process of a dropped action is killed"
    );
}

#[test]
fn expect_and_write_talk_to_every_process() {
    let run = Local::per_host("echo ready <<index>>; read x; echo got $x", ["a", "b", "c"])
        .configure(|p, _, _| p.stdin(Stdin::Piped))
        .start()
        .unwrap();
    let ready = run.blocking_expect(r"^ready (\d)").unwrap();
    let idx: Vec<String> = ready
        .iter()
        .map(|m| m.as_ref().unwrap().group(1).unwrap().to_string())
        .collect();
    assert_eq!(idx, ["0", "1", "2"]);
    run.blocking_write("hello\n");
    let got = run.blocking_expect("^got hello$").unwrap();
    assert!(got.iter().all(|m| m.is_ok()), "{got:?}");
    run.blocking_wait();
    assert!(run.ok());
}

#[test]
fn a_write_right_after_start_reaches_every_process() {
    let run = Local::per_host("cat", ["a", "b"])
        .configure(|p, _, _| {
            p.stdin(Stdin::Piped)
                .expect_timeout(Duration::from_secs(60))
        })
        .start()
        .unwrap();
    // No expect first: start() has started both processes when it returns.
    assert_eq!(run.processes().len(), 2);
    assert!(run.processes().iter().all(|p| p.started()));
    run.blocking_write("hello\n");
    let got = run.blocking_expect("^hello$").unwrap();
    assert!(got.iter().all(|m| m.is_ok()), "{got:?}");
    run.kill().blocking_wait();
}

#[test]
fn sub_actions_that_start_at_once_have_started_when_start_returns() {
    let step = |name: &str| {
        Local::per_host(format!("echo {name}; cat"), ["x"])
            .configure(|p, _, _| p.stdin(Stdin::Piped))
    };
    let par = ParallelActions::new()
        .with(step("a"))
        .with(step("b"))
        .start()
        .unwrap();
    assert!(par.processes().len() == 2 && par.processes().iter().all(|p| p.started()));
    par.kill().blocking_wait();
    let seq = SequentialActions::new()
        .with(step("c"))
        .with(step("d"))
        .start()
        .unwrap();
    assert_eq!(
        seq.processes().len(),
        1,
        "only the first step of a sequence"
    );
    assert!(seq.processes()[0].started());
    seq.kill().blocking_wait();
}

#[test]
fn expect_reaches_processes_that_start_later_in_the_window() {
    let run = Local::per_host("sleep 0.2; echo up", ["a", "b", "c", "d"])
        .window(2)
        .start()
        .unwrap();
    let all = run.blocking_expect("^up$").unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|m| m.is_ok()), "{all:?}");
}

#[test]
fn a_report_spans_several_actions() {
    let a = Local::new("true").name("a").blocking_run().unwrap();
    let b = Local::new("false")
        .name("b")
        .configure(|p, _, _| p.nolog_exit_code(true))
        .blocking_run()
        .unwrap();
    let r = Report::of("both", [&a, &b]);
    assert_eq!((r.stats.num_processes, r.stats.ok), (2, 1));
    assert_eq!(r.children.len(), 2);
    assert!(r.length.is_some());
}

#[test]
fn remote_takes_node_sets_and_duplicate_hosts_run_twice() {
    let sshd = TestSshd::start(3);
    let set = NodeSet::parse("host-[1-3]!host-2").unwrap();
    let run = Remote::new("echo <<host>>", &set)
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    assert!(run.ok());
    assert_eq!(run.hosts(), [Host::new("host-1"), Host::new("host-3")]);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let run = Remote::new("echo <<index>>", ["host-1", "host-1"])
        .params(sshd.params())
        .configure(move |p, i, _| {
            let seen = seen2.clone();
            p.on_end(move |_| seen.lock().unwrap().push(i))
        })
        .blocking_run()
        .unwrap();
    assert!(run.ok());
    let outs: Vec<String> = run.processes().iter().map(|p| p.stdout()).collect();
    assert_eq!(outs, ["0\n", "1\n"], "no remote tty by default: no CRLF");
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_borrowed_list_of_hosts_is_accepted_like_a_node_set() {
    let hosts: Vec<Host> = ["a", "b", "c"].map(Host::new).into();
    let run = Local::per_host("echo <<host>>", &hosts)
        .blocking_run()
        .unwrap();
    assert!(run.ok());
    let mut out: Vec<String> = run.processes().iter().map(|p| p.stdout()).collect();
    out.sort();
    assert_eq!(out, ["a\n", "b\n", "c\n"]);
    assert_eq!(hosts.len(), 3, "the list is still the caller's");
}
