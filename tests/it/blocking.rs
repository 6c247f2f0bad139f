//! One blocking discipline: every `blocking_*` call made where it cannot block (an execo
//! handler, on the kernel thread; an async task) reports the same error,
//! `Error::WouldBlock` naming the call, through its `Result` or recorded on its handle,
//! and returns at once. Each twin family is called from a handler and from an async task.

use std::sync::Mutex;
use std::time::Duration;

use execo::action::{Action, ActionHandle, Local, blocking_wait_all, blocking_wait_any};
use execo::prelude::*;
use execo::process::{Expect, PortForwarder};

/// Runs `f` inside an execo handler (the `on_end` of a process), on the kernel thread.
fn in_handler<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let f = Mutex::new(Some(f));
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    let p = Process::new("true")
        .on_end(move |_| {
            if let Some(f) = f.lock().unwrap().take() {
                tx.lock().unwrap().send(f()).ok();
            }
        })
        .start();
    let got = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the handler ran");
    p.blocking_wait();
    got
}

/// Runs `f` inside an async task of a tokio runtime of the program's.
fn in_async_task<T>(f: impl FnOnce() -> T) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
        .block_on(async move { f() })
}

/// `e` is the one error of the discipline, for `call`, and says what to use instead.
fn assert_would_block(e: &execo::Error, call: &str) {
    match e {
        execo::Error::WouldBlock(w) => assert_eq!(w.call(), call, "{e}"),
        other => panic!("expected WouldBlock for `{call}`, got: {other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("`{call}` cannot block here")),
        "{msg}"
    );
    assert!(msg.contains(".await"), "{msg}");
}

/// Both places where a blocking call cannot block.
fn everywhere<T: Send + 'static>(f: impl Fn() -> T + Send + Sync + Clone + 'static) -> [T; 2] {
    let g = f.clone();
    [in_handler(g), in_async_task(f)]
}

fn piped_cat() -> ProcessHandle {
    Process::new("cat").stdin(Stdin::Piped).start()
}

#[test]
fn process_handle_twins_report_would_block() {
    for call in [
        "ProcessHandle::blocking_wait",
        "ProcessHandle::blocking_wait_timeout",
        "ProcessHandle::blocking_write",
        "ProcessHandle::blocking_close_stdin",
    ] {
        let p = piped_cat();
        let q = p.clone();
        let [from_handler, from_task] = everywhere(move || {
            let r = match call {
                "ProcessHandle::blocking_wait" => q.blocking_wait().ended(),
                "ProcessHandle::blocking_wait_timeout" => {
                    q.blocking_wait_timeout(Duration::from_secs(60))
                }
                "ProcessHandle::blocking_write" => q.blocking_write("x\n").ended(),
                _ => q.blocking_close_stdin().ended(),
            };
            (r, q.would_block().map(|e| e.to_string()))
        });
        // It returned at once (the process still runs) and recorded the error.
        assert!(!from_handler.0 && !from_task.0, "{call}");
        assert_eq!(from_handler.1, from_task.1, "{call}");
        let e = p.would_block().expect("recorded");
        assert_would_block(&e, call);
        assert!(!p.ok(), "{call}: a process misused so is not ok");
        assert_would_block(&p.check().unwrap_err(), call);
        assert!(
            p.dump().contains(&format!("`{call}` cannot block here")),
            "{call}"
        );
        // Nothing was written, nothing closed: the process still runs.
        assert!(p.running(), "{call}");
        assert_eq!(p.write_error(), None, "{call}");
        p.kill();
        p.blocking_wait();
    }
}

#[test]
fn expect_twins_return_would_block() {
    let p = Process::sh("echo ready; exec cat").start();
    let q = p.clone();
    let errs = everywhere(move || q.blocking_expect("^ready").unwrap_err().to_string());
    assert_eq!(errs[0], errs[1]);
    let q = p.clone();
    let e = in_async_task(move || q.blocking_expect("^ready").unwrap_err());
    assert_would_block(&e, "ProcessHandle::blocking_expect");
    let q = p.clone();
    let e = in_handler(move || {
        q.blocking_expect_with(&Expect::new("^ready").unwrap())
            .unwrap_err()
    });
    assert_would_block(&e, "ProcessHandle::blocking_expect_with");
    // The stream was not consumed: the match is still there for a call that can block.
    assert_eq!(p.blocking_expect("^ready").unwrap().as_str(), "ready");
    assert!(p.ok());
    p.kill();
}

#[test]
fn process_blocking_run_starts_and_records_would_block() {
    let [a, b] = everywhere(|| {
        let p = Process::new("sleep infinity").blocking_run();
        let started = p.started();
        let still = p.running();
        let e = p.would_block().map(|e| e.to_string());
        p.kill();
        (started, still, e)
    });
    assert_eq!(a, b);
    assert!(a.0 && a.1, "started, not waited for");
    assert!(
        a.2.unwrap()
            .starts_with("`Process::blocking_run` cannot block here"),
    );
}

#[test]
fn action_handle_twins_report_would_block() {
    for call in [
        "ActionHandle::blocking_wait",
        "ActionHandle::blocking_wait_timeout",
        "ActionHandle::blocking_write",
        "blocking_wait_any",
        "blocking_wait_all",
    ] {
        let a: ActionHandle = Local::new("cat")
            .configure(|p, _, _| p.stdin(Stdin::Piped))
            .start()
            .unwrap();
        let b = a.clone();
        let [h, t] = everywhere(move || match call {
            "ActionHandle::blocking_wait" => b.blocking_wait().ended(),
            "ActionHandle::blocking_wait_timeout" => {
                b.blocking_wait_timeout(Duration::from_secs(60))
            }
            "ActionHandle::blocking_write" => b.blocking_write("x\n").ended(),
            "blocking_wait_any" => blocking_wait_any([&b], None).is_some(),
            _ => blocking_wait_all([&b], None),
        });
        assert!(!h && !t, "{call}: returned at once");
        let e = a.would_block().expect("recorded");
        assert_would_block(&e, call);
        assert!(!a.ok(), "{call}");
        assert!(
            a.processes()[0].write_error().is_none(),
            "{call}: nothing written"
        );
        a.kill();
        a.blocking_wait();
    }
}

#[test]
fn action_expect_and_run_twins_return_would_block() {
    let a = Local::new("echo ready; exec sleep infinity")
        .start()
        .unwrap();
    let b = a.clone();
    let [h, t] = everywhere(move || b.blocking_expect("^ready").unwrap_err().to_string());
    assert_eq!(h, t);
    let b = a.clone();
    let e = in_handler(move || b.blocking_expect("^ready").unwrap_err());
    assert_would_block(&e, "ActionHandle::blocking_expect");
    let b = a.clone();
    let e = in_async_task(move || {
        b.blocking_expect_with(&Expect::new("^ready").unwrap())
            .unwrap_err()
    });
    assert_would_block(&e, "ActionHandle::blocking_expect_with");
    // expect and expect_with have one shape, and the blocking twins the same.
    let each: Vec<execo::Result<execo::process::ExpectMatch>> =
        a.blocking_expect("^ready").unwrap();
    assert!(each[0].is_ok());
    a.kill();

    let [h, t] = everywhere(|| {
        let e = Local::new("sleep infinity").blocking_run().unwrap_err();
        e.to_string()
    });
    assert_eq!(h, t);
    let e = in_handler(|| Local::new("sleep infinity").blocking_run().unwrap_err());
    assert_would_block(&e, "Action::blocking_run");
}

#[test]
fn port_forwarder_blocking_start_returns_would_block() {
    let [h, t] = everywhere(|| {
        PortForwarder::new(Host::new("localhost"), "localhost", 9)
            .blocking_start()
            .err()
            .map(|e| e.to_string())
    });
    assert_eq!(h, t);
    let e = in_async_task(|| {
        PortForwarder::new(Host::new("localhost"), "localhost", 9)
            .blocking_start()
            .unwrap_err()
    });
    assert_would_block(&e, "PortForwarder::blocking_start");
}

#[test]
fn engine_blocking_run_sweep_returns_would_block() {
    // An engine sets the process's logging and signal hooks.
    if !crate::in_own_process("blocking::engine_blocking_run_sweep_returns_would_block") {
        return;
    }
    use execo::engine::{Engine, EngineArgs};
    use execo::sweep::Sweep;
    let dir = crate::Scratch::new("blocking-engine");
    let args = EngineArgs {
        continue_dir: Some(dir.0.join("xp")),
        log_level: "warn".into(),
        ..EngineArgs::default()
    };
    let engine = std::sync::Arc::new(Engine::start("blocking_xp", &args).unwrap());
    let sweeper = std::sync::Arc::new(
        engine
            .sweeper(Sweep::new().param("n", [1, 2]).combinations())
            .unwrap(),
    );
    let (e2, s2) = (engine.clone(), sweeper.clone());
    let [h, t] = everywhere(move || {
        let e: execo::Error = e2
            .blocking_run_sweep(&s2, |_| Ok::<u32, String>(1))
            .unwrap_err()
            .into();
        e.to_string()
    });
    assert_eq!(h, t);
    let e: execo::Error = in_async_task(|| {
        engine
            .blocking_run_sweep(&sweeper, |_| Ok::<u32, String>(1))
            .unwrap_err()
    })
    .into();
    assert_would_block(&e, "Engine::blocking_run_sweep");
    // Nothing was taken: the blocking twin from plain code does it all.
    let outcome = engine
        .blocking_run_sweep(&sweeper, |_| Ok::<u32, String>(1))
        .unwrap();
    assert_eq!((outcome.done, outcome.failed), (2, 0));
}

#[test]
fn wait_any_and_wait_all_twins_have_one_shape() {
    let slow = Local::new("sleep infinity").start().unwrap();
    let fast = Local::new("true").start().unwrap();
    let short = Some(Duration::from_millis(50));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let (any, all, all_short) = runtime.block_on(async {
        (
            execo::action::wait_any([&slow, &fast], None).await,
            execo::action::wait_all([&fast], None).await,
            execo::action::wait_all([&slow, &fast], short).await,
        )
    });
    assert_eq!(
        (any, all, all_short),
        (
            blocking_wait_any([&slow, &fast], None),
            blocking_wait_all([&fast], None),
            blocking_wait_all([&slow, &fast], short),
        )
    );
    assert_eq!((any, all, all_short), (Some(1), true, false));
    slow.kill();
}

#[test]
fn an_experiment_run_where_it_cannot_block_is_refused_before_anything_starts() {
    use std::process::ExitCode;
    let [h, t] = everywhere(|| {
        let dir = std::env::temp_dir().join(format!(
            "execo-it-blocking-xp-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let argv = ["prog", "flows", "--hosts", "h", "-C", dir.to_str().unwrap()];
        let code = execo::engine::experiment::main_with(argv, &mut Vec::new());
        (code, dir.exists())
    });
    assert_eq!(h, (ExitCode::from(2), false));
    assert_eq!(t, (ExitCode::from(2), false));
}

#[test]
fn block_on_runs_async_code_from_plain_code_and_only_there() {
    let out = execo::process::block_on(async { Process::new("echo hi").run().await.stdout() });
    assert_eq!(out.unwrap(), "hi\n");
    let [h, t] = everywhere(|| {
        let e: execo::Error = execo::process::block_on(async { 1 }).unwrap_err().into();
        e.to_string()
    });
    assert_eq!(h, t);
    let e: execo::Error = in_handler(|| execo::process::block_on(async { 1 }).unwrap_err()).into();
    match &e {
        execo::Error::WouldBlock(w) => assert_eq!(w.call(), "process::block_on"),
        other => panic!("{other}"),
    }
}
