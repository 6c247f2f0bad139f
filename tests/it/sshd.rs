//! A real OpenSSH server for the tests: its own directory, host key, user key and
//! configuration, on a free loopback port, run by the kernel itself (so it dies with the
//! test). Hosts are aliases of it in a generated `ssh_config`.

use std::path::PathBuf;
use std::time::Duration;

use execo::prelude::*;
use execo::{host::ConnectionParams, host::Host};

pub struct TestSshd {
    pub dir: PathBuf,
    pub port: u16,
    _sshd: ProcessHandle,
}

fn need(path: &str, package: &str) {
    assert!(
        std::path::Path::new(path).exists(),
        "`{path}` is missing: install it with `apt-get install {package}` (scripts/deps.sh does)"
    );
}

impl TestSshd {
    /// Starts sshd with `aliases` host names (`host-1`...) that all lead to it.
    pub fn start(aliases: usize) -> TestSshd {
        TestSshd::start_with(aliases, "")
    }

    /// Like [`start`](Self::start), with `first` at the top of `sshd_config` (sshd keeps
    /// the first value of a keyword, so these win over the defaults below).
    pub fn start_with(aliases: usize, first: &str) -> TestSshd {
        need("/usr/sbin/sshd", "openssh-server");
        need("/usr/bin/ssh", "openssh-client");
        let dir = std::env::temp_dir().join(format!(
            "execo-sshd-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all("/run/sshd").ok();
        for key in ["hostkey", "id_ed25519"] {
            let k = Process::argv([
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-f",
                dir.join(key).to_str().unwrap(),
            ])
            .blocking_run();
            assert!(k.ok(), "ssh-keygen failed: {}", k.dump());
        }
        std::fs::copy(dir.join("id_ed25519.pub"), dir.join("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.display();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "{first}HostKey {d}/hostkey\nListenAddress 127.0.0.1:{port}\nPidFile {d}/sshd.pid\nPermitRootLogin prohibit-password\n\
                 PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
                 AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPrintMotd no\nMaxStartups 1000:30:2000\n\
                 MaxSessions 100\nSetEnv SHLVL=1\nSubsystem sftp internal-sftp\n"
            ),
        )
        .unwrap();
        let mut cfg = String::new();
        for i in 1..=aliases.max(1) {
            cfg += &format!("Host host-{i}\n  HostName 127.0.0.1\n  Port {port}\n");
        }
        cfg += &format!(
            "Host *\n  User root\n  IdentityFile {d}/id_ed25519\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  \
             LogLevel ERROR\n  KexAlgorithms curve25519-sha256\n"
        );
        std::fs::write(dir.join("ssh_config"), cfg).unwrap();
        let sshd = Process::argv([
            "/usr/sbin/sshd",
            "-D",
            "-e",
            "-f",
            dir.join("sshd_config").to_str().unwrap(),
        ])
        .nolog_exit_code(true)
        .start();
        wait_listening(&sshd, "sshd");
        TestSshd {
            dir,
            port,
            _sshd: sshd,
        }
    }

    /// Connection parameters that use this server's `ssh_config`.
    pub fn params(&self) -> ConnectionParams {
        ConnectionParams {
            ssh_config: Some(self.ssh_config()),
            ..ConnectionParams::default()
        }
    }

    /// The `ssh_config` file naming the aliases.
    pub fn ssh_config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }

    pub fn host(&self, i: usize) -> Host {
        Host::new(format!("host-{i}"))
    }
}

impl Drop for TestSshd {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Waits until an `sshd -D -e` says it listens; fails the test with its dump if not.
pub fn wait_listening(sshd: &ProcessHandle, what: &str) {
    let ready = sshd.blocking_expect_with(
        &Expect::new("Server listening on")
            .unwrap()
            .stream(Stream::Stderr)
            .timeout(Duration::from_secs(60)),
    );
    assert!(ready.is_ok(), "{what} did not start: {}", sshd.dump());
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    h.finish()
}
