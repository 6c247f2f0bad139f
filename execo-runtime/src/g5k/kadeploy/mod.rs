//! kadeploy: install an environment on Grid'5000 nodes, execo's way (`execo_g5k.kadeploy`).
//!
//! A [`Deployment`] says what to install where; [`deploy`] does execo's steps: ask the
//! nodes which of them already run a deployed environment (a check that is right on NVMe
//! disks too, see [`check`]), run one `kadeploy3` per site on that site's frontend for the
//! others, all sites at once, retry the nodes left undeployed up to `num_tries` times or
//! until the `check_enough` callback is satisfied, log a summary of each try, and keep
//! each undeployed node's reason. What kadeploy did is read from the `-o`/`-n` node files
//! it writes, printed back after it ends, and from its printed result for the reasons
//! ([`report`]). Nothing waits forever: each kadeploy3 run has a deadline
//! ([`DeployOptions::deploy_timeout`]) and each check one too.

pub mod check;
pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::g5k::frontend::{self, Frontend, default_site, site_of_fqdn};
use crate::g5k::{G5kError, Settings};
use crate::host::{ConnectionParams, Host};
use crate::process::{Process, ProcessHandle, Stream};
use crate::shell::quote;

use report::{END_MARK, KO_MARK, OK_MARK};

/// What to install: a registered environment by name (`-e`, e.g. `debian12-min` or
/// `debian12-min@user`), or an environment description file (`-a`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// `kadeploy3 -e NAME`.
    Name(String),
    /// `kadeploy3 -a FILE` (a path on the frontend, or a URL).
    File(String),
}

/// What to deploy where (execo's `Deployment`): the hosts, the environment (by name or
/// file; the configuration's `default_env_name` / `default_env_file` when neither is
/// given), the environment's owner, the kavlan, and other kadeploy3 options.
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    /// The nodes, by Grid'5000 fully qualified name (`taurus-3.lyon.grid5000.fr`); a bare
    /// name is deployed by the default frontend.
    pub hosts: Vec<Host>,
    /// The environment; `None`: the configuration's default.
    pub env: Option<Environment>,
    /// Whose registered environment (`-u`).
    pub user: Option<String>,
    /// The kavlan the nodes are deployed in (`--vlan`).
    pub vlan: Option<u32>,
    /// More kadeploy3 arguments, each one word (e.g. `--reboot-kexec-timeout`, `10`).
    pub other_options: Vec<String>,
}

impl Deployment {
    /// A deployment of `hosts`, with the configured default environment.
    pub fn new<I, H>(hosts: I) -> Deployment
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
    {
        Deployment {
            hosts: hosts.into_iter().map(Into::into).collect(),
            ..Deployment::default()
        }
    }

    /// Deploys the registered environment `name` (replaces any environment file).
    pub fn env_name(mut self, name: impl Into<String>) -> Deployment {
        self.env = Some(Environment::Name(name.into()));
        self
    }

    /// Deploys the environment described in `file` (replaces any environment name).
    pub fn env_file(mut self, file: impl Into<String>) -> Deployment {
        self.env = Some(Environment::File(file.into()));
        self
    }

    /// The environment is `user`'s (`-u`).
    pub fn user(mut self, user: impl Into<String>) -> Deployment {
        self.user = Some(user.into());
        self
    }

    /// Deploys into kavlan `vlan` (`--vlan`).
    pub fn vlan(mut self, vlan: u32) -> Deployment {
        self.vlan = Some(vlan);
        self
    }

    /// Adds kadeploy3 arguments, one word each.
    pub fn options<I, S>(mut self, options: I) -> Deployment
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.other_options
            .extend(options.into_iter().map(Into::into));
        self
    }

    /// The environment deployed: the one given, else the configured default (a name or a
    /// file, not both).
    pub fn environment(&self, settings: &Settings) -> Result<Environment, G5kError> {
        if let Some(e) = &self.env {
            return Ok(e.clone());
        }
        match (&settings.default_env_name, &settings.default_env_file) {
            (Some(n), None) => Ok(Environment::Name(n.clone())),
            (None, Some(f)) => Ok(Environment::File(f.clone())),
            (Some(_), Some(_)) => Err(G5kError::new(
                "choose",
                "the environment to deploy",
                "none is given and the configuration sets both `default_env_name` and \
                 `default_env_file`: keep one",
            )),
            (None, None) => Err(G5kError::new(
                "choose",
                "the environment to deploy",
                "none is given (`env_name`/`env_file`) and the configuration sets neither \
                 `default_env_name` nor `default_env_file`",
            )),
        }
    }

    /// execo's kadeploy3 command line for `hosts` (some of this deployment's, all of one
    /// site): `kadeploy3 -k -d -e ENV [-u USER] [--vlan N] [OPTIONS] -m HOST...`.
    pub fn command_line(&self, hosts: &[Host], settings: &Settings) -> Result<String, G5kError> {
        let mut line = settings.kadeploy3.trim().to_string();
        if line.is_empty() {
            return Err(G5kError::new(
                "run",
                "kadeploy3",
                "the configured `kadeploy3` command is empty",
            ));
        }
        for o in &settings.kadeploy3_options {
            write!(line, " {}", quote(o)).ok();
        }
        match self.environment(settings)? {
            Environment::Name(n) => write!(line, " -e {}", quote(&n)),
            Environment::File(f) => write!(line, " -a {}", quote(&f)),
        }
        .ok();
        if let Some(u) = &self.user {
            write!(line, " -u {}", quote(u)).ok();
        }
        if let Some(v) = self.vlan {
            write!(line, " --vlan {v}").ok();
        }
        for o in &self.other_options {
            write!(line, " {}", quote(o)).ok();
        }
        for h in hosts {
            check_address(&h.address)?;
            write!(line, " -m {}", quote(&h.address)).ok();
        }
        Ok(line)
    }

    /// The hosts grouped by the site whose frontend deploys them: the site of each fully
    /// qualified name, the default frontend's for a bare name. Duplicates are dropped.
    pub fn by_site(&self, settings: &Settings) -> Result<BTreeMap<String, Vec<Host>>, G5kError> {
        let mut seen = BTreeSet::new();
        let mut sites: BTreeMap<String, Vec<Host>> = BTreeMap::new();
        for h in &self.hosts {
            check_address(&h.address)?;
            if !seen.insert(h.address.clone()) {
                continue;
            }
            let site = match site_of_fqdn(&h.address) {
                Some(s) => s.to_string(),
                None => default_site(settings).ok_or_else(|| {
                    G5kError::new(
                        "choose",
                        format!("the frontend that deploys {}", h.address),
                        "it is not a Grid'5000 name (node.site.grid5000.fr), no \
                         `default_frontend` is configured and this machine is not in \
                         Grid'5000",
                    )
                })?,
            };
            sites.entry(site).or_default().push(h.clone());
        }
        Ok(sites)
    }
}

/// A node name kadeploy can be given: not empty, no blanks, not an option.
fn check_address(address: &str) -> Result<(), G5kError> {
    if address.is_empty() || address.starts_with('-') || address.contains(char::is_whitespace) {
        return Err(G5kError::new(
            "deploy",
            address,
            "not a node name (empty, blank or starting with `-`)",
        ));
    }
    Ok(())
}

/// The shell line run on the frontend: `line` with `-o`/`-n` node files in a temporary
/// directory, whose contents are printed after kadeploy3 ends, between markers that
/// [`report::parse`] reads; kadeploy3's exit code is kept.
pub fn frontend_script(line: &str) -> String {
    format!(
        "d=$(mktemp -d) || exit 125; {line} -o \"$d/ok\" -n \"$d/ko\"; rc=$?; echo; \
         echo '{OK_MARK}'; cat \"$d/ok\" 2>/dev/null; echo '{KO_MARK}'; cat \"$d/ko\" 2>/dev/null; \
         echo '{END_MARK}'; rm -rf \"$d\"; exit $rc"
    )
}

/// A handler of output lines, each prefixed with `SITE: ` (execo's
/// `FrontendPrefixWrapper`).
pub type LineHandler = Arc<dyn Fn(&str) + Send + Sync>;

/// `check_enough(deployed, undeployed)`: whether the deployment may stop now.
pub type CheckEnough = Arc<dyn Fn(&[Host], &[Host]) -> bool + Send + Sync>;

/// Which command tells that a node is already deployed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DeployedCheck {
    /// The configuration's `check_deployed_command`, else [`check::DEFAULT_CHECK`].
    #[default]
    Configured,
    /// This command (a template: `<<host>>` is the node's name), exiting 0 on a
    /// deployed node.
    Command(String),
    /// No check: every node is deployed, and kadeploy's report is trusted.
    Disabled,
}

/// How [`deploy`] goes about it (execo's `deploy()` keyword arguments).
#[derive(Clone)]
pub struct DeployOptions {
    /// The Grid'5000 settings (kadeploy3's path and options, default environment and
    /// frontend); the configuration file's by default.
    pub settings: Settings,
    /// Frontends to use instead of the configured ones, by site.
    pub frontends: BTreeMap<String, Frontend>,
    /// The already-deployed check.
    pub check: DeployedCheck,
    /// How nodes are reached for the check: as root, with the configured parameters.
    pub node_params: ConnectionParams,
    /// How many kadeploy3 runs at most (execo's `num_tries`, 1).
    pub num_tries: usize,
    /// When to stop trying; by default, when no node is left undeployed.
    pub check_enough: Option<CheckEnough>,
    /// How long one kadeploy3 run may take before it is killed (1 hour).
    pub deploy_timeout: Duration,
    /// How long the check may take on a node (execo's `check_timeout`, 30 s).
    pub check_timeout: Duration,
    /// Called with kadeploy3's stdout lines, prefixed with `SITE: `.
    pub stdout_handler: Option<LineHandler>,
    /// Called with kadeploy3's stderr lines, prefixed with `SITE: `.
    pub stderr_handler: Option<LineHandler>,
}

impl Default for DeployOptions {
    fn default() -> Self {
        let settings = Config::global().g5k.clone();
        let mut node_params = ConnectionParams::configured();
        node_params.user = Some("root".into());
        frontend::through_access(&mut node_params, &settings);
        DeployOptions {
            settings,
            frontends: BTreeMap::new(),
            check: DeployedCheck::Configured,
            node_params,
            num_tries: 1,
            check_enough: None,
            deploy_timeout: Duration::from_secs(3600),
            check_timeout: Duration::from_secs(30),
            stdout_handler: None,
            stderr_handler: None,
        }
    }
}

impl std::fmt::Debug for DeployOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployOptions")
            .field("frontends", &self.frontends.keys().collect::<Vec<_>>())
            .field("check", &self.check)
            .field("num_tries", &self.num_tries)
            .field("deploy_timeout", &self.deploy_timeout)
            .field("check_timeout", &self.check_timeout)
            .finish_non_exhaustive()
    }
}

impl DeployOptions {
    /// The defaults, with the configuration file's settings.
    pub fn new() -> DeployOptions {
        DeployOptions::default()
    }

    /// Uses `settings` instead of the configuration file's.
    pub fn settings(mut self, settings: Settings) -> DeployOptions {
        self.settings = settings;
        self
    }

    /// Runs `site`'s kadeploy3 on `frontend`.
    pub fn frontend(mut self, frontend: Frontend) -> DeployOptions {
        self.frontends.insert(frontend.site().to_string(), frontend);
        self
    }

    /// Sets the already-deployed check.
    pub fn check(mut self, check: DeployedCheck) -> DeployOptions {
        self.check = check;
        self
    }

    /// Reaches nodes with `params` for the check.
    pub fn node_params(mut self, params: ConnectionParams) -> DeployOptions {
        self.node_params = params;
        self
    }

    /// Runs kadeploy3 at most `n` times (at least once).
    pub fn num_tries(mut self, n: usize) -> DeployOptions {
        self.num_tries = n.max(1);
        self
    }

    /// Stops trying as soon as `f(deployed, undeployed)` is true.
    pub fn check_enough(
        mut self,
        f: impl Fn(&[Host], &[Host]) -> bool + Send + Sync + 'static,
    ) -> DeployOptions {
        self.check_enough = Some(Arc::new(f));
        self
    }

    /// Kills a kadeploy3 run that takes longer than `d`.
    pub fn deploy_timeout(mut self, d: Duration) -> DeployOptions {
        self.deploy_timeout = d;
        self
    }

    /// Gives up the check on a node after `d`.
    pub fn check_timeout(mut self, d: Duration) -> DeployOptions {
        self.check_timeout = d;
        self
    }

    /// Sends kadeploy3's stdout lines, prefixed with `SITE: `, to `f`.
    pub fn on_stdout_line(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> DeployOptions {
        self.stdout_handler = Some(Arc::new(f));
        self
    }

    /// Sends kadeploy3's stderr lines, prefixed with `SITE: `, to `f`.
    pub fn on_stderr_line(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> DeployOptions {
        self.stderr_handler = Some(Arc::new(f));
        self
    }

    /// The check command, if any.
    fn check_command(&self) -> Option<String> {
        match &self.check {
            DeployedCheck::Configured => Some(
                self.settings
                    .check_deployed_command
                    .clone()
                    .unwrap_or_else(|| check::DEFAULT_CHECK.to_string()),
            ),
            DeployedCheck::Command(c) => Some(c.clone()),
            DeployedCheck::Disabled => None,
        }
    }

    fn enough(&self, deployed: &[Host], undeployed: &[Host]) -> bool {
        match &self.check_enough {
            Some(f) => f(deployed, undeployed),
            None => undeployed.is_empty(),
        }
    }
}

/// One site in one try: what was asked of its kadeploy3 and what came of it.
#[derive(Clone, Debug)]
pub struct SiteSummary {
    /// The site.
    pub site: String,
    /// The hosts given to kadeploy3.
    pub asked: Vec<Host>,
    /// The hosts it reported deployed.
    pub deployed: Vec<Host>,
    /// The hosts it reported undeployed, or did not report.
    pub undeployed: Vec<Host>,
    /// Whether the lists came from the `-o`/`-n` node files.
    pub from_node_files: bool,
    /// Why the run itself failed (frontend unreachable, timeout...), if it did.
    pub error: Option<String>,
    /// The kadeploy3 process, for its output and exit status.
    pub process: ProcessHandle,
}

/// One try: one kadeploy3 per site, then the check.
#[derive(Clone, Debug)]
pub struct TrySummary {
    /// 1 for the first try.
    pub number: usize,
    /// Each site's run.
    pub sites: Vec<SiteSummary>,
    /// How many hosts were deployed after this try, in all.
    pub deployed: usize,
    /// How many were still undeployed.
    pub undeployed: usize,
    /// How long the try took.
    pub duration: Duration,
}

/// What [`deploy`] did (execo's `(deployed, undeployed)`, with the reasons and tries).
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The hosts running the environment (already deployed ones included).
    pub deployed: Vec<Host>,
    /// The hosts not running it.
    pub undeployed: Vec<Host>,
    /// The hosts found deployed before any kadeploy3 run.
    pub already_deployed: Vec<Host>,
    /// Why each undeployed host is, by address: names the site, the host and the cause.
    pub reasons: BTreeMap<String, String>,
    /// Each kadeploy3 try.
    pub tries: Vec<TrySummary>,
    /// Whether `check_enough` was satisfied at the end.
    pub enough: bool,
    /// The KaVLAN the nodes were deployed in ([`Deployment::vlan`]).
    pub vlan: Option<u32>,
}

impl Outcome {
    /// The deployed hosts under the names they answer to: in a KaVLAN, their kavlan names
    /// (`taurus-3-kavlan-4.lyon.grid5000.fr`, execo's `get_kavlan_host_name`), since their
    /// usual names reach them no more; else [`Outcome::deployed`] as is. (Like execo's
    /// `deploy()`, [`Outcome::deployed`] keeps the names the deployment was given.)
    pub fn reachable(&self) -> Vec<Host> {
        self.deployed
            .iter()
            .map(|h| match self.vlan {
                Some(v) => Host {
                    address: check::kavlan_name(&h.address, v),
                    ..h.clone()
                },
                None => h.clone(),
            })
            .collect()
    }

    /// Why `address` is undeployed, if it is.
    pub fn reason(&self, address: &str) -> Option<&str> {
        self.reasons.get(address).map(String::as_str)
    }
}

/// Deploys `deployment` (execo's `deploy()`): see the [module](self) documentation.
///
/// An `Err` means nothing was tried (no environment, a host with no frontend, a check
/// command that is not a template); a frontend that cannot be reached, kadeploy3 failing
/// nodes or running out of time is a recorded failure: those hosts are in
/// [`Outcome::undeployed`] with their reason.
pub async fn deploy(deployment: &Deployment, opts: &DeployOptions) -> Result<Outcome, G5kError> {
    let settings = &opts.settings;
    let groups = deployment.by_site(settings)?;
    deployment.environment(settings)?;
    let mut frontends = BTreeMap::new();
    for site in groups.keys() {
        let f = match opts.frontends.get(site) {
            Some(f) => f.clone(),
            None => Frontend::of(site, settings)?,
        };
        frontends.insert(site.clone(), f);
    }
    let site_of: BTreeMap<String, String> = groups
        .iter()
        .flat_map(|(s, hs)| hs.iter().map(move |h| (h.address.clone(), s.clone())))
        .collect();
    let all: Vec<Host> = groups.values().flatten().cloned().collect();
    let check = opts.check_command();
    let mut outcome = Outcome {
        vlan: deployment.vlan,
        ..Outcome::default()
    };
    let mut undeployed = all.clone();
    if let Some(cmd) = &check {
        let results = check::check_deployed(
            cmd,
            &all,
            deployment.vlan,
            &opts.node_params,
            opts.check_timeout,
        )
        .await?;
        let (done, todo): (Vec<_>, Vec<_>) = all.iter().zip(results).partition(|(_, r)| r.is_ok());
        outcome.already_deployed = done.into_iter().map(|(h, _)| h.clone()).collect();
        undeployed = todo.into_iter().map(|(h, _)| h.clone()).collect();
        tracing::info!(
            target: "execo::g5k::kadeploy",
            "{} of {} hosts already deployed",
            outcome.already_deployed.len(),
            all.len()
        );
    }
    let mut deployed = outcome.already_deployed.clone();
    while !undeployed.is_empty()
        && outcome.tries.len() < opts.num_tries.max(1)
        && !opts.enough(&deployed, &undeployed)
    {
        let number = outcome.tries.len() + 1;
        let start = Instant::now();
        // One kadeploy3 per site, all started before any is awaited.
        let mut runs = Vec::new();
        for (site, hosts) in &groups {
            let asked: Vec<Host> = hosts
                .iter()
                .filter(|h| undeployed.contains(h))
                .cloned()
                .collect();
            if asked.is_empty() {
                continue;
            }
            let line = frontend_script(&deployment.command_line(&asked, settings)?);
            let handle = start_site(&frontends[site], &line, opts);
            runs.push((site.clone(), asked, handle));
        }
        let mut sites = Vec::new();
        let mut kadeploy_ok = BTreeSet::new();
        for (site, asked, handle) in runs {
            handle.wait().await;
            let summary = finish_site(
                &frontends[&site],
                site,
                asked,
                handle,
                opts,
                &mut outcome.reasons,
            );
            kadeploy_ok.extend(summary.deployed.iter().map(|h| h.address.clone()));
            sites.push(summary);
        }
        let tried: Vec<Host> = sites.iter().flat_map(|s| s.asked.clone()).collect();
        let now_ok: BTreeSet<String> = match &check {
            Some(cmd) => {
                let results = check::check_deployed(
                    cmd,
                    &tried,
                    deployment.vlan,
                    &opts.node_params,
                    opts.check_timeout,
                )
                .await?;
                let mut ok = BTreeSet::new();
                for (h, r) in tried.iter().zip(results) {
                    match r {
                        Ok(()) => {
                            ok.insert(h.address.clone());
                        }
                        Err(why) if kadeploy_ok.contains(&h.address) => {
                            let place = frontends[&site_of[&h.address]].describe();
                            outcome.reasons.insert(
                                h.address.clone(),
                                G5kError::new(
                                    "deploy",
                                    &h.address,
                                    format!("kadeploy3 reported it deployed, but {why}"),
                                )
                                .on(place)
                                .to_string(),
                            );
                        }
                        Err(_) => {}
                    }
                }
                ok
            }
            None => kadeploy_ok,
        };
        for a in &now_ok {
            outcome.reasons.remove(a);
        }
        deployed.extend(
            tried
                .iter()
                .filter(|h| now_ok.contains(&h.address))
                .cloned(),
        );
        undeployed.retain(|h| !now_ok.contains(&h.address));
        let summary = TrySummary {
            number,
            sites,
            deployed: deployed.len(),
            undeployed: undeployed.len(),
            duration: start.elapsed(),
        };
        tracing::info!(target: "execo::g5k::kadeploy", "{}", describe_try(&summary, opts.num_tries));
        outcome.tries.push(summary);
    }
    for h in &undeployed {
        outcome.reasons.entry(h.address.clone()).or_insert_with(|| {
            let place = frontends[&site_of[&h.address]].describe();
            G5kError::new(
                "deploy",
                &h.address,
                "no kadeploy3 run was tried (check_enough was satisfied first)",
            )
            .on(place)
            .to_string()
        });
    }
    outcome
        .reasons
        .retain(|a, _| undeployed.iter().any(|h| &h.address == a));
    outcome.enough = opts.enough(&deployed, &undeployed);
    outcome.deployed = deployed;
    outcome.undeployed = undeployed;
    Ok(outcome)
}

/// Blocking form of [`deploy`]. From a process handler (the kernel thread), where
/// waiting would deadlock, it returns an error at once.
pub fn blocking_deploy(deployment: &Deployment, opts: &DeployOptions) -> Result<Outcome, G5kError> {
    crate::kernel::block_on(deploy(deployment, opts)).unwrap_or_else(|| {
        Err(G5kError::new(
            "deploy",
            "the nodes",
            "blocking_deploy was called from a process handler (the kernel thread), where \
             waiting would deadlock: use deploy().await or call it from another thread",
        ))
    })
}

/// The try's summary line: counts in all and per site, and the duration.
pub fn describe_try(t: &TrySummary, num_tries: usize) -> String {
    let mut s = format!(
        "kadeploy try {}/{}: {} deployed, {} undeployed in {:.1} s",
        t.number,
        num_tries.max(1),
        t.deployed,
        t.undeployed,
        t.duration.as_secs_f64()
    );
    for site in &t.sites {
        write!(
            s,
            "; {}: {}/{} deployed{}",
            site.site,
            site.deployed.len(),
            site.asked.len(),
            site.error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )
        .ok();
    }
    s
}

/// Starts `line` on `frontend` with the deadline and the line handlers.
fn start_site(frontend: &Frontend, line: &str, opts: &DeployOptions) -> ProcessHandle {
    let site = frontend.site().to_string();
    let mut p = frontend_process(frontend, line)
        .name(format!("kadeploy3 on {}", frontend.describe()))
        .timeout(opts.deploy_timeout)
        .nolog_exit_code(true)
        .nolog_timeout(true)
        .nolog_error(true);
    for (stream, handler) in [
        (Stream::Stdout, opts.stdout_handler.clone()),
        (Stream::Stderr, opts.stderr_handler.clone()),
    ] {
        let site = site.clone();
        let f = move |l: &str| {
            let l = l.trim_end_matches('\r');
            if l.starts_with("=== execo: ") {
                return;
            }
            tracing::debug!(target: "execo::g5k::kadeploy", "{site}: {l}");
            if let Some(h) = &handler {
                h(&format!("{site}: {l}"));
            }
        };
        p = match stream {
            Stream::Stdout => p.on_stdout_line(f),
            Stream::Stderr => p.on_stderr_line(f),
        };
    }
    p.start()
}

/// `line` on `frontend`. Over ssh with a pty (execo's frontend preset), the remote side
/// gets a terminal too (`ssh -tt`, as execo's), so that killing the run at its deadline
/// hangs kadeploy3 up on the frontend instead of leaving it running there.
fn frontend_process(frontend: &Frontend, line: &str) -> Process {
    let params = frontend.params();
    let has_tt = params
        .ssh_options
        .iter()
        .any(|o| o.len() >= 3 && o.starts_with("-t") && o[1..].chars().all(|c| c == 't'));
    match frontend.host() {
        Some(h) if params.pty && !has_tt => {
            let mut params = params.clone();
            params.ssh_options.push("-tt".into());
            Process::ssh(h.clone(), line, &params)
        }
        _ => frontend.command(line),
    }
}

/// Reads an ended kadeploy3 run: its report, and a reason for each host it did not
/// deploy (kadeploy's own, else why the run failed).
fn finish_site(
    frontend: &Frontend,
    site: String,
    asked: Vec<Host>,
    process: ProcessHandle,
    opts: &DeployOptions,
    reasons: &mut BTreeMap<String, String>,
) -> SiteSummary {
    let names: BTreeSet<String> = asked.iter().map(|h| h.address.clone()).collect();
    let report = report::parse(&process.stdout(), &names);
    let error = (!process.ok()).then(|| run_failure(frontend, &process, opts));
    let mut deployed = Vec::new();
    let mut undeployed = Vec::new();
    for h in &asked {
        if report.deployed.contains(&h.address) {
            deployed.push(h.clone());
            continue;
        }
        let cause = match (report.undeployed.get(&h.address), &error) {
            (Some(Some(r)), _) => format!("kadeploy3: {r}"),
            (Some(None), _) => "kadeploy3 reported it undeployed, without a reason".into(),
            (None, Some(e)) => e.clone(),
            (None, None) => "kadeploy3 did not report it".into(),
        };
        reasons.insert(
            h.address.clone(),
            G5kError::new("deploy", &h.address, cause)
                .on(frontend.describe())
                .to_string(),
        );
        undeployed.push(h.clone());
    }
    SiteSummary {
        site,
        asked,
        deployed,
        undeployed,
        from_node_files: report.from_node_files,
        error,
        process,
    }
}

/// Why a kadeploy3 run failed as a whole.
fn run_failure(frontend: &Frontend, p: &ProcessHandle, opts: &DeployOptions) -> String {
    if let Some(e) = p.start_error() {
        return format!("cannot start kadeploy3: {e}");
    }
    if p.timed_out() {
        return format!(
            "kadeploy3 did not end within the deploy timeout ({} s) and was killed",
            opts.deploy_timeout.as_secs_f64()
        );
    }
    let output = format!("{}\n{}", p.stdout(), p.stderr());
    let last = output
        .lines()
        .map(|l| l.trim())
        .rfind(|l| !l.is_empty() && !l.starts_with("=== execo: "))
        .unwrap_or("no output");
    match (p.exit_code(), p.signal(), frontend.host()) {
        (Some(255), _, Some(_)) => format!("cannot reach the frontend: {last}"),
        (Some(c), _, _) => format!("kadeploy3 exited with code {c}: {last}"),
        (None, Some(s), _) => format!("kadeploy3 was killed by {}", crate::kernel::signal_name(s)),
        _ => "kadeploy3 ended without an exit status".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            default_frontend: Some("nancy".into()),
            ..Settings::default()
        }
    }

    /// Compiles only if `deploy`'s future may move between threads (multi-threaded
    /// runtimes).
    #[allow(dead_code)]
    fn deploy_is_send<'a>(
        d: &'a Deployment,
        o: &'a DeployOptions,
    ) -> impl std::future::Future<Output = Result<Outcome, G5kError>> + Send + 'a {
        deploy(d, o)
    }

    #[test]
    fn the_command_line_is_execo_s() {
        let d = Deployment::new([
            "paravance-2.rennes.grid5000.fr",
            "paravance-1.rennes.grid5000.fr",
        ])
        .env_name("debian11-min")
        .user("me")
        .vlan(4)
        .options(["--reboot-kexec-timeout", "10"]);
        assert_eq!(
            d.command_line(&d.hosts, &settings()).unwrap(),
            "kadeploy3 -k -d -e debian11-min -u me --vlan 4 --reboot-kexec-timeout 10 \
             -m paravance-2.rennes.grid5000.fr -m paravance-1.rennes.grid5000.fr"
        );
        let f = Deployment::new(["a-1.lyon.grid5000.fr"]).env_file("/home/me/my env.yaml");
        assert_eq!(
            f.command_line(&f.hosts, &settings()).unwrap(),
            "kadeploy3 -k -d -a '/home/me/my env.yaml' -m a-1.lyon.grid5000.fr"
        );
    }

    #[test]
    fn the_environment_is_the_given_one_else_the_configured_one() {
        let s = Settings {
            default_env_name: Some("debian12-min".into()),
            ..settings()
        };
        let d = Deployment::new(["a-1.lyon.grid5000.fr"]);
        assert_eq!(
            d.environment(&s).unwrap(),
            Environment::Name("debian12-min".into())
        );
        let d = d.env_file("x.yaml").env_name("y");
        assert_eq!(d.environment(&s).unwrap(), Environment::Name("y".into()));
        let e = Deployment::new(["a"]).environment(&settings()).unwrap_err();
        assert!(e.to_string().contains("default_env_name"), "{e}");
        let both = Settings {
            default_env_file: Some("f".into()),
            ..s
        };
        let e = Deployment::new(["a"]).environment(&both).unwrap_err();
        assert!(e.to_string().contains("both"), "{e}");
    }

    #[test]
    fn hosts_go_to_their_site_and_bare_names_to_the_default_frontend() {
        let d = Deployment::new([
            "taurus-1.lyon.grid5000.fr",
            "graphene-3.nancy.grid5000.fr",
            "taurus-2.lyon.grid5000.fr",
            "taurus-1.lyon.grid5000.fr",
            "mynode",
        ]);
        let g = d.by_site(&settings()).unwrap();
        let names = |s: &str| -> Vec<String> { g[s].iter().map(|h| h.address.clone()).collect() };
        assert_eq!(
            names("lyon"),
            ["taurus-1.lyon.grid5000.fr", "taurus-2.lyon.grid5000.fr"]
        );
        assert_eq!(names("nancy"), ["graphene-3.nancy.grid5000.fr", "mynode"]);
        let no_default = Settings::default();
        if default_site(&no_default).is_none() {
            let e = d.by_site(&no_default).unwrap_err();
            assert!(e.to_string().contains("mynode"), "{e}");
        }
    }

    #[test]
    fn a_host_that_is_an_option_is_refused() {
        let d = Deployment::new(["-oProxyCommand=x"]).env_name("e");
        let e = d.command_line(&d.hosts, &settings()).unwrap_err();
        assert!(e.to_string().contains("not a node name"), "{e}");
    }

    #[test]
    fn the_frontend_script_prints_the_node_files_and_keeps_the_exit_code() {
        let s = frontend_script("sh -c 'echo n-1 > \"$2\"; exit 3' x");
        let out = std::process::Command::new("sh")
            .args(["-c", &s])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{text}");
        let r = report::parse(&text, &["n-1".to_string()].into());
        assert!(r.from_node_files && r.deployed.contains("n-1"), "{text}");
    }
}
