//! Processes run on a remote host through `ssh` (execo's `SshProcess`).
//!
//! It is a local process running execo's exact ssh argv, so everything a process does
//! (timeouts, expect, write, kill, handlers) works the same. ssh itself exits 255 when it
//! cannot connect or authenticate: [`ProcessHandle::connection_failed`] tells that apart
//! from the remote command's own failure.
//!
//! A remote command never outlives its ssh. With a remote terminal (`-tt`), sshd hangs it
//! up when the connection goes. Without one, sshd gives it no signal at all, so the
//! command is wrapped in a watchdog that kills it when its standard input, fed by the
//! program's lifeline, ends: when the local ssh is killed (timeout, `kill()`, Ctrl-C) or
//! the program dies, even of `kill -9` (see `kernel::lifeline::remote_watchdog`). Its
//! stdout and stderr stay separate and unchanged. A process built with
//! [`Stdin::Piped`](super::Stdin::Piped) keeps its input for itself instead: its remote
//! command sees end of file when the ssh ends, and must stop on it.

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
        p.apply_params(params, &host);
        p.remote = Some((host, cmd));
        p.remote_watchdog = !remote_tty(params);
        p
    }
}

impl Process {
    /// Makes this a process of `params` on `host`: pty, `nolog_*`, the multiplexed
    /// connection it rides on, and the [`check`](ConnectionParams::check) of `host`: a
    /// refused host's process does not start, its start error says why.
    pub(crate) fn apply_params(&mut self, params: &ConnectionParams, host: &Host) {
        if let Err(e) = params.check(host) {
            let reason = e.to_string();
            self.before_start(move || Err(reason.clone()));
        }
        self.pty = params.pty;
        self.nolog.exit_code = params.nolog_exit_code;
        self.nolog.timeout = params.nolog_timeout;
        self.nolog.error = params.nolog_error;
        self.mux = params.master(host);
    }
}

/// Whether ssh gives the remote command a terminal: `-tt` always, `-t` when ssh's own
/// input is a terminal (a local pty).
fn remote_tty(params: &ConnectionParams) -> bool {
    params.ssh_options.iter().any(|o| {
        let ts = o
            .strip_prefix('-')
            .filter(|f| !f.is_empty() && f.chars().all(|c| c == 't'));
        ts.is_some_and(|t| t.len() >= 2 || params.pty)
    })
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
