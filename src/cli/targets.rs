//! The options every remote subcommand shares (hosts, how to reach them, limits), and
//! their merge over the configuration file.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use execo::{config::Config, host::ConnectionParams, host::Host, nodeset::NodeSet};

/// Which hosts, and how to reach them.
#[derive(Args, Debug)]
pub struct Targets {
    /// Hosts, as a node set: `node-[1-100,200]`, `u@h[01-10].site:2222`, several
    /// separated by commas; may be repeated.
    #[arg(
        short = 'H',
        long = "hosts",
        visible_short_alias = 'w',
        value_name = "NODESET"
    )]
    pub hosts: Vec<String>,
    /// A file of hosts: node sets separated by blanks or new lines, `#` starts a comment.
    #[arg(long = "hostfile", value_name = "FILE")]
    pub hostfile: Vec<PathBuf>,
    /// Hosts to leave out (a node set); may be repeated.
    #[arg(short = 'x', long = "exclude", value_name = "NODESET")]
    pub exclude: Vec<String>,
    /// Login user, for hosts without their own.
    #[arg(short = 'l', long = "user")]
    pub user: Option<String>,
    /// ssh port, for hosts without their own.
    #[arg(short = 'p', long = "port")]
    pub port: Option<u16>,
    /// Private key file.
    #[arg(short = 'i', long = "identity", value_name = "KEY")]
    pub identity: Option<PathBuf>,
    /// An ssh option, as `Key=Value` (ssh's `-o`); may be repeated.
    #[arg(short = 'o', long = "option", value_name = "SSH_OPTION")]
    pub options: Vec<String>,
    /// An OpenSSH client configuration file (ssh's `-F`).
    #[arg(short = 'F', long = "ssh-config", value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Share one connection per host between commands (ssh ControlMaster).
    #[arg(long)]
    pub multiplex: bool,
    /// Seconds after which a host's command is killed and counted as failed (at most
    /// 100 years).
    #[arg(short = 't', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<String>,
    /// How many hosts are worked on at once (default 512, or the configuration's).
    #[arg(short = 'f', long = "fanout", value_name = "N")]
    pub fanout: Option<usize>,
}

/// What the options resolve to.
pub struct Resolved {
    pub hosts: Vec<Host>,
    pub params: ConnectionParams,
    pub window: usize,
    pub timeout: Option<Duration>,
}

impl Targets {
    /// The hosts and parameters, or an error saying what is wrong: execo's own (a bad
    /// configuration file or host), or a message about an option.
    pub fn resolve(&self) -> Result<Resolved, Box<dyn std::error::Error>> {
        let config = Config::load()?;
        let mut set = NodeSet::new();
        for spec in &self.hosts {
            set = set.union(&parse_set(spec, "-H")?);
        }
        for file in &self.hostfile {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read host file `{}`: {e}", file.display()))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or("");
                for word in line.split_whitespace() {
                    let what = format!("{}:{}", file.display(), n + 1);
                    set = set.union(&parse_set(word, &what)?);
                }
            }
        }
        let given = set.len();
        for spec in &self.exclude {
            set = set.difference(&parse_set(spec, "-x")?);
        }
        match given {
            0 => return Err("no host given: use -H NODESET or --hostfile FILE".into()),
            1 if set.is_empty() => return Err("the only host given was excluded (-x)".into()),
            n if set.is_empty() => {
                return Err(format!("all {n} hosts given were excluded (-x)").into());
            }
            _ => {}
        }
        let hosts = set.iter().map(Host::parse).collect::<Result<Vec<_>, _>>()?;

        let mut params = config.params;
        if let Some(u) = &self.user {
            params.user = Some(u.clone());
        }
        if let Some(p) = self.port {
            if p == 0 {
                return Err("bad port 0 (-p)".into());
            }
            params.port = Some(p);
        }
        if let Some(k) = &self.identity {
            params.keyfile = Some(k.clone());
        }
        for o in &self.options {
            let Some((k, v)) = o.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
                return Err(format!("bad ssh option `{o}` (-o): expected Key=Value").into());
            };
            params = params.option(k.trim(), v.trim());
        }
        if let Some(f) = &self.ssh_config {
            if !f.is_file() {
                return Err(
                    format!("ssh configuration file `{}` not found (-F)", f.display()).into(),
                );
            }
            params.ssh_config = Some(f.clone());
        }
        params.multiplex |= self.multiplex;
        // A user (-l) or key (-i) that ssh would read as an option: refused before
        // anything runs, as hosts are.
        if let Some(bad) = hosts.iter().find_map(|h| params.check(h).err()) {
            return Err(bad.into());
        }
        let timeout = match &self.timeout {
            Some(t) => Some(
                t.trim()
                    .parse::<f64>()
                    .map_err(|_| "must be a number of seconds".to_string())
                    .and_then(execo::config::timeout_from_secs)
                    .map_err(|why| format!("bad timeout `{t}` (-t): {why}"))?,
            ),
            None => config.timeout,
        };
        let window = match self.fanout {
            Some(0) => return Err("bad fanout 0 (-f): at least 1".into()),
            Some(f) => f,
            None => config.window,
        };
        Ok(Resolved {
            hosts,
            params,
            window,
            timeout,
        })
    }
}

fn parse_set(spec: &str, what: &str) -> Result<NodeSet, String> {
    NodeSet::parse(spec).map_err(|e| format!("bad node set ({what}): {e}"))
}
