//! Serial consoles as processes (execo's `Serial` and `SerialSsh`): a tty device, local or
//! on a remote host, read and written through a small POSIX shell helper, so that
//! everything a process does (expect, write, handlers, kill, timeouts) works on a console.
//!
//! The helper opens the device for reading and writing, takes an advisory lock on it
//! (`flock`, as pyserial's `exclusive` and other console programs do: a device that
//! another holder locked is busy), sets its speed and raw mode with `stty`, then copies
//! the device to its stdout and its stdin to the device until its stdin ends (the local
//! side closed it, or the ssh carrying it ended). When it cannot get the device it exits
//! with a code of its own, [`SERIAL_OPEN_FAILED`] or [`SERIAL_BUSY`], its cause on stderr,
//! and [`ProcessHandle::serial_error`] turns that into an error naming the device and the
//! host. Unlike execo's, the local helper runs in a shell (execo's local `Serial` does
//! not, and its `;` and `&` reach `stty` as arguments), and the device is read through
//! the descriptor that was set up, not reopened.

use super::{Process, ProcessHandle, Stdin};
use crate::host::{ConnectionParams, Host};

/// Exit code of the helper when another process holds the device (`EX_TEMPFAIL`).
pub const SERIAL_BUSY: i32 = 75;
/// Exit code of the helper when the device does not exist, is not a tty, cannot be
/// opened, or refuses the speed (`EX_NOINPUT`).
pub const SERIAL_OPEN_FAILED: i32 = 66;

/// The helper: `sh -c HELPER execo-serial DEVICE SPEED`.
const HELPER: &str = r#"dev=$1 speed=$2
if [ ! -e "$dev" ]; then echo "no such device" >&2; exit 66; fi
if [ ! -c "$dev" ]; then echo "not a character device" >&2; exit 66; fi
command exec 3<>"$dev" || { echo "cannot open it for reading and writing" >&2; exit 66; }
if command -v flock >/dev/null 2>&1 && ! flock -n 3; then
  echo "busy: another process holds it" >&2; exit 75
fi
err=$(stty "$speed" raw -echo -echoe -echok -echoctl -echoke -ixon -ixoff clocal cread min 1 time 0 <&3 2>&1) ||
  { echo "cannot set speed $speed and raw mode: $err" >&2; exit 66; }
cat <&3 & reader=$!
cat >&3
kill "$reader" 2>/dev/null
exit 0"#;

/// A serial console on a local tty device (execo's `Serial`).
///
/// [`Serial::new`] gives a [`Process`]: build on it (`timeout`, handlers...), start it,
/// then `expect` what the console prints and `write` to it. Bytes go both ways
/// unchanged (raw mode, no echo from our side). It runs until killed or until its stdin
/// is closed ([`ProcessHandle::close_stdin`]).
///
/// ```no_run
/// use execo_runtime::process::Serial;
/// let console = Serial::new("/dev/ttyUSB0", 115200).start();
/// console.blocking_write("\n");
/// console.blocking_expect("login: ")?;
/// console.kill();
/// # Ok::<(), execo_runtime::Error>(())
/// ```
pub struct Serial;

impl Serial {
    /// The console on `device` at `speed` bauds (one of the speeds `stty` knows).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(device: impl Into<String>, speed: u32) -> Process {
        let device = device.into();
        let mut p = Process::argv([
            "/bin/sh".to_string(),
            "-c".into(),
            HELPER.into(),
            "execo-serial".into(),
            device.clone(),
            speed.to_string(),
        ])
        .name(format!("serial `{device}`"));
        p.stdin = Stdin::Piped;
        p.serial = Some(device);
        p
    }
}

/// A serial console on a tty device of a remote host, through ssh (execo's
/// `SerialSsh`): as [`Serial`], the helper running on `host`.
pub struct SerialSsh;

impl SerialSsh {
    /// The console on `device` of `host` at `speed` bauds, reached with `params`. The
    /// remote side never gets a terminal (`-t` options are dropped), so that bytes cross
    /// unchanged.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(
        host: impl Into<Host>,
        device: impl Into<String>,
        speed: u32,
        params: &ConnectionParams,
    ) -> Process {
        let host = host.into();
        let device = device.into();
        let mut params = params.clone();
        params.pty = false;
        params
            .ssh_options
            .retain(|o| !(o.len() > 1 && o.starts_with('-') && o[1..].chars().all(|c| c == 't')));
        let cmd = format!(
            "sh -c {} execo-serial {} {speed}",
            crate::shell::quote(HELPER),
            crate::shell::quote(&device)
        );
        let mut p =
            Process::ssh(host.clone(), cmd, &params).name(format!("serial `{device}` on {host}"));
        p.stdin = Stdin::Piped;
        p.serial = Some(device);
        p
    }
}

impl ProcessHandle {
    /// For a [`Serial`] or [`SerialSsh`] console whose device could not be had: `failed
    /// to open serial device `DEVICE` on HOST: CAUSE` (busy, missing, not a tty, refused
    /// speed...). `None` for any other process or outcome (read `ok()`, `dump()` for
    /// those).
    pub fn serial_error(&self) -> Option<crate::Error> {
        let device = self.inner.spec.serial.as_ref()?;
        let code = self.exit_code()?;
        if code != SERIAL_BUSY && code != SERIAL_OPEN_FAILED {
            return None;
        }
        let host = self
            .host()
            .map_or_else(|| "localhost".to_string(), |h| h.to_string());
        let stderr = self.stderr();
        let said = stderr.lines().map(str::trim).rfind(|l| !l.is_empty());
        let cause = match (code, said) {
            (_, Some(line)) => line.to_string(),
            (SERIAL_BUSY, None) => "busy: another process holds it".to_string(),
            (_, None) => "cannot open it".to_string(),
        };
        Some(crate::Error::Message(format!(
            "failed to open serial device `{device}` on {host}: {cause}"
        )))
    }
}
