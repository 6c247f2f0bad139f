//! Processes run on a remote host through `ssh` (execo's `SshProcess`).
//!
//! It is a local process running execo's exact ssh argv, so everything a process does
//! (timeouts, expect, write, kill, handlers) works the same. With `-tt` (in the default
//! options) the remote command has a terminal, so a kill that ends the local ssh also
//! ends the remote command (it gets SIGHUP). ssh itself exits 255 when it cannot connect
//! or authenticate: [`ProcessHandle::connection_failed`] tells that apart from the
//! remote command's own failure.

use super::{Process, ProcessHandle};
use crate::host::{ConnectionParams, Host};

/// The exit status ssh uses for its own errors (connection, authentication).
pub const SSH_ERROR: i32 = 255;

impl Process {
    /// Runs `cmd` on `host` through ssh with `params` (execo's `SshProcess`). The remote
    /// command reaches the remote shell exactly as written.
    pub fn ssh(
        host: impl Into<Host>,
        cmd: impl Into<String>,
        params: &ConnectionParams,
    ) -> Process {
        let host = host.into();
        let cmd = cmd.into();
        let mut p = Process::argv(params.ssh_argv(&host, &cmd));
        params.apply(&mut p, &host);
        p.remote = Some((host, cmd));
        p
    }
}

impl ProcessHandle {
    /// The host, for a process run over ssh.
    pub fn host(&self) -> Option<&Host> {
        self.inner.spec.remote.as_ref().map(|(h, _)| h)
    }

    /// The remote command, for a process run over ssh.
    pub fn remote_cmd(&self) -> Option<&str> {
        self.inner.spec.remote.as_ref().map(|(_, c)| c.as_str())
    }

    /// Whether ssh itself failed (exit 255: could not connect or authenticate, or the
    /// connection was lost), as opposed to the remote command failing.
    pub fn connection_failed(&self) -> bool {
        self.host().is_some() && self.exit_code() == Some(SSH_ERROR)
    }
}
