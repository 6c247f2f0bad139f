//! Frontends: where OAR and kadeploy commands run, one per site.
//!
//! execo runs `oarsub`, `oarstat`, `kadeploy3`... on the site's frontend over ssh (with a
//! pty, as the commands expect a terminal), or locally when this machine is that
//! frontend. A [`Frontend`] is that choice made once: the site it serves and how to run
//! a command there. Connection presets follow execo's: `site` → `site.grid5000.fr`
//! (configurable, [`Settings::frontend_domain`]), and, from outside Grid'5000, through
//! `access.grid5000.fr` when the configuration says so.

use crate::g5k::G5kError;
use crate::g5k::Settings;
use crate::host::{ConnectionParams, Host};
use crate::process::Process;

/// A site's frontend: the site, and where its commands run.
#[derive(Clone, Debug)]
pub struct Frontend {
    site: String,
    /// `None`: commands run on this machine.
    host: Option<Host>,
    params: ConnectionParams,
}

impl Frontend {
    /// The frontend of `site` as the configuration says: reached over ssh with
    /// [`frontend_params`], or local when this machine is it and
    /// `no_ssh_for_local_frontend` is set.
    pub fn of(site: &str, settings: &Settings) -> Result<Frontend, G5kError> {
        check_site(site)?;
        let local =
            settings.no_ssh_for_local_frontend && local_site().is_some_and(|here| here == site);
        Ok(Frontend {
            site: site.to_string(),
            host: (!local).then(|| Host::new(site)),
            params: frontend_params(settings),
        })
    }

    /// The default frontend ([`default_site`]) as the configuration says.
    pub fn default_one(settings: &Settings) -> Result<Frontend, G5kError> {
        let site = default_site(settings).ok_or_else(|| {
            G5kError::new(
                "choose",
                "the default frontend",
                "none is configured (`default_frontend` in [g5k]) and this machine is not \
                 in Grid'5000",
            )
        })?;
        Frontend::of(&site, settings)
    }

    /// `site`'s frontend reached at `host` with `params`, as given (tests, or a frontend
    /// reached in a way the presets do not cover).
    pub fn at(site: &str, host: Host, params: ConnectionParams) -> Result<Frontend, G5kError> {
        check_site(site)?;
        Ok(Frontend {
            site: site.to_string(),
            host: Some(host),
            params,
        })
    }

    /// `site`'s frontend being this machine: commands run locally.
    pub fn local(site: &str) -> Result<Frontend, G5kError> {
        check_site(site)?;
        Ok(Frontend {
            site: site.to_string(),
            host: None,
            params: ConnectionParams::default(),
        })
    }

    /// The site this frontend serves.
    pub fn site(&self) -> &str {
        &self.site
    }

    /// The host commands run on; `None` when they run locally.
    pub fn host(&self) -> Option<&Host> {
        self.host.as_ref()
    }

    /// How the frontend is reached.
    pub fn params(&self) -> &ConnectionParams {
        &self.params
    }

    /// `cmd` (a shell command line) on this frontend, not started.
    pub fn command(&self, cmd: &str) -> Process {
        match &self.host {
            Some(h) => Process::ssh(h.clone(), cmd, &self.params),
            None => Process::sh(cmd),
        }
    }

    /// This frontend with its ssh connection kept open and shared (OpenSSH's
    /// ControlMaster, [`ConnectionParams::multiplex`]): the commands that poll it once a
    /// second (a job's wait) then cost a session on one connection, not an ssh
    /// handshake each. A local frontend is returned as it is.
    pub fn multiplexed(&self) -> Frontend {
        let mut f = self.clone();
        if f.host.is_some() {
            f.params.multiplex = true;
        }
        f
    }

    /// How this frontend is named in messages: `frontend lyon` (`(local)` when local).
    pub fn describe(&self) -> String {
        match &self.host {
            Some(_) => format!("frontend {}", self.site),
            None => format!("frontend {} (local)", self.site),
        }
    }
}

/// A site name as Grid'5000 writes them (`lyon`, `sophia`); anything else is refused
/// before a command line is built from it.
pub fn check_site(site: &str) -> Result<(), G5kError> {
    let ok = !site.is_empty()
        && site.starts_with(|c: char| c.is_ascii_lowercase())
        && site
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(G5kError::new(
            "use",
            site,
            "not a site name (lowercase letters, digits and `-`, starting with a letter)",
        ))
    }
}

/// The site of a Grid'5000 fully qualified name: `taurus-3.lyon.grid5000.fr` → `lyon`.
pub fn site_of_fqdn(fqdn: &str) -> Option<&str> {
    let rest = fqdn.strip_suffix(".grid5000.fr")?;
    let site = rest.rsplit('.').next()?;
    (rest.contains('.') && check_site(site).is_ok()).then_some(site)
}

/// The site of this machine when it is in Grid'5000 (`x.SITE.grid5000.fr`): its host
/// name when that is fully qualified, else the names `/etc/hosts` gives it.
pub fn local_site() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    if let Some(site) = site_of_fqdn(name) {
        return Some(site.to_string());
    }
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter(|l| l.split_whitespace().skip(1).any(|n| n == name))
        .flat_map(|l| l.split_whitespace().skip(1))
        .find_map(site_of_fqdn)
        .map(str::to_string)
}

/// The frontend used when none is given: the configured `default_frontend`, else the
/// site of this machine (execo's `get_default_frontend`).
pub fn default_site(settings: &Settings) -> Option<String> {
    settings.default_frontend.clone().or_else(local_site)
}

/// execo's `default_frontend_connection_params`: the configured connection parameters
/// with a pty, bare site names completed with [`Settings::frontend_domain`], and the
/// jump through [`Settings::access_host`] when [`Settings::through_access`] is set.
pub fn frontend_params(settings: &Settings) -> ConnectionParams {
    let mut p = ConnectionParams::configured();
    p.pty = true;
    let domain = settings.frontend_domain.trim_matches('.').to_string();
    if !domain.is_empty() {
        p.host_rewrite = Some(std::sync::Arc::new(move |h: &str| {
            if h.contains('.') {
                h.to_string()
            } else {
                format!("{h}.{domain}")
            }
        }));
    }
    through_access(&mut p, settings);
    p
}

/// execo's `default_oarsh_oarcp_params`: nodes of a job reached with `oarsh`/`oarcp`
/// (OAR's ssh wrapper, which puts the command in the job's cpuset) with a pty; the job
/// key is [`Settings::oar_job_key_file`], else `$OAR_JOB_KEY_FILE`, when either is set.
pub fn oarsh_params(settings: &Settings) -> ConnectionParams {
    let mut p = ConnectionParams::configured();
    p.ssh = "oarsh".into();
    p.scp = "oarcp".into();
    p.pty = true;
    p.keyfile = settings
        .oar_job_key_file
        .clone()
        .or_else(|| std::env::var_os("OAR_JOB_KEY_FILE").map(std::path::PathBuf::from))
        .or(p.keyfile);
    through_access(&mut p, settings);
    p
}

/// The guide's "bypass oarsh" recipe: plain ssh to a job's nodes as user `oar` on the
/// oar-node sshd (port 6667), with the job key as for [`oarsh_params`].
pub fn oar_node_params(settings: &Settings) -> ConnectionParams {
    let mut p = oarsh_params(settings);
    p.ssh = ConnectionParams::default().ssh;
    p.scp = ConnectionParams::default().scp;
    p.user = Some("oar".into());
    p.port = Some(6667);
    p
}

/// Adds the jump through the access host to `params` when the configuration asks for it.
pub fn through_access(params: &mut ConnectionParams, settings: &Settings) {
    if settings.through_access {
        let jump = match &settings.api_username {
            Some(u) => format!("{u}@{}", settings.access_host),
            None => settings.access_host.clone(),
        };
        params.set_option("ProxyJump", &jump);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_come_from_fully_qualified_names() {
        assert_eq!(site_of_fqdn("taurus-3.lyon.grid5000.fr"), Some("lyon"));
        assert_eq!(site_of_fqdn("flyon.grid5000.fr"), None);
        assert_eq!(site_of_fqdn("taurus-3.lyon.example.org"), None);
        assert_eq!(site_of_fqdn("a.-x.grid5000.fr"), None);
    }

    #[test]
    fn a_site_that_is_not_a_name_is_refused() {
        for bad in ["", "-oProxyCommand=x", "Lyon", "ly on", "lyon;rm"] {
            let e = check_site(bad).unwrap_err();
            assert!(e.to_string().contains("not a site name"), "{bad}: {e}");
        }
        check_site("sophia").unwrap();
    }

    #[test]
    fn frontends_get_the_domain_a_pty_and_the_access_jump() {
        let mut s = Settings::default();
        let f = Frontend::of("lyon", &s).unwrap();
        assert_eq!(f.params().address(f.host().unwrap()), "lyon.grid5000.fr");
        assert!(f.params().pty);
        s.through_access = true;
        s.api_username = Some("alice".into());
        let argv = frontend_params(&s).ssh_argv(&Host::new("nancy"), "oarstat");
        let joined = argv.join(" ");
        assert!(
            joined.contains("ProxyJump=alice@access.grid5000.fr"),
            "{joined}"
        );
        assert!(argv.iter().any(|a| a == "nancy.grid5000.fr"), "{joined}");
    }

    #[test]
    fn job_nodes_are_reached_with_oarsh_and_the_job_key_or_as_oar_on_6667() {
        let s = Settings {
            oar_job_key_file: Some("/home/alice/.oar_key".into()),
            ..Settings::default()
        };
        let p = oarsh_params(&s);
        let argv = p.ssh_argv(&Host::new("taurus-3.lyon.grid5000.fr"), "hostname");
        assert_eq!(argv[0], "oarsh");
        assert_eq!(p.scp, "oarcp");
        assert!(p.pty);
        let joined = argv.join(" ");
        assert!(joined.contains("-i /home/alice/.oar_key"), "{joined}");
        let argv = oar_node_params(&s).ssh_argv(&Host::new("taurus-3"), "hostname");
        let joined = argv.join(" ");
        assert_eq!(argv[0], "ssh");
        assert!(joined.contains("-o Port=6667"), "{joined}");
        assert!(joined.contains("-o User=oar"), "{joined}");
    }

    #[test]
    fn a_local_frontend_runs_commands_here() {
        let f = Frontend::local("lyon").unwrap();
        assert!(f.host().is_none());
        assert_eq!(f.describe(), "frontend lyon (local)");
    }
}
