//! [`ChainPut`]: execo's pipelined chain broadcast. The file flows host to host through a
//! chain of relays, each writing it and passing it on, so that one source feeds N hosts
//! at about the speed of one copy, where `Put` sends N copies from this machine.
//!
//! Each host runs `execo relay FILE` over ssh (the `execo` binary on its `PATH`, or the
//! command [`ChainPut::relay`] names): one recorded process per host, ok when the file is
//! there with the right size and CRC-32. Why this relay rather than netcat, and its
//! protocol, are in `chain_relay`. This module is the controller: it waits until every
//! relay is ready or has failed (an unreachable host, a path it cannot write), tells each
//! ready one the live hosts after it, then sends the file to the first. Dead hosts are
//! thus skipped before the transfer; a host that dies or stalls during it is skipped by
//! its upstream, which re-links to the next host and resends from its own copy.
//!
//! There is no netcat fallback: netcat can neither say which port it got, nor re-link
//! past a dead host, nor check what it wrote, which are what make a chain safe. A host
//! without the relay is a recorded failure (`execo: command not found`) and is left
//! out; [`ChainPut::relay`] names a copy elsewhere (on Grid'5000, in the shared home).
//!
//! Needs direct TCP between the hosts (and from here to them), as execo's. All relays of
//! a file run at once whatever the window (a chain with a hole waiting for a window slot
//! would stall); several files go one chain after the other.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::chain_relay::{self, Go, Limits, READY};
use super::plan::{Action, Plan};
use super::targets::{Targets, targets_builders};
use crate::host::Host;
use crate::process::{Process, ProcessHandle, Stdin};
use crate::substitution::{SubstitutionError, TemplateSource};

/// Broadcasts local files to a directory on every host through a chain of relays
/// (execo's `ChainPut`).
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct ChainPut {
    t: Targets,
    files: Vec<PathBuf>,
    remote_dir: TemplateSource,
    relay: String,
    stall: Duration,
    ready_timeout: Duration,
}

impl ChainPut {
    /// Puts local `files` (regular files) into `remote_dir` (empty: the remote home; it
    /// takes per-host substitutions, e.g. `/tmp/<<host>>`) on every host.
    pub fn new<I, H, F, S>(hosts: I, files: F, remote_dir: impl Into<TemplateSource>) -> ChainPut
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<PathBuf>,
    {
        let dir: TemplateSource = remote_dir.into();
        ChainPut {
            t: Targets::new(hosts),
            files: files.into_iter().map(Into::into).collect(),
            remote_dir: if dir.as_str().is_empty() {
                ".".into()
            } else {
                dir
            },
            relay: "execo".into(),
            stall: Duration::from_secs(10),
            ready_timeout: Duration::from_secs(60),
        }
    }

    /// The `execo` program on the hosts (default: `execo`, found on their `PATH`); it
    /// runs as `PROGRAM relay ...`.
    pub fn relay(mut self, program: impl Into<String>) -> ChainPut {
        self.relay = program.into();
        self
    }

    /// A host that takes no data for this long is skipped, the chain re-linking past it
    /// (default 10 s); a relay that receives nothing for four times as long gives up.
    pub fn stall_timeout(mut self, d: Duration) -> ChainPut {
        self.stall = d.max(Duration::from_secs(1));
        self
    }

    /// How long the relays have to start (ssh connection included) before those not
    /// ready are killed and left out (default 60 s).
    pub fn ready_timeout(mut self, d: Duration) -> ChainPut {
        self.ready_timeout = d;
        self
    }
}
targets_builders!(ChainPut);

/// What the controller of one file's chain knows.
struct Shared {
    file: PathBuf,
    limits: Limits,
    ready_timeout: Duration,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    handles: Vec<Option<ProcessHandle>>,
    ready: Vec<Option<SocketAddr>>,
    ended: Vec<bool>,
    controller: bool,
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.state.lock().unwrap_or_else(|e| e.into_inner())
}

/// `ADDRESS PORT` after the ready words.
fn parse_ready(line: &str) -> Option<SocketAddr> {
    let rest = line.strip_prefix(READY)?;
    let mut w = rest.split_whitespace();
    let (addr, port) = (w.next()?, w.next()?);
    let ip: std::net::IpAddr = addr.parse().ok()?;
    Some(SocketAddr::new(ip, port.parse().ok()?))
}

impl Shared {
    /// Waits until every relay is ready or ended (or the ready timeout), tells the
    /// ready ones their downstream hosts, and sends the file.
    fn control(&self) {
        let deadline = Instant::now() + self.ready_timeout;
        // Read while the relays connect: a big file's checksum costs no wall time.
        let sum = chain_relay::checksum(&self.file);
        let mut st = lock(self);
        loop {
            let settled = (0..st.ended.len()).all(|i| st.ended[i] || st.ready[i].is_some());
            let now = Instant::now();
            if settled || now >= deadline {
                break;
            }
            st = self
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let mut live = Vec::new();
        for i in 0..st.ended.len() {
            match (&st.handles[i], st.ready[i], st.ended[i]) {
                (Some(h), Some(a), false) => live.push((h.clone(), a)),
                (Some(h), None, false) => {
                    tracing::warn!(
                        "chain put: the relay on {} was not ready within {:?}: killed",
                        h.host().map(|h| h.to_string()).unwrap_or_default(),
                        self.ready_timeout
                    );
                    h.kill();
                }
                _ => {}
            }
        }
        drop(st);
        if live.is_empty() {
            return;
        }
        let (size, crc) = match sum {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("failed to read `{}`: {e}", self.file.display());
                live.iter().for_each(|(h, _)| {
                    h.kill();
                });
                return;
            }
        };
        let token = token();
        let addrs: Vec<SocketAddr> = live.iter().map(|(_, a)| *a).collect();
        for (k, (h, _)) in live.iter().enumerate() {
            let go = Go {
                size,
                crc,
                token,
                next: addrs[k + 1..].to_vec(),
            };
            h.blocking_write(go.line());
        }
        let go = Go {
            size,
            crc,
            token,
            next: addrs,
        };
        if let Err(e) = chain_relay::send(&self.file, go, self.limits) {
            tracing::warn!(
                "failed to send `{}` down the chain: {e}",
                self.file.display()
            );
        }
    }
}

/// A number naming one transfer, so that a relay takes data only from its own chain.
fn token() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ (u64::from(std::process::id()) << 40) ^ 0x9e37_79b9_7f4a_7c15
}

impl ChainPut {
    /// The chain of one file.
    fn plan_file(&self, file: &Path, dir: &crate::substitution::Template) -> Plan {
        let n = self.t.hosts.len();
        let shared = Arc::new(Shared {
            file: file.to_path_buf(),
            limits: Limits {
                stall: self.stall,
                patience: self.stall * 4,
            },
            ready_timeout: self.ready_timeout,
            state: Mutex::new(State {
                handles: vec![None; n],
                ready: vec![None; n],
                ended: vec![false; n],
                controller: false,
            }),
            changed: Condvar::new(),
        });
        let local_problem = match std::fs::metadata(file) {
            Ok(m) if m.is_file() => None,
            Ok(_) => Some("it is not a regular file".to_string()),
            Err(e) => Some(e.to_string()),
        };
        let name = file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut t = self.t.clone();
        t.window = n.max(1);
        t.plan(
            || format!("chain put {} to {n} hosts", file.display()),
            |i, host| {
                let dir = dir.render(i, &host.address);
                let dest = format!("{}/{name}", dir.trim_end_matches('/'));
                let cmd = format!(
                    "{} relay --stall {} --patience {} -- {}",
                    crate::shell::quote(&self.relay),
                    self.stall.as_secs(),
                    (self.stall * 4).as_secs(),
                    crate::shell::quote(&dest)
                );
                let (s1, s2, s3) = (shared.clone(), shared.clone(), shared.clone());
                let mut p = Process::ssh(host.clone(), cmd, &self.t.params)
                    .stdin(Stdin::Piped)
                    .on_start(move |h| {
                        let spawn = {
                            let mut st = lock(&s1);
                            st.handles[i] = Some(h.non_owning());
                            !std::mem::replace(&mut st.controller, true)
                        };
                        if spawn {
                            let s = s1.clone();
                            std::thread::spawn(move || s.control());
                        }
                    })
                    .on_stdout_line(move |line| {
                        if let Some(a) = parse_ready(line) {
                            lock(&s2).ready[i] = Some(a);
                            s2.changed.notify_all();
                        }
                    })
                    .on_end(move |_| {
                        lock(&s3).ended[i] = true;
                        s3.changed.notify_all();
                    });
                p.remote = Some((host.clone(), format!("{} -> {dest}", file.display())));
                if let Some(why) = &local_problem {
                    let e = format!(
                        "failed to put `{}` to {host}: cannot read it here: {why}",
                        file.display()
                    );
                    p.before_start(move || Err(e.clone()));
                }
                p
            },
        )
    }
}

impl Action for ChainPut {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let dir = self.t.compile_path(&self.remote_dir)?;
        let name = self.t.name.clone().unwrap_or_else(|| {
            let files: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
            format!(
                "chain put {} to {} hosts",
                files.join(" "),
                self.t.hosts.len()
            )
        });
        let mut chains: Vec<Plan> = self.files.iter().map(|f| self.plan_file(f, &dir)).collect();
        Ok(match chains.pop() {
            Some(only) if chains.is_empty() => only,
            Some(last) => {
                chains.push(last);
                Plan::sequential(name, chains)
            }
            None => Plan::sequential(name, chains),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_line_gives_the_relay_address() {
        assert_eq!(
            parse_ready("execo-relay ready 10.1.2.3 4567"),
            Some("10.1.2.3:4567".parse().unwrap())
        );
        assert_eq!(parse_ready("execo-relay ready nowhere 1"), None);
        assert_eq!(parse_ready("hello"), None);
    }
}
