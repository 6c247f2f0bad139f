//! TakTuk actions against real TakTuk (Debian's `taktuk`): over the loopback test sshd
//! with aliases, and over network-namespace hosts that can be cut off.

use std::time::Duration;

use execo::action::{Action, Deployment, TaktukGet, TaktukPut, TaktukRemote};
use execo::prelude::*;

use crate::netns::NetnsHosts;
use crate::sshd::TestSshd;
use crate::{Scratch, alive, eventually};

fn need_taktuk() {
    assert!(
        ["/usr/bin/taktuk", "/usr/local/bin/taktuk"]
            .iter()
            .any(|p| std::path::Path::new(p).exists()),
        "`taktuk` is missing: install it with `apt-get install taktuk` (scripts/deps.sh does)"
    );
}

fn dumps(run: &execo::action::ActionHandle) -> String {
    run.processes()
        .iter()
        .map(|p| p.dump())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn taktuk_runs_on_every_host_as_remote_does() {
    need_taktuk();
    let sshd = TestSshd::start(6);
    let hosts: Vec<_> = (1..=6).map(|i| sshd.host(i)).collect();
    let run = TaktukRemote::new(
        "echo <<host>> <<index>> <<t>>; echo err-<<index>> >&2",
        hosts,
    )
    .params(sshd.params())
    .list("t", ["a", "b"])
    .blocking_run()
    .unwrap();
    assert!(run.ended() && run.ok(), "{}", dumps(&run));
    for (i, p) in run.processes().iter().enumerate() {
        let t = ["a", "b"][i % 2];
        assert_eq!(p.stdout(), format!("host-{} {i} {t}\n", i + 1));
        assert_eq!(p.stderr(), format!("err-{i}\n"));
        assert_eq!(p.exit_code(), Some(0));
    }
    let s = run.stats();
    assert_eq!(
        (s.num_processes, s.started, s.ended, s.ok, s.finished_ok),
        (6, 6, 6, 6, 6)
    );
    assert!(run.report().to_string().contains("taktuk"));
}

#[test]
fn taktuk_decodes_exit_codes_and_signals_apart() {
    need_taktuk();
    let sshd = TestSshd::start(3);
    let hosts: Vec<_> = (1..=3).map(|i| sshd.host(i)).collect();
    let run = TaktukRemote::new("<<c>>", hosts)
        .params(sshd.params())
        .list("c", ["exit 3", "kill -9 $$", "kill -TERM $$"])
        .configure(|p, _, _| p.nolog_exit_code(true))
        .blocking_run()
        .unwrap();
    let p = run.processes();
    assert_eq!((p[0].exit_code(), p[0].signal()), (Some(3), None));
    assert_eq!((p[1].exit_code(), p[1].signal()), (None, Some(9)));
    assert_eq!((p[2].exit_code(), p[2].signal()), (None, Some(15)));
    assert!(
        p.iter().all(|p| !p.ok() && !p.timed_out()),
        "{}",
        dumps(&run)
    );
    assert_eq!(run.stats().non_zero_exit_codes, 3);
}

#[test]
fn taktuk_output_keeps_separators_brackets_and_binary_bytes() {
    need_taktuk();
    let sshd = TestSshd::start(2);
    let cmd = r#"printf 'A # B ] [ ; -] \\ !x\n\000\001\377\303\251 o 1 3 xyz\n'; printf 'no eol'; printf 'e # ]\n' >&2"#;
    let run = TaktukRemote::new(cmd, [sshd.host(1), sshd.host(2)])
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    assert!(run.ok(), "{}", dumps(&run));
    let want: &[u8] = b"A # B ] [ ; -] \\ !x\n\x00\x01\xff\xc3\xa9 o 1 3 xyz\nno eol";
    for p in run.processes() {
        assert_eq!(p.output_bytes(Stream::Stdout), want, "{}", p.dump());
        assert_eq!(p.stderr(), "e # ]\n");
    }
}

#[test]
fn taktuk_host_that_does_not_resolve_is_its_own_failure() {
    need_taktuk();
    let sshd = TestSshd::start(3);
    let hosts = vec![
        sshd.host(1),
        Host::new("no-such-host.invalid"),
        sshd.host(2),
    ];
    for gateway in [None, Some(sshd.host(3))] {
        let mut a = TaktukRemote::new("echo ok", hosts.clone())
            .params(sshd.params())
            .configure(|p, _, _| p.nolog_error(true));
        if let Some(g) = &gateway {
            // Inside the tree: the gateway, not this machine, fails to resolve it.
            a = a.gateway(g.clone());
        }
        let run = a.blocking_run().unwrap();
        assert!(run.ended());
        let p = run.processes();
        for i in [0, 2] {
            assert!(p[i].ok() && p[i].stdout() == "ok\n", "{}", p[i].dump());
        }
        let e = p[1].start_error().unwrap_or_default();
        assert!(
            e.contains("no-such-host.invalid") && e.contains("resolve"),
            "{gateway:?}: {}",
            p[1].dump()
        );
        assert_eq!(run.failed_hosts(), [hosts[1].clone()]);
        assert_eq!(run.stats().errors, 1);
    }
}

#[test]
fn taktuk_per_host_timeouts_are_enforced_on_the_host() {
    need_taktuk();
    let sshd = TestSshd::start(3);
    let hosts: Vec<_> = (1..=3).map(|i| sshd.host(i)).collect();
    let run = TaktukRemote::new("<<c>>", hosts)
        .params(sshd.params())
        .list("c", ["echo quick", "sleep 600", "echo quick"])
        .timeout(Duration::from_secs(60))
        .configure(|p, i, _| {
            if i == 1 {
                p.timeout(Duration::from_secs(1)).nolog_timeout(true)
            } else {
                p
            }
        })
        .blocking_run()
        .unwrap();
    let p = run.processes();
    assert!(p[0].ok() && p[2].ok(), "{}", dumps(&run));
    assert!(p[1].timed_out(), "{}", p[1].dump());
    assert_eq!(p[1].signal(), Some(9));
    assert!(!p[1].ok());
    assert_eq!(run.stats().timeouts, 1);
}

#[test]
fn taktuk_command_ignoring_stdin_closing_does_not_hang_us() {
    need_taktuk();
    let sshd = TestSshd::start(2);
    // TakTuk's known hang: it does not quit while a command ignores the closing of its
    // stdin. A kill must still end everything, with nothing left running here.
    let run = TaktukRemote::new(
        "trap '' HUP TERM INT; exec tail -f /dev/null",
        [sshd.host(1), sshd.host(2)],
    )
    .params(sshd.params())
    .start()
    .unwrap();
    let p = run.process(0).unwrap();
    assert!(eventually(Duration::from_secs(30), || p.started()));
    let pid = p.pid().unwrap();
    assert!(alive(pid));
    assert!(!run.blocking_wait_timeout(Duration::from_millis(300)));
    run.kill();
    assert!(
        run.blocking_wait_timeout(Duration::from_secs(30)),
        "the action must end once killed"
    );
    assert!(eventually(Duration::from_secs(30), || !alive(pid)));
    for p in run.processes() {
        assert!(p.killed() && p.ended(), "{}", p.dump());
    }
}

#[test]
fn taktuk_deploys_as_a_tree_or_flat() {
    need_taktuk();
    let sshd = TestSshd::start(5);
    let hosts: Vec<_> = (1..=5).map(|i| sshd.host(i)).collect();
    for d in [
        Deployment::Flat,
        Deployment::Tree { arity: 2 },
        Deployment::Adaptive,
    ] {
        let run = TaktukRemote::new("echo $TAKTUK_POSITION", hosts.clone())
            .params(sshd.params())
            .deployment(d)
            .window(1)
            .self_propagate(d != Deployment::Flat)
            .blocking_run()
            .unwrap();
        assert!(run.ok(), "{d:?}: {}", dumps(&run));
        for (i, p) in run.processes().iter().enumerate() {
            assert_eq!(p.stdout(), format!("{}\n", i + 1), "{d:?}");
        }
    }
}

#[test]
fn taktuk_put_honours_per_host_destinations() {
    need_taktuk();
    let sshd = TestSshd::start(3);
    let dir = Scratch::new("taktuk-put");
    let a = dir.write("a.txt", "alpha\n");
    let b = dir.write("b bin", "\u{1}beta ] [\n");
    let files = [a.display().to_string(), b.display().to_string()];
    let hosts: Vec<_> = (1..=3).map(|i| sshd.host(i)).collect();
    let dest = format!("{}/remote/<<host>>", dir.0.display());
    let run = TaktukPut::new(hosts.clone(), files.clone(), &dest)
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    assert!(run.ok(), "{}", dumps(&run));
    for h in &hosts {
        let d = dir.0.join("remote").join(&h.address);
        assert_eq!(std::fs::read_to_string(d.join("a.txt")).unwrap(), "alpha\n");
        assert_eq!(
            std::fs::read_to_string(d.join("b bin")).unwrap(),
            "\u{1}beta ] [\n"
        );
    }
    // One directory for all: TakTuk's broadcast straight there.
    let same = dir.0.join("same");
    std::fs::create_dir_all(&same).unwrap();
    let run = TaktukPut::new(hosts, [files[0].clone()], same.to_str().unwrap())
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    assert!(run.ok(), "{}", dumps(&run));
    assert_eq!(
        std::fs::read_to_string(same.join("a.txt")).unwrap(),
        "alpha\n"
    );
}

#[test]
fn taktuk_get_brings_each_hosts_files_into_its_directory() {
    need_taktuk();
    let sshd = TestSshd::start(2);
    let dir = Scratch::new("taktuk-get");
    let src = dir.write("data.txt", "payload\n");
    let out = format!("{}/out/<<host>>", dir.0.display());
    let hosts = [sshd.host(1), sshd.host(2)];
    let run = TaktukGet::new(hosts.clone(), [src.display().to_string()], &out)
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    assert!(run.ok(), "{}", dumps(&run));
    for h in &hosts {
        let got = dir.0.join("out").join(&h.address).join("data.txt");
        assert_eq!(std::fs::read_to_string(&got).unwrap(), "payload\n");
    }
    // A file that is not there is that host's recorded failure.
    let run = TaktukGet::new(hosts, ["/nonexistent/file"], &out)
        .params(sshd.params())
        .configure(|p, _, _| p.nolog_error(true))
        .blocking_run()
        .unwrap();
    assert!(run.ended() && !run.ok());
    assert_eq!(run.failed_hosts().len(), 2, "{}", dumps(&run));
}

#[test]
fn taktuk_host_cut_off_mid_command_is_its_failure_and_the_others_finish() {
    need_taktuk();
    let hosts = NetnsHosts::up(3);
    // The commands wait for a file (the namespaces share this machine's files) made once
    // host 2 is cut off: none ends before, however slow the machine.
    let dir = crate::Scratch::new("taktuk-go");
    let go = dir.0.join("go");
    let run = TaktukRemote::new(
        format!(
            "hostname -I; while [ ! -e {} ]; do sleep 0.05; done; echo done",
            go.display()
        ),
        (1..=3).map(|i| hosts.host(i)),
    )
    .params(hosts.params())
    .deployment(Deployment::Flat)
    .configure(|p, _, _| p.nolog_exit_code(true).nolog_error(true))
    .start()
    .unwrap();
    let first = run.blocking_expect(r"10\.214\.\d+\.\d+").unwrap();
    for (i, m) in first.iter().enumerate() {
        assert_eq!(m.as_ref().unwrap().as_str(), hosts.address(i + 1));
    }
    hosts.cut(2);
    std::fs::write(&go, "").unwrap();
    assert!(
        run.blocking_wait_timeout(Duration::from_secs(120)),
        "the run must end by itself: {}",
        dumps(&run)
    );
    for i in [0, 2] {
        let p = run.process(i).unwrap();
        assert!(p.ok() && p.stdout().contains("done"), "{}", p.dump());
    }
    let cut = run.process(1).unwrap();
    assert!(!cut.ok() && cut.exit_code().is_none(), "{}", cut.dump());
    assert_eq!(run.failed_hosts(), [hosts.host(2)]);
}

#[test]
fn execo_run_taktuk_prints_each_hosts_output() {
    need_taktuk();
    let sshd = TestSshd::start(3);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_execo"))
        .args(["run", "--taktuk", "-H", "host-[1-3]", "-F"])
        .arg(sshd.ssh_config())
        .args(["echo", "hi", "<<index>>"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for i in 1..=3 {
        assert!(
            stdout.contains(&format!("host-{i}: hi {}", i - 1)),
            "{stdout}"
        );
    }
}
