//! ssh connection multiplexing (OpenSSH's ControlMaster), shared by every action.
//!
//! With [`ConnectionParams::multiplex`](crate::ConnectionParams::multiplex) on, the first
//! ssh or scp to a host becomes a master that keeps the connection open; later commands
//! to that host ride on it and skip the key exchange (most of an ssh's cost). Sockets
//! live in a private directory of this run (mode 0700), named by a hash of how the host
//! is reached, so host aliases of one machine get their own masters. At exit every
//! master is told to exit and the directory is removed; after a `kill -9` of the program,
//! the kernel's guardian does both (see `kernel::lifeline`).
//!
//! sshd accepts at most `MaxSessions` (10 by default) sessions per connection: each
//! master has a gate of [`max_sessions`](crate::ConnectionParams::max_sessions) permits,
//! and every process that rides on it holds one while it runs (taken when it starts,
//! whoever starts it), so that the eleventh waits instead of failing.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::Semaphore;

struct Mux {
    dir: PathBuf,
    /// Each socket in use: the ssh program that made it, and its session gate.
    masters: Mutex<HashMap<PathBuf, (String, Arc<Semaphore>)>>,
}

static MUX: OnceLock<Option<Mux>> = OnceLock::new();

/// The socket directory of this run (not created: see [`open`]).
fn dir() -> PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join(format!("execo-mux-{}", std::process::id()))
}

fn mux() -> Option<&'static Mux> {
    MUX.get_or_init(|| {
        let dir = dir();
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                tracing::warn!(
                    "cannot create the ssh multiplexing directory `{}`: {e}; its ssh \
                     processes will fail",
                    dir.display()
                );
                return None;
            }
        }
        crate::kernel::on_exit(close_all);
        crate::kernel::kernel().lifeline.remove_at_death(&dir);
        Some(Mux {
            dir,
            masters: Mutex::new(HashMap::new()),
        })
    })
    .as_ref()
}

/// A multiplexed connection, as a process that rides on it is described: which ssh
/// program, which control socket, how many sessions at once. Computing it has no side
/// effect; [`open`] makes it real when a process starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Master {
    pub(crate) ssh: String,
    pub(crate) socket: PathBuf,
    pub(crate) max_sessions: usize,
}

impl Master {
    /// The connection identified by `key` (the ssh program, address, user, port, key file
    /// and options): its socket is named by a hash of `key`.
    pub(crate) fn new(ssh: &str, key: impl Hash, max_sessions: usize) -> Master {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        Master {
            ssh: ssh.to_string(),
            socket: dir().join(format!("{:016x}", h.finish())),
            max_sessions,
        }
    }
}

/// Makes `m` ready for a process about to start: the socket directory exists, the master
/// is known (told to exit at exit, or by the guardian after a `kill -9`), and its session
/// gate is returned; `None` if the directory cannot be made.
pub(crate) fn open(m: &Master) -> Option<Arc<Semaphore>> {
    let mux = mux()?;
    let mut masters = mux.masters.lock().unwrap_or_else(|e| e.into_inner());
    let (_, gate) = masters.entry(m.socket.clone()).or_insert_with(|| {
        crate::kernel::kernel()
            .lifeline
            .exit_master_at_death(&m.ssh, &m.socket);
        (
            m.ssh.clone(),
            Arc::new(Semaphore::new(m.max_sessions.max(1))),
        )
    });
    Some(gate.clone())
}

/// Tells every master of this run to exit, then removes the socket directory.
fn close_all() {
    let Some(mux) = MUX.get().and_then(Option::as_ref) else {
        return;
    };
    let masters: Vec<(PathBuf, String)> = mux
        .masters
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(p, (ssh, _))| (p.clone(), ssh.clone()))
        .collect();
    let exits: Vec<_> = masters
        .iter()
        .filter(|(p, _)| p.exists())
        .filter_map(|(p, ssh)| exit_master(ssh, p))
        .collect();
    for mut child in exits {
        child.wait().ok();
    }
    std::fs::remove_dir_all(&mux.dir).ok();
}

fn exit_master(ssh: &str, socket: &Path) -> Option<std::process::Child> {
    Command::new(ssh)
        .arg("-o")
        .arg(format!("ControlPath={}", socket.display()))
        .args(["-O", "exit", "execo-mux"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}
