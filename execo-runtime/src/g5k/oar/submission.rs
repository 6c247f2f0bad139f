//! What to ask OAR for, and the `oarsub` command line that asks it (execo's exactly,
//! inventory §2.5), so that a Grid'5000 user reading the frontend's logs sees what execo
//! would have sent.
//!
//! execo quotes values with `"` without escaping them; here a value holding `"`, `\`,
//! `$` or a backquote is escaped, so that it reaches OAR as written instead of breaking
//! the command line (for every other value the line is execo's, byte for byte). Job
//! types are kept in the given order (execo's come from a set, in hash order).

use std::path::PathBuf;

use crate::g5k::G5kError;
use crate::g5k::Settings;

use super::time::{OarDate, Walltime, format_oar_duration};

/// A job to submit (execo's `OarSubmission`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OarSubmission {
    /// Resource requests, joined with `+`: `{cluster='a'}/nodes=3`, `nodes=2`.
    pub resources: Vec<String>,
    /// How long the job may run.
    pub walltime: Option<Walltime>,
    /// Job types (`deploy`, `allow_classic_ssh`...); `origin=execo` is always added.
    pub job_types: Vec<String>,
    /// An SQL filter on resource properties (`-p`).
    pub properties: Option<String>,
    /// The queue (`-q`).
    pub queue: Option<String>,
    /// An advance reservation (`-r`), Europe/Paris.
    pub reservation: Option<OarDate>,
    /// The job's working directory on the frontend (`-d`).
    pub directory: Option<PathBuf>,
    /// The project (`--project`).
    pub project: Option<String>,
    /// The job's name (`-n`); also how [`reserve`](super::reserve) finds it again.
    pub name: Option<String>,
    /// Other options, put as written right after `oarsub`.
    pub additional_options: Option<String>,
    /// The job's command; `sleep 31536000` (execo's) when unset.
    pub command: Option<String>,
}

impl OarSubmission {
    /// A submission of `resources` (`nodes=2`, `{cluster='a'}/nodes=3`...).
    pub fn new(resources: impl Into<String>) -> Self {
        OarSubmission {
            resources: vec![resources.into()],
            ..Default::default()
        }
    }

    /// With this walltime (`"1:30:00"`, seconds, a `Duration`).
    pub fn walltime(mut self, w: impl Into<Walltime>) -> Self {
        self.walltime = Some(w.into());
        self
    }

    /// With one more job type.
    pub fn job_type(mut self, t: impl Into<String>) -> Self {
        self.job_types.push(t.into());
        self
    }

    /// With this property filter.
    pub fn properties(mut self, p: impl Into<String>) -> Self {
        self.properties = Some(p.into());
        self
    }

    /// In this queue.
    pub fn queue(mut self, q: impl Into<String>) -> Self {
        self.queue = Some(q.into());
        self
    }

    /// As an advance reservation at this date (`"2026-11-30 12:00:00"`, unix seconds, a
    /// `SystemTime`).
    pub fn reservation(mut self, d: impl Into<OarDate>) -> Self {
        self.reservation = Some(d.into());
        self
    }

    /// Working in this directory.
    pub fn directory(mut self, d: impl Into<PathBuf>) -> Self {
        self.directory = Some(d.into());
        self
    }

    /// Under this project.
    pub fn project(mut self, p: impl Into<String>) -> Self {
        self.project = Some(p.into());
        self
    }

    /// Named so.
    pub fn name(mut self, n: impl Into<String>) -> Self {
        self.name = Some(n.into());
        self
    }

    /// With these options right after `oarsub`.
    pub fn additional_options(mut self, o: impl Into<String>) -> Self {
        self.additional_options = Some(o.into());
        self
    }

    /// Running this command.
    pub fn command(mut self, c: impl Into<String>) -> Self {
        self.command = Some(c.into());
        self
    }

    /// How the job is named in messages: its name, else its resources.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("job {n}"),
            None if self.resources.is_empty() => "job".to_string(),
            None => format!("job {}", self.resources.join("+")),
        }
    }

    /// The `oarsub` command line (execo's `oarsub_cmdline`); a bad walltime or date is
    /// an error naming it. The job key is `oar_job_key_file`, else `$OAR_JOB_KEY_FILE`.
    pub fn cmdline(&self, settings: &Settings) -> Result<String, G5kError> {
        let key = settings
            .oar_job_key_file
            .clone()
            .or_else(|| std::env::var_os("OAR_JOB_KEY_FILE").map(PathBuf::from))
            .filter(|k| !k.as_os_str().is_empty());
        self.cmdline_with_key(key.as_deref())
    }

    /// [`cmdline`](Self::cmdline) with the job key given.
    pub fn cmdline_with_key(&self, key: Option<&std::path::Path>) -> Result<String, G5kError> {
        let walltime = self
            .walltime
            .as_ref()
            .map(|w| w.seconds().map(format_oar_duration))
            .transpose()?;
        let mut c = String::from("oarsub");
        if let Some(o) = self.additional_options.as_deref().filter(|o| !o.is_empty()) {
            c += &format!(" {o}");
        }
        let resources: Vec<&str> = self
            .resources
            .iter()
            .map(String::as_str)
            .filter(|r| !r.is_empty())
            .collect();
        if !resources.is_empty() {
            let mut l = resources.join("+");
            if let Some(w) = &walltime {
                l += &format!(",walltime={w}");
            }
            c += &format!(" -l {}", quote(&l));
        } else if let Some(w) = &walltime {
            c += &format!(" -l {}", quote(&format!("walltime={w}")));
        }
        if let Some(k) = key {
            c += &format!(" -k -i {}", k.display());
        }
        let mut types: Vec<&str> = Vec::new();
        for t in self
            .job_types
            .iter()
            .map(String::as_str)
            .chain(["origin=execo"])
        {
            if !types.contains(&t) {
                types.push(t);
            }
        }
        for t in types {
            c += &format!(" -t {}", quote(t));
        }
        if let Some(p) = &self.properties {
            c += &format!(" -p {}", quote(p));
        }
        if let Some(q) = &self.queue {
            c += &format!(" -q {}", quote(q));
        }
        if let Some(r) = &self.reservation {
            c += &format!(" -r {}", quote(&r.to_oar()?));
        }
        if let Some(d) = &self.directory {
            c += &format!(" -d {}", quote(&d.display().to_string()));
        }
        if let Some(p) = &self.project {
            c += &format!(" --project {}", quote(p));
        }
        if let Some(n) = &self.name {
            c += &format!(" -n {}", quote(n));
        }
        c += &format!(
            " {}",
            quote(self.command.as_deref().unwrap_or("sleep 31536000"))
        );
        Ok(c)
    }
}

/// `"value"`, with what a shell interprets inside double quotes escaped.
pub(crate) fn quote(v: &str) -> String {
    let mut q = String::with_capacity(v.len() + 2);
    q.push('"');
    for ch in v.chars() {
        if matches!(ch, '"' | '\\' | '$' | '`') {
            q.push('\\');
        }
        q.push(ch);
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execo_s_command_lines() {
        // inventory §2.5, both examples
        let s = OarSubmission {
            resources: vec![
                "{cluster='paravance'}/nodes=3".into(),
                "{type='kavlan-local'}/vlan=1".into(),
            ],
            walltime: Some(Walltime::Secs(3600)),
            job_types: vec!["deploy".into()],
            properties: Some("cluster='a'".into()),
            queue: Some("q".into()),
            reservation: Some(OarDate::Unix(1_700_000_000)),
            directory: Some("/d".into()),
            project: Some("p".into()),
            name: Some("xp".into()),
            additional_options: Some("-O /dev/null".into()),
            command: None,
        };
        assert_eq!(
            s.cmdline_with_key(None).unwrap(),
            "oarsub -O /dev/null -l \"{cluster='paravance'}/nodes=3+{type='kavlan-local'}/vlan=1,walltime=1:0:0\" \
             -t \"deploy\" -t \"origin=execo\" -p \"cluster='a'\" -q \"q\" -r \"2023-11-14 23:13:20\" -d \"/d\" \
             --project \"p\" -n \"xp\" \"sleep 31536000\""
        );
        let s = OarSubmission::new("nodes=2")
            .job_type("deploy")
            .job_type("destructive");
        assert_eq!(
            s.cmdline_with_key(Some(std::path::Path::new("/home/u/.ssh/id_rsa")))
                .unwrap(),
            "oarsub -l \"nodes=2\" -k -i /home/u/.ssh/id_rsa -t \"deploy\" -t \"destructive\" \
             -t \"origin=execo\" \"sleep 31536000\""
        );
        let s = OarSubmission::default().walltime("0:10");
        assert_eq!(
            s.cmdline_with_key(None).unwrap(),
            "oarsub -l \"walltime=0:10:0\" -t \"origin=execo\" \"sleep 31536000\""
        );
    }

    #[test]
    fn values_reach_oar_as_written() {
        let s = OarSubmission::new("nodes=1")
            .name("a\"b$c")
            .command("echo `x`");
        assert_eq!(
            s.cmdline_with_key(None).unwrap(),
            "oarsub -l \"nodes=1\" -t \"origin=execo\" -n \"a\\\"b\\$c\" \"echo \\`x\\`\""
        );
    }

    #[test]
    fn a_bad_walltime_or_date_fails_the_command_line() {
        let e = OarSubmission::new("nodes=1")
            .walltime("1:99")
            .cmdline_with_key(None)
            .unwrap_err();
        assert!(e.to_string().contains("`walltime 1:99`"), "{e}");
        let e = OarSubmission::new("nodes=1")
            .reservation("2026-02-30 10:00:00")
            .cmdline_with_key(None)
            .unwrap_err();
        assert!(e.to_string().contains("`date 2026-02-30 10:00:00`"), "{e}");
    }
}
