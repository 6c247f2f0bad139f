//! Port forwarding through ssh (execo's `PortForwarder`): `ssh -N -L`, handed over
//! only once ssh listens on the local end.
//!
//! Typical use: reach a service inside a cluster (a web UI, a database on a node) from
//! the machine running the experiment. The tunnel is a process like any other: it ends
//! when its [`Forward`] is dropped, and with the program.
//!
//! # Why readiness is read from `/proc`, not probed
//!
//! A connection to the local end is forwarded at once to the remote service, so a probe
//! connection would be served by it: a one-shot server (`nc -l`, `iperf3 -s -1`) would
//! spend itself on the probe and never see the user's connection. So the tunnel is
//! ready when the kernel's socket tables (`/proc/net/tcp`, `/proc/net/tcp6`) show a
//! listening socket on the local address that belongs to the ssh process (or a process
//! of its group, for wrappers such as `oarsh`): nothing is sent anywhere. With
//! multiplexing the listener may belong to an existing master, so any listener on the
//! port counts; the port was checked free just before ssh started.
//!
//! # Caveats
//!
//! With multiplexing and a master already connected, the forwarder's ssh hands the
//! tunnel to the master and exits: the tunnel then lives as long as the master
//! (`ControlPersist`, or the end of the program), not as long as the [`Forward`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use super::{Keep, Process, ProcessHandle};
use crate::host::{ConnectionParams, Host};
use crate::kernel::kernel;
use crate::{Error, Result};

/// A tunnel to describe: local `bind:port` → `via` host → `remote_host:remote_port`.
#[derive(Clone, Debug)]
#[must_use = "a port forwarder does nothing until started: call `.start().await` or `.blocking_start()`"]
pub struct PortForwarder {
    via: Host,
    remote_host: String,
    remote_port: u16,
    local_port: u16,
    bind: String,
    params: ConnectionParams,
    ready_timeout: Duration,
}

/// A running tunnel. Dropping it closes the tunnel.
#[derive(Debug)]
#[must_use = "dropping a `Forward` closes the tunnel at once: keep it while you use the tunnel"]
pub struct Forward {
    process: ProcessHandle,
    local: SocketAddr,
}

impl PortForwarder {
    /// Forwards a local port, through `via`, to `remote_host:remote_port` as `via`
    /// sees it (`localhost` is `via` itself).
    pub fn new(via: impl Into<Host>, remote_host: impl Into<String>, remote_port: u16) -> Self {
        PortForwarder {
            via: via.into(),
            remote_host: remote_host.into(),
            remote_port,
            local_port: 0,
            bind: "127.0.0.1".into(),
            params: ConnectionParams::configured(),
            ready_timeout: Duration::from_secs(30),
        }
    }
    /// The local port (default 0: a free one is picked).
    pub fn local_port(mut self, port: u16) -> Self {
        self.local_port = port;
        self
    }
    /// The local address to listen on (default `127.0.0.1`).
    pub fn bind_address(mut self, addr: impl Into<String>) -> Self {
        self.bind = addr.into();
        self
    }
    /// The connection parameters for `via`.
    pub fn params(mut self, params: ConnectionParams) -> Self {
        self.params = params;
        self
    }
    /// How long to wait for ssh to listen on the local end (default 30 s).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    fn describe(&self, port: u16) -> String {
        format!(
            "{}:{port} -> {} -> {}:{}",
            self.bind, self.via, self.remote_host, self.remote_port
        )
    }

    /// Starts the tunnel and waits until ssh listens on its local end (without
    /// connecting to it: see the module docs), the ssh process ends (an error with its
    /// stderr), or the ready timeout passes (an error; the tunnel is killed). A `via`
    /// host that [`ConnectionParams::check`] refuses is an error before anything starts.
    pub async fn start(&self) -> Result<Forward> {
        if let Err(e) = self.params.check(&self.via) {
            return Err(Error::Forward {
                tunnel: self.describe(self.local_port),
                reason: e.to_string(),
            });
        }
        // A port someone else listens on would look ready at once: refuse it first.
        let port = match TcpListener::bind((self.bind.as_str(), self.local_port))
            .and_then(|l| l.local_addr())
        {
            Ok(a) => a.port(),
            Err(e) => {
                return Err(Error::Forward {
                    tunnel: self.describe(self.local_port),
                    reason: format!("cannot listen on {}:{}: {e}", self.bind, self.local_port),
                });
            }
        };
        let local: SocketAddr = format!("{}:{port}", self.bind)
            .parse()
            .or_else(|_| format!("[{}]:{port}", self.bind).parse())
            .map_err(|e| Error::Forward {
                tunnel: self.describe(port),
                reason: format!("bad bind address `{}`: {e}", self.bind),
            })?;
        let spec = format!(
            "{}:{port}:{}:{}",
            bracket(&self.bind),
            bracket(&self.remote_host),
            self.remote_port
        );
        let mut params = self.params.clone();
        params.ssh_options.retain(|o| o != "-tt");
        let argv = params.ssh_argv_without_command(
            &self.via,
            &["-N", "-o", "ExitOnForwardFailure=yes", "-L", &spec],
        );
        let mut p = Process::argv(argv)
            .name(format!("port forwarder {}", self.describe(port)))
            .keep_stdout(Keep::Nothing);
        p.apply_params(&params, &self.via);
        let process = p.nolog_exit_code(true).start();
        let deadline = Instant::now() + self.ready_timeout;
        // No pid (ssh did not start): a group no process has.
        let owner = (!params.multiplex).then(|| process.pid().unwrap_or(-1));
        loop {
            // Read before looking for the listener: a multiplexing client hands the
            // forwarding to its master and exits once the master listens.
            let ended = process.ended();
            let failure = match listening(local, owner) {
                Ok(true) => return Ok(Forward { process, local }),
                Ok(false) if ended => {
                    Some(format!("ssh ended: {process}; {}", process.stderr().trim()))
                }
                Ok(false) if Instant::now() >= deadline => {
                    process.kill();
                    Some(format!(
                        "ssh not listening on {local} after {:?}",
                        self.ready_timeout
                    ))
                }
                Ok(false) => None,
                Err(e) => {
                    process.kill();
                    Some(format!("cannot tell whether ssh listens: {e}"))
                }
            };
            if let Some(reason) = failure {
                return Err(Error::Forward {
                    tunnel: self.describe(port),
                    reason,
                });
            }
            kernel()
                .sleep_until(Instant::now() + Duration::from_millis(20))
                .await;
        }
    }

    /// Blocking form of [`start`](Self::start); [`Error::WouldBlock`] where it cannot
    /// block (nothing is started then).
    pub fn blocking_start(&self) -> Result<Forward> {
        crate::blocking::block_on_for(self.start(), "PortForwarder::blocking_start")?
    }
}

impl Forward {
    /// The local port that leads to the remote one.
    pub fn local_port(&self) -> u16 {
        self.local.port()
    }
    /// The local address that leads to the remote one.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
    /// The ssh process carrying the tunnel.
    pub fn process(&self) -> &ProcessHandle {
        &self.process
    }
    /// Closes the tunnel now (dropping the `Forward` does the same).
    pub fn close(self) {
        self.process.kill();
    }
}

fn bracket(addr: &str) -> String {
    if addr.contains(':') {
        format!("[{addr}]")
    } else {
        addr.to_string()
    }
}

/// Whether a socket listens on `local` (TCP, state LISTEN in `/proc/net/tcp` or
/// `tcp6`), held by a process of the group of `owner` when given (the kernel gives each
/// child its own group: ssh, or a wrapper and its ssh).
fn listening(local: SocketAddr, owner: Option<i32>) -> std::io::Result<bool> {
    let table = if local.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let text = std::fs::read_to_string(table)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read `{table}`: {e}")))?;
    let inodes = listening_inodes(&text, local);
    if inodes.is_empty() {
        return Ok(false);
    }
    let Some(group) = owner else {
        return Ok(true);
    };
    Ok(group_sockets(group).iter().any(|i| inodes.contains(i)))
}

/// The inodes of the sockets listening on `local` in a `/proc/net/tcp{,6}` table.
fn listening_inodes(table: &str, local: SocketAddr) -> Vec<u64> {
    const LISTEN: &str = "0A";
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (addr, state, inode) = (f.get(1)?, f.get(3)?, f.get(9)?);
            let (ip, port) = addr.split_once(':')?;
            let listens = *state == LISTEN
                && u16::from_str_radix(port, 16).ok()? == local.port()
                && proc_ip(ip)? == local.ip();
            listens.then(|| inode.parse().ok()).flatten()
        })
        .collect()
}

/// An address as `/proc/net/tcp{,6}` prints it: the network-order words of the address,
/// each printed as a host-order hexadecimal number.
fn proc_ip(hex: &str) -> Option<IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = hex.get(8 * i..8 * (i + 1))?;
        Some(u32::from_str_radix(w, 16).ok()?.to_ne_bytes())
    };
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[4 * i..4 * (i + 1)].copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(b)))
        }
        _ => None,
    }
}

/// The socket inodes held open by the processes of process group `group`.
fn group_sockets(group: i32) -> Vec<u64> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let in_group = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            // After the command's `)`: state, ppid, pgrp.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(2)?.parse::<i32>().ok())
                == Some(group)
        })
    };
    let mut inodes = Vec::new();
    for entry in procs.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if pid != group.to_string() && !in_group(pid) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(link) = std::fs::read_link(fd.path())
                && let Some(inode) = link
                    .to_str()
                    .and_then(|l| l.strip_prefix("socket:["))
                    .and_then(|l| l.strip_suffix(']'))
                    .and_then(|i| i.parse().ok())
            {
                inodes.push(inode);
            }
        }
    }
    inodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listening_socket_is_found_in_the_kernel_tables_and_owned_by_its_process() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let local = l.local_addr().unwrap();
        assert!(listening(local, None).unwrap());
        let me = rustix::process::getpgrp().as_raw_nonzero().get();
        assert!(listening(local, Some(me)).unwrap());
        // Not owned by a group that does not exist.
        assert!(!listening(local, Some(-1)).unwrap());
        drop(l);
        assert!(!listening(local, None).unwrap());
    }

    #[test]
    fn proc_addresses_read_in_network_order() {
        let v4 = u32::from_ne_bytes([127, 0, 0, 1]);
        assert_eq!(
            proc_ip(&format!("{v4:08X}")),
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        let one = u32::from_ne_bytes([0, 0, 0, 1]);
        assert_eq!(
            proc_ip(&format!("{:08X}{:08X}{:08X}{one:08X}", 0, 0, 0)),
            Some(IpAddr::V6(Ipv6Addr::LOCALHOST))
        );
        assert_eq!(proc_ip("xyz"), None);
    }
}
