//! Which nodes already run a deployed environment, asked of the nodes themselves.
//!
//! On Grid'5000 the standard environment lives on the system disk's second partition and
//! kadeploy installs environments on another one, so a node whose root file system is on
//! partition 2 is not deployed. execo's check, `! (mount | grep -E
//! '^/dev/[[:alpha:]]+2 on / ')`, only recognises `sda2`-like names: on NVMe disks the
//! standard environment is on `/dev/nvme0n1p2`, which that regex never matches, so
//! every node counted as deployed and nothing was deployed. [`DEFAULT_CHECK`] reads the
//! partition number as the digits that end the device name, whatever the disk's naming
//! (`sda2`, `vda2`, `nvme0n1p2`, `mmcblk0p2`), from `/proc/mounts` (no `mount` needed).

use std::time::Duration;

use crate::action::{Action, Remote};
use crate::g5k::G5kError;
use crate::host::{ConnectionParams, Host};

/// The built-in check: exits 0 on a node whose root file system is not on partition 2.
/// It reads `/proc/mounts`; lines in `mount`'s format (`DEV on / type ...`) are
/// understood too.
pub const DEFAULT_CHECK: &str = "awk '($2 == \"/\") || ($2 == \"on\" && $3 == \"/\") { dev = $1 } \
     END { exit (dev ~ /^\\/dev\\/.*[^0-9]2$/) ? 1 : 0 }' /proc/mounts";

/// The name under which a node answers in kavlan `vlan`: `short-kavlan-N.rest`
/// (execo's `get_kavlan_host_name`).
pub fn kavlan_name(address: &str, vlan: u32) -> String {
    match address.split_once('.') {
        Some((short, rest)) => format!("{short}-kavlan-{vlan}.{rest}"),
        None => format!("{address}-kavlan-{vlan}"),
    }
}

/// Runs `command` on each of `hosts` (as reached in `vlan`, if any) with `params`; a
/// host is deployed when it exits 0 within `timeout`. Returns, for each host in order,
/// `Ok(())` or why it does not count as deployed.
pub(crate) async fn check_deployed(
    command: &str,
    hosts: &[Host],
    vlan: Option<u32>,
    params: &ConnectionParams,
    timeout: Duration,
) -> Result<Vec<Result<(), String>>, G5kError> {
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    let targets: Vec<Host> = hosts
        .iter()
        .map(|h| match vlan {
            Some(v) => Host {
                address: kavlan_name(&h.address, v),
                ..h.clone()
            },
            None => h.clone(),
        })
        .collect();
    let run = Remote::new(command, targets)
        .params(params.clone())
        .name(format!("check deployed: {command}"))
        .configure(move |p, _, _| {
            p.timeout(timeout)
                .nolog_exit_code(true)
                .nolog_timeout(true)
                .nolog_error(true)
        })
        .run()
        .await
        .map_err(|e| G5kError::new("check", command, e.to_string()))?;
    let entries = run.entries();
    Ok(entries
        .iter()
        .map(|(host, p)| match p {
            Some(p) if p.ok() => Ok(()),
            Some(p) => Err(why_not(command, &host.address, p)),
            None => Err(format!(
                "the check `{command}` never started on {}",
                host.address
            )),
        })
        .collect())
}

/// Why a check process did not succeed, in a few words.
fn why_not(command: &str, host: &str, p: &crate::process::ProcessHandle) -> String {
    let cause = if let Some(e) = p.start_error() {
        e
    } else if p.timed_out() {
        "timed out".to_string()
    } else {
        let code = p
            .exit_code()
            .map(|c| format!("exit code {c}"))
            .or_else(|| p.signal().map(crate::kernel::signal_name))
            .unwrap_or_else(|| "no exit status".into());
        let last = p
            .stderr()
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| format!(": {}", l.trim()))
            .unwrap_or_default();
        format!("{code}{last}")
    };
    format!("the check `{command}` failed on {host}: {cause}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the built-in check on `mounts` as the node's mount table; whether it says
    /// deployed.
    fn deployed_with(mounts: &str) -> bool {
        let file = std::env::temp_dir().join(format!(
            "execo-check-mounts-{}-{:x}",
            std::process::id(),
            fxhash(mounts)
        ));
        std::fs::write(&file, mounts).unwrap();
        let cmd = DEFAULT_CHECK.replace("/proc/mounts", file.to_str().unwrap());
        let status = std::process::Command::new("sh")
            .args(["-c", &cmd])
            .status()
            .expect("run sh");
        std::fs::remove_file(&file).ok();
        assert!(
            status.code().is_some_and(|c| c <= 1),
            "awk failed: {status}"
        );
        status.success()
    }

    fn fxhash(s: &str) -> u64 {
        s.bytes().fold(0xcbf29ce484222325, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        })
    }

    #[test]
    fn the_standard_environment_is_seen_on_sd_vd_and_nvme_disks() {
        // /proc/mounts lines from nodes in the standard environment (partition 2).
        for root in [
            "/dev/sda2 / ext4 rw,relatime,errors=remount-ro 0 0",
            "/dev/vda2 / ext4 rw,relatime 0 0",
            "/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0",
            "/dev/mmcblk0p2 / ext4 rw,noatime 0 0",
        ] {
            let mounts = format!(
                "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n\
                 proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n\
                 {root}\n\
                 tmpfs /run tmpfs rw,nosuid,nodev,size=3274940k,mode=755 0 0\n\
                 /dev/sda5 /tmp ext4 rw,relatime 0 0\n"
            );
            assert!(!deployed_with(&mounts), "{root}");
        }
    }

    #[test]
    fn deployed_environments_are_seen_on_sd_vd_and_nvme_disks() {
        for root in [
            "/dev/sda3 / ext4 rw,relatime 0 0",
            "/dev/vda3 / ext4 rw,relatime 0 0",
            "/dev/nvme0n1p3 / ext4 rw,relatime 0 0",
            "/dev/sda12 / ext4 rw,relatime 0 0",
            "/dev/nvme1n1p12 / ext4 rw,relatime 0 0",
        ] {
            let mounts =
                format!("proc /proc proc rw 0 0\n{root}\n/dev/sda2 /mnt ext4 rw,relatime 0 0\n");
            assert!(deployed_with(&mounts), "{root}");
        }
    }

    #[test]
    fn mount_output_lines_are_understood_too() {
        assert!(!deployed_with(
            "/dev/nvme0n1p2 on / type ext4 (rw,relatime,errors=remount-ro)\n\
             proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\n"
        ));
        assert!(deployed_with(
            "/dev/sda3 on / type ext4 (rw,relatime)\n/dev/sda2 on /mnt type ext4 (rw)\n"
        ));
    }

    #[test]
    fn execo_s_regex_misses_nvme_where_ours_does_not() {
        let nvme = "/dev/nvme0n1p2 on / type ext4 (rw,relatime)\n";
        let execo = regex::Regex::new(r"(?m)^/dev/[[:alpha:]]+2 on / ").unwrap();
        assert!(!execo.is_match(nvme), "execo's check says deployed");
        assert!(!deployed_with(nvme), "ours says not deployed");
    }

    #[test]
    fn kavlan_names_insert_the_vlan_after_the_short_name() {
        assert_eq!(
            kavlan_name("taurus-3.lyon.grid5000.fr", 4),
            "taurus-3-kavlan-4.lyon.grid5000.fr"
        );
        assert_eq!(kavlan_name("taurus-3", 12), "taurus-3-kavlan-12");
    }
}
