//! Parameter sweeps and the checkpointed ParamSweeper, on real files: execo's exact
//! values, the lifecycle, several processes and threads on one directory, `kill -9` in
//! the middle, and every kind of damage the directory can suffer.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use execo::sweep::serde::{Deserialize, Serialize};
use execo::sweep::{
    Combination, Float, ParamSweeper, ResultEntry, Sweep, SweepError, SweepStatus, Value, geom,
    igeom, read_results, reset_dir,
};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("execo-it-sweeper-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn grid(n: usize) -> Vec<Combination> {
    Sweep::new().param("i", 0..n as i64).combinations()
}

fn ival(c: &Combination) -> i64 {
    match c.get("i") {
        Some(Value::Int(i)) => *i,
        other => panic!("no i in {c:?}: {other:?}"),
    }
}

/// The `i` of every line of done.jsonl (`{"c":{"i":N}...`), in order, duplicates kept.
fn done_log(dir: &Path) -> Vec<i64> {
    let text = std::fs::read_to_string(dir.join("done.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| {
            l.strip_prefix("{\"c\":{\"i\":")
                .and_then(|rest| rest.split('}').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("bad done line {l:?}"))
        })
        .collect()
}

// ---------------------------------------------------------------- sweeps

#[test]
fn igeom_and_geom_match_execo() {
    // Values printed by Python execo 2.8.2 (`from execo_engine import igeom, geom`).
    assert_eq!(igeom(1, 20, 5), [1, 2, 4, 9, 20]);
    assert_eq!(igeom(1, 100, 10), [1, 2, 3, 5, 8, 13, 22, 36, 60, 100]);
    assert_eq!(
        igeom(1, 1024, 11),
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    );
    assert_eq!(igeom(2, 1000, 7), [2, 6, 16, 45, 126, 355, 1000]);
    assert_eq!(
        igeom(10, 20000, 8),
        [10, 30, 88, 260, 770, 2280, 6752, 20000]
    );
    assert_eq!(igeom(1, 10, 20), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(igeom(1, 1, 3), [1]);
    assert_eq!(igeom(5, 5, 1), [5]);
    assert_eq!(igeom(3, 7, 2), [3, 7]);
    assert_eq!(igeom(1, 20, 1), [1]);
    assert_eq!(igeom(1, 20, 0), Vec::<u64>::new());

    assert_eq!(
        geom(1.0, 20.0, 5),
        [
            1.0,
            2.114742526881128,
            4.472135954999579,
            9.457416090031757,
            20.0
        ]
    );
    assert_eq!(
        geom(0.5, 100.0, 7),
        [
            0.5,
            1.2091355875609786,
            2.924017738212866,
            7.071067811865475,
            17.09975946676697,
            41.35185542000137,
            100.0
        ]
    );
    assert_eq!(
        geom(2.0, 3.0, 4),
        [2.0, 2.2894284851066637, 2.620741394208897, 3.0]
    );
    assert_eq!(geom(1.0, 1.0, 1), [1.0]);
    assert!(geom(1.0, 2.0, 0).is_empty());
}

fn comb(pairs: &[(&str, Value)]) -> Combination {
    Combination(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

#[test]
fn restricted_sub_sweeps_match_execo() {
    // execo: sweep({'a':[1,2],'b':{'x':{'c':[True,False]},'y':{}}})
    let combs = Sweep::new()
        .param("a", [1, 2])
        .restricted(
            "b",
            [
                ("x", Sweep::new().param("c", [true, false])),
                ("y", Sweep::new()),
            ],
        )
        .combinations();
    let b = |s: &str| Value::from(s);
    let expected = vec![
        comb(&[("a", 1.into()), ("b", b("x")), ("c", true.into())]),
        comb(&[("a", 1.into()), ("b", b("x")), ("c", false.into())]),
        comb(&[("a", 1.into()), ("b", b("y"))]),
        comb(&[("a", 2.into()), ("b", b("x")), ("c", true.into())]),
        comb(&[("a", 2.into()), ("b", b("x")), ("c", false.into())]),
        comb(&[("a", 2.into()), ("b", b("y"))]),
    ];
    assert_eq!(combs, expected);
    assert!(combs[2].get("c").is_none());
    assert_eq!(combs[0].to_string(), "a=1 b=x c=true");
}

#[test]
fn empty_levels_are_dropped_and_the_order_is_nested_loops() {
    // execo: sweep({'a':[1,2],'e':[],'b':['u','v']}) -> a=1 b=u, a=1 b=v, a=2 b=u, a=2 b=v
    let combs = Sweep::new()
        .param("a", [1, 2])
        .param("e", Vec::<i64>::new())
        .param("b", ["u", "v"])
        .combinations();
    let got: Vec<String> = combs.iter().map(|c| c.to_string()).collect();
    assert_eq!(got, ["a=1 b=u", "a=1 b=v", "a=2 b=u", "a=2 b=v"]);
    // The last declared varies fastest, whatever the names' alphabetical order.
    let combs = Sweep::new()
        .param("z", [1, 2])
        .param("a", [10, 20, 30])
        .combinations();
    let got: Vec<(i64, i64)> = combs
        .iter()
        .map(|c| match (c.get("z"), c.get("a")) {
            (Some(Value::Int(z)), Some(Value::Int(a))) => (*z, *a),
            _ => panic!("{c:?}"),
        })
        .collect();
    assert_eq!(got, [(1, 10), (1, 20), (1, 30), (2, 10), (2, 20), (2, 30)]);
    assert_eq!(Sweep::new().combinations(), vec![Combination::default()]);
    // Floats, bools, strings and big numbers keep their kinds.
    let c = &Sweep::new()
        .param("f", [2.5])
        .param("u", [u64::MAX])
        .combinations()[0];
    assert_eq!(c.get("f"), Some(&Value::Float(Float(2.5))));
    assert!(matches!(c.get("u"), Some(Value::Float(_))));
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Hash)]
#[serde(crate = "execo::sweep::serde")]
struct Params {
    cc: String,
    flows: u32,
    #[serde(default)]
    pacing: Option<bool>,
}

#[test]
fn typed_fills_a_struct_and_names_the_bad_field() {
    let sweep = Sweep::new().param("flows", igeom(1, 4, 3)).restricted(
        "cc",
        [
            ("bbr", Sweep::new().param("pacing", [true, false])),
            ("cubic", Sweep::new()),
        ],
    );
    let typed: Vec<Params> = sweep.typed().unwrap();
    assert_eq!(typed.len(), 9);
    assert_eq!(
        typed[0],
        Params {
            cc: "bbr".into(),
            flows: 1,
            pacing: Some(true)
        }
    );
    assert_eq!(typed[2].pacing, None);

    // A mistyped level: the error names the combination and the field.
    let err = Sweep::new()
        .param("cc", ["reno"])
        .param("flows", ["many"])
        .typed::<Params>()
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SweepError::Typed { index: 0, .. }), "{msg}");
    assert!(msg.contains("field `flows`"), "{msg}");
    assert!(msg.contains("cc=reno flows=many"), "{msg}");
    assert!(msg.contains("invalid type"), "{msg}");

    // A missing parameter.
    let msg = Sweep::new()
        .param("cc", ["reno"])
        .typed::<Params>()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("missing field `flows`"), "{msg}");
}

// ---------------------------------------------------------------- ParamSweeper

#[test]
fn lifecycle_and_reopen_restore_done() {
    let dir = scratch("lifecycle").join("sweeper");
    let s = ParamSweeper::open(&dir, grid(5)).unwrap();
    assert_eq!(s.dir(), dir);
    assert_eq!(
        std::fs::read_to_string(dir.join("format")).unwrap(),
        "execo-sweeper 1\n"
    );
    assert_eq!(
        s.stats().to_string(),
        "5 total, 0 done, 0 skipped, 0 in progress, 5 remaining"
    );
    let a = s.get_next().unwrap().unwrap();
    let b = s.get_next().unwrap().unwrap();
    assert_eq!((ival(&a), ival(&b)), (0, 1), "sweep order");
    assert_eq!(s.in_progress(), vec![a.clone(), b.clone()]);
    s.done(&a).unwrap();
    let st = s.stats();
    assert_eq!((st.total, st.done, st.in_progress, st.todo), (5, 1, 1, 3));
    assert_eq!(s.done_items(), vec![a.clone()]);
    assert!(!s.is_finished());
    // sweep.jsonl holds the whole sweep, one canonical combination a line.
    let saved = std::fs::read_to_string(dir.join("sweep.jsonl")).unwrap();
    assert_eq!(saved.lines().count(), 5);
    assert_eq!(saved.lines().next(), Some("{\"i\":0}"));
    assert_eq!(
        std::fs::read_to_string(dir.join("done.jsonl")).unwrap(),
        "{\"c\":{\"i\":0}}\n"
    );
    drop(s);

    // Reopened: done is restored; b, held by a dropped sweeper of this process, is stale.
    let s = ParamSweeper::open(&dir, grid(5)).unwrap();
    assert_eq!(s.done_items(), vec![a.clone()]);
    assert_eq!(s.stats().in_progress, 0);
    assert_eq!(s.todo().len(), 4);
    while let Some(c) = s.get_next().unwrap() {
        s.done(&c).unwrap();
    }
    assert!(s.is_finished());
    assert_eq!(s.stats().done, 5);
    // Done twice is recorded once.
    s.done(&a).unwrap();
    assert_eq!(done_log(&dir), [0, 1, 2, 3, 4]);
    assert!(format!("{s}").ends_with("<5 total, 5 done, 0 skipped, 0 in progress, 0 remaining>"));
}

#[test]
fn skip_is_not_persisted_cancel_and_reset() {
    let dir = scratch("skip");
    let s = ParamSweeper::open(&dir, grid(4)).unwrap();
    let a = s.get_next().unwrap().unwrap();
    s.skip(&a).unwrap();
    assert_eq!(s.skipped(), vec![a.clone()]);
    assert_eq!(s.stats().skipped, 1);
    assert_eq!(s.stats().in_progress, 0);
    // Skipped is not handed out again in this run.
    let b = s.get_next().unwrap().unwrap();
    assert_ne!(a, b);
    // cancel: back to todo, first in order again.
    s.cancel(&b).unwrap();
    assert_eq!(s.todo().first(), Some(&b));
    // reset: skips forgotten.
    s.reset(false).unwrap();
    assert_eq!(s.todo().first(), Some(&a));
    let c = s.get_next().unwrap().unwrap();
    assert_eq!(c, a);
    // reset(true): in-progress items too.
    s.reset(true).unwrap();
    assert_eq!(s.stats().in_progress, 0);
    assert_eq!(s.stats().todo, 4);

    // A skip is not saved: another run sees the combination as todo.
    let x = s.get_next().unwrap().unwrap();
    s.skip(&x).unwrap();
    drop(s);
    let s = ParamSweeper::open(&dir, grid(4)).unwrap();
    assert_eq!(s.stats().skipped, 0);
    assert_eq!(s.get_next().unwrap(), Some(x));
    // cancel_mine gives back all this instance holds.
    let _ = s.get_next_batch(2).unwrap();
    assert_eq!(s.cancel_mine().unwrap(), 3);
    assert_eq!(s.stats().todo, 4);
}

#[test]
fn get_next_with_and_batch() {
    let dir = scratch("pick");
    let s = ParamSweeper::open(&dir, grid(6)).unwrap();
    // Pick the last todo item.
    let c = s
        .get_next_with(|todo| todo.len().checked_sub(1))
        .unwrap()
        .unwrap();
    assert_eq!(ival(&c), 5);
    // Filter: only even ones.
    let c = s
        .get_next_with(|todo| todo.iter().position(|c| ival(c) % 2 == 0 && ival(c) > 0))
        .unwrap()
        .unwrap();
    assert_eq!(ival(&c), 2);
    assert_eq!(s.get_next_with(|_| None).unwrap(), None);
    let err = s.get_next_with(|_| Some(99)).unwrap_err();
    assert!(err.to_string().contains("index 99 of 4"), "{err}");
    let batch = s.get_next_batch(10).unwrap();
    assert_eq!(batch.iter().map(ival).collect::<Vec<_>>(), [0, 1, 3, 4]);
    assert_eq!(s.get_next().unwrap(), None);
    assert_eq!(s.stats().in_progress, 6);
}

#[test]
fn a_changed_sweep_keeps_done() {
    let dir = scratch("changed");
    let s = ParamSweeper::open(&dir, grid(4)).unwrap();
    for _ in 0..3 {
        let c = s.get_next().unwrap().unwrap();
        s.done(&c).unwrap();
    }
    drop(s);
    // Next run: a smaller sweep plus new combinations.
    let new: Vec<Combination> = grid(8).into_iter().skip(2).collect();
    let s = ParamSweeper::open(&dir, new).unwrap();
    let st = s.stats();
    assert_eq!((st.total, st.done, st.todo), (6, 1, 5), "{st}");
    assert_eq!(
        std::fs::read_to_string(dir.join("sweep.jsonl"))
            .unwrap()
            .lines()
            .count(),
        6
    );
    // The old done items come back when the sweep does.
    s.set_sweep(grid(8)).unwrap();
    assert_eq!(s.stats().done, 3);
    assert_eq!(
        s.todo().iter().map(ival).collect::<Vec<_>>(),
        [3, 4, 5, 6, 7]
    );
    // Duplicates in a sweep count once.
    let mut dup = grid(3);
    dup.extend(grid(3));
    s.set_sweep(dup).unwrap();
    assert_eq!(s.stats().total, 3);
}

#[test]
fn typed_sweeper_with_floats_survives_reopen() {
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Hash)]
    #[serde(crate = "execo::sweep::serde")]
    struct P {
        rate: Float,
        name: String,
    }
    let dir = scratch("floats");
    let combs: Vec<P> = Sweep::new()
        .param("rate", geom(0.5, 100.0, 7))
        .param("name", ["x"])
        .typed()
        .unwrap();
    let s = ParamSweeper::open(&dir, combs.clone()).unwrap();
    for _ in 0..4 {
        let c = s.get_next().unwrap().unwrap();
        s.done_with(&c, &c.rate.0).unwrap();
    }
    drop(s);
    let s = ParamSweeper::open(&dir, combs.clone()).unwrap();
    assert_eq!(s.done_items(), combs[..4].to_vec());
    assert_eq!(s.todo(), combs[4..].to_vec());
}

#[test]
fn param_stats_per_level() {
    let dir = scratch("pstats");
    let combs = Sweep::new()
        .param("cc", ["cubic", "reno"])
        .param("n", [1, 2, 4])
        .combinations();
    let s = ParamSweeper::open(&dir, combs).unwrap();
    for _ in 0..3 {
        let c = s.get_next().unwrap().unwrap();
        s.done(&c).unwrap();
    }
    let c = s.get_next().unwrap().unwrap();
    s.skip(&c).unwrap();
    let ps = s.param_stats();
    let names: Vec<&str> = ps.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["cc", "n"]);
    let cc = &ps.params[0].levels;
    assert_eq!(cc[0].level, "cubic");
    assert_eq!((cc[0].stats.total, cc[0].stats.done), (3, 3));
    assert_eq!(
        (cc[1].stats.done, cc[1].stats.skipped, cc[1].stats.todo),
        (0, 1, 2)
    );
    let n1 = &ps.params[1].levels[0];
    assert_eq!((n1.stats.total, n1.stats.done, n1.stats.skipped), (2, 1, 1));
    let table = ps.to_string();
    assert!(
        table.lines().next().unwrap().starts_with("parameter"),
        "{table}"
    );
    assert!(
        table.contains("cubic") && table.contains("100.0%"),
        "{table}"
    );
}

#[test]
fn threads_share_one_instance() {
    let dir = scratch("threads");
    let s = Arc::new(ParamSweeper::open(&dir, grid(400)).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                while let Some(c) = s.get_next().unwrap() {
                    s.done_with(&c, &t).unwrap();
                    mine.push(ival(&c));
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<i64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(all, (0..400).collect::<Vec<_>>());
    let mut log = done_log(&dir);
    log.sort();
    assert_eq!(log, all);
    assert!(s.is_finished());
}

#[test]
fn two_instances_in_one_process_do_not_share_work() {
    let dir = scratch("two");
    let a = ParamSweeper::open(&dir, grid(50)).unwrap();
    let b = ParamSweeper::open(&dir, grid(50)).unwrap();
    let mut seen = HashSet::new();
    loop {
        let x = a.get_next().unwrap();
        let y = b.get_next().unwrap();
        if x.is_none() && y.is_none() {
            break;
        }
        for c in x.iter().chain(y.iter()) {
            assert!(seen.insert(ival(c)), "{c} handed out twice");
        }
    }
    assert_eq!(seen.len(), 50);
    // a's items, seen by b as in progress, are not b's to give back.
    assert_eq!(b.cancel_mine().unwrap(), 25);
    a.update().unwrap();
    assert_eq!(a.stats().in_progress, 25);
    assert_eq!(a.stats().todo, 25);
}

// ---------------------------------------------------------------- processes

fn spawn_worker(dir: &Path, n: usize, record: &Path, work_ms: u64) -> Child {
    // examples/sweeper_worker.rs
    Command::new(crate::example("sweeper_worker"))
        .arg(dir)
        .arg(n.to_string())
        .arg(record)
        .arg(work_ms.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn recorded(path: &Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn four_processes_share_one_directory() {
    let root = scratch("procs");
    let dir = root.join("sweeper");
    let n = 600;
    let children: Vec<(Child, PathBuf)> = (0..4)
        .map(|i| {
            let rec = root.join(format!("record-{i}"));
            (spawn_worker(&dir, n, &rec, 0), rec)
        })
        .collect();
    let mut all = Vec::new();
    let mut busy = 0;
    for (child, rec) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mine = recorded(&rec);
        busy += usize::from(!mine.is_empty());
        all.extend(mine);
    }
    assert!(busy >= 2, "only {busy} process(es) did any work");
    all.sort();
    assert_eq!(
        all,
        (0..n as i64).collect::<Vec<_>>(),
        "each done exactly once"
    );
    let mut log = done_log(&dir);
    log.sort();
    assert_eq!(log, all);
    let status = SweepStatus::read(&dir).unwrap();
    assert_eq!(status.stats.done, n);
    assert!(status.in_progress.is_empty());
}

#[test]
fn kill_9_in_the_middle_loses_and_duplicates_nothing() {
    let root = scratch("kill9");
    let dir = root.join("sweeper");
    // Enough items that the workers (2 ms each) cannot run out before a round's kill,
    // however slow the test's own thread is to notice their progress.
    let n = 3000;
    let rec = root.join("record");
    for round in 0..5 {
        // Two workers killed at some point of their loop.
        let before = recorded(&rec).len();
        let mut a = spawn_worker(&dir, n, &rec, 2);
        let mut b = spawn_worker(&dir, n, &rec, 2);
        assert!(
            crate::eventually(Duration::from_secs(60), || recorded(&rec).len()
                >= before + 5 + round),
            "round {round}: no progress"
        );
        a.kill().unwrap();
        std::thread::sleep(Duration::from_millis(round as u64));
        b.kill().unwrap();
        a.wait().unwrap();
        b.wait().unwrap();
        // Reopened: their items are back to todo (their processes are gone).
        let s = ParamSweeper::open(&dir, grid(n)).unwrap();
        let st = s.stats();
        assert_eq!(st.in_progress, 0, "round {round}: {st}");
        assert_eq!(st.done + st.todo, n, "round {round}: {st}");
        let log = done_log(&dir);
        let logged: HashSet<i64> = log.iter().copied().collect();
        assert_eq!(logged.len(), log.len(), "round {round}: a done line twice");
        assert_eq!(logged.len(), st.done, "round {round}");
        let acked = recorded(&rec);
        assert!(
            acked.iter().all(|i| logged.contains(i)),
            "round {round}: acknowledged but not in the done log"
        );
    }
    // The rest, by two workers to the end.
    let mut left: Vec<Child> = (0..2).map(|_| spawn_worker(&dir, n, &rec, 0)).collect();
    for c in left.drain(..) {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut log = done_log(&dir);
    log.sort();
    assert_eq!(
        log,
        (0..n as i64).collect::<Vec<_>>(),
        "each done exactly once"
    );
}

#[test]
fn stale_items_of_a_killed_process_go_back_while_others_run() {
    let root = scratch("stale");
    let dir = root.join("sweeper");
    let rec = root.join("record");
    let s = ParamSweeper::open(&dir, grid(20)).unwrap();
    let mut victim = spawn_worker(&dir, 20, &rec, 3_600_000);
    // The victim takes one item and sleeps on it.
    assert!(crate::eventually(Duration::from_secs(60), || {
        s.update().unwrap();
        s.stats().in_progress == 1
    }));
    let held = s.in_progress();
    // Alive: update leaves it alone.
    s.update().unwrap();
    assert_eq!(s.in_progress(), held);
    victim.kill().unwrap();
    victim.wait().unwrap();
    s.update().unwrap();
    assert_eq!(s.stats().in_progress, 0);
    assert_eq!(s.todo().first(), held.first());
}

// ---------------------------------------------------------------- damage

#[test]
fn a_truncated_last_done_line_is_cut() {
    let dir = scratch("trunc");
    let s = ParamSweeper::open(&dir, grid(3)).unwrap();
    let c = s.get_next().unwrap().unwrap();
    s.done(&c).unwrap();
    drop(s);
    // A writer killed mid-line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("done.jsonl"))
        .unwrap();
    f.write_all(b"{\"c\":{\"i\":1").unwrap();
    drop(f);
    let s = ParamSweeper::open(&dir, grid(3)).unwrap();
    assert_eq!(s.stats().done, 1);
    assert_eq!(
        std::fs::read_to_string(dir.join("done.jsonl")).unwrap(),
        "{\"c\":{\"i\":0}}\n"
    );
    let c = s.get_next().unwrap().unwrap();
    assert_eq!(ival(&c), 1);
    s.done(&c).unwrap();
    assert_eq!(done_log(&dir), [0, 1]);
    // A partial line written while a sweeper is open is cut by its next operation.
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("done.jsonl"))
        .unwrap()
        .write_all(b"{\"c\":")
        .unwrap();
    let c = s.get_next().unwrap().unwrap();
    s.done(&c).unwrap();
    assert_eq!(done_log(&dir), [0, 1, 2]);
}

#[test]
fn a_damaged_middle_line_is_a_clear_error() {
    let dir = scratch("damaged");
    let s = ParamSweeper::open(&dir, grid(3)).unwrap();
    for _ in 0..2 {
        let c = s.get_next().unwrap().unwrap();
        s.done(&c).unwrap();
    }
    drop(s);
    let path = dir.join("done.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("{\"c\"", "{\"c\" garbage", 1)).unwrap();
    let err = ParamSweeper::open(&dir, grid(3)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SweepError::Damaged { line: 1, .. }), "{msg}");
    assert!(msg.contains("done.jsonl` line 1"), "{msg}");
    assert!(msg.contains("repair or delete that line"), "{msg}");
    // Nothing was dropped: the file is as it was.
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    let err = SweepStatus::read(&dir).unwrap_err();
    assert!(matches!(err, SweepError::Damaged { .. }), "{err}");
}

#[test]
fn a_corrupt_inprogress_file_is_repaired() {
    let dir = scratch("inprog");
    let s = ParamSweeper::open(&dir, grid(3)).unwrap();
    let c = s.get_next().unwrap().unwrap();
    s.done(&c).unwrap();
    let _held = s.get_next().unwrap().unwrap();
    drop(s);
    std::fs::write(dir.join("inprogress.json"), "{\"items\":[{\"c\":{\"i\"").unwrap();
    std::fs::write(dir.join(".tmp.inprogress.json"), "left by a kill").unwrap();
    let s = ParamSweeper::open(&dir, grid(3)).unwrap();
    let st = s.stats();
    assert_eq!((st.done, st.in_progress, st.todo), (1, 0, 2), "{st}");
    assert!(
        !dir.join(".tmp.inprogress.json").exists(),
        "leftover removed"
    );
    let c = s.get_next().unwrap().unwrap();
    assert_eq!(ival(&c), 1);
    let text = std::fs::read_to_string(dir.join("inprogress.json")).unwrap();
    assert!(text.contains("{\"i\":1}"), "{text}");
}

#[test]
fn a_missing_or_newer_format_is_an_error() {
    let dir = scratch("format");
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let err = ParamSweeper::open(&dir, grid(2)).unwrap_err();
    assert!(matches!(err, SweepError::NotASweeper { .. }), "{err}");
    assert!(err.to_string().contains("no `format` file"), "{err}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "nothing written"
    );

    let dir = scratch("format2");
    drop(ParamSweeper::open(&dir, grid(2)).unwrap());
    std::fs::write(dir.join("format"), "execo-sweeper 2\n").unwrap();
    let err = ParamSweeper::open(&dir, grid(2)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SweepError::Format { .. }), "{msg}");
    assert!(
        msg.contains("execo-sweeper 2") && msg.contains("format"),
        "{msg}"
    );
    assert!(SweepStatus::read(&dir).is_err());
    std::fs::remove_file(dir.join("format")).unwrap();
    let err = ParamSweeper::open(&dir, grid(2)).unwrap_err();
    assert!(matches!(err, SweepError::NotASweeper { .. }), "{err}");
}

#[test]
fn an_unwritable_directory_is_a_clear_error() {
    let root = scratch("unwritable");
    // A path under a regular file cannot be created, even by root.
    let file = root.join("a-file");
    std::fs::write(&file, "").unwrap();
    let dir = file.join("sweeper");
    let err = ParamSweeper::open(&dir, grid(2)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SweepError::Io { .. }), "{msg}");
    assert!(
        msg.contains("create the sweeper directory") && msg.contains("a-file/sweeper"),
        "{msg}"
    );
    // Results to a path that is a file.
    let s = ParamSweeper::open(root.join("ok"), grid(2)).unwrap();
    let err = s.results_to(&file).unwrap_err();
    assert!(err.to_string().contains("a-file"), "{err}");
}

// ---------------------------------------------------------------- status, reset, results

#[test]
fn status_and_reset_dir_without_the_program() {
    let root = scratch("status");
    let dir = root.join("sweeper");
    let s = ParamSweeper::open(&dir, grid(6)).unwrap();
    let c = s.get_next().unwrap().unwrap();
    s.done(&c).unwrap();
    let held = s.get_next().unwrap().unwrap();

    let st = SweepStatus::read(&dir).unwrap();
    assert_eq!(st.format_version, 1);
    assert_eq!(
        (
            st.stats.total,
            st.stats.done,
            st.stats.in_progress,
            st.stats.todo
        ),
        (6, 1, 1, 4)
    );
    assert_eq!(st.in_progress.len(), 1);
    let e = &st.in_progress[0];
    assert_eq!(e.pid, std::process::id());
    assert!(!e.stale);
    assert_eq!(e.comb.to_string(), "{\"i\":1}");
    let text = st.to_string();
    assert!(
        text.contains("6 total, 1 done, 0 skipped, 1 in progress, 4 remaining"),
        "{text}"
    );
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    assert!(text.contains("parameter"), "{text}");

    // Alive holder: a plain reset leaves it; --in-progress does not.
    assert_eq!(reset_dir(&dir, false).unwrap(), 0);
    assert_eq!(reset_dir(&dir, true).unwrap(), 1);
    s.update().unwrap();
    assert_eq!(s.todo().first(), Some(&held));
    assert_eq!(SweepStatus::read(&dir).unwrap().stats.in_progress, 0);

    let err = SweepStatus::read(root.join("nowhere")).unwrap_err();
    assert!(matches!(err, SweepError::Missing { .. }), "{err}");
    assert!(err.to_string().contains("nowhere"), "{err}");
    assert!(reset_dir(root.join("nowhere"), true).is_err());
    assert!(!root.join("nowhere").exists(), "reset creates nothing");
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(crate = "execo::sweep::serde")]
struct Bw {
    gbps: f64,
    note: String,
}

#[test]
fn results_are_exported_exactly_once() {
    let root = scratch("results");
    let dir = root.join("sweeper");
    let s = ParamSweeper::open(&dir, grid(6))
        .unwrap()
        .results_to(&root)
        .unwrap();
    for k in 0..3 {
        let c = s.get_next().unwrap().unwrap();
        s.done_with(
            &c,
            &Bw {
                gbps: 1.5 * k as f64,
                note: format!("run {k}\nsecond line"),
            },
        )
        .unwrap();
    }
    // done() without a result: not exported.
    let c = s.get_next().unwrap().unwrap();
    s.done(&c).unwrap();
    let check = |want: &[i64]| {
        for name in ["results.jsonl", "results.yaml"] {
            let rs: Vec<ResultEntry<Combination, Bw>> = read_results(root.join(name)).unwrap();
            let mut is: Vec<i64> = rs.iter().map(|r| ival(&r.params)).collect();
            is.sort();
            assert_eq!(is, want, "{name}");
            for r in &rs {
                assert_eq!(r.result.gbps, 1.5 * ival(&r.params) as f64, "{name}");
            }
        }
    };
    check(&[0, 1, 2]);
    let yaml = std::fs::read_to_string(root.join("results.yaml")).unwrap();
    assert!(yaml.starts_with("- params:\n"), "{yaml}");
    drop(s);

    // Damage: a cut last entry in one file, a duplicate in the other, one entry missing.
    let jl = root.join("results.jsonl");
    let text = std::fs::read_to_string(&jl).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&jl, format!("{}\n{}", lines[0], &lines[1][..10])).unwrap();
    let ym = root.join("results.yaml");
    std::fs::write(&ym, format!("{yaml}{yaml}")).unwrap();
    let s = ParamSweeper::open(&dir, grid(6))
        .unwrap()
        .results_to(&root)
        .unwrap();
    check(&[0, 1, 2]);
    // A partial tail found by an append is repaired too.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&jl)
        .unwrap()
        .write_all(b"{\"params\":")
        .unwrap();
    let c = s.get_next().unwrap().unwrap();
    assert_eq!(ival(&c), 4);
    s.done_with(
        &c,
        &Bw {
            gbps: 6.0,
            note: "x".into(),
        },
    )
    .unwrap();
    check(&[0, 1, 2, 4]); // 3 was done without a result
    let rs: Vec<ResultEntry<Combination, Bw>> = read_results(&jl).unwrap();
    assert_eq!(rs.len(), 4);
    // Unknown extension.
    assert!(read_results::<Combination, Bw>(root.join("sweeper/format")).is_err());
}

/// Five combinations of `grid(6)` done, 0 to 3 with a result (`Bw { gbps: i, .. }`),
/// 4 without; results exported to `root`.
fn four_results(root: &Path) -> PathBuf {
    let dir = root.join("sweeper");
    let s = ParamSweeper::open(&dir, grid(6))
        .unwrap()
        .results_to(root)
        .unwrap();
    for _ in 0..4 {
        let c = s.get_next().unwrap().unwrap();
        let bw = Bw {
            gbps: ival(&c) as f64 + 0.1,
            note: format!("run {}", ival(&c)),
        };
        s.done_with(&c, &bw).unwrap();
    }
    let c = s.get_next().unwrap().unwrap();
    s.done(&c).unwrap();
    dir
}

fn file(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[test]
fn results_missing_from_a_cut_or_emptied_done_log_go_back_into_it() {
    let root = scratch("unlogged");
    let dir = four_results(&root);
    let (jl, ym, log) = (
        root.join("results.jsonl"),
        root.join("results.yaml"),
        dir.join("done.jsonl"),
    );
    let (jl_before, ym_before) = (file(&jl), file(&ym));
    let full_log = std::fs::read_to_string(&log).unwrap();

    // The log cut after its first line: 1 to 3 are only in the exports.
    let first = full_log.lines().next().unwrap();
    std::fs::write(&log, format!("{first}\n")).unwrap();
    let s = ParamSweeper::open(&dir, grid(6))
        .unwrap()
        .results_to(&root)
        .unwrap();
    let done: Vec<i64> = s.done_items().iter().map(ival).collect();
    assert_eq!(
        done,
        [0, 1, 2, 3],
        "4 had no result: it is lost, and redone"
    );
    assert_eq!(done_log(&dir), [0, 1, 2, 3]);
    assert_eq!(file(&jl), jl_before, "results.jsonl changed");
    assert_eq!(file(&ym), ym_before, "results.yaml changed");
    // The recovered lines carry their results: rebuilt from the log, the exports match.
    drop(s);
    std::fs::remove_file(&jl).unwrap();
    std::fs::remove_file(&ym).unwrap();
    let s = ParamSweeper::open(&dir, grid(6))
        .unwrap()
        .results_to(&root)
        .unwrap();
    assert_eq!(file(&jl), jl_before);
    assert_eq!(file(&ym), ym_before);

    // Emptied, with results.jsonl gone as well: results.yaml alone brings them back.
    drop(s);
    std::fs::write(&log, "").unwrap();
    std::fs::remove_file(&jl).unwrap();
    let s = ParamSweeper::open(&dir, grid(6))
        .unwrap()
        .results_to(&root)
        .unwrap();
    assert_eq!(s.stats().done, 4);
    let mut logged = done_log(&dir);
    logged.sort();
    assert_eq!(logged, [0, 1, 2, 3]);
    assert_eq!(file(&ym), ym_before);
    let rs: Vec<ResultEntry<Combination, Bw>> = read_results(&jl).unwrap();
    assert_eq!(rs.len(), 4);
    for r in &rs {
        assert_eq!(r.result.gbps, ival(&r.params) as f64 + 0.1);
        assert_eq!(r.result.note, format!("run {}", ival(&r.params)));
    }
    // Nothing done is handed out again.
    let next: Vec<i64> = s.get_next_batch(10).unwrap().iter().map(ival).collect();
    assert_eq!(next, [4, 5]);

    // Emptied while a sweeper runs on it: its next operation puts them back.
    let ym_before = file(&ym);
    std::fs::write(&log, "").unwrap();
    s.update().unwrap();
    assert_eq!(s.stats().done, 4);
    let mut logged = done_log(&dir);
    logged.sort();
    assert_eq!(logged, [0, 1, 2, 3]);
    assert_eq!(file(&ym), ym_before);
    let c = s.in_progress()[0].clone();
    s.done_with(
        &c,
        &Bw {
            gbps: 4.1,
            note: "run 4".into(),
        },
    )
    .unwrap();
    let rs: Vec<ResultEntry<Combination, Bw>> = read_results(&ym).unwrap();
    let mut is: Vec<i64> = rs.iter().map(|r| ival(&r.params)).collect();
    is.sort();
    assert_eq!(is, [0, 1, 2, 3, 4]);
}

#[test]
fn a_result_the_done_log_lacks_and_that_cannot_go_back_is_an_error_changing_nothing() {
    let root = scratch("unlogged-bad");
    let dir = four_results(&root);
    let (jl, ym, log) = (
        root.join("results.jsonl"),
        root.join("results.yaml"),
        dir.join("done.jsonl"),
    );
    std::fs::write(&log, "").unwrap();
    let good = file(&jl);
    let ym_before = file(&ym);
    for (bad, cause) in [
        (
            "{\"params\":{\"i\":99},\"result\":{\"gbps\":1.0,\"note\":\"\"}}\n",
            "its combination {\"i\":99} is neither in the done log nor in the sweep",
        ),
        ("{\"params\":{\"i\":5}}\n", "the entry does not read"),
        ("not json at all\n", "the entry does not read"),
    ] {
        let mut damaged = good.clone();
        damaged.extend_from_slice(bad.as_bytes());
        std::fs::write(&jl, &damaged).unwrap();
        let err = ParamSweeper::open(&dir, grid(6))
            .unwrap()
            .results_to(&root)
            .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, SweepError::Unlogged { line: 5, .. }), "{msg}");
        assert!(msg.contains("results.jsonl` line 5 with `"), "{msg}");
        assert!(msg.contains("sweeper/done.jsonl`"), "{msg}");
        assert!(msg.contains(cause), "{msg}");
        assert!(msg.contains("will not delete"), "{msg}");
        assert_eq!(file(&jl), damaged, "results.jsonl changed");
        assert_eq!(file(&ym), ym_before, "results.yaml changed");
        assert_eq!(file(&log), b"", "done.jsonl changed");
    }
    // A last line cut by a kill is no reason to stop: it is dropped, the rest recovered.
    let mut cut = good.clone();
    cut.extend_from_slice(b"{\"params\":{\"i\":5},\"res");
    std::fs::write(&jl, &cut).unwrap();
    let s = ParamSweeper::open(&dir, grid(6))
        .unwrap()
        .results_to(&root)
        .unwrap();
    assert_eq!(s.stats().done, 4);
    assert_eq!(file(&jl), good);
}
