//! ssh connection multiplexing: commands share a connection, sshd's MaxSessions is
//! respected, and nothing is left open.

use std::time::Duration;

use execo::action::{Action, ParallelActions, Remote};
use execo::host::{ConnectionParams, Host};
use execo::process::{Process, ProcessHandle, Stdin};

use crate::eventually;
use crate::sshd::TestSshd;

/// The client side `ip port` of the ssh connection a remote command ran on.
fn client_of(run: &execo::action::ActionHandle) -> Vec<String> {
    run.processes()
        .iter()
        .map(|p| {
            let s = p.stdout();
            let w: Vec<&str> = s.split_whitespace().collect();
            assert!(w.len() >= 2, "no SSH_CONNECTION in {}", p.dump());
            format!("{} {}", w[0], w[1])
        })
        .collect()
}

fn echo_connection(hosts: Vec<Host>, params: &ConnectionParams) -> execo::action::ActionHandle {
    Remote::new("echo $SSH_CONNECTION", hosts)
        .params(params.clone())
        .blocking_run()
        .unwrap()
}

#[test]
fn successive_commands_share_one_connection_per_host() {
    let sshd = TestSshd::start(2);
    let hosts = vec![sshd.host(1), sshd.host(2)];
    let plain = sshd.params();
    let a = echo_connection(hosts.clone(), &plain);
    let b = echo_connection(hosts.clone(), &plain);
    assert!(a.ok() && b.ok());
    assert_ne!(
        client_of(&a),
        client_of(&b),
        "without multiplexing, new connections"
    );

    let mux = ConnectionParams {
        multiplex: true,
        ..sshd.params()
    };
    let a = echo_connection(hosts.clone(), &mux);
    let b = echo_connection(hosts.clone(), &mux);
    assert!(a.ok() && b.ok(), "{:?}", a.processes());
    let (ca, cb) = (client_of(&a), client_of(&b));
    assert_eq!(
        ca, cb,
        "the second action rides on the first one's connections"
    );
    assert_ne!(ca[0], ca[1], "each alias has its own connection");
}

#[test]
fn sessions_per_connection_stay_within_max_sessions() {
    // An sshd that, like a default one, accepts 10 sessions per connection.
    let sshd = TestSshd::start_with(1, "MaxSessions 10\n");
    let params = ConnectionParams {
        multiplex: true,
        ..sshd.params()
    };
    // Open the shared connection first, so that every later session rides on it.
    assert!(echo_connection(vec![sshd.host(1)], &params).ok());
    let mut group = ParallelActions::new();
    for _ in 0..25 {
        group = group.with(
            Remote::new("sleep 0.5; echo $SSH_CONNECTION", [sshd.host(1)]).params(params.clone()),
        );
    }
    let run = group.blocking_run().unwrap();
    assert!(
        run.ok(),
        "every session waits for a free one: {:?}",
        run.failed_hosts()
    );
    let clients = client_of(&run);
    assert!(clients.iter().all(|c| *c == clients[0]), "{clients:?}");

    // The gate is what makes this work: past MaxSessions, the master's sshd refuses
    // sessions and ssh falls back to connections of their own. (Another option makes
    // another connection, whose gate is made with its first use's limit.)
    let unguarded = ConnectionParams {
        max_sessions: 100,
        ..params
    }
    .option("ServerAliveInterval", "30");
    assert!(echo_connection(vec![sshd.host(1)], &unguarded).ok());
    // All 25 sessions are open at once: each waits for a file made once all have said
    // where they run (sshd is on this machine).
    let dir = crate::Scratch::new("mux-gate");
    let go = dir.0.join("go");
    let cmd = format!(
        "echo $SSH_CONNECTION; while [ ! -e {} ]; do sleep 0.05; done",
        go.display()
    );
    let mut group = ParallelActions::new();
    for _ in 0..25 {
        group = group.with(
            Remote::new(cmd.as_str(), [sshd.host(1)])
                .params(unguarded.clone())
                .configure(|p, _, _| p.expect_timeout(Duration::from_secs(120))),
        );
    }
    let run = group.start().unwrap();
    let said = run.blocking_expect(r"^\S+ \d+ ").unwrap();
    std::fs::write(&go, "").unwrap();
    assert!(said.iter().all(|m| m.is_ok()), "{said:?}");
    assert!(run.blocking_wait_timeout(Duration::from_secs(120)));
    assert!(run.ok());
    let clients = client_of(&run);
    assert!(
        clients.iter().any(|c| *c != clients[0]),
        "over MaxSessions, some sessions needed their own connection: {clients:?}"
    );
}

/// Established TCP connections to `port` on loopback.
fn connections_to(port: u16) -> usize {
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let port = format!(":{port:04X}");
    tcp.lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[3] == "01" && (f[1].ends_with(&port) || f[2].ends_with(&port))
        })
        .count()
}

#[test]
fn the_shared_connections_close_when_the_program_exits() {
    let sshd = TestSshd::start(3);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_execo"))
        .args(["run", "--multiplex", "-F"])
        .arg(sshd.ssh_config())
        .args(["-H", "host-[1-3]", "echo $SSH_CONNECTION"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        eventually(Duration::from_secs(60), || connections_to(sshd.port) == 0),
        "{} connections to sshd remain after the program exited",
        connections_to(sshd.port)
    );
}

#[test]
fn bare_ssh_processes_take_a_session_when_they_start() {
    // Two sessions per connection: a third at once would be refused by sshd.
    let sshd = TestSshd::start_with(1, "MaxSessions 2\n");
    let params = ConnectionParams {
        multiplex: true,
        max_sessions: 2,
        ..sshd.params()
    };
    // Open the shared connection first, so that every later session rides on it.
    let first = Process::ssh(sshd.host(1), "echo $SSH_CONNECTION", &params).blocking_run();
    assert!(first.ok(), "{}", first.dump());
    let client = first.stdout();

    // Each holds its session until its input ends.
    let cmd = Process::ssh(
        sshd.host(1),
        "cat >/dev/null; echo $SSH_CONNECTION",
        &params,
    )
    .stdin(Stdin::Piped);
    let procs: Vec<ProcessHandle> = (0..6).map(|_| cmd.start()).collect();
    let waiting = cmd.start();
    assert!(procs[..2].iter().all(|p| p.started()));
    assert!(
        procs[2..].iter().all(|p| !p.started() && !p.ended()) && !waiting.started(),
        "past max_sessions, a process waits for a session"
    );
    waiting.kill();
    waiting.blocking_wait();
    assert!(
        !waiting.started() && waiting.killed() && waiting.ok(),
        "a kill ends the wait: {}",
        waiting.dump()
    );

    for p in &procs {
        // Once started, for those that wait: closing in order lets them all start.
        p.blocking_close_stdin();
    }
    for p in &procs {
        p.blocking_wait();
        assert!(p.ok(), "{}", p.dump());
        assert!(
            !p.stderr().contains("prohibited") && !p.stderr().contains("refused"),
            "{}",
            p.dump()
        );
        assert_eq!(
            p.stdout(),
            client,
            "every session rides on the shared connection"
        );
    }
}
