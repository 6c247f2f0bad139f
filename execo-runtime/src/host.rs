//! Hosts, and how to reach them: the exact `ssh` and `scp` command lines execo builds.
//!
//! Remote means the OpenSSH binaries, as in execo: users keep their `~/.ssh/config`,
//! ProxyJump, agents and keys. A [`Host`] names a machine and may carry its own user,
//! port and key; [`ConnectionParams`] hold the programs, their options (execo's
//! defaults: batch mode, no password prompt, no host-key prompt, a connect timeout) and
//! defaults for user, port and key. A host's own fields win over the parameters'.
//!
//! # Host names are data, never options
//!
//! A host name, user or key file that starts with `-` would be read by ssh or scp as
//! an option (`-oProxyCommand=...` runs a local command), so such names are refused in
//! depth: [`Host::parse`] and [`NodeSet::parse`](crate::nodeset::NodeSet::parse) refuse
//! them where hosts are read; [`ConnectionParams::check`] refuses them (and blanks or
//! control characters) for every process built for a host, whose start then fails with
//! that error; and every argv ends the options with `--` before the destination, so
//! even a name that slipped through is a name.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A machine to reach over ssh: an address (name or IP) and optionally its own user,
/// port and key file, which override the connection parameters'.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Host {
    /// Host name or IP address (an IPv6 address without brackets).
    pub address: String,
    /// The login user, if this host has its own.
    pub user: Option<String>,
    /// The ssh port, if this host has its own.
    pub port: Option<u16>,
    /// The private key file, if this host has its own.
    pub keyfile: Option<PathBuf>,
}

/// Why a host string could not be parsed, or a host is refused before ssh could read it
/// wrongly: "failed to parse host `a b`: ..." or "failed to reach host `-x`: ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to {action} host `{input}`: {reason}")]
pub struct HostError {
    /// What was being done: `parse` ([`Host::parse`]) or `reach`
    /// ([`ConnectionParams::check`]).
    pub action: &'static str,
    /// The string as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Host {
    /// A host with only an address.
    pub fn new(address: impl Into<String>) -> Host {
        Host {
            address: address.into(),
            user: None,
            port: None,
            keyfile: None,
        }
    }

    /// Parses `[user@]address[:port]`, where an IPv6 address with a port is written
    /// `[::1]:2222`.
    pub fn parse(s: &str) -> Result<Host, HostError> {
        let err = |reason: &str| HostError {
            action: "parse",
            input: printable(s),
            reason: reason.to_string(),
        };
        let s_trim = s.trim();
        if s_trim.is_empty() {
            return Err(err("empty host"));
        }
        if s_trim.chars().any(char::is_whitespace) {
            return Err(err("a host cannot contain blanks"));
        }
        let (user, rest) = match s_trim.rsplit_once('@') {
            Some(("", _)) => return Err(err("empty user before `@`")),
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, s_trim),
        };
        let (address, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (addr, after) = inner
                .split_once(']')
                .ok_or_else(|| err("unclosed `[` in address"))?;
            match after {
                "" => (addr, None),
                p => (
                    addr,
                    Some(
                        p.strip_prefix(':')
                            .ok_or_else(|| err("expected `:port` after `]`"))?,
                    ),
                ),
            }
        } else if rest.matches(':').count() > 1 {
            (rest, None) // a bare IPv6 address
        } else {
            match rest.split_once(':') {
                Some((a, p)) => (a, Some(p)),
                None => (rest, None),
            }
        };
        if address.is_empty() {
            return Err(err("empty address"));
        }
        if let Some(why) = user.as_deref().and_then(|u| refuse_word("user name", u)) {
            return Err(err(&why));
        }
        if let Some(why) = refuse_word("host name", address) {
            return Err(err(&why));
        }
        let port = match port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p != 0)
                    .ok_or_else(|| err(&format!("bad port `{p}`")))?,
            ),
        };
        Ok(Host {
            address: address.to_string(),
            user,
            port,
            keyfile: None,
        })
    }

    /// Sets the host's own user.
    pub fn user(mut self, user: impl Into<String>) -> Host {
        self.user = Some(user.into());
        self
    }
    /// Sets the host's own port.
    pub fn port(mut self, port: u16) -> Host {
        self.port = Some(port);
        self
    }
    /// Sets the host's own key file.
    pub fn keyfile(mut self, keyfile: impl Into<PathBuf>) -> Host {
        self.keyfile = Some(keyfile.into());
        self
    }
}

/// Why `word` cannot be given to ssh as a `what` (`host name`, `user name`), if so: it
/// is empty, starts with `-` (an option to ssh), or holds blanks or control characters.
fn refuse_word(what: &str, word: &str) -> Option<String> {
    if word.is_empty() {
        Some(format!("empty {what}"))
    } else if word.starts_with('-') {
        Some(format!(
            "a {what} cannot start with `-` (ssh would read it as an option)"
        ))
    } else if word.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some(format!(
            "a {what} cannot contain blanks or control characters"
        ))
    } else {
        None
    }
}

/// `s` with control characters escaped, fit to quote in a message.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl FromStr for Host {
    type Err = HostError;
    fn from_str(s: &str) -> Result<Host, HostError> {
        Host::parse(s)
    }
}

impl From<&Host> for Host {
    /// So that `&hosts` (a `Vec<Host>` or a slice) is accepted wherever hosts are.
    fn from(host: &Host) -> Host {
        host.clone()
    }
}

impl From<&str> for Host {
    /// A host from an address only (no parsing of user or port): use [`Host::parse`]
    /// for `user@host:port`.
    fn from(address: &str) -> Host {
        Host::new(address)
    }
}

impl From<String> for Host {
    /// A host from an address only (no parsing of user or port): use [`Host::parse`]
    /// for `user@host:port`.
    fn from(address: String) -> Host {
        Host::new(address)
    }
}

impl From<&String> for Host {
    /// A host from an address only (no parsing of user or port): use [`Host::parse`]
    /// for `user@host:port`.
    fn from(address: &String) -> Host {
        Host::new(address.as_str())
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        match self.port {
            Some(p) if self.address.contains(':') => write!(f, "[{}]:{p}", self.address),
            Some(p) => write!(f, "{}:{p}", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// Rewrites a host address before it is used (execo's `host_rewrite_func`), e.g. to
/// add a domain when outside a cluster.
pub type HostRewrite = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// How to reach hosts: programs, options and defaults, as execo's
/// `default_connection_params`.
#[derive(Clone)]
pub struct ConnectionParams {
    /// The ssh-like program (`ssh`, `oarsh`...).
    pub ssh: String,
    /// The scp-like program (`scp`, `oarcp`...).
    pub scp: String,
    /// Options of every ssh command (execo's defaults, without its `-tt`: the remote
    /// command's stdout and stderr stay apart, and it still dies with its ssh; see
    /// [`Process::ssh`](crate::Process::ssh)). Add `-tt` for commands that need a terminal.
    pub ssh_options: Vec<String>,
    /// Options of every scp command (the ssh `-o` options, then `-rp`).
    pub scp_options: Vec<String>,
    /// The default user, for hosts without their own.
    pub user: Option<String>,
    /// The default key file, for hosts without their own.
    pub keyfile: Option<PathBuf>,
    /// The default port, for hosts without their own.
    pub port: Option<u16>,
    /// Whether the local ssh process also gets a pty.
    pub pty: bool,
    /// Address rewriting applied to every host.
    pub host_rewrite: Option<HostRewrite>,
    /// An OpenSSH client configuration file given to ssh and scp (`-F`).
    pub ssh_config: Option<PathBuf>,
    /// Share one ssh connection per host between commands (OpenSSH's ControlMaster): the
    /// first ssh or scp to a host keeps the connection open, later ones ride on it and
    /// skip the key exchange. Sockets live in a private directory of the run, one master
    /// per way of reaching a host; at exit (even after a `kill -9` of the program) every
    /// master is told to exit and the directory is removed. Actions hold at most
    /// [`max_sessions`](Self::max_sessions) sessions at once per connection, so that one
    /// more waits instead of failing.
    pub multiplex: bool,
    /// With multiplexing, at most this many sessions at once per connection (sshd's
    /// `MaxSessions`, 10 by default).
    pub max_sessions: usize,
    /// With multiplexing, how long an idle connection stays open (`ControlPersist`).
    pub control_persist: Duration,
    /// Do not log a non-zero exit of the remote command.
    pub nolog_exit_code: bool,
    /// Do not log a timeout.
    pub nolog_timeout: bool,
    /// Do not log a failure to start ssh or scp.
    pub nolog_error: bool,
}

/// sshd's default `MaxSessions`: sessions one multiplexed connection may carry at once.
pub const DEFAULT_MAX_SESSIONS: usize = 10;

/// execo's ssh `-o` options: never prompt, never ask about host keys, give up connecting
/// after 20 s.
pub const DEFAULT_SSH_O_OPTIONS: [&str; 10] = [
    "-o",
    "BatchMode=yes",
    "-o",
    "PasswordAuthentication=no",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=20",
];

impl Default for ConnectionParams {
    fn default() -> Self {
        let o: Vec<String> = DEFAULT_SSH_O_OPTIONS
            .iter()
            .map(|s| s.to_string())
            .collect();
        let ssh_options = o.clone();
        let mut scp_options = o;
        scp_options.push("-rp".into());
        ConnectionParams {
            ssh: "ssh".into(),
            scp: "scp".into(),
            ssh_options,
            scp_options,
            user: None,
            keyfile: None,
            port: None,
            pty: false,
            host_rewrite: None,
            ssh_config: None,
            multiplex: false,
            max_sessions: DEFAULT_MAX_SESSIONS,
            control_persist: Duration::from_secs(60),
            nolog_exit_code: false,
            nolog_timeout: false,
            nolog_error: false,
        }
    }
}

impl fmt::Debug for ConnectionParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionParams")
            .field("ssh", &self.ssh)
            .field("scp", &self.scp)
            .field("ssh_options", &self.ssh_options)
            .field("scp_options", &self.scp_options)
            .field("user", &self.user)
            .field("keyfile", &self.keyfile)
            .field("port", &self.port)
            .field("pty", &self.pty)
            .field("host_rewrite", &self.host_rewrite.as_ref().map(|_| ".."))
            .field("ssh_config", &self.ssh_config)
            .field("multiplex", &self.multiplex)
            .field("max_sessions", &self.max_sessions)
            .field("control_persist", &self.control_persist)
            .field("nolog_exit_code", &self.nolog_exit_code)
            .field("nolog_timeout", &self.nolog_timeout)
            .field("nolog_error", &self.nolog_error)
            .finish()
    }
}

impl ConnectionParams {
    /// The address to connect to, after rewriting.
    pub fn address(&self, host: &Host) -> String {
        match &self.host_rewrite {
            Some(f) => f(&host.address),
            None => host.address.clone(),
        }
    }

    /// Checks what ssh and scp would be given for `host` (its address after rewriting,
    /// its user, key file and port, its own or these parameters'): an address or user
    /// that is empty, starts with `-` or holds blanks or control characters, a key file
    /// that starts with `-`, or port 0 is refused, naming the host and the cause.
    ///
    /// Every process built for a host ([`Process::ssh`](crate::Process::ssh), copies, port forwarding) is
    /// checked so: a refused host's process does not start and records this error as
    /// its start error.
    pub fn check(&self, host: &Host) -> Result<(), HostError> {
        let refuse = |reason: String| HostError {
            action: "reach",
            input: printable(&host.to_string()),
            reason,
        };
        let address = self.address(host);
        if let Some(why) = refuse_word("host name", &address) {
            return Err(refuse(if address == host.address {
                why
            } else {
                format!("rewritten to `{}`: {why}", printable(&address))
            }));
        }
        if let Some(u) = host.user.as_ref().or(self.user.as_ref())
            && let Some(why) = refuse_word("user name", u)
        {
            return Err(refuse(format!("user `{}`: {why}", printable(u))));
        }
        if let Some(k) = host.keyfile.as_ref().or(self.keyfile.as_ref()) {
            let k = k.to_string_lossy();
            if k.is_empty() || k.starts_with('-') || k.chars().any(char::is_control) {
                return Err(refuse(format!(
                    "key file `{}`: a key file cannot be empty, start with `-` or hold \
                     control characters",
                    printable(&k)
                )));
            }
        }
        if host.port.or(self.port) == Some(0) {
            return Err(refuse("bad port 0".into()));
        }
        Ok(())
    }

    /// Sets ssh option `key` to `value` (`-o key=value`) in both the ssh and scp options,
    /// replacing an earlier value of the same key:
    /// `ConnectionParams::default().option("ConnectTimeout", "5")`.
    pub fn option(mut self, key: &str, value: &str) -> Self {
        self.set_option(key, value);
        self
    }

    /// [`option`](Self::option) in place, for the crate's own code.
    pub(crate) fn set_option(&mut self, key: &str, value: &str) -> &mut Self {
        for opts in [&mut self.ssh_options, &mut self.scp_options] {
            let prefix = format!("{}=", key.to_ascii_lowercase());
            let at = opts
                .iter()
                .position(|o| o.to_ascii_lowercase().starts_with(&prefix));
            match at {
                Some(i) if i > 0 && opts[i - 1] == "-o" => opts[i] = format!("{key}={value}"),
                _ => opts.extend(["-o".to_string(), format!("{key}={value}")]),
            }
        }
        self
    }

    /// The multiplexed connection that reaches `host`, when multiplexing.
    pub(crate) fn master(&self, host: &Host) -> Option<crate::mux::Master> {
        if !self.multiplex {
            return None;
        }
        let who = (
            self.address(host),
            host.user.as_ref().or(self.user.as_ref()),
            host.port.or(self.port),
            host.keyfile.as_ref().or(self.keyfile.as_ref()),
            &self.ssh_config,
            &self.ssh_options,
        );
        Some(crate::mux::Master::new(&self.ssh, who, self.max_sessions))
    }

    /// `-F`, multiplexing, `-o User=`, `-i`, `-o Port=`: the host's own values, else
    /// these parameters'.
    fn auth_args(&self, host: &Host) -> Vec<String> {
        let mut a = Vec::new();
        if let Some(f) = &self.ssh_config {
            a.extend(["-F".to_string(), f.display().to_string()]);
        }
        if let Some(m) = self.master(host) {
            let path = m.socket;
            a.extend([
                "-o".to_string(),
                "ControlMaster=auto".to_string(),
                "-o".to_string(),
                format!("ControlPath={}", path.display()),
                "-o".to_string(),
                format!("ControlPersist={}", self.control_persist.as_secs().max(1)),
            ]);
        }
        if let Some(u) = host.user.as_ref().or(self.user.as_ref()) {
            a.extend(["-o".to_string(), format!("User={u}")]);
        }
        if let Some(k) = host.keyfile.as_ref().or(self.keyfile.as_ref()) {
            a.extend(["-i".to_string(), k.display().to_string()]);
        }
        if let Some(p) = host.port.or(self.port) {
            a.extend(["-o".to_string(), format!("Port={p}")]);
        }
        a
    }

    /// execo's ssh argv (inventory §2.1): `ssh <options> <auth> -- <address> <cmd>`, the
    /// remote command as one argument that the remote shell reads as written. The `--`
    /// keeps the address an address; [`check`](Self::check) tells whether the host is
    /// acceptable at all.
    pub fn ssh_argv(&self, host: &Host, cmd: &str) -> Vec<String> {
        let mut argv = self.ssh_argv_without_command(host, &[]);
        argv.push(cmd.to_string());
        argv
    }

    /// `ssh <options> <extra> <auth> -- <address>`, for ssh used without a remote
    /// command (port forwarding); `extra` options follow the configured ones.
    pub fn ssh_argv_without_command(&self, host: &Host, extra: &[&str]) -> Vec<String> {
        let mut argv = vec![self.ssh.clone()];
        argv.extend(self.ssh_options.iter().cloned());
        argv.extend(extra.iter().map(|s| s.to_string()));
        argv.extend(self.auth_args(host));
        argv.push("--".into());
        argv.push(self.address(host));
        argv
    }

    /// execo's scp argv to put `files` into `remote` on `host` (inventory §2.2), with
    /// `--` before the operands (a local file named `-x` is a file).
    pub fn scp_put_argv<S: AsRef<str>>(
        &self,
        host: &Host,
        files: &[S],
        remote: &str,
    ) -> Vec<String> {
        let mut argv = vec![self.scp.clone()];
        argv.extend(self.scp_options.iter().cloned());
        argv.extend(self.auth_args(host));
        argv.push("--".into());
        argv.extend(files.iter().map(|f| f.as_ref().to_string()));
        argv.push(format!("{}:{remote}", self.scp_address(host)));
        argv
    }

    /// execo's scp argv to get `remote` paths of `host` into `local` (inventory §2.2),
    /// with `--` before the operands.
    pub fn scp_get_argv<S: AsRef<str>>(
        &self,
        host: &Host,
        remote: &[S],
        local: &str,
    ) -> Vec<String> {
        let mut argv = vec![self.scp.clone()];
        argv.extend(self.scp_options.iter().cloned());
        argv.extend(self.auth_args(host));
        argv.push("--".into());
        let address = self.scp_address(host);
        argv.extend(remote.iter().map(|r| format!("{address}:{}", r.as_ref())));
        argv.push(local.to_string());
        argv
    }

    /// scp needs brackets around an IPv6 address.
    fn scp_address(&self, host: &Host) -> String {
        let a = self.address(host);
        if a.contains(':') { format!("[{a}]") } else { a }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_host_port() {
        assert_eq!(Host::parse("node-1").unwrap(), Host::new("node-1"));
        assert_eq!(
            Host::parse("u@node-1:2222").unwrap(),
            Host::new("node-1").user("u").port(2222)
        );
        assert_eq!(Host::parse("[::1]:22").unwrap(), Host::new("::1").port(22));
        assert_eq!(Host::parse("fe80::1").unwrap(), Host::new("fe80::1"));
        assert_eq!(Host::parse("a@b@c").unwrap().user.as_deref(), Some("a@b"));
        for bad in [
            "", "  ", "@h", "h:0", "h:x", "h:70000", "[::1", "[::1]x", "u@", "a b",
        ] {
            assert!(Host::parse(bad).is_err(), "{bad:?} should not parse");
        }
        let e = Host::parse("h:x").unwrap_err().to_string();
        assert!(e.contains("`h:x`") && e.contains("bad port `x`"), "{e}");
    }

    #[test]
    fn parse_refuses_names_ssh_would_read_as_options() {
        for (bad, why) in [
            (
                "-oProxyCommand=touch${IFS}/tmp/x",
                "a host name cannot start with `-`",
            ),
            ("u@-oProxyCommand=x", "a host name cannot start with `-`"),
            ("-oUser=x@h", "a user name cannot start with `-`"),
            ("-h:22", "a host name cannot start with `-`"),
            ("h\u{1b}x", "control characters"),
            ("u\u{7}@h", "control characters"),
        ] {
            let e = Host::parse(bad).expect_err(bad).to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        // The message shows control characters escaped.
        let e = Host::parse("h\nx").unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e:?}");
        // A `-` elsewhere is fine.
        assert_eq!(Host::parse("u-1@node-1").unwrap().address, "node-1");
    }

    #[test]
    fn check_refuses_option_like_hosts_users_and_keys_whatever_built_them() {
        let cp = ConnectionParams::default();
        assert!(cp.check(&Host::new("node-1").user("u")).is_ok());
        let e = cp
            .check(&Host::new("-oProxyCommand=touch /tmp/x"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "failed to reach host `-oProxyCommand=touch /tmp/x`: a host name cannot start with `-` \
             (ssh would read it as an option)"
        );
        for (host, why) in [
            (Host::new(""), "empty host name"),
            (Host::new("a b"), "blanks"),
            (Host::new("h").user("-oX=y"), "user `-oX=y`"),
            (Host::new("h").user("a\nb"), "user `a\\nb`"),
            (Host::new("h").keyfile("-oX=y"), "key file `-oX=y`"),
            (Host::new("h").port(0), "bad port 0"),
        ] {
            let e = cp.check(&host).expect_err(why).to_string();
            assert!(e.contains(why), "{host:?}: {e}");
        }
        // The parameters' defaults and the rewritten address are checked too.
        let with_user = ConnectionParams {
            user: Some("-oProxyCommand=x".into()),
            ..Default::default()
        };
        assert!(with_user.check(&Host::new("h")).is_err());
        let with_key = ConnectionParams {
            keyfile: Some("-F/etc/passwd".into()),
            ..Default::default()
        };
        assert!(with_key.check(&Host::new("h")).is_err());
        let rewrite = ConnectionParams {
            host_rewrite: Some(Arc::new(|a: &str| format!("-{a}"))),
            ..Default::default()
        };
        let e = rewrite.check(&Host::new("h")).unwrap_err().to_string();
        assert!(e.contains("rewritten to `-h`"), "{e}");
    }

    #[test]
    fn hosts_from_strings() {
        let s = String::from("node-1");
        assert_eq!(Host::from(&s), Host::new("node-1"));
        assert_eq!(Host::from(s), Host::new("node-1"));
    }

    #[test]
    fn display_round_trips() {
        for s in ["h", "u@h", "u@h:22", "[::1]:22", "u@[fe80::1]:2200"] {
            assert_eq!(Host::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn ssh_argv_is_execos() {
        let cp = ConnectionParams {
            user: Some("u".into()),
            keyfile: Some("/k".into()),
            port: Some(2222),
            ..Default::default()
        };
        let argv = cp.ssh_argv(&Host::new("h1"), "true");
        let want = "ssh -o BatchMode=yes -o PasswordAuthentication=no -o StrictHostKeyChecking=no \
                    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=20 -o User=u -i /k -o Port=2222 -- h1 true";
        assert_eq!(argv.join(" "), want);
        // The host's own fields win.
        let argv = cp.ssh_argv(&Host::new("h1").user("root").port(22), "echo 'a b' $X");
        assert!(
            argv.join(" ")
                .contains("-o User=root -i /k -o Port=22 -- h1")
        );
        assert_eq!(argv.last().unwrap(), "echo 'a b' $X");
    }

    #[test]
    fn scp_argvs_are_execos() {
        let cp = ConnectionParams {
            user: Some("root".into()),
            ..Default::default()
        };
        let argv = cp.scp_put_argv(&Host::new("h2"), &["/a b", "c"], "/tmp/h2");
        let want = "scp -o BatchMode=yes -o PasswordAuthentication=no -o StrictHostKeyChecking=no \
                    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=20 -rp -o User=root";
        assert_eq!(argv[..14].join(" "), want);
        assert_eq!(&argv[14..], ["--", "/a b", "c", "h2:/tmp/h2"]);
        let get = cp.scp_get_argv(&Host::new("::1"), &["/x", "/y"], "out");
        assert_eq!(&get[14..], ["--", "[::1]:/x", "[::1]:/y", "out"]);
    }

    #[test]
    fn host_rewrite_applies_to_every_address() {
        let cp = ConnectionParams {
            host_rewrite: Some(Arc::new(|a: &str| format!("{a}.g5k"))),
            ..Default::default()
        };
        assert_eq!(
            cp.ssh_argv(&Host::new("node-1"), "true")
                .iter()
                .rev()
                .nth(1)
                .unwrap(),
            "node-1.g5k"
        );
    }
}
