//! Local processes: the description ([`Process`]), the running handle
//! ([`ProcessHandle`]), and what they record.
//!
//! A `Process` is a cheap, clonable description (duct's lesson): build it, inspect it,
//! start it as many times as you like. `start()` spawns at once on the calling thread and
//! returns a [`ProcessHandle`] that records everything execo's `Process` records; the
//! kernel pumps its output and enforces its timeout in the background.
//!
//! The kernel itself is internal; what a program needs of it is here: [`on_exit`] (code
//! of the program's run once every process has been ended, however the program ends),
//! [`interrupted`] (the signal that is ending the program, so that the processes it
//! killed are not taken for failures), [`Signal`] and [`signal_name`].

mod expect;
pub(crate) mod fed;
mod forward;
mod handle;
mod launch;
mod output;
mod report;
mod serial;
mod signal;
mod ssh;
mod supervise;

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::kernel::spawn::{ChildStdin, SpawnSpec};

pub use crate::blocking::block_on;
pub use crate::kernel::{interrupted, on_exit, signal_name};
pub use expect::{Expect, ExpectMatch, Patterns};
pub(crate) use fed::{Ending, FedBy, Feed};
pub use forward::{Forward, PortForwarder};
pub use handle::ProcessHandle;
pub use report::Stats;
pub use serial::{SERIAL_BUSY, SERIAL_OPEN_FAILED, Serial, SerialSsh};
pub use signal::Signal;

/// Which output stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Standard output (the pty's output when the process runs on a pty).
    Stdout,
    /// Standard error (always a pipe).
    Stderr,
}

impl Stream {
    pub(crate) fn index(self) -> usize {
        self as usize
    }
    /// `"stdout"` or `"stderr"`.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the process reads on its standard input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stdin {
    /// `/dev/null`: the process sees end of file at once. The default, so that a
    /// forgotten stdin never keeps a process waiting, and fan-outs spend no descriptor
    /// on it.
    #[default]
    Null,
    /// A pipe that [`ProcessHandle::write`] feeds and
    /// [`ProcessHandle::close_stdin`] closes (execo's default).
    Piped,
    /// The program's own standard input.
    Inherit,
}

/// How much of a stream the handle keeps in memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// Everything (the default, as in execo).
    #[default]
    All,
    /// Only the last `n` bytes: bounded memory for huge outputs. `stdout()` returns the
    /// tail, and `expect` sees only what is still kept.
    Tail(usize),
    /// Nothing: handlers still see every byte, but `stdout()` is empty and `expect` on
    /// that stream is an error.
    Nothing,
}

type ChunkFn = dyn FnMut(&[u8]) + Send;
type LineFn = dyn FnMut(&str) + Send;
type ByteLineFn = dyn FnMut(&[u8]) + Send;
type LifecycleFn = dyn Fn(&ProcessHandle) + Send + Sync;
type BeforeStartFn = dyn Fn() -> Result<(), String> + Send + Sync;

/// Where a stream's output goes, besides what the handle keeps.
///
/// Handlers run on the kernel thread, in order, as output arrives.
///
/// # Long lines
/// The line sinks ([`lines`](Sink::lines), [`byte_lines`](Sink::byte_lines)) hold at
/// most [`Sink::MAX_LINE`] bytes of a line: a longer line is handed over in pieces of
/// that size (the last piece ends where the line does), so that output without newlines
/// keeps memory bounded. A piece of [`lines`](Sink::lines) may be a few bytes shorter,
/// so that no UTF-8 character is cut in two.
#[derive(Clone)]
pub struct Sink(SinkKind);

#[derive(Clone)]
enum SinkKind {
    Chunks(Arc<Mutex<ChunkFn>>),
    Lines(Arc<Mutex<LineFn>>),
    ByteLines(Arc<Mutex<ByteLineFn>>),
    Path(PathBuf),
    Writer(Arc<Mutex<dyn Write + Send>>),
}

impl Sink {
    /// The longest piece of a line that the line sinks hand over at once: 64 KiB (see
    /// [Long lines](Sink#long-lines)).
    pub const MAX_LINE: usize = 64 * 1024;

    /// Calls `f` with each chunk of raw bytes as it is read.
    pub fn chunks(f: impl FnMut(&[u8]) + Send + 'static) -> Sink {
        Sink(SinkKind::Chunks(Arc::new(Mutex::new(f))))
    }
    /// Calls `f` with each line, without its `\n` (nor a `\r` before it), decoded as
    /// UTF-8 with invalid bytes replaced. A last line without `\n` is given at the end;
    /// a line longer than [`Sink::MAX_LINE`] comes in pieces.
    pub fn lines(f: impl FnMut(&str) + Send + 'static) -> Sink {
        Sink(SinkKind::Lines(Arc::new(Mutex::new(f))))
    }
    /// Calls `f` with each line as raw bytes, without its `\n` and nothing else removed
    /// (a `\r` stays): the bytes of the stream are the lines joined with `\n`. A last
    /// line without `\n` is given at the end; a line longer than [`Sink::MAX_LINE`]
    /// comes in pieces of exactly that size.
    pub fn byte_lines(f: impl FnMut(&[u8]) + Send + 'static) -> Sink {
        Sink(SinkKind::ByteLines(Arc::new(Mutex::new(f))))
    }
    /// Appends to the file at `path`, created if needed, opened at start and closed at
    /// end of stream (execo's filename handler, `"<node>.out"`). A file that cannot be
    /// opened is a start error.
    pub fn file(path: impl Into<PathBuf>) -> Sink {
        Sink(SinkKind::Path(path.into()))
    }
    /// Writes to an already open writer (a `File`, a `Vec<u8>`, a socket...), shared
    /// between processes if the same `Arc` is given to several.
    pub fn writer(w: Arc<Mutex<dyn Write + Send>>) -> Sink {
        Sink(SinkKind::Writer(w))
    }
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            SinkKind::Chunks(_) => f.write_str("Sink::chunks(..)"),
            SinkKind::Lines(_) => f.write_str("Sink::lines(..)"),
            SinkKind::ByteLines(_) => f.write_str("Sink::byte_lines(..)"),
            SinkKind::Path(p) => write!(f, "Sink::file({p:?})"),
            SinkKind::Writer(_) => f.write_str("Sink::writer(..)"),
        }
    }
}

/// The failure kinds that `ignore_*` and `nolog_*` flags name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    pub(crate) exit_code: bool,
    pub(crate) timeout: bool,
    pub(crate) error: bool,
    pub(crate) expect_fail: bool,
    pub(crate) write_error: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum CommandLine {
    /// A command line: split into words, or given to `/bin/sh -c` with `shell`.
    Line(String),
    /// Words as given: run as is, or quoted and joined for `/bin/sh -c` with `shell`.
    Argv(Vec<String>),
}

#[derive(Clone, Default)]
pub(crate) struct StreamSpec {
    pub(crate) keep: Keep,
    pub(crate) sinks: Vec<Sink>,
}

impl StreamSpec {
    /// Whether anything reads the stream (else the child gets `/dev/null`).
    pub(crate) fn wanted(&self) -> bool {
        self.keep != Keep::Nothing || !self.sinks.is_empty()
    }
}

/// The description of a local process: what to run and how to watch it.
///
/// Builder methods take and return the description by value (`fn x(self, ..) -> Self`,
/// the one builder convention of execo), and a `Process` is `Clone`: one description
/// can be kept in a `let` and started many times.
///
/// ```no_run
/// use execo_runtime::{Process, Stdin};
/// use std::time::Duration;
///
/// let p = Process::sh("echo hello; sleep 1; echo bye")
///     .timeout(Duration::from_secs(10))
///     .blocking_run();
/// assert!(p.ok());
/// assert_eq!(p.stdout(), "hello\nbye\n");
/// ```
#[derive(Clone)]
#[must_use = "a process description does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct Process {
    pub(crate) cmd: CommandLine,
    pub(crate) shell: bool,
    pub(crate) name: Option<String>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) env: Vec<(OsString, Option<OsString>)>,
    pub(crate) env_clear: bool,
    pub(crate) pty: bool,
    pub(crate) stdin: Stdin,
    pub(crate) out: [StreamSpec; 2],
    pub(crate) timeout: Option<Duration>,
    pub(crate) kill_grace: Duration,
    pub(crate) output_grace: Duration,
    pub(crate) expect_timeout: Option<Duration>,
    pub(crate) ignore: Flags,
    pub(crate) nolog: Flags,
    pub(crate) on_start: Vec<Arc<LifecycleFn>>,
    pub(crate) on_end: Vec<Arc<LifecycleFn>>,
    /// For a process run over ssh: the host and the remote command.
    pub(crate) remote: Option<(crate::Host, String)>,
    /// For a process run over ssh without a remote tty: wrap the remote command so that
    /// it dies with its ssh (see `kernel::lifeline::remote_watchdog`), when stdin is not
    /// piped.
    pub(crate) remote_watchdog: bool,
    /// For a process riding on a multiplexed ssh connection: that connection, made
    /// ready when the process starts, which holds one of its sessions while it runs
    /// (see `launch`).
    pub(crate) mux: Option<crate::mux::Master>,
    /// Run in order just before spawning (a refused host, a local directory to make);
    /// the first error is the start error and nothing is spawned.
    pub(crate) before_start: Vec<Arc<BeforeStartFn>>,
    /// For a per-host record of a process that drives many hosts (TakTuk): what feeds
    /// it, instead of a child of its own (see [`fed`]).
    pub(crate) fed: Option<FedBy>,
    /// For a serial console ([`Serial`], [`SerialSsh`]): the device, for
    /// [`ProcessHandle::serial_error`].
    pub(crate) serial: Option<String>,
}

/// The default grace between SIGTERM and SIGKILL. execo waits 60 s; 5 s keeps timeouts
/// meaningful while still letting a program clean up.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(5);

impl Process {
    /// The default [`output_grace`](Process::output_grace): 3 s, enough for what a
    /// child's children print as they finish, short enough that a daemon holding the
    /// streams delays the end only briefly.
    pub const DEFAULT_OUTPUT_GRACE: Duration = Duration::from_secs(3);

    fn with(cmd: CommandLine, shell: bool) -> Process {
        Process {
            cmd,
            shell,
            name: None,
            cwd: None,
            env: Vec::new(),
            env_clear: false,
            pty: false,
            stdin: Stdin::Null,
            out: Default::default(),
            timeout: None,
            kill_grace: DEFAULT_KILL_GRACE,
            output_grace: Process::DEFAULT_OUTPUT_GRACE,
            expect_timeout: None,
            ignore: Flags::default(),
            nolog: Flags::default(),
            on_start: Vec::new(),
            on_end: Vec::new(),
            remote: None,
            remote_watchdog: false,
            mux: None,
            before_start: Vec::new(),
            fed: None,
            serial: None,
        }
    }

    /// Adds a step run just before spawning; its error becomes the start error.
    pub(crate) fn before_start(
        &mut self,
        f: impl Fn() -> Result<(), String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.before_start.push(Arc::new(f));
        self
    }

    /// A command line, split into words as a shell would (quotes and backslashes), and
    /// run without a shell, as execo does with `shell=False`.
    pub fn new(cmdline: impl Into<String>) -> Process {
        Process::with(CommandLine::Line(cmdline.into()), false)
    }

    /// A command line run by `/bin/sh -c` (pipes, redirections, `&&`, variables).
    pub fn sh(cmdline: impl Into<String>) -> Process {
        Process::with(CommandLine::Line(cmdline.into()), true)
    }

    /// A program and its arguments, exactly as given.
    pub fn argv<I, S>(argv: I) -> Process
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Process::with(
            CommandLine::Argv(argv.into_iter().map(Into::into).collect()),
            false,
        )
    }

    /// Runs the command through `/bin/sh -c` (an argv is quoted and joined first).
    pub fn shell(mut self, shell: bool) -> Self {
        self.shell = shell;
        self
    }
    /// The name used in logs, reports and errors (default: the command line, cut at 39
    /// characters as in execo).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The working directory; one that does not exist is a start error naming it.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }
    /// Sets an environment variable for the process.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), Some(value.into())));
        self
    }
    /// Removes an environment variable for the process.
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Self {
        self.env.push((key.into(), None));
        self
    }
    /// Starts from an empty environment.
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self.env.clear();
        self
    }
    /// Runs the process on a pseudo-terminal: stdin and stdout are the pty (so `isatty`
    /// is true and a program line-buffers as on a terminal), stderr stays a pipe. Writes
    /// go to the pty; [`ProcessHandle::close_stdin`] sends the end-of-file character.
    pub fn pty(mut self, pty: bool) -> Self {
        self.pty = pty;
        self
    }
    /// What the process reads on stdin (default [`Stdin::Null`]; ignored with a pty).
    pub fn stdin(mut self, stdin: Stdin) -> Self {
        self.stdin = stdin;
        self
    }
    /// How much stdout the handle keeps (default [`Keep::All`]).
    pub fn keep_stdout(mut self, keep: Keep) -> Self {
        self.out[0].keep = keep;
        self
    }
    /// How much stderr the handle keeps (default [`Keep::All`]).
    pub fn keep_stderr(mut self, keep: Keep) -> Self {
        self.out[1].keep = keep;
        self
    }
    /// Adds a destination for stdout.
    pub fn stdout_to(mut self, sink: Sink) -> Self {
        self.out[0].sinks.push(sink);
        self
    }
    /// Adds a destination for stderr.
    pub fn stderr_to(mut self, sink: Sink) -> Self {
        self.out[1].sinks.push(sink);
        self
    }
    /// Calls `f` with each line of stdout (see [`Sink::lines`]).
    pub fn on_stdout_line(self, f: impl FnMut(&str) + Send + 'static) -> Self {
        self.stdout_to(Sink::lines(f))
    }
    /// Calls `f` with each line of stderr (see [`Sink::lines`]).
    pub fn on_stderr_line(self, f: impl FnMut(&str) + Send + 'static) -> Self {
        self.stderr_to(Sink::lines(f))
    }
    /// Calls `f` with each line of stdout as raw bytes (see [`Sink::byte_lines`]).
    pub fn on_stdout_line_bytes(self, f: impl FnMut(&[u8]) + Send + 'static) -> Self {
        self.stdout_to(Sink::byte_lines(f))
    }
    /// Calls `f` with each line of stderr as raw bytes (see [`Sink::byte_lines`]).
    pub fn on_stderr_line_bytes(self, f: impl FnMut(&[u8]) + Send + 'static) -> Self {
        self.stderr_to(Sink::byte_lines(f))
    }
    /// Calls `f` once the process has started (or failed to), on the starting thread (on
    /// the kernel thread for a process that waited for a session of its multiplexed
    /// connection).
    pub fn on_start(mut self, f: impl Fn(&ProcessHandle) + Send + Sync + 'static) -> Self {
        self.on_start.push(Arc::new(f));
        self
    }
    /// Calls `f` once the process has ended and its output is all delivered, before
    /// waiters wake up.
    pub fn on_end(mut self, f: impl Fn(&ProcessHandle) + Send + Sync + 'static) -> Self {
        self.on_end.push(Arc::new(f));
        self
    }
    /// Ends the process if it is still running after `timeout` (SIGTERM to its group,
    /// SIGKILL after the kill grace); it then counts as timed out.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// The grace between SIGTERM and SIGKILL, for timeouts and kills
    /// (default [`DEFAULT_KILL_GRACE`]).
    pub fn kill_grace(mut self, grace: Duration) -> Self {
        self.kill_grace = grace;
        self
    }
    /// How long the output may go on once the process has exited (default
    /// [`Process::DEFAULT_OUTPUT_GRACE`]).
    ///
    /// Children that the process left behind may still hold its stdout or stderr and
    /// write to them (`(sleep 1; echo late) &`, a `tee`): the handle reads each stream
    /// until it is closed, as `subprocess.run` does, and the process ends (waits return,
    /// end handlers run) only then. A stream still open when the grace has passed is
    /// closed on our side, with a debug log: the process ends, and what comes later is
    /// lost; the children are left running. A timeout that comes first also ends the
    /// wait, without a signal: the process had exited in time. While the output is
    /// awaited, [`ProcessHandle::kill`] still signals the group (SIGKILL after the kill
    /// grace too), whose members then close the streams.
    ///
    /// `Duration::ZERO` reads only what the pipes hold when the process exits: the way
    /// out for a process that starts a daemon which keeps the streams open (better still,
    /// redirect the daemon's output). Output spooled to files (when descriptors run
    /// short) is read once, at the exit.
    pub fn output_grace(mut self, grace: Duration) -> Self {
        self.output_grace = grace;
        self
    }
    /// The timeout of an `expect` that names none (default: none; an expect still
    /// returns when the stream ends).
    pub fn expect_timeout(mut self, timeout: Duration) -> Self {
        self.expect_timeout = Some(timeout);
        self
    }
    /// A non-zero exit code still counts as ok.
    pub fn ignore_exit_code(mut self, yes: bool) -> Self {
        self.ignore.exit_code = yes;
        self
    }
    /// A timeout still counts as ok.
    pub fn ignore_timeout(mut self, yes: bool) -> Self {
        self.ignore.timeout = yes;
        self
    }
    /// A start error still counts as ok.
    pub fn ignore_error(mut self, yes: bool) -> Self {
        self.ignore.error = yes;
        self
    }
    /// A failed expect still counts as ok.
    pub fn ignore_expect_fail(mut self, yes: bool) -> Self {
        self.ignore.expect_fail = yes;
        self
    }
    /// A failed write to stdin still counts as ok.
    pub fn ignore_write_error(mut self, yes: bool) -> Self {
        self.ignore.write_error = yes;
        self
    }
    /// No warning for a non-zero exit code.
    pub fn nolog_exit_code(mut self, yes: bool) -> Self {
        self.nolog.exit_code = yes;
        self
    }
    /// No warning for a timeout.
    pub fn nolog_timeout(mut self, yes: bool) -> Self {
        self.nolog.timeout = yes;
        self
    }
    /// No warning for a start error.
    pub fn nolog_error(mut self, yes: bool) -> Self {
        self.nolog.error = yes;
        self
    }
    /// No warning for a failed expect.
    pub fn nolog_expect_fail(mut self, yes: bool) -> Self {
        self.nolog.expect_fail = yes;
        self
    }
    /// No warning for a failed write.
    pub fn nolog_write_error(mut self, yes: bool) -> Self {
        self.nolog.write_error = yes;
        self
    }

    /// What the kernel starts: the argv (split, or for `sh -c`; a remote command without
    /// a tty wrapped in its watchdog), directory, environment and stdio. No side effect.
    pub(crate) fn spawn_spec(&self) -> Result<SpawnSpec, String> {
        let mut argv = match (&self.cmd, self.shell) {
            (CommandLine::Line(l), true) => vec!["/bin/sh".into(), "-c".into(), l.clone()],
            (CommandLine::Line(l), false) => {
                crate::shell::split(l).map_err(|e| format!("cannot split the command line: {e}"))?
            }
            (CommandLine::Argv(a), true) => {
                vec!["/bin/sh".into(), "-c".into(), crate::shell::join(a)]
            }
            (CommandLine::Argv(a), false) => a.clone(),
        };
        // An ssh whose remote command has no tty: the command dies with its ssh.
        let watched = self.remote_watchdog && self.stdin == Stdin::Null && !self.pty;
        if watched && let (Some((_, cmd)), Some(last)) = (&self.remote, argv.last_mut()) {
            *last = crate::kernel::lifeline::remote_watchdog(cmd);
        }
        match argv.first() {
            None => return Err("empty command".into()),
            Some(prog) if prog.is_empty() => return Err("empty program name".into()),
            Some(prog) if self.shell && argv[2].trim().is_empty() => {
                return Err(format!("empty command for `{prog} -c`"));
            }
            Some(_) => {}
        }
        Ok(SpawnSpec {
            argv,
            cwd: self.cwd.clone(),
            env: self.env.clone(),
            env_clear: self.env_clear,
            pty: self.pty,
            stdin: match self.stdin {
                Stdin::Null if watched => ChildStdin::Lifeline,
                Stdin::Null => ChildStdin::Null,
                Stdin::Piped => ChildStdin::Piped,
                Stdin::Inherit => ChildStdin::Inherit,
            },
            wanted: [self.out[0].wanted(), self.out[1].wanted()],
        })
    }

    /// The command line as it will run (argv quoted for a shell, for display).
    pub fn cmdline(&self) -> String {
        match &self.cmd {
            CommandLine::Line(l) => l.clone(),
            CommandLine::Argv(a) => crate::shell::join(a),
        }
    }

    /// The name used in logs and reports (for a remote process, `host: command`).
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => {
                let line = match &self.remote {
                    Some((host, cmd)) => format!("{host}: {cmd}"),
                    None => self.cmdline(),
                };
                if line.chars().count() > 39 {
                    let cut: String = line.chars().take(36).collect();
                    format!("{cut}...")
                } else {
                    line
                }
            }
        }
    }

    /// Starts the process and returns its handle. Never fails: a process that cannot
    /// start records a start error (see [`ProcessHandle::start_error`]). A process on a
    /// multiplexed connection whose sessions are all taken
    /// ([`max_sessions`](crate::ConnectionParams::max_sessions)) starts when one is free.
    pub fn start(&self) -> ProcessHandle {
        launch::start(self)
    }

    /// Starts the process and waits for it to end.
    pub async fn run(&self) -> ProcessHandle {
        let p = self.start();
        p.wait().await;
        p
    }

    /// Starts the process and blocks until it ends. Where it cannot block (a handler,
    /// async code) it starts the process, does not wait, and records
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) on it
    /// ([`ProcessHandle::would_block`]).
    pub fn blocking_run(&self) -> ProcessHandle {
        let p = self.start();
        if crate::blocking::can_block() {
            p.blocking_wait();
        } else {
            p.record_would_block("Process::blocking_run");
        }
        p
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("cmd", &self.cmd)
            .field("shell", &self.shell)
            .field("name", &self.name)
            .field("cwd", &self.cwd)
            .field("env", &self.env)
            .field("pty", &self.pty)
            .field("stdin", &self.stdin)
            .field("stdout", &(self.out[0].keep, &self.out[0].sinks))
            .field("stderr", &(self.out[1].keep, &self.out[1].sinks))
            .field("timeout", &self.timeout)
            .field("kill_grace", &self.kill_grace)
            .field("output_grace", &self.output_grace)
            .finish_non_exhaustive()
    }
}
