//! Criterion benchmarks of the process kernel, one group per concern, with throughput
//! set so that reports read as processes/s, bytes/s, lines/s and round trips/s.
//! `benches/compare.sh` runs the same workloads beside the C limit and Python execo.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use execo::prelude::*;

fn spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(100));
    g.bench_function("100 true in parallel", |b| {
        b.iter(|| {
            let all: Vec<ProcessHandle> = (0..100).map(|_| Process::new("true").start()).collect();
            for p in &all {
                assert!(p.blocking_wait().ok());
            }
        })
    });
    g.finish();
}

fn capture(c: &mut Criterion) {
    const BYTES: u64 = 64 << 20;
    let mut g = c.benchmark_group("capture");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Bytes(BYTES));
    g.bench_function("64 MiB into memory", |b| {
        b.iter(|| {
            let p = Process::new(format!("head -c {BYTES} /dev/zero")).blocking_run();
            assert_eq!(p.output_len(Stream::Stdout), BYTES);
        })
    });
    g.finish();
}

fn lines(c: &mut Criterion) {
    const N: usize = 200_000;
    let mut g = c.benchmark_group("lines");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("200k lines through a line handler", |b| {
        b.iter(|| {
            let count = Arc::new(AtomicUsize::new(0));
            let c = count.clone();
            let _ = Process::new(format!("seq {N}"))
                .keep_stdout(Keep::Nothing)
                .on_stdout_line(move |_| {
                    c.fetch_add(1, Ordering::Relaxed);
                })
                .blocking_run();
            assert_eq!(count.load(Ordering::Relaxed), N);
        })
    });
    g.finish();
}

fn roundtrip(c: &mut Criterion) {
    const N: u64 = 1000;
    let mut g = c.benchmark_group("roundtrip");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(N));
    let cat = Process::new("cat").stdin(Stdin::Piped).start();
    let e = Expect::new("x\n").expect("a valid pattern");
    g.bench_function("1000 write + expect with cat", |b| {
        b.iter(|| {
            for _ in 0..N {
                cat.blocking_write("x\n")
                    .blocking_expect_with(&e)
                    .expect("echoed");
            }
        })
    });
    g.finish();
}

criterion_group!(benches, spawn, capture, lines, roundtrip);
criterion_main!(benches);
