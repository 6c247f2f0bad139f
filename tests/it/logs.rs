use std::sync::{Arc, Mutex};
use std::time::Duration;

use execo::prelude::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

/// One warning per failed process, with what failed and the end of stderr; `nolog_*`
/// silences it; an ok or killed process says nothing. (Warnings come from the kernel
/// thread, hence a global subscriber, in a process of the test's own.)
#[test]
fn one_warning_per_failed_process() {
    if !crate::in_own_process("logs::one_warning_per_failed_process") {
        return;
    }
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .init();

    let _ = Process::sh("echo first line >&2; echo 'the real cause' >&2; exit 3")
        .name("failing step")
        .blocking_run();
    let out = logs.take();
    assert_eq!(out.matches("WARN").count(), 1, "{out}");
    assert!(
        out.contains("`failing step` exited with code 3") && out.contains("the real cause"),
        "{out}"
    );

    let _ = Process::new("sleep infinity")
        .timeout(Duration::from_millis(100))
        .blocking_run();
    let out = logs.take();
    assert!(
        out.contains("`sleep infinity` timed out after 100ms"),
        "{out}"
    );

    let _ = Process::sh("kill -KILL $$").blocking_run();
    assert!(logs.take().contains("killed by SIGKILL"));

    let _ = Process::new("no-such-program-xyz").blocking_run();
    assert!(
        logs.take()
            .contains("failed to start `no-such-program-xyz`")
    );

    let _ = Process::sh("exit 3").nolog_exit_code(true).blocking_run();
    let _ = Process::new("sleep infinity")
        .timeout(Duration::from_millis(50))
        .nolog_timeout(true)
        .blocking_run();
    let _ = Process::new("no-such-program-xyz")
        .nolog_error(true)
        .blocking_run();
    let _ = Process::new("true").blocking_run();
    Process::new("sleep infinity")
        .start()
        .kill()
        .blocking_wait();
    let quiet = logs.take();
    assert!(quiet.is_empty(), "expected silence, got: {quiet}");
}

/// A program that installed no subscriber still hears of its failures, on stderr.
#[test]
fn failures_are_reported_without_any_logging_set_up() {
    let out = std::process::Command::new(crate::example("no_logger"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok: false\n");
    assert_eq!(stderr.matches("WARN").count(), 1, "{stderr}");
    assert!(
        stderr.contains("`failing step` exited with code 3") && stderr.contains("the real cause"),
        "{stderr}"
    );
}
