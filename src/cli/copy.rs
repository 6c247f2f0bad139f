//! `execo put` and `execo get`: scp to and from many hosts (`put --chain`: a pipelined
//! broadcast through relays, `--taktuk`: one TakTuk tree); `get` puts each host's files
//! in a subdirectory named after the host. Also the hidden `execo relay`, the remote side
//! of `put --chain`.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use execo::action::{Action, ChainPut, Get, Put, TaktukPut};

use super::summary::{self, Progress, ReportFormat};
use super::targets::Targets;

/// `execo put` options.
#[derive(Args, Debug)]
pub struct PutArgs {
    #[command(flatten)]
    targets: Targets,
    /// At the end, print execo's report on stderr: table (default), json or yaml.
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "table")]
    report: Option<ReportFormat>,
    /// Broadcast through a chain of relays, host to host (execo's ChainPut): one copy's
    /// time for any number of hosts. Files only; needs `execo` on the hosts' PATH (or
    /// `--relay`) and direct TCP between them.
    #[arg(long, conflicts_with = "taktuk")]
    chain: bool,
    /// The `execo` program on the hosts, for `--chain`.
    #[arg(long, value_name = "PROGRAM", requires = "chain")]
    relay: Option<String>,
    /// Copy through one `taktuk` (TakTuk's ssh tree; Debian's `taktuk` package).
    #[arg(long)]
    taktuk: bool,
    /// Local files or directories, then the remote destination directory.
    #[arg(required = true, num_args = 2.., value_name = "FILE... DEST")]
    paths: Vec<String>,
}

/// `execo get` options.
#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    targets: Targets,
    /// At the end, print execo's report on stderr: table (default), json or yaml.
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "table")]
    report: Option<ReportFormat>,
    /// Remote files or directories, then the local directory (one subdirectory per
    /// host is made in it).
    #[arg(required = true, num_args = 2.., value_name = "REMOTE... LOCALDIR")]
    paths: Vec<String>,
}

fn fail(verb: &str, e: impl std::fmt::Display) -> ExitCode {
    errln!("execo {verb}: {e}");
    ExitCode::from(2)
}

/// A host as a directory name: its `user@address:port` form without slashes.
fn dir_name(host: &execo::host::Host) -> String {
    host.to_string().replace('/', "_")
}

/// Runs `execo put`.
pub fn put(args: PutArgs) -> ExitCode {
    let t = match args.targets.resolve() {
        Ok(t) => t,
        Err(e) => return fail("put", e),
    };
    let (dest, files) = args.paths.split_last().expect("clap requires two paths");
    if let Some(missing) = files.iter().find(|f| !Path::new(f).exists()) {
        return fail("put", format!("local file `{missing}` not found"));
    }
    let started = if args.chain {
        let mut a = ChainPut::new(t.hosts, files.to_vec(), dest.as_str());
        if let Some(r) = args.relay {
            a = a.relay(r);
        }
        a.params(t.params)
            .configure(quiet_with_timeout(t.timeout))
            .start()
    } else if args.taktuk {
        TaktukPut::new(t.hosts, files.to_vec(), dest)
            .params(t.params)
            .configure(quiet_with_timeout(t.timeout))
            .start()
    } else {
        Put::new(t.hosts, files.to_vec(), dest)
            .params(t.params)
            .window(t.window)
            .configure(quiet_with_timeout(t.timeout))
            .start()
    };
    match started {
        Ok(a) => finish(&a, "put", args.report),
        Err(e) => fail("put", e),
    }
}

/// Runs `execo get`.
pub fn get(args: GetArgs) -> ExitCode {
    let t = match args.targets.resolve() {
        Ok(t) => t,
        Err(e) => return fail("get", e),
    };
    let (local, remote) = args.paths.split_last().expect("clap requires two paths");
    if let Some(h) = t
        .hosts
        .iter()
        .find(|h| matches!(dir_name(h).as_str(), "." | ".."))
    {
        return fail(
            "get",
            format!(
                "host `{h}` cannot name a directory under `{local}`: it would write outside it"
            ),
        );
    }
    let dirs: Vec<String> = t
        .hosts
        .iter()
        .map(|h| Path::new(local).join(dir_name(h)).display().to_string())
        .collect();
    for d in &dirs {
        if let Err(e) = std::fs::create_dir_all(d) {
            return fail("get", format!("cannot create `{d}`: {e}"));
        }
    }
    let started = Get::new(t.hosts, remote.to_vec(), "<<execo_dir>>")
        .list("execo_dir", dirs)
        .params(t.params)
        .window(t.window)
        .configure(quiet_with_timeout(t.timeout))
        .start();
    match started {
        Ok(a) => finish(&a, "get", args.report),
        Err(e) => fail("get", e),
    }
}

/// Each scp: no per-process warning (the summary says it all), and the timeout.
fn quiet_with_timeout(
    timeout: Option<std::time::Duration>,
) -> impl Fn(execo::process::Process, usize, &execo::host::Host) -> execo::process::Process
+ Send
+ Sync
+ 'static {
    move |p, _, _| {
        let p = p
            .nolog_exit_code(true)
            .nolog_timeout(true)
            .nolog_error(true);
        match timeout {
            Some(t) => p.timeout(t),
            None => p,
        }
    }
}

fn finish(
    action: &execo::action::ActionHandle,
    verb: &str,
    report: Option<ReportFormat>,
) -> ExitCode {
    let progress = Progress::start(action, true);
    action.blocking_wait();
    progress.finish();
    if let Some(f) = report {
        summary::print_report(action, f);
    }
    summary::failures(action, verb)
}

/// `execo relay` options (hidden: ChainPut starts it over ssh).
#[derive(Args, Debug)]
pub struct RelayArgs {
    /// Seconds without progress before a downstream host is skipped.
    #[arg(long, default_value_t = 10)]
    stall: u64,
    /// Seconds without data from upstream before giving up.
    #[arg(long, default_value_t = 40)]
    patience: u64,
    /// The file to write.
    file: std::path::PathBuf,
}

/// Runs `execo relay`: prints its ready line, takes its go line on stdin, relays.
pub fn relay(args: RelayArgs) -> ExitCode {
    use std::time::Duration;
    match execo::action::run_chain_relay(
        &args.file,
        Duration::from_secs(args.stall),
        Duration::from_secs(args.patience),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("execo relay: {e}");
            ExitCode::FAILURE
        }
    }
}
