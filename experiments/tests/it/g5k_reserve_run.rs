//! The guide's reserve/wait/nodes/run/release example against the real test OAR
//! (scripts/oar-testbed.sh): the same binary as on Grid'5000, with `--frontend testsite`
//! and a configuration file that reaches the test frontend and nodes.
#![cfg(feature = "g5k")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn testbed_up() -> BTreeMap<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/oar-testbed.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("up")
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "`scripts/oar-testbed.sh up` failed (it needs root and the OAR packages: \
         `bash scripts/deps.sh` installs them):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn g5k_reserve_run_reserves_runs_and_releases_on_the_test_oar() {
    let state = testbed_up();
    let dir = std::env::temp_dir().join(format!("execo-g5k-reserve-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("execo.toml");
    std::fs::write(
        &config,
        format!(
            "[connection]\nssh_config = \"{}\"\n\n[g5k]\nfrontend_domain = \"\"\n",
            state["ssh_config"]
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_g5k_reserve_run"))
        .args(["--frontend", &state["site"]])
        .args(["--name", &format!("xp-{}", std::process::id())])
        .env("EXECO_CONFIG", &config)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // each node OAR gave answered with its own name
    let ran: Vec<&str> = stdout.lines().filter(|l| l.starts_with("oarn-")).collect();
    assert_eq!(ran.len(), 2, "{stdout}");
    for l in &ran {
        let (host, said) = l.split_once(": ").unwrap();
        assert_eq!(host, said, "{stdout}");
        assert!(state["nodes"].split(' ').any(|n| n == host), "{stdout}");
    }
    assert!(stdout.contains("nodes known after"), "{stdout}");
    assert!(stdout.contains("released job"), "{stdout}");
}
