//! What the remote subcommands print about an action besides its output: a progress bar
//! on a terminal, the failed hosts grouped by cause, the exit status, the report.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use execo::{action::ActionHandle, nodeset::NodeSet, process::ProcessHandle};

/// How `--report` prints.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    /// execo's table.
    Table,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// Prints the action's report to stderr.
pub fn print_report(action: &ActionHandle, format: ReportFormat) {
    let r = action.report();
    let text = match format {
        ReportFormat::Table => r.to_string(),
        ReportFormat::Json => r.to_json() + "\n",
        ReportFormat::Yaml => r.to_yaml(),
    };
    super::err(format_args!("{text}"));
}

/// A one-line progress bar on stderr, drawn only on a terminal and only once a run has
/// taken more than a second.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing `action`'s progress if `wanted` and stderr is a terminal.
    pub fn start(action: &ActionHandle, wanted: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = (wanted && std::io::stderr().is_terminal()).then(|| {
            let (action, stop) = (action.clone(), stop.clone());
            std::thread::spawn(move || draw(&action, &stop))
        });
        Progress { stop, thread }
    }

    /// Stops and erases the bar.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

fn draw(action: &ActionHandle, stop: &AtomicBool) {
    let t0 = Instant::now();
    let mut drawn = false;
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(100));
        if t0.elapsed() < Duration::from_secs(1) {
            continue;
        }
        let procs = action.processes();
        let done = procs.iter().filter(|p| p.ended()).count();
        let failed = procs.iter().filter(|p| p.ended() && !p.ok()).count();
        let total = action.len().max(1);
        const WIDTH: usize = 30;
        let filled = done * WIDTH / total;
        super::err(format_args!(
            "\r\x1b[K[{}{}] {done}/{total} done, {failed} failed, {:.1} s",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            t0.elapsed().as_secs_f64()
        ));
        drawn = true;
    }
    if drawn {
        super::err(format_args!("\r\x1b[K"));
    }
}

/// Why a host failed, in a few words.
fn cause(p: Option<&ProcessHandle>) -> String {
    let Some(p) = p else {
        return "never started".into();
    };
    if let Some(e) = p.start_error() {
        return format!("could not start: {e}");
    }
    if p.timed_out() {
        return "timed out".into();
    }
    // The command's (or ssh's, or scp's) own last word says why.
    let err = p.stderr();
    let why = err
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| format!(": {l}"))
        .unwrap_or_default();
    if p.connection_failed() {
        let tool = if p.remote_cmd().is_some_and(|c| c.contains(" -> ")) {
            "scp"
        } else {
            "ssh"
        };
        return format!("{tool} failed (exit 255){why}");
    }
    match (p.exit_code(), p.signal()) {
        (Some(c), _) => format!("exit code {c}{why}"),
        (None, Some(s)) => format!("killed by {}{why}", execo::process::signal_name(s)),
        _ => "exit status lost".into(),
    }
}

/// Prints the failed hosts, grouped by cause, on stderr; the exit status: 0 when every
/// host succeeded, else the largest exit code of a failed command (255 for ssh's own
/// failures), else 1.
pub fn failures(action: &ActionHandle, verb: &str) -> ExitCode {
    if let Some(sig) = execo::process::interrupted() {
        // The hosts did not fail: the program ended them (and dies of `sig` next).
        let unfinished = action
            .entries()
            .iter()
            .filter(|(_, p)| !p.as_ref().is_some_and(|p| p.ok()))
            .count();
        errln!(
            "execo {verb}: interrupted by {}: {unfinished} of {} hosts did not finish",
            execo::process::signal_name(sig),
            action.len()
        );
        return ExitCode::from((128 + sig).clamp(0, 255) as u8);
    }
    let mut by_cause: BTreeMap<String, NodeSet> = BTreeMap::new();
    let mut code = 0u8;
    let mut failed = 0;
    for (host, p) in action.entries() {
        if p.as_ref().is_some_and(|p| p.ok()) {
            continue;
        }
        failed += 1;
        by_cause
            .entry(cause(p.as_ref()))
            .or_default()
            .insert(host.to_string());
        let c = p
            .as_ref()
            .and_then(|p| p.exit_code())
            .filter(|&c| c > 0 && !p.as_ref().is_some_and(|p| p.timed_out()))
            .map_or(1, |c| c.clamp(1, 255) as u8);
        code = code.max(c);
    }
    if failed == 0 {
        return ExitCode::SUCCESS;
    }
    errln!("execo {verb}: {failed} of {} hosts failed:", action.len());
    for (cause, hosts) in by_cause {
        errln!("  {} ({}): {cause}", hosts.fold(), hosts.len());
    }
    ExitCode::from(code)
}
