use std::time::Duration;

use execo::prelude::*;
use execo::{host::ConnectionParams, host::Host};

use crate::sshd::TestSshd;
use crate::{alive, eventually};

#[test]
fn runs_a_command_over_ssh() {
    let sshd = TestSshd::start(1);
    let p =
        Process::ssh(sshd.host(1), "echo hello from $(hostname)", &sshd.params()).blocking_run();
    assert!(p.ok(), "{}", p.dump());
    assert!(p.stdout().starts_with("hello from "), "{:?}", p.stdout());
    assert_eq!(p.host(), Some(&Host::new("host-1")));
    assert!(p.name().starts_with("host-1: echo hello"));
}

#[test]
fn the_remote_command_survives_spaces_quotes_and_dollars() {
    let sshd = TestSshd::start(1);
    let p = Process::ssh(
        sshd.host(1),
        r#"printf '%s|' 'a  b' "c\$d" "$((1+2))""#,
        &sshd.params(),
    )
    .blocking_run();
    assert!(p.ok(), "{}", p.dump());
    assert_eq!(p.stdout(), "a  b|c$d|3|");
}

#[test]
fn a_connection_failure_is_told_apart_from_a_remote_failure() {
    let sshd = TestSshd::start(1);
    let cp = sshd.params();
    let missing = Process::ssh(sshd.host(1), "no-such-command-xyz", &cp)
        .nolog_exit_code(true)
        .blocking_run();
    assert_eq!(missing.exit_code(), Some(127), "{}", missing.dump());
    assert!(!missing.connection_failed());
    // Nothing listens on this port: connection refused, within seconds.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = Process::ssh(Host::new("127.0.0.1").port(closed), "true", &cp)
        .nolog_exit_code(true)
        .blocking_run();
    assert!(refused.connection_failed(), "{}", refused.dump());
    assert!(refused.stderr().contains("refused"), "{}", refused.stderr());
    // A key the server does not know: authentication fails.
    let mut other = ConnectionParams::default();
    other.ssh_options.extend([
        "-F".into(),
        "/dev/null".into(),
        "-o".into(),
        format!("Port={}", sshd.port),
    ]);
    let denied = Process::ssh(
        Host::new("127.0.0.1").user("root").keyfile("/dev/null"),
        "true",
        &other,
    )
    .nolog_exit_code(true)
    .blocking_run();
    assert!(denied.connection_failed(), "{}", denied.dump());
}

#[test]
fn killing_the_ssh_process_ends_the_remote_command() {
    let sshd = TestSshd::start(1);
    let p = Process::ssh(
        sshd.host(1),
        "sleep infinity & echo $!; wait",
        &sshd.params(),
    )
    .start();
    let m = p
        .blocking_expect_with(
            &Expect::new(r"(\d+)\r?\n")
                .unwrap()
                .timeout(Duration::from_secs(120)),
        )
        .unwrap();
    let remote: i32 = m.group(1).unwrap().parse().unwrap();
    assert!(alive(remote));
    p.kill().blocking_wait();
    assert!(
        eventually(Duration::from_secs(60), || !alive(remote)),
        "remote sleep {remote} survived the kill"
    );
}

/// A one-connection echo server on a free loopback port.
fn echo_server() -> u16 {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 64];
            if let Ok(n) = s.read(&mut buf) {
                s.write_all(&buf[..n]).ok();
            }
        }
    });
    port
}

#[test]
fn a_port_forwarder_is_ready_once_ssh_listens() {
    use std::io::{Read, Write};
    let sshd = TestSshd::start(1);
    let target = echo_server();
    let fwd = execo::process::PortForwarder::new(sshd.host(1), "127.0.0.1", target)
        .params(sshd.params())
        .blocking_start()
        .unwrap();
    assert_ne!(fwd.local_port(), target);
    let mut s = std::net::TcpStream::connect(fwd.local_addr()).unwrap();
    s.write_all(b"through the tunnel").unwrap();
    let mut got = [0u8; 18];
    s.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"through the tunnel");
    let pid = fwd.process().pid().unwrap();
    drop(fwd);
    assert!(eventually(Duration::from_secs(60), || !alive(pid)));
}

/// A server that serves one connection only and then stops listening, as `nc -l` or
/// `iperf3 -s -1`: it reads a line, answers it, and sends what it read on `got`.
fn one_shot_server(got: std::sync::mpsc::Sender<String>) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((s, _)) = l.accept() else { return };
        drop(l);
        let mut line = String::new();
        let mut r = BufReader::new(&s);
        r.read_line(&mut line).ok();
        (&s).write_all(format!("got {line}").as_bytes()).ok();
        got.send(line).ok();
    });
    port
}

#[test]
fn a_port_forwarder_leaves_the_first_connection_to_the_user() {
    use std::io::{BufRead, BufReader, Write};
    let sshd = TestSshd::start(1);
    let (tx, rx) = std::sync::mpsc::channel();
    let target = one_shot_server(tx);
    let fwd = execo::process::PortForwarder::new(sshd.host(1), "127.0.0.1", target)
        .params(sshd.params())
        .blocking_start()
        .unwrap();
    let mut s = std::net::TcpStream::connect(fwd.local_addr()).unwrap();
    s.write_all(b"the user's line\n").unwrap();
    let mut answer = String::new();
    BufReader::new(&s).read_line(&mut answer).ok();
    let served = rx.recv_timeout(Duration::from_secs(60));
    assert_eq!(
        served.as_deref(),
        Ok("the user's line\n"),
        "the one-shot server served another connection"
    );
    assert_eq!(answer, "got the user's line\n");
}

#[test]
fn a_port_forwarder_works_over_a_multiplexed_connection() {
    use std::io::{Read, Write};
    let sshd = TestSshd::start(1);
    let mut params = sshd.params();
    params.multiplex = true;
    // A master exists: the forwarder's ssh hands the tunnel to it and exits.
    let first = Process::ssh(sshd.host(1), "true", &params).blocking_run();
    assert!(first.ok(), "{}", first.dump());
    let target = echo_server();
    let fwd = execo::process::PortForwarder::new(sshd.host(1), "127.0.0.1", target)
        .params(params)
        .blocking_start()
        .unwrap();
    let mut s = std::net::TcpStream::connect(fwd.local_addr()).unwrap();
    s.write_all(b"via the master").unwrap();
    let mut got = [0u8; 14];
    s.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"via the master");
}

#[test]
fn a_port_forwarder_that_cannot_listen_or_connect_says_why() {
    let sshd = TestSshd::start(1);
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let err = execo::process::PortForwarder::new(sshd.host(1), "127.0.0.1", 9)
        .params(sshd.params())
        .local_port(port)
        .blocking_start()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("127.0.0.1:{port} -> host-1 -> 127.0.0.1:9")),
        "{err}"
    );
    assert!(
        err.contains("cannot listen") && err.contains("in use"),
        "{err}"
    );
    let err = execo::process::PortForwarder::new(Host::new("127.0.0.1").port(1), "x", 80)
        .params(sshd.params())
        .blocking_start()
        .unwrap_err()
        .to_string();
    assert!(err.contains("Connection refused"), "{err}");
}

#[test]
fn openssh_client_configuration_keeps_working_through_a_proxy() {
    let sshd = TestSshd::start(1);
    // A host reached only through host-1, as a cluster node behind its frontend.
    let cfg = sshd.dir.join("jump_config");
    std::fs::write(
        &cfg,
        format!(
            "Host behind-frontend\n  HostName 127.0.0.1\n  Port {}\n  \
             ProxyCommand ssh -F {cfg} -W %h:%p host-1\nInclude {cfg}\n",
            sshd.port,
            cfg = sshd.ssh_config().display()
        ),
    )
    .unwrap();
    let params = ConnectionParams {
        ssh_config: Some(cfg),
        ..ConnectionParams::default()
    };
    let p = Process::ssh("behind-frontend", "echo $SSH_CONNECTION", &params).blocking_run();
    assert!(p.ok(), "{}", p.dump());
    // The alias and its ProxyCommand (ProxyJump's older form, which passes `-F` on)
    // were honoured: the session arrived through the proxy's forwarded connection.
    assert!(p.stdout().starts_with("127.0.0.1 "), "{}", p.dump());
}
