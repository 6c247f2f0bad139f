//! Splitting a command line into words and quoting words back, as a POSIX shell does.
//!
//! execo splits a command string with `shlex` when it is not run through a shell, and
//! quotes an argv when it is; both directions must agree so that a command written once
//! works either way.

/// Splits `line` into words: blanks separate words, `'...'` is literal, `"..."` allows
/// `\"`, `\\`, `\$` and `` \` `` escapes, and a backslash outside quotes escapes the next
/// character. Returns a message naming the problem on an unclosed quote or a trailing
/// backslash.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.char_indices();
    while let Some((pos, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => word.push(c),
                        None => return Err(format!("unclosed `'` at byte {pos}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c @ ('"' | '\\' | '$' | '`'))) => word.push(c),
                            Some((_, '\n')) => {}
                            Some((_, c)) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unclosed `\"` at byte {pos}")),
                        },
                        Some((_, c)) => word.push(c),
                        None => return Err(format!("unclosed `\"` at byte {pos}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some((_, '\n')) => {}
                    Some((_, c)) => word.push(c),
                    None => return Err(format!("trailing `\\` at byte {pos}")),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Quotes one word so that a POSIX shell reads it back unchanged (the template reader's
/// own quoting, so that both agree).
pub fn quote(word: &str) -> String {
    execo_template::quote_word(word)
}

/// Quotes and joins words into one shell command line.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            split(r#"a  'b c' "d \"e\" \$f" g\ h"#).unwrap(),
            ["a", "b c", r#"d "e" $f"#, "g h"]
        );
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("''").unwrap(), [""]);
        assert!(split("echo 'oops").unwrap_err().contains("unclosed `'`"));
        assert!(split("echo \"oops").unwrap_err().contains("unclosed `\"`"));
        assert!(split("echo \\").unwrap_err().contains("trailing"));
    }

    #[test]
    fn quote_round_trips() {
        for w in [
            "plain", "", "a b", "it's", "$HOME", "\"q\"", "a\nb", "x'y'z",
        ] {
            assert_eq!(split(&quote(w)).unwrap(), [w], "word {w:?}");
        }
    }
}
