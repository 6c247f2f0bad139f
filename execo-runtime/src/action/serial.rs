//! Serial consoles of many hosts as one action (execo's `RemoteSerial`): one
//! [`SerialSsh`] per host, each with its own device path through substitutions, so that
//! a script logs in to all of them with one `write` and one `expect`.

use super::plan::{Action, Plan};
use super::targets::{Targets, targets_builders};
use crate::host::Host;
use crate::process::SerialSsh;
use crate::substitution::{SubstitutionError, TemplateSource};

/// A serial device on each of many hosts, read and written through ssh (execo's
/// `RemoteSerial`): one [`SerialSsh`] process per host.
///
/// The device is a path template (see [`substitution`](crate::substitution)): `<<host>>`
/// or a `<<list>>` gives each host its own. [`ActionHandle::blocking_write`] writes to
/// every console, [`ActionHandle::blocking_expect`] waits on each; a console whose
/// device could not be had says why in
/// [`ProcessHandle::serial_error`](crate::process::ProcessHandle::serial_error).
///
/// [`ActionHandle::blocking_write`]: super::ActionHandle::blocking_write
/// [`ActionHandle::blocking_expect`]: super::ActionHandle::blocking_expect
///
/// ```no_run
/// use execo_runtime::action::{Action, RemoteSerial};
/// let consoles = RemoteSerial::new(["gw-1", "gw-2"], "/dev/ttyUSB<<port>>", 115200)
///     .list("port", ["0", "1"])
///     .start()?;
/// consoles.blocking_write("\r");
/// for m in consoles.blocking_expect("login: ")? {
///     m?;
/// }
/// consoles.kill();
/// # Ok::<(), execo_runtime::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct RemoteSerial {
    t: Targets,
    device: TemplateSource,
    speed: u32,
}

impl RemoteSerial {
    /// The console on `device` (a path template) of each of `hosts`, at `speed` bauds.
    pub fn new<I, H>(hosts: I, device: impl Into<TemplateSource>, speed: u32) -> RemoteSerial
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
    {
        RemoteSerial {
            t: Targets::new(hosts),
            device: device.into(),
            speed,
        }
    }
}
targets_builders!(RemoteSerial);

impl Action for RemoteSerial {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let device = self.t.compile_path(&self.device)?;
        let params = &self.t.params;
        Ok(self.t.plan(
            || format!("serial `{}` on {} hosts", self.device, self.t.hosts.len()),
            |i, host| {
                SerialSsh::new(
                    host.clone(),
                    device.render(i, &host.address),
                    self.speed,
                    params,
                )
            },
        ))
    }
}
