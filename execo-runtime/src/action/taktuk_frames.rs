//! TakTuk's output, read back exactly: the `-o` templates that make every line TakTuk
//! prints a length-prefixed frame (as kadeploy drives TakTuk), and their reader.
//!
//! execo split TakTuk's lines on `" # "`, so a command printing `" # "`, or bytes that
//! are not text, broke its parsing. Here each record is
//! `KIND POSITION [PEER] LENGTH PAYLOAD\n`: the payload is taken by its length, whatever
//! it holds (newlines, TakTuk's brackets, binary bytes), and a frame that does not end
//! where its length says is reported, not guessed at.

/// One `-o stream=template` pair per stream TakTuk has, in its argv form. `info` and
/// `message` are turned off (nothing of ours uses them).
pub(crate) fn template_args() -> Vec<String> {
    let with_eol = |kind: char, peer: bool| {
        let peer = if peer { " $peer_position" } else { "" };
        format!(r#""{kind} $position{peer} ".length("$line$eol")." $line$eol\n""#)
    };
    let plain = |kind: char, peer: bool| {
        let peer = if peer { " $peer_position" } else { "" };
        format!(r#""{kind} $position{peer} ".length("$line")." $line\n""#)
    };
    let mut a = Vec::new();
    for (stream, t) in [
        ("output", with_eol('o', false)),
        ("error", with_eol('e', false)),
        ("status", plain('s', false)),
        ("state", plain('t', true)),
        ("connector", with_eol('c', true)),
        ("taktuk", with_eol('k', false)),
        ("default", with_eol('d', false)),
    ] {
        a.push("-o".to_string());
        a.push(format!("{stream}={t}"));
    }
    for off in ["info", "message"] {
        a.push("-o".to_string());
        a.push(off.to_string());
    }
    a
}

/// One record of TakTuk's output.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    /// `o` output, `e` error, `s` status, `t` state, `c` connector, `k` taktuk, `d` other.
    pub(crate) kind: u8,
    /// The position of the TakTuk instance that reports (`1`, `1.2` behind a gateway).
    pub(crate) position: String,
    /// For `t` and `c`: the position of the peer it is about (may be empty).
    pub(crate) peer: String,
    pub(crate) payload: Vec<u8>,
}

/// What the reader found at the front of its buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// A frame, and how many bytes it took.
    Frame(Frame, usize),
    /// Not a frame: this many bytes (up to and with the next newline) are skipped, with
    /// why.
    Garbage(usize, String),
    /// More bytes are needed.
    Incomplete,
}

/// The longest header we wait for before calling a line garbage.
const MAX_HEADER: usize = 4096;

/// Reads the frame at the front of `buf`.
pub(crate) fn next(buf: &[u8]) -> Next {
    let Some(&kind) = buf.first() else {
        return Next::Incomplete;
    };
    let skip_line = |why: String| match buf.iter().position(|&b| b == b'\n') {
        Some(i) => Next::Garbage(i + 1, why),
        None if buf.len() > MAX_HEADER => Next::Garbage(buf.len(), why),
        None => Next::Incomplete,
    };
    let fields = match kind {
        b't' | b'c' => 3,
        b'o' | b'e' | b's' | b'k' | b'd' => 2,
        _ => return skip_line(format!("unknown record kind {:?}", kind as char)),
    };
    // KIND SP f1 SP f2 [SP f3] SP PAYLOAD
    let mut at = 1;
    let mut words = Vec::with_capacity(fields);
    for _ in 0..fields {
        if buf.get(at) == Some(&b'\n') {
            return skip_line("a record cut short".into());
        }
        if at >= buf.len() {
            return if buf.len() > MAX_HEADER {
                skip_line("a header too long".into())
            } else {
                Next::Incomplete
            };
        }
        if buf[at] != b' ' {
            return skip_line("a header without its separator".into());
        }
        at += 1;
        let end = match buf[at..].iter().position(|&b| b == b' ' || b == b'\n') {
            Some(e) => at + e,
            None if buf.len() - at > MAX_HEADER => {
                return skip_line("a header too long".into());
            }
            None => return Next::Incomplete,
        };
        words.push(&buf[at..end]);
        at = end;
    }
    if buf.get(at) != Some(&b' ') {
        return skip_line("a record cut short".into());
    }
    at += 1;
    let len_word = words.pop().unwrap_or_default();
    let Some(len) = std::str::from_utf8(len_word)
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    else {
        return skip_line(format!(
            "a bad length {:?}",
            String::from_utf8_lossy(len_word)
        ));
    };
    let end = at.saturating_add(len);
    if buf.len() < end + 1 {
        return Next::Incomplete;
    }
    if buf[end] != b'\n' {
        return skip_line("a payload that does not end where its length says".into());
    }
    let text = |w: &[u8]| String::from_utf8_lossy(w).into_owned();
    Next::Frame(
        Frame {
            kind,
            position: text(words[0]),
            peer: words.get(1).map(|w| text(w)).unwrap_or_default(),
            payload: buf[at..end].to_vec(),
        },
        end + 1,
    )
}

/// A raw wait status, decoded: `Ok(code)` for an exit, `Err(signal)` for a death by
/// signal (the core-dump bit ignored).
pub(crate) fn decode_wait_status(status: i32) -> Result<i32, i32> {
    match status & 0x7f {
        0 => Ok((status >> 8) & 0xff),
        sig => Err(sig),
    }
}

/// A command, wrapped so that TakTuk's grammar never sees it: its bytes go base64
/// encoded (no space, bracket, `;` or escape character), and the remote shell decodes
/// and runs them as written.
pub(crate) fn opaque_command(cmd: &str) -> Vec<String> {
    vec![
        "eval".to_string(),
        format!("\"$(printf %s {}|base64 -d)\"", base64(cmd.as_bytes())),
    ]
}

/// Standard base64 (RFC 4648, with padding).
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                out.push(A[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, pos: &str, peer: &str, payload: &[u8]) -> Frame {
        Frame {
            kind,
            position: pos.into(),
            peer: peer.into(),
            payload: payload.into(),
        }
    }

    #[test]
    fn frames_are_taken_by_length_whatever_they_hold() {
        let tricky = b"a # b ] [ ; \n\x00\xff -] o 1 3 x\n";
        let mut buf = format!("o 12 {} ", tricky.len()).into_bytes();
        buf.extend_from_slice(tricky);
        buf.push(b'\n');
        buf.extend_from_slice(b"t 0  1 4\n");
        let Next::Frame(f, n) = next(&buf) else {
            panic!("{:?}", next(&buf))
        };
        assert_eq!(f, frame(b'o', "12", "", tricky));
        assert_eq!(next(&buf[n..]), Next::Frame(frame(b't', "0", "", b"4"), 9));
    }

    #[test]
    fn partial_frames_wait_and_bad_ones_are_skipped_to_the_next_line() {
        let whole = b"c 1.2 1.3 6 oops\r\n\n";
        for cut in 0..whole.len() {
            assert_eq!(next(&whole[..cut]), Next::Incomplete, "cut at {cut}");
        }
        assert!(matches!(next(whole), Next::Frame(_, n) if n == whole.len()));
        assert!(matches!(next(b"zz top\nx"), Next::Garbage(7, _)));
        assert!(matches!(next(b"o 1 x abc\n"), Next::Garbage(10, _)));
        assert!(matches!(next(b"o 1 2 abc\nrest"), Next::Garbage(10, _)));
    }

    #[test]
    fn wait_statuses_decode_to_exit_codes_or_signals() {
        assert_eq!(decode_wait_status(0), Ok(0));
        assert_eq!(decode_wait_status(768), Ok(3));
        assert_eq!(decode_wait_status(9), Err(9));
        assert_eq!(decode_wait_status(128 | 11), Err(11));
        assert_eq!(decode_wait_status(255 << 8), Ok(255));
    }

    #[test]
    fn base64_is_rfc4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }
}
