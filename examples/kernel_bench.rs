//! One kernel workload per run, timed, for `benches/compare.sh` (which runs the same
//! workloads through the C limit and Python execo, side by side). Prints one line:
//! `<workload> <seconds> [extra]`.
//!
//! ```text
//! kernel_bench spawn N               N `true` started at once, then all waited for
//! kernel_bench capture-mem BYTES     `head -c BYTES /dev/zero` kept in memory
//! kernel_bench capture-file BYTES F  the same through a file handler (prints peak RSS)
//! kernel_bench lines N               `seq N` through a per-line handler
//! kernel_bench roundtrip N           N write + expect round trips with `cat`
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use execo::prelude::*;

fn peak_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init().ru_maxrss
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    match args.get(i).map(|a| a.parse()) {
        Some(Ok(v)) => v,
        _ => {
            eprintln!("kernel_bench: missing or bad {what} (see the doc comment for usage)");
            std::process::exit(2)
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let (ok, extra) = match args.first().map(String::as_str) {
        Some("spawn") => {
            let n: usize = arg(&args, 1, "N");
            let all: Vec<ProcessHandle> = (0..n).map(|_| Process::new("true").start()).collect();
            let ok = all.iter().filter(|p| p.blocking_wait().ok()).count();
            (ok == n, String::new())
        }
        Some("capture-mem") => {
            let bytes: u64 = arg(&args, 1, "BYTES");
            let p = Process::new(format!("head -c {bytes} /dev/zero")).blocking_run();
            (
                p.ok() && p.output_len(Stream::Stdout) == bytes,
                String::new(),
            )
        }
        Some("capture-file") => {
            let bytes: u64 = arg(&args, 1, "BYTES");
            let path: String = arg(&args, 2, "FILE");
            // The file handler appends (as execo's does): start from an empty regular file
            // (and leave a device such as /dev/null alone).
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                std::fs::remove_file(&path).ok();
            }
            let p = Process::new(format!("head -c {bytes} /dev/zero"))
                .keep_stdout(Keep::Nothing)
                .stdout_to(Sink::file(&path))
                .blocking_run();
            let complete = std::fs::metadata(&path).is_ok_and(|m| !m.is_file() || m.len() == bytes);
            (
                p.ok() && complete,
                format!("peak_rss_kib={}", peak_rss_kib()),
            )
        }
        Some("lines") => {
            let n: usize = arg(&args, 1, "N");
            let count = Arc::new(AtomicUsize::new(0));
            let c = count.clone();
            let p = Process::new(format!("seq {n}"))
                .keep_stdout(Keep::Nothing)
                .on_stdout_line(move |_| {
                    c.fetch_add(1, Ordering::Relaxed);
                })
                .blocking_run();
            let secs = t.elapsed().as_secs_f64();
            (
                p.ok() && count.load(Ordering::Relaxed) == n,
                format!("lines_per_s={:.0}", n as f64 / secs),
            )
        }
        Some("roundtrip") => {
            let n: usize = arg(&args, 1, "N");
            let cat = Process::new("cat").stdin(Stdin::Piped).start();
            let e = Expect::new("x\n").expect("a valid pattern");
            let t = Instant::now();
            let mut ok = true;
            for _ in 0..n {
                ok &= cat.blocking_write("x\n").blocking_expect_with(&e).is_ok();
            }
            let secs = t.elapsed().as_secs_f64();
            (ok, format!("roundtrips_per_s={:.0}", n as f64 / secs))
        }
        _ => {
            eprintln!("kernel_bench: unknown workload (see the doc comment for usage)");
            std::process::exit(2)
        }
    };
    println!("{} {:.4} {extra}", args[0], t.elapsed().as_secs_f64());
    if !ok {
        eprintln!("kernel_bench: {} gave a wrong result", args[0]);
        std::process::exit(1);
    }
}
