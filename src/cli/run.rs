//! `execo run`: a command on many hosts, output prefixed by host (pdsh) or gathered by
//! identical output (`clush -b`).

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::Args;
use execo::action::{Action, ActionHandle, Local, Remote, TaktukRemote};
use execo::{nodeset::NodeSet, process::Keep};

use super::summary::{self, Progress, ReportFormat};
use super::targets::Targets;

/// `execo run` options.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    targets: Targets,
    /// Run the command locally, once per host (substitutions apply), without ssh.
    #[arg(long)]
    local: bool,
    /// Gather hosts with identical output under their folded node set (clush -b).
    #[arg(short = 'b', long = "gather")]
    gather: bool,
    /// Give the remote command a terminal (ssh -tt), for commands that want one: its
    /// stderr then comes mixed into stdout, with CRLF line ends. Without it, a kill or
    /// timeout ends the remote command all the same.
    #[arg(long)]
    tty: bool,
    /// Run through one `taktuk` (TakTuk's ssh tree; Debian's `taktuk` package) instead
    /// of one ssh per host: for hundreds of hosts. `--fanout` is then TakTuk's window
    /// (`-w`: connections in progress at once from each node).
    #[arg(long, conflicts_with_all = ["local", "tty"])]
    taktuk: bool,
    /// At the end, print execo's report on stderr: table (default), json or yaml.
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "table")]
    report: Option<ReportFormat>,
    /// The command, with `<<host>>` and `<<index>>` replaced per host. Everything from
    /// its first word on is the command's (`execo run -H h ls -l`); put `--` before a
    /// command that starts with `-`. Options before it may be glued (`-t5`, `-H=h`).
    // No `allow_hyphen_values`: with it, clap takes `-t5` for the command's first word.
    #[arg(required = true, trailing_var_arg = true)]
    command: Vec<String>,
}

/// Each host's stdout lines (raw bytes), for gathering.
type Collected = Arc<Vec<Mutex<Vec<Vec<u8>>>>>;

/// Writes `label: line\n` in one write of the locked stream. The line's bytes go out as
/// they came (no UTF-8 decoding): bytes out = bytes in.
fn write_line(out: &mut impl Write, label: &str, line: &[u8]) {
    let mut buf = Vec::with_capacity(label.len() + line.len() + 3);
    buf.extend_from_slice(label.as_bytes());
    buf.extend_from_slice(b": ");
    buf.extend_from_slice(line);
    buf.push(b'\n');
    out.write_all(&buf).ok();
}

/// Runs `execo run`.
pub fn run(args: RunArgs) -> ExitCode {
    // Else ssh opens a login shell (and waits on it with --tty), and `sh -c ''` succeeds.
    if args.command.iter().all(|w| w.trim().is_empty()) {
        eprintln!("execo run: empty command: give the command to run on each host");
        return ExitCode::from(2);
    }
    let t = match args.targets.resolve() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("execo run: {e}");
            return ExitCode::from(2);
        }
    };
    let cmd = args.command.join(" ");
    let labels: Arc<Vec<String>> = Arc::new(t.hosts.iter().map(|h| h.to_string()).collect());
    let collected: Collected = Arc::new(t.hosts.iter().map(|_| Mutex::default()).collect());
    let (gather, timeout) = (args.gather, t.timeout);
    let hooks_collected = collected.clone();
    let configure = move |p: execo::process::Process, i: usize, _: &execo::host::Host| {
        let mut p = p
            .keep_stdout(Keep::Nothing)
            .keep_stderr(Keep::Tail(4096))
            .nolog_exit_code(true)
            .nolog_timeout(true)
            .nolog_error(true);
        if let Some(t) = timeout {
            p = p.timeout(t);
        }
        let label = labels[i].clone();
        if gather {
            let collected = hooks_collected.clone();
            p = p.on_stdout_line_bytes(move |l| {
                collected[i]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(l.to_vec())
            });
        } else {
            let label = label.clone();
            p = p.on_stdout_line_bytes(move |l| {
                write_line(&mut std::io::stdout().lock(), &label, l)
            });
        }
        p.on_stderr_line_bytes(move |l| write_line(&mut std::io::stderr().lock(), &label, l))
    };
    let started = if args.local {
        Local::per_host(&cmd, t.hosts.clone())
            .window(t.window)
            .configure(configure)
            .start()
    } else if args.taktuk {
        TaktukRemote::new(&cmd, t.hosts.clone())
            .params(t.params)
            .window(t.window)
            .configure(configure)
            .start()
    } else {
        let mut params = t.params;
        if args.tty && !params.ssh_options.iter().any(|o| o == "-tt") {
            params.ssh_options.insert(0, "-tt".into());
        }
        Remote::new(&cmd, t.hosts.clone())
            .params(params)
            .window(t.window)
            .configure(configure)
            .start()
    };
    let action = match started {
        Ok(a) => a,
        Err(e) => {
            eprintln!("execo run: {e}");
            return ExitCode::from(2);
        }
    };
    // Live `host: line` output on a terminal would fight with a bar.
    let quiet_stdout = gather || !std::io::IsTerminal::is_terminal(&std::io::stdout());
    let progress = Progress::start(&action, quiet_stdout);
    action.blocking_wait();
    progress.finish();
    if gather {
        print_gathered(&action, &collected);
    }
    if let Some(f) = args.report {
        summary::print_report(&action, f);
    }
    summary::failures(&action, "run")
}

/// clush -b: one block per distinct output, headed by its hosts' folded node set, in
/// the order of each block's first host.
fn print_gathered(action: &ActionHandle, collected: &Collected) {
    let mut blocks: Vec<(NodeSet, &[Vec<u8>])> = Vec::new();
    let mut index: HashMap<&[Vec<u8>], usize> = HashMap::new();
    let guards: Vec<_> = collected
        .iter()
        .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
        .collect();
    for (host, lines) in action.hosts().iter().zip(&guards) {
        if lines.is_empty() {
            continue;
        }
        let at = *index.entry(&lines[..]).or_insert_with(|| {
            blocks.push((NodeSet::new(), &lines[..]));
            blocks.len() - 1
        });
        blocks[at].0.insert(host.to_string());
    }
    let mut out = std::io::stdout().lock();
    for (hosts, lines) in blocks {
        let head = format!("{} ({})", hosts.fold(), hosts.len());
        let rule = "-".repeat(head.chars().count().clamp(15, 80));
        writeln!(out, "{rule}\n{head}\n{rule}").ok();
        for l in lines {
            out.write_all(l).ok();
            out.write_all(b"\n").ok();
        }
    }
}
