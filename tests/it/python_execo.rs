//! Python execo 2.8.2, the reference the Grid'5000 tests compare with: one venv for every
//! test that needs it (planning, topology, charter), made once in the tests' target
//! directory under a lock, and kept while it is complete.

use std::path::PathBuf;
use std::process::Command;

/// The venv's directory; its interpreter is `bin/python`. execo_g5k imports `requests`
/// without declaring it; the topology comparison needs `networkx`.
pub fn execo_venv() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).unwrap();
    let venv = base.join("execo-2.8.2-venv");
    let lock = std::fs::File::create(base.join("execo-2.8.2-venv.lock")).unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let ready = venv.join(".execo-ready");
    if !ready.exists() {
        std::fs::remove_dir_all(&venv).ok();
        let out = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .expect("failed to run `python3 -m venv`: install python3 and python3-venv (scripts/deps.sh)");
        assert!(
            out.status.success(),
            "failed to create the venv {}: install python3-venv (apt-get install \
             python3-venv, or scripts/deps.sh): {}",
            venv.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--disable-pip-version-check",
                "-q",
                "execo==2.8.2",
                "networkx==3.6.1",
                "requests",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "failed to pip install execo 2.8.2, networkx and requests into {} (PyPI must \
             be reachable): {}",
            venv.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(venv.join("bin/python"))
            .args(["-c", "import execo_g5k, networkx"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "execo_g5k does not import from {}: {}",
            venv.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&ready, "").unwrap();
    }
    venv
}
