//! The `[g5k]` section of the execo configuration file: execo_g5k's
//! `g5k_configuration`, with the same keys where they mean the same.
//!
//! One struct for every Grid'5000 module (API, OAR, kadeploy, connection presets), so
//! that a user's file is read once and a typo in a key is an error naming its line,
//! like every other section. It lives with the configuration, which stays below every
//! module that reads it; [`g5k`](crate::g5k) re-exports it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Grid'5000 settings: execo's defaults, with the `[g5k]` section over them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The reference API's base URI (execo's `api_uri`).
    pub api_uri: String,
    /// The API user, from outside Grid'5000 (inside, the API needs no credentials).
    pub api_username: Option<String>,
    /// The API password; `~/.python-grid5000.yaml` is read when this is unset.
    pub api_password: Option<String>,
    /// Query arguments added to every API request, e.g. `{ branch = "testing" }`.
    pub api_additional_args: BTreeMap<String, String>,
    /// Seconds before an API request is given up (execo's `api_timeout`).
    #[serde(with = "secs")]
    pub api_timeout: Duration,
    /// Whether the API's TLS certificate is checked. Never turned off implicitly.
    pub api_verify_ssl: bool,
    /// Where the reference data is cached; `~/.cache/execo/g5k` when unset.
    pub cache_dir: Option<PathBuf>,
    /// The frontend used when none is given (execo's `default_frontend`); else the site
    /// of this machine's fully qualified name, `x.SITE.grid5000.fr`.
    pub default_frontend: Option<String>,
    /// The domain appended to a bare site name to reach its frontend (`lyon` →
    /// `lyon.grid5000.fr`); empty: names are used as given.
    pub frontend_domain: String,
    /// Run OAR and kadeploy commands locally when this machine is the frontend asked
    /// for, instead of over ssh (execo's `no_ssh_for_local_frontend`).
    pub no_ssh_for_local_frontend: bool,
    /// From outside Grid'5000: reach frontends and nodes through this host (ssh's
    /// ProxyJump), when [`through_access`](Self::through_access) is set.
    pub access_host: String,
    /// Whether frontends and nodes are reached through [`access_host`](Self::access_host).
    pub through_access: bool,
    /// Seconds an OAR command may take (execo's `default_timeout`).
    #[serde(with = "secs")]
    pub oar_timeout: Duration,
    /// The job key for oarsh/oarcp; takes precedence over `$OAR_JOB_KEY_FILE`.
    pub oar_job_key_file: Option<PathBuf>,
    /// The kadeploy program (execo's `kadeploy3`).
    pub kadeploy3: String,
    /// Options always given to kadeploy (execo's `kadeploy3_options`, `-k -d`).
    pub kadeploy3_options: Vec<String>,
    /// The environment deployed when a deployment names none.
    pub default_env_name: Option<String>,
    /// The environment file deployed when a deployment names none.
    pub default_env_file: Option<String>,
    /// The command that exits 0 on a deployed node; the built-in check when unset.
    pub check_deployed_command: Option<String>,
    /// Seconds a wait for a job's start lasts at most when the caller gives no timeout:
    /// a wait always ends (one day by default).
    #[serde(with = "secs")]
    pub oar_wait_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_uri: "https://api.grid5000.fr/3.0/".into(),
            api_username: None,
            api_password: None,
            api_additional_args: BTreeMap::new(),
            api_timeout: Duration::from_secs(30),
            api_verify_ssl: true,
            cache_dir: None,
            default_frontend: None,
            frontend_domain: "grid5000.fr".into(),
            no_ssh_for_local_frontend: false,
            access_host: "access.grid5000.fr".into(),
            through_access: false,
            oar_timeout: Duration::from_secs(900),
            oar_job_key_file: None,
            kadeploy3: "kadeploy3".into(),
            kadeploy3_options: vec!["-k".into(), "-d".into()],
            default_env_name: None,
            default_env_file: None,
            check_deployed_command: None,
            oar_wait_timeout: Duration::from_secs(86_400),
        }
    }
}

/// Durations written as seconds, as everywhere in the configuration file: positive,
/// finite, at most [`MAX_TIMEOUT`](super::MAX_TIMEOUT).
mod secs {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = f64::deserialize(d)?;
        crate::config::timeout_from_secs(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn the_section_is_read_over_the_defaults() {
        let c = Config::parse(
            "[g5k]\napi_username = \"alice\"\napi_timeout = 5\ndefault_frontend = \"lyon\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.g5k.api_username.as_deref(), Some("alice"));
        assert_eq!(c.g5k.api_timeout, Duration::from_secs(5));
        assert_eq!(c.g5k.default_frontend.as_deref(), Some("lyon"));
        assert!(c.g5k.api_verify_ssl);
        assert_eq!(c.g5k.kadeploy3_options, ["-k", "-d"]);
    }

    #[test]
    fn a_typo_names_the_key_and_its_line() {
        let e = Config::parse("[run]\n\n[g5k]\napi_usrname = \"x\"\n", Path::new("c.toml"))
            .unwrap_err();
        assert!(e.message.contains("api_usrname"), "{e}");
        assert!(e.message.contains("line 4"), "{e}");
    }

    #[test]
    fn a_bad_timeout_is_refused() {
        let e = Config::parse("[g5k]\noar_timeout = -1\n", Path::new("c.toml")).unwrap_err();
        assert!(
            e.message.contains("oar_timeout") || e.message.contains("positive"),
            "{e}"
        );
    }
}
