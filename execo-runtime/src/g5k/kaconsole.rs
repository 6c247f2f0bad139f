//! The serial console of a Grid'5000 node through `kaconsole3` (execo's
//! `KaconsoleProcess`): the way in to a node that no longer answers on the network.
//!
//! `kaconsole3 -m NODE` runs on the site's frontend with a terminal, as kadeploy's tools
//! expect. A [`KaconsoleProcess`] describes it; [`start`](KaconsoleProcess::start) gives
//! a [`Console`], a process handle (expect, write, handlers, kill, timeouts) that also
//! knows the login dialogue ([`Console::login`]: execo's sequence, `^D` twice for a
//! fresh prompt, user, password, then the shell prompt) and how to leave: kaconsole3's
//! escape, ESC four times ([`Console::close`]), with a kill when it does not end.

use std::ops::Deref;
use std::time::{Duration, Instant};

use crate::g5k::{Frontend, G5kError};
use crate::process::{Expect, ExpectMatch, Process, ProcessHandle};

/// kaconsole3's escape: ESC four times in a row closes the console.
pub const ESCAPE: &str = "\x1b\x1b\x1b\x1b";

/// How a node's console is reached: `kaconsole3 -m NODE` on a frontend.
#[derive(Clone, Debug)]
#[must_use = "a console description does nothing until started: call `.start()` or `.connect()`"]
pub struct KaconsoleProcess {
    node: String,
    frontend: Frontend,
    process: Process,
    user: String,
    password: String,
    prompt: String,
    connection_timeout: Duration,
    close_grace: Duration,
}

impl KaconsoleProcess {
    /// The console of `node` (`taurus-3.lyon.grid5000.fr` or `taurus-3`), through
    /// `kaconsole3` on `frontend`. Defaults are execo's: user `root`, password
    /// `grid5000`, prompt `root@[^#]*#`, 20 s to connect and log in.
    pub fn new(node: impl Into<String>, frontend: &Frontend) -> KaconsoleProcess {
        let node = node.into();
        let cmd = format!("kaconsole3 -m {}", crate::shell::quote(&node));
        let process = match frontend.host() {
            Some(host) => {
                // kaconsole3 needs a terminal on the frontend too.
                let mut params = frontend.params().clone();
                if !params.ssh_options.iter().any(|o| o == "-tt") {
                    params.ssh_options.push("-tt".into());
                }
                Process::ssh(host.clone(), cmd, &params)
            }
            None => Process::sh(cmd),
        }
        .pty(true)
        .name(format!("console of `{node}`"));
        KaconsoleProcess {
            node,
            frontend: frontend.clone(),
            process,
            user: "root".into(),
            password: "grid5000".into(),
            prompt: r"root@[^#]*#".into(),
            connection_timeout: Duration::from_secs(20),
            close_grace: Duration::from_secs(5),
        }
    }
    /// The user to log in as (default `root`).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }
    /// The password (default `grid5000`, the deployed environments' own).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }
    /// The shell prompt, a regex (default `root@[^#]*#`).
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = prompt.into();
        self
    }
    /// How long connecting and logging in may take, all steps together (default 20 s).
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }
    /// How long [`Console::close`] waits for kaconsole3 to end after its escape before
    /// killing it (default 5 s).
    pub fn close_grace(mut self, grace: Duration) -> Self {
        self.close_grace = grace;
        self
    }
    /// Adjusts the process that runs kaconsole3 (a timeout, handlers, environment).
    pub fn configure(mut self, f: impl FnOnce(Process) -> Process) -> Self {
        self.process = f(self.process);
        self
    }
    /// The process that runs kaconsole3, as it will start.
    pub fn process(&self) -> &Process {
        &self.process
    }
    /// Starts kaconsole3; nothing is awaited (see [`Console::login`]).
    pub fn start(&self) -> Console {
        Console {
            handle: self.process.start(),
            spec: self.clone(),
        }
    }
    /// Starts kaconsole3 and logs in: the console at its shell prompt.
    pub async fn connect(&self) -> Result<Console, G5kError> {
        let console = self.start();
        console.login().await?;
        Ok(console)
    }
    /// [`connect`](Self::connect), blocking.
    pub fn blocking_connect(&self) -> Result<Console, G5kError> {
        crate::blocking::block_on_for(self.connect(), "KaconsoleProcess::blocking_connect")
            .map_err(|e| self.error("connect to", e.to_string()).source(e))?
    }

    fn error(&self, verb: &str, cause: impl Into<String>) -> G5kError {
        G5kError::new(verb, format!("the console of {}", self.node), cause)
            .on(self.frontend.describe())
    }
}

/// A running console: the kaconsole3 process (it derefs to its [`ProcessHandle`]), and
/// the dialogue with the node.
pub struct Console {
    handle: ProcessHandle,
    spec: KaconsoleProcess,
}

impl Deref for Console {
    type Target = ProcessHandle;
    fn deref(&self) -> &ProcessHandle {
        &self.handle
    }
}

impl Console {
    /// The kaconsole3 process.
    pub fn handle(&self) -> &ProcessHandle {
        &self.handle
    }

    /// The node whose console this is.
    pub fn node(&self) -> &str {
        &self.spec.node
    }

    /// execo's login dialogue, within the connection timeout: waits for kaconsole3's
    /// `Connection to console ... opened`, sends `^D` twice (leaving a session someone
    /// left open, getting a fresh prompt), answers `login: ` and `Password: `, then waits
    /// for the shell prompt. The error names the step that did not come.
    pub async fn login(&self) -> Result<(), G5kError> {
        let s = &self.spec;
        let deadline = Instant::now() + s.connection_timeout;
        let opened = "kaconsole3's `Connection to console ... opened`";
        self.step(deadline, r"Connection to console .* opened", opened)
            .await?;
        self.handle.write("\x04\n\x04\n").await;
        self.step(deadline, "login: ", "the login prompt").await?;
        self.handle.write(format!("{}\n", s.user)).await;
        self.step(deadline, "Password: ", "the password prompt")
            .await?;
        self.handle.write(format!("{}\n", s.password)).await;
        self.step(deadline, &s.prompt, "the shell prompt").await?;
        Ok(())
    }

    /// [`login`](Self::login), blocking.
    pub fn blocking_login(&self) -> Result<(), G5kError> {
        crate::blocking::block_on_for(self.login(), "Console::blocking_login")
            .map_err(|e| self.spec.error("log in to", e.to_string()).source(e))?
    }

    /// Waits for the shell prompt (after a command), at most `timeout`.
    pub async fn expect_prompt(&self, timeout: Duration) -> Result<ExpectMatch, G5kError> {
        let e = self.prompt(timeout)?;
        self.handle.expect_with(&e).await.map_err(|e| {
            self.spec
                .error("read the prompt of", e.to_string())
                .source(e)
        })
    }

    /// [`expect_prompt`](Self::expect_prompt), blocking.
    pub fn blocking_expect_prompt(&self, timeout: Duration) -> Result<ExpectMatch, G5kError> {
        let e = self.prompt(timeout)?;
        self.handle.blocking_expect_with(&e).map_err(|e| {
            self.spec
                .error("read the prompt of", e.to_string())
                .source(e)
        })
    }

    /// The shell prompt's pattern, waited for at most `timeout`.
    fn prompt(&self, timeout: Duration) -> Result<Expect, G5kError> {
        Ok(Expect::new(self.spec.prompt.as_str())
            .map_err(|e| self.spec.error("read the prompt of", e.to_string()))?
            .timeout(timeout))
    }

    /// Leaves the console: kaconsole3's escape (ESC four times), then a kill if it has
    /// not ended within the close grace. Returns once it has ended.
    pub async fn close(&self) -> &ProcessHandle {
        if !self.handle.ended() {
            self.handle.write(ESCAPE).await;
            if !self.handle.wait_timeout(self.spec.close_grace).await {
                self.handle.kill();
                self.handle.wait().await;
            }
        }
        &self.handle
    }

    /// [`close`](Self::close), blocking (where it cannot block: the kill only, recorded
    /// as the blocking calls record it).
    pub fn blocking_close(&self) -> &ProcessHandle {
        if crate::blocking::block_on_for(self.close(), "Console::blocking_close").is_err() {
            self.handle.kill();
            self.handle.record_would_block("Console::blocking_close");
        }
        &self.handle
    }

    async fn step(&self, deadline: Instant, pattern: &str, what: &str) -> Result<(), G5kError> {
        let s = &self.spec;
        let left = deadline.saturating_duration_since(Instant::now());
        let e = Expect::new(pattern)
            .map_err(|e| s.error("log in to", e.to_string()))?
            .timeout(left);
        match self.handle.expect_with(&e).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_expect_timeout() => Err(s.error(
                "log in to",
                format!(
                    "{what} did not come within the connection timeout ({:?})",
                    s.connection_timeout
                ),
            )),
            Err(_) => {
                // Over ssh with a terminal, kaconsole3's stderr comes on the terminal.
                let (err, out) = (self.handle.stderr(), self.handle.stdout());
                let last = |t: &str| {
                    t.lines()
                        .map(str::trim)
                        .rfind(|l| !l.is_empty())
                        .map(str::to_string)
                };
                let said = last(&err).or_else(|| last(&out)).unwrap_or_default();
                Err(s.error(
                    "log in to",
                    if said.is_empty() {
                        format!("kaconsole3 ended before {what}")
                    } else {
                        format!("kaconsole3 ended before {what}: {said}")
                    },
                ))
            }
        }
    }
}
