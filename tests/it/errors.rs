//! Errors compose: every public error of execo converts into `execo::Error` with `?`,
//! keeps its message and its cause (`source()`), and real failures read "failed to VERB
//! `THING` on HOST: CAUSE".

use std::error::Error as _;
use std::path::{Path, PathBuf};

use execo::config::Config;
use execo::engine::{EmptyLevels, Engine, EngineArgs};
use execo::prelude::*;
use execo::sweep::Sweep;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("execo-it-errors-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `r?` in a function returning execo's `Result`: what a user's script does.
fn question_mark<T, E>(r: Result<T, E>) -> execo::Result<T>
where
    execo::Error: From<E>,
{
    Ok(r?)
}

/// The `Display` of every error in `e`'s `source()` chain, `e` first.
fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut at = e.source();
    while let Some(s) = at {
        out.push(s.to_string());
        at = s.source();
    }
    out
}

/// Converts `inner` with `?`, and checks that the result says the same and has the same
/// causes behind it; returns it.
fn converts<E>(inner: E) -> execo::Error
where
    E: std::error::Error + 'static,
    execo::Error: From<E>,
{
    let want = chain(&inner);
    let e = question_mark(Err::<(), E>(inner)).unwrap_err();
    assert_eq!(chain(&e), want, "the message and the causes are kept");
    e
}

/// A file that is not a directory, under which nothing can be created.
fn a_file(dir: &Path) -> PathBuf {
    let f = dir.join("a-file");
    std::fs::write(&f, "").unwrap();
    f
}

/// execo::Error is usable across threads and in `Box<dyn Error + Send + Sync>`.
#[test]
fn the_error_is_send_sync_and_static() {
    fn check<E: std::error::Error + Send + Sync + 'static>() {}
    check::<execo::Error>();
    let boxed: Box<dyn std::error::Error + Send + Sync> =
        execo::Error::from(Host::parse("").unwrap_err()).into();
    assert!(
        boxed.to_string().starts_with("failed to parse host ``"),
        "{boxed}"
    );
}

#[test]
fn every_public_error_converts_with_its_message_and_cause() {
    let dir = scratch("convert");
    let file = a_file(&dir);

    let e = converts(Host::parse("a b").unwrap_err());
    assert!(
        matches!(e, execo::Error::Host(ref h) if h.input == "a b"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "failed to parse host `a b`: a host cannot contain blanks"
    );

    let e = converts(NodeSet::parse("node-[5-1]").unwrap_err());
    let execo::Error::NodeSet(n) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(n.input(), "node-[5-1]");
    assert!(
        e.to_string().starts_with("reversed range `5-1`"),
        "the node set's own message: {e}"
    );

    let e = converts(Local::new("echo <<nope>>").plan().err().unwrap());
    assert!(matches!(e, execo::Error::Substitution(_)), "{e:?}");

    let e = converts(Config::parse("[run]\nwindow = 0\n", Path::new("/etc/x.toml")).unwrap_err());
    assert!(matches!(e, execo::Error::Config(_)), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("failed to load configuration file `/etc/x.toml`: line 2"),
        "{e}"
    );

    let e = converts(EmptyLevels { parameter: "flows" });
    assert!(matches!(e, execo::Error::EmptyLevels(_)), "{e:?}");
    assert!(e.to_string().contains("parameter `flows`"), "{e}");

    // A sweep whose directory cannot be created: the system's error is the source.
    let combs = Sweep::new().param("n", [1, 2]).combinations();
    let e = converts(ParamSweeper::open(file.join("sweeper"), combs).unwrap_err());
    assert!(matches!(e, execo::Error::Sweep(_)), "{e:?}");
    let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
    assert!(io.is_some(), "the I/O error is kept: {:?}", chain(&e));

    // The engine's result directory under a file.
    let args = EngineArgs {
        continue_dir: Some(file.join("results")),
        log_level: "warn".into(),
        ..EngineArgs::default()
    };
    let e = converts(Engine::start("errors", &args).unwrap_err());
    assert!(matches!(e, execo::Error::Engine(_)), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "failed to prepare result directory `{}`: ",
            file.join("results").display()
        )),
        "{e}"
    );

    #[cfg(feature = "plot")]
    {
        let missing = dir.join("missing.jsonl");
        let e = converts(
            execo::plot::BoxPlot::new("x", "m")
                .load_points(&missing)
                .unwrap_err(),
        );
        assert!(matches!(e, execo::Error::Plot(_)), "{e:?}");
        assert_eq!(
            e.source()
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .map(|io| io.kind()),
            Some(std::io::ErrorKind::NotFound),
            "the I/O error is kept: {:?}",
            chain(&e)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// What a user writes: one `fn` that returns execo's `Result`, `?` on everything.
fn script(hosts: &str, cmd: &str, sweep_dir: &Path) -> execo::Result<usize> {
    let nodes = NodeSet::parse(hosts)?;
    let hosts = nodes
        .iter()
        .map(Host::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let run = Local::per_host(cmd, hosts.iter().map(|h| h.address.clone())).blocking_run()?;
    let combs = Sweep::new().param("n", [1]).combinations();
    let sweeper = ParamSweeper::open(sweep_dir, combs)?;
    while let Some(c) = sweeper.get_next()? {
        sweeper.done(&c)?;
    }
    Ok(run.ok_hosts().len())
}

#[test]
fn real_failures_read_failed_to_verb_thing_cause() {
    let dir = scratch("messages");
    let file = a_file(&dir);
    let sweep = dir.join("sweeper");
    assert_eq!(script("n[1-2]", "echo <<host>>", &sweep).unwrap(), 2);

    // A bad node set: what is wrong, where, and the expression.
    let e = script("n[1-", "true", &sweep).unwrap_err();
    assert_eq!(e.to_string(), "unclosed `[` at byte 1\n  n[1-\n   ^");

    // A bad host in a good node set.
    let e = script("u@", "true", &sweep).unwrap_err();
    assert!(matches!(e, execo::Error::Host(_)), "{e:?}");
    assert!(
        e.to_string().starts_with("failed to parse host `u@`: "),
        "{e}"
    );

    // A bad template.
    let e = script("n1", "echo <<nope>>", &sweep).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("failed to substitute in template `echo <<nope>>` at byte 5"),
        "{e}"
    );
    assert!(e.to_string().contains("no list named `nope`"), "{e}");

    // A sweep directory that cannot be created: the file and the system's cause.
    let e = script("n1", "true", &file.join("sweeper")).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("failed to ")
            && msg.contains(&format!("`{}", file.display()))
            && msg.ends_with(&e.source().unwrap().to_string()),
        "{msg}"
    );

    // A host refused before ssh could read it as an option: named, with the cause.
    let run = Remote::new("true", [Host::new("-oProxyCommand=x")])
        .configure(|p, _, _| p.nolog_error(true))
        .blocking_run()
        .unwrap();
    let start_error = run.process(0).unwrap().start_error().unwrap_or_default();
    assert!(
        start_error.contains("failed to reach host `-oProxyCommand=x`: a host name cannot"),
        "{start_error}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
