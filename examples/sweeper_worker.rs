//! A worker of the multi-process sweeper tests (tests/it/sweeper.rs): loops `get_next` /
//! `done_with` over the combinations `i = 0..N` of a shared sweeper directory, appending
//! each acknowledged `i` to a record file, and waits `WORK_MS` between taking and
//! finishing one (so that a `kill -9` can land in the middle).
//!
//! ```text
//! sweeper_worker DIR N RECORD WORK_MS
//! ```
//! Prints `opened` once the sweeper is open.

use std::io::Write;
use std::time::Duration;

use execo::sweep::{Combination, ParamSweeper, Sweep, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n, record, work_ms] = args.as_slice() else {
        eprintln!("usage: sweeper_worker DIR N RECORD WORK_MS");
        std::process::exit(2)
    };
    let n: i64 = n.parse().expect("N: a number");
    let work: u64 = work_ms.parse().expect("WORK_MS: a number");
    let mut record = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(record)
        .expect("open the record file");
    let combs: Vec<Combination> = Sweep::new().param("i", 0..n).combinations();
    let s = ParamSweeper::open(dir, combs).expect("open the sweeper");
    println!("opened");
    while let Some(c) = s.get_next().expect("get_next") {
        if work > 0 {
            std::thread::sleep(Duration::from_millis(work));
        }
        s.done_with(&c, &std::process::id()).expect("done_with");
        let Some(Value::Int(i)) = c.get("i") else {
            panic!("no i in {c:?}")
        };
        // One write for the number and its newline: `writeln!` on a File writes them
        // apart, and a kill -9 between the two glued this line to the next worker's.
        record
            .write_all(format!("{i}\n").as_bytes())
            .expect("write the record");
    }
}
