//! Port forwarding through ssh (execo's `PortForwarder`): `ssh -N -L`, handed over
//! only once the local end accepts connections.
//!
//! Typical use: reach a service inside a cluster (a web UI, a database on a node) from
//! the machine running the experiment. The tunnel is a process like any other: it ends
//! when its [`Forward`] is dropped, and with the program.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::{Keep, Process, ProcessHandle};
use crate::host::{ConnectionParams, Host};
use crate::kernel::{self, kernel};
use crate::{Error, Result};

/// A tunnel to describe: local `bind:port` → `via` host → `remote_host:remote_port`.
#[derive(Clone, Debug)]
#[must_use = "a port forwarder does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
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
    /// How long to wait for the tunnel to accept connections (default 30 s).
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

    /// Starts the tunnel and waits until its local end accepts a connection, the ssh
    /// process ends (an error with its stderr), or the ready timeout passes (an error;
    /// the tunnel is killed).
    pub async fn start(&self) -> Result<Forward> {
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
        let mut p = Process::argv(argv);
        params.apply(&mut p, &self.via);
        p.name(format!("port forwarder {}", self.describe(port)))
            .keep_stdout(Keep::Nothing)
            .nolog_exit_code(true);
        let process = p.start();
        let deadline = Instant::now() + self.ready_timeout;
        loop {
            if TcpStream::connect_timeout(&local, Duration::from_millis(200)).is_ok() {
                return Ok(Forward { process, local });
            }
            let failure = if process.ended() {
                Some(format!("ssh ended: {process}; {}", process.stderr().trim()))
            } else if Instant::now() >= deadline {
                process.kill();
                Some(format!(
                    "not accepting connections after {:?}",
                    self.ready_timeout
                ))
            } else {
                None
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

    /// Blocking form of [`start`](Self::start).
    pub fn blocking_start(&self) -> Result<Forward> {
        kernel::block_on(self.start()).unwrap_or(Err(Error::BlockingOnKernel {
            call: "PortForwarder::blocking_start",
        }))
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
