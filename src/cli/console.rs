//! `execo console`: a serial console from the command line, a local device, a device of
//! a remote host (through ssh), or a Grid'5000 node's console through kaconsole3.
//!
//! On a terminal it is interactive: the terminal goes raw, keys go to the console as
//! typed, Ctrl-] leaves. Otherwise (a script, a pipe) what stdin holds is sent, then,
//! with `--until REGEX`, the console's output is printed until it shows that regex.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use clap::Args;
use execo::config::Config;
use execo::prelude::*;

/// The key that leaves an interactive console: Ctrl-] (as telnet's).
const QUIT: u8 = 0x1d;

/// `execo console` options.
#[derive(Args, Debug)]
pub struct ConsoleArgs {
    /// `/dev/ttyS0` (a device here), `HOST:/dev/ttyS0` (a device of HOST, through
    /// ssh), or with `--kaconsole` a Grid'5000 node.
    #[arg(value_name = "DEVICE|HOST")]
    target: String,
    /// The line's speed in bauds (a device).
    #[arg(short = 's', long, default_value_t = 115200)]
    speed: u32,
    /// The node's console through `kaconsole3 -m NODE` on its site's frontend.
    #[arg(long)]
    kaconsole: bool,
    /// With `--kaconsole`: the frontend's site (default: the node's, from its name).
    #[arg(long, value_name = "SITE")]
    site: Option<String>,
    /// With `--kaconsole`: run kaconsole3 on this machine (it is the frontend).
    #[arg(long)]
    local_frontend: bool,
    /// An OpenSSH client configuration file (ssh's `-F`), for `HOST:DEVICE`.
    #[arg(short = 'F', long = "ssh-config", value_name = "FILE")]
    ssh_config: Option<PathBuf>,
    /// Once stdin is sent, print the console's output until this regex shows, then
    /// leave (exit 1 if it does not show within `--timeout`).
    #[arg(long, value_name = "REGEX")]
    until: Option<String>,
    /// Seconds `--until` waits at most.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    errln!("execo console: {e}");
    ExitCode::FAILURE
}

/// A started console: a serial process, or kaconsole3.
enum Running {
    Serial(ProcessHandle),
    #[cfg(feature = "g5k")]
    Kaconsole(Box<execo::g5k::Console>),
}

impl Running {
    fn handle(&self) -> &ProcessHandle {
        match self {
            Running::Serial(p) => p,
            #[cfg(feature = "g5k")]
            Running::Kaconsole(c) => c.handle(),
        }
    }

    /// Leaves: a serial helper ends when its input does; kaconsole3 on its escape.
    fn close(&self) {
        match self {
            Running::Serial(p) => {
                p.blocking_close_stdin();
                if !p.blocking_wait_timeout(Duration::from_secs(5)) {
                    p.kill();
                    p.blocking_wait();
                }
            }
            #[cfg(feature = "g5k")]
            Running::Kaconsole(c) => {
                c.blocking_close();
            }
        }
    }
}

/// What the console prints goes to our stdout as it comes.
/// (Failures are said once, by `execo console` itself.)
fn to_stdout(p: Process) -> Process {
    p.nolog_exit_code(true)
        .nolog_expect_fail(true)
        .stdout_to(Sink::chunks(|chunk| {
            let mut o = std::io::stdout().lock();
            o.write_all(chunk).and_then(|()| o.flush()).ok();
        }))
}

fn start(a: &ConsoleArgs) -> Result<Running, String> {
    if a.kaconsole {
        return start_kaconsole(a);
    }
    if a.site.is_some() || a.local_frontend {
        return Err("--site and --local-frontend go with --kaconsole".into());
    }
    let p = match a.target.split_once(":/") {
        None if a.target.starts_with('/') => Serial::new(a.target.clone(), a.speed),
        None => {
            return Err(format!(
                "`{}` is not a device path (`/dev/ttyS0`, `HOST:/dev/ttyS0`); \
                 for a node's console through kaconsole3 add --kaconsole",
                a.target
            ));
        }
        Some((host, dev)) => {
            let host = Host::parse(host).map_err(|e| e.to_string())?;
            let mut params = Config::load().map_err(|e| e.to_string())?.params;
            if let Some(f) = &a.ssh_config {
                params.ssh_config = Some(f.clone());
            }
            SerialSsh::new(host, format!("/{dev}"), a.speed, &params)
        }
    };
    Ok(Running::Serial(to_stdout(p).start()))
}

#[cfg(feature = "g5k")]
fn start_kaconsole(a: &ConsoleArgs) -> Result<Running, String> {
    use execo::g5k::{Frontend, KaconsoleProcess, frontend};
    let settings = Config::global().g5k.clone();
    let site = match &a.site {
        Some(s) => s.clone(),
        None => frontend::site_of_fqdn(&a.target)
            .map(str::to_string)
            .or_else(|| frontend::default_site(&settings))
            .ok_or_else(|| {
                format!(
                    "cannot tell the site of `{}`: give its full name \
                     (NODE.SITE.grid5000.fr) or --site SITE",
                    a.target
                )
            })?,
    };
    let fe = if a.local_frontend {
        Frontend::local(&site)
    } else {
        Frontend::of(&site, &settings)
    }
    .map_err(|e| e.to_string())?;
    let k = KaconsoleProcess::new(a.target.clone(), &fe).configure(|p| {
        to_stdout(p).stderr_to(Sink::chunks(|chunk| {
            let mut e = std::io::stderr().lock();
            e.write_all(chunk).and_then(|()| e.flush()).ok();
        }))
    });
    Ok(Running::Kaconsole(Box::new(k.start())))
}

#[cfg(not(feature = "g5k"))]
fn start_kaconsole(_: &ConsoleArgs) -> Result<Running, String> {
    Err("--kaconsole needs execo built with the `g5k` feature".into())
}

/// What ends an interactive or piped session.
enum Event {
    /// Ctrl-] typed.
    Quit,
    /// stdin ended (or failed).
    Eof,
    /// The console process ended.
    Ended,
}

/// The raw mode of the terminal on stdin, restored when dropped.
struct RawTerminal(rustix::termios::Termios);

impl RawTerminal {
    fn enter() -> Option<RawTerminal> {
        use rustix::termios::{OptionalActions, tcgetattr, tcsetattr};
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(&stdin, OptionalActions::Now, &raw).ok()?;
        Some(RawTerminal(saved))
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        let stdin = std::io::stdin();
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &self.0).ok();
    }
}

/// Copies stdin to the console until it ends, or (`interactive`) until Ctrl-].
fn pump_stdin(console: ProcessHandle, interactive: bool, events: mpsc::Sender<Event>) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 4096];
        loop {
            let n = match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            if interactive && let Some(at) = chunk.iter().position(|&b| b == QUIT) {
                console.blocking_write(&chunk[..at]);
                events.send(Event::Quit).ok();
                return;
            }
            console.blocking_write(chunk);
        }
        events.send(Event::Eof).ok();
    });
}

/// Runs `execo console`.
pub fn console(a: ConsoleArgs) -> ExitCode {
    let until = match a.until.as_deref().map(Expect::new).transpose() {
        Ok(u) => u,
        Err(e) => return fail(format!("bad --until: {e}")),
    };
    let wait = match execo::config::timeout_from_secs(a.timeout) {
        Ok(t) => t,
        Err(why) => return fail(format!("bad --timeout `{}`: {why}", a.timeout)),
    };
    let running = match start(&a) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let console = running.handle().clone();
    let interactive = rustix::termios::isatty(std::io::stdin()) && until.is_none();
    let (tx, rx) = mpsc::channel();
    {
        let tx = tx.clone();
        let watched = console.clone();
        std::thread::spawn(move || {
            watched.blocking_wait();
            tx.send(Event::Ended).ok();
        });
    }
    let raw = if interactive {
        errln!(
            "execo console: connected to {} (Ctrl-] quits)\r",
            console.name()
        );
        RawTerminal::enter()
    } else {
        None
    };
    pump_stdin(console.clone(), interactive, tx);
    let mut until_failed = None;
    loop {
        match rx.recv() {
            Ok(Event::Eof) if !interactive => {
                if let Some(u) = &until
                    && let Err(e) = console.blocking_expect_with(&u.clone().timeout(wait))
                {
                    until_failed = Some(e);
                }
                break;
            }
            Ok(Event::Eof) => {}
            Ok(Event::Quit | Event::Ended) | Err(_) => break,
        }
    }
    running.close();
    drop(raw);
    if interactive {
        errln!("\r\nexeco console: left {}", console.name());
    }
    if let Some(e) = console.serial_error() {
        return fail(e);
    }
    if let Some(e) = until_failed {
        return fail(e);
    }
    if console.start_error().is_some() || console.connection_failed() {
        return fail(console.dump());
    }
    match console.exit_code() {
        Some(code) if code != 0 => {
            fail(format!("`{}` ended with exit code {code}", console.name()))
        }
        _ => ExitCode::SUCCESS,
    }
}
