//! What the flagship experiments share: where their hosts are ([`testbed`]), so that
//! each runs unchanged on machines over ssh, in network namespaces of this machine, or
//! over loopback.

pub mod testbed;

pub use testbed::{G5kRecord, Kind, Testbed, TestbedArgs, TestbedError};

use execo::process::ProcessHandle;

/// The flags the two netcat experiments share (flattened into each one's own).
#[derive(clap::Args, Debug)]
pub struct NetcatArgs {
    /// The netcat to run: it must accept `-n -vlp PORT` and `-q 0`, and say `listening on`.
    #[arg(long, value_name = "PROGRAM", default_value = "nc.traditional")]
    pub nc: String,
    /// The listening port on namespace and ssh hosts (loopback takes free ones).
    #[arg(long, value_name = "PORT", default_value_t = 6543)]
    pub port: u16,
}

/// Why a server that should have said it was ready did not: `program` is not installed
/// on `host` (exit code 127, the shell's "not found", with the package that has it), or
/// `err` and the end of what it printed.
pub fn not_ready(
    program: &str,
    package: &str,
    host: &execo::host::Host,
    p: Option<&ProcessHandle>,
    err: &dyn std::fmt::Display,
) -> String {
    let Some(p) = p else {
        return format!("{program} on {host} never started: {err}");
    };
    // It ended (the expect saw the end of its output): its exit code is on its way.
    p.blocking_wait_timeout(std::time::Duration::from_secs(5));
    if p.exit_code() == Some(127) {
        return format!(
            "`{program}` is not installed on {host}: install it with `apt-get install \
             {package}` (scripts/deps.sh does)"
        );
    }
    let out = p.stdout() + &p.stderr();
    let tail: Vec<&str> = out.lines().rev().take(3).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!(
        "{program} on {host} is not ready: {err}; it printed: {:?}",
        tail.join("\n")
    )
}
