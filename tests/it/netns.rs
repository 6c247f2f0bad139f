//! Hosts with their own network (one network namespace each, on a private bridge, each
//! with its own sshd), so that a host can be cut off in the middle of a command: its
//! link goes down and packets vanish, as when a node crashes or a switch fails.
//!
//! Needs root (CAP_NET_ADMIN) and iproute2; addresses are 10.214.X.0/24 with X from the
//! test's pid, names carry the pid, everything is deleted when the test ends.

use std::process::Command;
use std::time::Duration;

use execo::action::{Action, Remote};
use execo::prelude::*;
use execo::{host::ConnectionParams, host::Host};

use crate::sshd::{TestSshd, wait_listening};

pub struct NetnsHosts {
    tag: String,
    subnet: u32,
    n: usize,
    keys: TestSshd,
    sshds: Vec<ProcessHandle>,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `ip` ({e}): install it with `apt-get install iproute2` (scripts/deps.sh does)")
    });
    assert!(
        out.status.success(),
        "`ip {}` failed (this test needs root): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl NetnsHosts {
    pub fn up(n: usize) -> NetnsHosts {
        // The key material and sshd_config of a loopback test sshd, reused in each host.
        let keys = TestSshd::start(1);
        let pid = std::process::id();
        let tag = format!("xt{}", pid % 100_000);
        let subnet = pid % 250 + 1;
        let br = format!("{tag}br");
        ip(&["link", "add", &br, "type", "bridge"]);
        let mut hosts = NetnsHosts {
            tag,
            subnet,
            n: 0,
            keys,
            sshds: Vec::new(),
        };
        ip(&["addr", "add", &format!("10.214.{subnet}.1/24"), "dev", &br]);
        ip(&["link", "set", &br, "up"]);
        for i in 1..=n {
            let (ns, veth, addr) = (hosts.ns(i), hosts.veth(i), hosts.address(i));
            ip(&["netns", "add", &ns]);
            hosts.n = i;
            ip(&[
                "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns,
            ]);
            ip(&["link", "set", &veth, "master", &br, "up"]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{addr}/24"),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &ns, "link", "set", "eth0", "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            let cfg = hosts.keys.dir.join("sshd_config");
            let sshd = Process::argv([
                "ip",
                "netns",
                "exec",
                &ns,
                "/usr/sbin/sshd",
                "-D",
                "-e",
                "-f",
                cfg.to_str().unwrap(),
                "-o",
                &format!("ListenAddress={addr}:22"),
                "-o",
                &format!("PidFile={}/sshd-{i}.pid", hosts.keys.dir.display()),
            ])
            .nolog_exit_code(true)
            .start();
            wait_listening(&sshd, &format!("sshd in {ns}"));
            hosts.sshds.push(sshd);
        }
        hosts
    }

    fn ns(&self, i: usize) -> String {
        format!("{}n{i}", self.tag)
    }
    fn veth(&self, i: usize) -> String {
        format!("{}v{i}", self.tag)
    }
    pub fn address(&self, i: usize) -> String {
        format!("10.214.{}.{}", self.subnet, 10 + i)
    }
    pub fn host(&self, i: usize) -> Host {
        Host::new(self.address(i)).port(22)
    }

    /// Connection parameters with the test key, and keep-alives that notice a silent
    /// peer within about 3 seconds.
    pub fn params(&self) -> ConnectionParams {
        let p = ConnectionParams {
            keyfile: Some(self.keys.dir.join("id_ed25519")),
            user: Some("root".into()),
            ..ConnectionParams::default()
        };
        p.option("ServerAliveInterval", "1")
            .option("ServerAliveCountMax", "3")
            .option("LogLevel", "ERROR")
    }

    /// Cuts host `i` off: its link goes down, its packets are dropped silently.
    pub fn cut(&self, i: usize) {
        ip(&["link", "set", &self.veth(i), "down"]);
    }
}

impl Drop for NetnsHosts {
    fn drop(&mut self) {
        for p in &self.sshds {
            p.kill();
        }
        for p in &self.sshds {
            p.blocking_wait_timeout(Duration::from_secs(60));
        }
        let del = |args: &[&str]| Command::new("ip").args(args).status().ok();
        for i in 1..=self.n {
            // Deleting the host side of a veth deletes its pair, even while a process
            // still holds the namespace.
            del(&["link", "del", &self.veth(i)]);
            del(&["netns", "del", &self.ns(i)]);
        }
        del(&["link", "del", &format!("{}br", self.tag)]);
    }
}

#[test]
fn a_host_cut_off_mid_command_fails_by_itself_and_the_others_finish() {
    let hosts = NetnsHosts::up(3);
    // The commands wait for a file (the namespaces share this machine's files) made once
    // host 2 has been cut off and noticed: none ends before.
    let dir = crate::Scratch::new("netns-go");
    let go = dir.0.join("go");
    let run = Remote::new(
        format!(
            "hostname -I; while [ ! -e {} ]; do sleep 0.05; done; echo done",
            go.display()
        ),
        (1..=3).map(|i| hosts.host(i)),
    )
    .params(hosts.params())
    .configure(|p, _, _| {
        p.nolog_exit_code(true)
            .expect_timeout(Duration::from_secs(120))
    })
    .start()
    .unwrap();
    // Every host answers first (each from its own address), then host 2 is cut off.
    let first = run.blocking_expect(r"10\.214\.\d+\.\d+").unwrap();
    for (i, m) in first.iter().enumerate() {
        assert_eq!(m.as_ref().unwrap().as_str(), hosts.address(i + 1));
    }
    hosts.cut(2);
    let cut_host = run.process(1).unwrap();
    // The keep-alives notice within seconds; without them ssh would wait forever.
    assert!(
        cut_host.blocking_wait_timeout(Duration::from_secs(120)),
        "the cut-off host must end by itself (ssh keep-alives), not hang"
    );
    assert!(cut_host.connection_failed(), "{}", cut_host.dump());
    std::fs::write(&go, "").unwrap();
    assert!(run.blocking_wait_timeout(Duration::from_secs(120)));
    for i in [0, 2] {
        let p = run.process(i).unwrap();
        assert!(p.ok() && p.stdout().contains("done"), "{}", p.dump());
    }
    assert_eq!(run.failed_hosts(), [hosts.host(2)]);
}
