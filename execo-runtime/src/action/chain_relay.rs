//! The data path of [`ChainPut`](super::ChainPut): the relay each host runs (`execo
//! relay FILE`, over ssh) and the local sender, one loop for both.
//!
//! Why this relay and not netcat (execo's `nc -l | tee FILE | nc NEXT`): on a machine
//! where the relays share the CPUs, the cost of a chain is its copies per hop. A
//! netcat pipeline copies every byte five times per hop (socket to nc, nc to pipe, pipe
//! to tee, tee to file, tee to pipe, pipe to nc, nc to socket) in 8 KiB reads. This relay
//! reads the socket once into a 1 MiB buffer (that pass also computes the CRC-32 the
//! transfer is verified with), writes the file from it, and forwards with `sendfile(2)`
//! from the file it has just written (the page cache), which copies nothing in user
//! space: two copies per hop. Data goes over plain TCP between relays, never through ssh's
//! encryption: ssh only starts the relays and carries their few control lines. Its memory
//! is the buffer plus the program, a few MiB whatever the file's size. And because it
//! keeps what it received in its file, a relay can re-link: when its downstream dies or
//! stalls, it connects to the next host of the chain and resends from that file; a relay
//! that gets a new upstream connection skips what it already has.
//!
//! The protocol: the relay opens its file, listens on a port the system chooses and
//! prints `execo-relay ready ADDRESS PORT` (ADDRESS: where ssh reached it). It then
//! reads one line on stdin, `go SIZE CRC TOKEN ADDRESS:PORT...` (the hosts after it, in
//! order). An upstream connects and sends the 8-byte token, then the file from byte 0.
//! A relay answers one byte, `K`, once it has the whole file, checked, and its own
//! downstream has answered (or none is left): the sender's `K` means every live host has
//! it. End of file on stdin (its ssh is gone) ends a relay.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

/// The first words of a relay's ready line.
pub(crate) const READY: &str = "execo-relay ready";
/// What a relay answers once it, and the chain behind it, have the file.
const ACK: u8 = b'K';
/// The socket read buffer.
const BUF: usize = 1 << 20;
/// The most one `sendfile` call sends.
const CHUNK: usize = 4 << 20;
/// How often the loop looks at its clocks when nothing happens.
const TICK: Duration = Duration::from_millis(200);

/// What every relay is told once all are ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Go {
    pub(crate) size: u64,
    pub(crate) crc: u32,
    pub(crate) token: u64,
    /// The hosts after this one, in chain order.
    pub(crate) next: Vec<SocketAddr>,
}

impl Go {
    /// The line sent on a relay's stdin.
    pub(crate) fn line(&self) -> String {
        let mut s = format!("go {} {:08x} {:016x}", self.size, self.crc, self.token);
        for a in &self.next {
            s += &format!(" {a}");
        }
        s.push('\n');
        s
    }

    fn parse(line: &str) -> Result<Go, String> {
        let bad = || format!("bad go line `{}`", line.trim_end());
        let mut w = line.split_whitespace();
        if w.next() != Some("go") {
            return Err(bad());
        }
        let size = w.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let crc = w
            .next()
            .and_then(|s| u32::from_str_radix(s, 16).ok())
            .ok_or_else(bad)?;
        let token = w
            .next()
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .ok_or_else(bad)?;
        let next = w
            .map(|a| a.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        Ok(Go {
            size,
            crc,
            token,
            next,
        })
    }
}

/// Timeouts of a relay.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// A downstream that takes no data for this long is dropped (the chain re-links).
    pub(crate) stall: Duration,
    /// A relay that receives nothing for this long gives up.
    pub(crate) patience: Duration,
}

/// The size and CRC-32 of a local file, read once.
pub(crate) fn checksum(path: &Path) -> io::Result<(u64, u32)> {
    let mut f = File::open(path)?;
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0; BUF];
    let mut size = 0u64;
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Ok((size, h.finalize())),
            Ok(n) => {
                h.update(&buf[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The remote side: `execo relay FILE`. Ok once the file is here, checked, and handed on.
pub fn run_chain_relay(file: &Path, stall: Duration, patience: Duration) -> Result<(), String> {
    let here = std::env::var("SSH_CONNECTION")
        .ok()
        .and_then(|c| c.split_whitespace().nth(2).map(str::to_string))
        .unwrap_or_else(|| "127.0.0.1".into());
    let out = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(file)
        .map_err(|e| {
            format!(
                "failed to open `{}` for writing on {here}: {e}",
                file.display()
            )
        })?;
    let listener = TcpListener::bind("0.0.0.0:0")
        .map_err(|e| format!("failed to listen on a TCP port on {here}: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{READY} {here} {port}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("failed to say ready on {here}: {e}"))?;
    let go = read_go_line()?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let mut chain = Chain::new(&out, go, Limits { stall, patience }, 0);
    chain.listener = Some(listener);
    chain.run().map_err(|e| {
        format!(
            "failed to receive `{}` on {here}: {e} ({} of {} bytes)",
            file.display(),
            chain.received,
            chain.go.size
        )
    })
}

/// The local side: sends `file` down the chain `go.next`. Ok once some host answered
/// that it and the rest of the chain have it.
pub(crate) fn send(file: &Path, go: Go, limits: Limits) -> Result<(), String> {
    let f = File::open(file).map_err(|e| format!("failed to open `{}`: {e}", file.display()))?;
    let size = go.size;
    let mut chain = Chain::new(&f, go, limits, size);
    chain.run()?;
    if chain.acked {
        Ok(())
    } else {
        Err("no host of the chain took the file".into())
    }
}

/// One line from stdin, byte by byte (nothing after it may be buffered away).
fn read_go_line() -> Result<Go, String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match io::stdin().lock().read(&mut b) {
            Ok(0) => return Err("stdin closed before the go line (the controller is gone)".into()),
            Ok(_) if b[0] == b'\n' => break,
            Ok(_) => line.push(b[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("failed to read the go line: {e}")),
        }
    }
    Go::parse(&String::from_utf8_lossy(&line))
}

struct Upstream {
    stream: TcpStream,
    /// Bytes of the file this connection has delivered (it starts at byte 0).
    pos: u64,
}

struct Downstream {
    stream: TcpStream,
    addr: SocketAddr,
    sent: u64,
    progress: Instant,
}

struct Chain<'a> {
    file: &'a File,
    go: Go,
    limits: Limits,
    received: u64,
    crc: crc32fast::Hasher,
    listener: Option<TcpListener>,
    up: Option<Upstream>,
    down: Option<Downstream>,
    /// Index in `go.next` of the next host to try.
    next: usize,
    acked: bool,
    last_data: Instant,
}

/// Turns TCP keep-alives on, probing after `idle`, so that a peer cut off while the
/// connection is idle (waiting for an answer) shows as an error within seconds.
fn keepalive(s: &TcpStream, idle: Duration) {
    let fd = s.as_raw_fd();
    let set = |level, opt, v: libc::c_int| {
        // SAFETY: setsockopt on a socket we own, with a pointer to a live c_int and its size.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                opt,
                (&v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        }
    };
    let idle = idle.as_secs().clamp(1, 3600) as libc::c_int;
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, idle);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

impl<'a> Chain<'a> {
    fn new(file: &'a File, go: Go, limits: Limits, received: u64) -> Chain<'a> {
        Chain {
            file,
            go,
            limits,
            received,
            crc: crc32fast::Hasher::new(),
            listener: None,
            up: None,
            down: None,
            next: 0,
            acked: false,
            last_data: Instant::now(),
        }
    }

    fn complete(&self) -> bool {
        self.received == self.go.size
    }

    /// Connects to the next live host of the chain, if any is left.
    fn link(&mut self) {
        while self.down.is_none() && self.next < self.go.next.len() {
            let addr = self.go.next[self.next];
            self.next += 1;
            let connected = TcpStream::connect_timeout(&addr, self.limits.stall).and_then(|s| {
                s.set_write_timeout(Some(self.limits.stall))?;
                (&s).write_all(&self.go.token.to_be_bytes())?;
                s.set_nonblocking(true)?;
                keepalive(&s, self.limits.stall);
                Ok(s)
            });
            match connected {
                Ok(stream) => {
                    self.down = Some(Downstream {
                        stream,
                        addr,
                        sent: 0,
                        progress: Instant::now(),
                    })
                }
                Err(e) => eprintln!("execo-relay: skipping {addr}: {e}"),
            }
        }
    }

    fn drop_down(&mut self, why: impl std::fmt::Display) {
        if let Some(d) = self.down.take() {
            eprintln!("execo-relay: dropping {}: {why}; re-linking", d.addr);
        }
    }

    /// The loop: until this host has the file and the chain behind it answered.
    fn run(&mut self) -> Result<(), String> {
        let mut buf = vec![0u8; if self.listener.is_some() { BUF } else { 0 }];
        let receiving = self.listener.is_some();
        loop {
            self.link();
            if self.complete() && (self.acked || (self.down.is_none() && !receiving)) {
                return Ok(());
            }
            if self.complete() && self.down.is_none() && receiving {
                // The tail, or every host after this one is gone: answer upstream.
                self.answer_upstream();
                return Ok(());
            }
            let now = Instant::now();
            if receiving && !self.complete() && now - self.last_data > self.limits.patience {
                return Err(format!(
                    "no data from upstream for {} s",
                    self.limits.patience.as_secs()
                ));
            }
            if let Some(d) = &mut self.down {
                if d.sent >= self.received && d.sent < self.go.size {
                    // Nothing to send yet: the downstream is not the one waiting.
                    d.progress = now;
                } else if d.sent < self.go.size && now - d.progress > self.limits.stall {
                    let s = self.limits.stall.as_secs();
                    self.drop_down(format!("took no data for {s} s"));
                    continue;
                }
            }
            let stdin = io::stdin();
            let (mut l, mut u, mut s, mut d) = (None, None, None, None);
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(4);
            if let Some(x) = &self.listener {
                l = Some(fds.len());
                fds.push(PollFd::new(x, PollFlags::IN));
            }
            if let Some(x) = &self.up {
                u = Some(fds.len());
                fds.push(PollFd::new(&x.stream, PollFlags::IN));
            }
            if receiving {
                s = Some(fds.len());
                fds.push(PollFd::from_borrowed_fd(stdin.as_fd(), PollFlags::IN));
            }
            if let Some(x) = &self.down {
                d = Some(fds.len());
                let mut want = PollFlags::IN;
                if x.sent < self.received {
                    want |= PollFlags::OUT;
                }
                fds.push(PollFd::new(&x.stream, want));
            }
            let tick = Timespec {
                tv_sec: 0,
                tv_nsec: TICK.as_nanos() as _,
            };
            match poll(&mut fds, Some(&tick)) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(format!("poll failed: {e}")),
            }
            let ev = |i: Option<usize>| i.map(|i| fds[i].revents()).unwrap_or(PollFlags::empty());
            let (lev, uev, sev, dev) = (ev(l), ev(u), ev(s), ev(d));
            drop(fds);
            if !sev.is_empty() {
                let mut b = [0u8; 64];
                match stdin.as_fd_read(&mut b) {
                    Ok(0) | Err(_) => return Err("its ssh is gone (stdin closed)".into()),
                    Ok(_) => {}
                }
            }
            if !lev.is_empty() {
                self.accept();
            }
            if !uev.is_empty() {
                self.receive(&mut buf)?;
            }
            if !dev.is_empty() {
                self.forward(dev);
            }
        }
    }

    /// A new upstream (a first one, or one re-linking past a dead host).
    fn accept(&mut self) {
        let Some(listener) = &self.listener else {
            return;
        };
        let Ok((s, _)) = listener.accept() else {
            return;
        };
        let mut token = [0u8; 8];
        let ok = s.set_nonblocking(false).is_ok()
            && s.set_read_timeout(Some(self.limits.stall)).is_ok()
            && (&s).read_exact(&mut token).is_ok()
            && u64::from_be_bytes(token) == self.go.token
            && s.set_nonblocking(true).is_ok();
        if !ok {
            return;
        }
        keepalive(&s, self.limits.stall);
        self.up = Some(Upstream { stream: s, pos: 0 });
        self.last_data = Instant::now();
    }

    /// Data from upstream: the part beyond what this host has goes to the file.
    fn receive(&mut self, buf: &mut [u8]) -> Result<(), String> {
        let Some(up) = &mut self.up else {
            return Ok(());
        };
        let n = match (&up.stream).read(buf) {
            Ok(0) => {
                self.up = None;
                return Ok(());
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                return Ok(());
            }
            Err(_) => {
                self.up = None;
                return Ok(());
            }
        };
        let skip = self.received.saturating_sub(up.pos).min(n as u64) as usize;
        up.pos += n as u64;
        self.last_data = Instant::now();
        let new = &buf[skip..n];
        if new.is_empty() {
            return Ok(());
        }
        if self.received + new.len() as u64 > self.go.size {
            return Err(format!("upstream sent more than {} bytes", self.go.size));
        }
        self.file
            .write_all(new)
            .map_err(|e| format!("failed to write the file: {e}"))?;
        self.crc.update(new);
        self.received += new.len() as u64;
        if self.complete() {
            let crc = self.crc.clone().finalize();
            if crc != self.go.crc {
                return Err(format!(
                    "checksum mismatch: CRC-32 {crc:08x}, expected {:08x}",
                    self.go.crc
                ));
            }
        }
        Ok(())
    }

    /// Tells upstream this host and the chain behind it have the file.
    fn answer_upstream(&mut self) {
        if let Some(up) = self.up.take() {
            up.stream.set_nonblocking(false).ok();
            up.stream.set_write_timeout(Some(self.limits.stall)).ok();
            (&up.stream).write_all(&[ACK]).ok();
        }
        // A late upstream (it re-linked to this host) gets the same answer.
        if let Some(l) = &self.listener {
            while let Ok((s, _)) = l.accept() {
                s.set_nonblocking(false).ok();
                s.set_write_timeout(Some(self.limits.stall)).ok();
                (&s).write_all(&[ACK]).ok();
            }
        }
    }

    /// Downstream events: its answer, or room to send more.
    fn forward(&mut self, ev: PollFlags) {
        let Some(d) = &mut self.down else {
            return;
        };
        if ev.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR) {
            let mut b = [0u8; 1];
            match (&d.stream).read(&mut b) {
                Ok(1) if b[0] == ACK && d.sent == self.go.size => {
                    self.acked = true;
                    if self.listener.is_some() {
                        self.answer_upstream();
                    }
                    self.down = None;
                    self.next = self.go.next.len();
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Ok(_) => return self.drop_down("it closed the connection"),
                Err(e) => return self.drop_down(e),
            }
        }
        if ev.contains(PollFlags::OUT) && d.sent < self.received {
            let count = (self.received - d.sent).min(CHUNK as u64) as usize;
            let mut off = d.sent;
            match rustix::fs::sendfile(&d.stream, self.file, Some(&mut off), count) {
                Ok(n) => {
                    d.sent += n as u64;
                    if n > 0 {
                        d.progress = Instant::now();
                    }
                }
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => {}
                Err(e) => self.drop_down(e),
            }
        }
    }
}

/// Reading stdin's descriptor without std's buffer.
trait FdRead {
    fn as_fd_read(&self, buf: &mut [u8]) -> io::Result<usize>;
}

impl FdRead for io::Stdin {
    fn as_fd_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let fd: BorrowedFd<'_> = self.as_fd();
        rustix::io::read(fd, buf).map_err(io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_go_line_reads_back() {
        let go = Go {
            size: 67_108_864,
            crc: 0xdead_beef,
            token: 42,
            next: vec![
                "10.0.0.2:4000".parse().unwrap(),
                "127.0.0.1:5".parse().unwrap(),
            ],
        };
        assert_eq!(Go::parse(go.line().trim_end()).unwrap(), go);
        assert!(Go::parse("go x").unwrap_err().contains("bad go line"));
    }
}
