//! `execo run`'s output as bytes and as memory: what a host prints comes out unchanged
//! after its `host: ` prefix, and a stream without newlines does not grow the program.

use std::io::Read;
use std::process::{Command, Stdio};

/// `count` bytes from a fixed-seed xorshift, ending with `\n`.
fn random_bytes(count: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out: Vec<u8> = (0..count - 1)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    out.push(b'\n');
    out
}

fn execo_run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_execo"))
        .arg("run")
        .args(args)
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .expect("run the execo binary")
}

/// Each line of `out` with `prefix` removed, joined back with `\n`.
fn strip_prefix(out: &[u8], prefix: &[u8]) -> Vec<u8> {
    assert_eq!(
        out.last(),
        Some(&b'\n'),
        "output does not end with a newline"
    );
    let mut joined = Vec::with_capacity(out.len());
    for line in out[..out.len() - 1].split(|&b| b == b'\n') {
        let rest = line.strip_prefix(prefix).unwrap_or_else(|| {
            panic!(
                "a line without the prefix: {:?}",
                String::from_utf8_lossy(&line[..line.len().min(80)])
            )
        });
        joined.extend_from_slice(rest);
        joined.push(b'\n');
    }
    joined
}

fn scratch_file(name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("execo-it-{name}-{}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn run_writes_the_bytes_of_each_line_unchanged() {
    let input = random_bytes(1 << 20);
    // Every line fits in one piece: the prefix is then on each line of the input.
    let longest = input.split(|&b| b == b'\n').map(<[u8]>::len).max();
    assert!(longest < Some(execo::process::Sink::MAX_LINE));
    assert!(
        std::str::from_utf8(&input).is_err(),
        "the data must not be UTF-8"
    );
    let file = scratch_file("random-bytes", &input);
    let f = file.to_str().unwrap();

    let out = execo_run(&["--local", "-H", "n1", &format!("cat {f}; cat {f} >&2")]);
    assert!(out.status.success(), "exit {:?}", out.status);
    assert!(
        strip_prefix(&out.stdout, b"n1: ") == input,
        "stdout altered"
    );
    assert!(
        strip_prefix(&out.stderr, b"n1: ") == input,
        "stderr altered"
    );

    // Gathered (-b): a header of three lines, then the bytes as they came.
    let out = execo_run(&["--local", "-b", "-H", "n[1-2]", &format!("cat {f}")]);
    assert!(out.status.success(), "exit {:?}", out.status);
    let mut header = out.stdout.splitn(4, |&b| b == b'\n');
    let head: Vec<&[u8]> = header.by_ref().take(3).collect();
    assert_eq!(head[1], b"n[1-2] (2)");
    assert!(header.next() == Some(&input[..]), "gathered output altered");
    std::fs::remove_file(&file).ok();
}

/// Waits for child `pid` and returns its wait status and its peak resident memory in kB
/// (`wait4`'s `ru_maxrss`, its reaped descendants included).
fn wait_with_peak_rss(pid: u32) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on the pid of our own child, with valid pointers to locals.
    let got = unsafe { libc::wait4(pid as i32, &mut status, 0, &mut usage) };
    assert_eq!(
        got,
        pid as i32,
        "wait4: {}",
        std::io::Error::last_os_error()
    );
    (status, usage.ru_maxrss)
}

#[test]
fn run_with_output_without_newlines_keeps_memory_bounded() {
    // The child is spawned with vfork, and exec records the parent's peak as the child's
    // starting `ru_maxrss`: the parent must be a small process, not one running many
    // tests at once.
    if !crate::in_own_process("run_output::run_with_output_without_newlines_keeps_memory_bounded") {
        return;
    }
    const SIZE: usize = 300_000_000;
    #[allow(clippy::zombie_processes)] // reaped by wait_with_peak_rss
    let mut child = Command::new(env!("CARGO_BIN_EXE_execo"))
        .args(["run", "--local", "-H", "n[1-2]"])
        .arg(format!("head -c {SIZE} /dev/zero | tr '\\0' a"))
        .env("EXECO_CONFIG", "/dev/null")
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the execo binary");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0; 1 << 16];
        let (mut total, mut newlines) = (0usize, 0usize);
        loop {
            match stdout.read(&mut buf) {
                Ok(0) => return (total, newlines),
                Ok(n) => {
                    total += n;
                    newlines += buf[..n].iter().filter(|&&b| b == b'\n').count();
                }
                Err(e) => panic!("reading execo's stdout: {e}"),
            }
        }
    });
    // The peak resident memory, exactly, from the kernel's accounting at the exit.
    let (status, peak) = wait_with_peak_rss(child.id());
    let (total, newlines) = reader.join().unwrap();
    assert!(status == 0, "wait status {status:#x}");
    assert!(peak > 0, "no peak RSS");
    assert!(peak < 100_000, "execo run peaked at {peak} kB");
    // Every byte came out, in pieces of MAX_LINE bytes, each as an `nX: ` line.
    let pieces = SIZE.div_ceil(execo::process::Sink::MAX_LINE);
    assert_eq!(newlines, 2 * pieces);
    assert_eq!(total, 2 * (SIZE + pieces * "n1: \n".len()));
}
