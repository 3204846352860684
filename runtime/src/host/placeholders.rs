//! Guests write `?` placeholders on every driver; PostgreSQL numbers its
//! parameters (`$1`, `$2` …), so its statements are rewritten first. The
//! rewrite follows PostgreSQL's lexer far enough to leave alone every `?`
//! that is not a placeholder — inside string constants (`'…'` with `''`,
//! `E'…'` with backslash escapes, `$$…$$` and `$tag$…$tag$`), quoted
//! identifiers (`"…"` with `""`) and comments (`-- …` and nested
//! `/* … */`) — and, as PgJDBC and PHP's PDO do, reads `??` as one literal
//! `?`, so that the JSONB operators `?`, `?|` and `?&` (and the geometric
//! ones containing `?`) can be written as `??`, `??|` and `??&`.
//!
//! Assumes `standard_conforming_strings = on`, PostgreSQL's default since
//! 9.1: backslashes escape only in `E'…'` strings.

use std::fmt::Write as _;

/// Rewrites the `?` placeholders of `statement` as `$1`, `$2` … in order
/// of appearance, and each `??` as a literal `?`, outside string
/// constants, quoted identifiers and comments (see the module docs for the
/// forms recognised); everything else is copied unchanged.
///
/// Total on any input: a string, identifier or comment left open runs to
/// the end of the statement (PostgreSQL then reports the syntax error), and
/// the function never panics, whatever the bytes.
pub fn numbered_placeholders(statement: &str) -> String {
    let bytes = statement.as_bytes();
    let mut out = String::with_capacity(statement.len() + 16);
    let mut placeholders: u64 = 0;
    // Text up to `copied` is in `out`; scanning is by byte, since every
    // delimiter is ASCII and UTF-8 never uses ASCII bytes inside a
    // multi-byte character, so each slice boundary is a char boundary.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        i = match bytes[i] {
            b'\'' => end_of_string(bytes, i, escape_string_starts_at(bytes, i)),
            b'"' => end_of_string(bytes, i, false),
            b'-' if bytes.get(i + 1) == Some(&b'-') => end_of_line_comment(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => end_of_block_comment(bytes, i),
            b'$' => end_of_dollar_quote(bytes, i),
            b'?' => {
                out.push_str(&statement[copied..i]);
                let next = if bytes.get(i + 1) == Some(&b'?') {
                    out.push('?');
                    i + 2
                } else {
                    placeholders += 1;
                    // Writing to a String cannot fail.
                    let _ = write!(out, "${placeholders}");
                    i + 1
                };
                copied = next;
                next
            }
            _ => i + 1,
        };
    }
    out.push_str(&statement[copied..]);
    out
}

/// Whether `b` may continue an identifier (PostgreSQL's `ident_cont`,
/// which counts every byte of a non-ASCII character and `$`).
fn is_ident_cont(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether `b` may start a dollar quote's tag (an identifier start: no
/// digit, so `$1` stays a parameter).
fn is_tag_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// Whether `b` may continue a dollar quote's tag (no `$`, which ends it).
fn is_tag_cont(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Whether the `'` at `quote` opens an escape string: `E'…'` or `e'…'`,
/// the `E` not the end of a longer identifier (`type'…'` is the name
/// `type` followed by a plain string).
fn escape_string_starts_at(bytes: &[u8], quote: usize) -> bool {
    let Some(e) = quote.checked_sub(1) else {
        return false;
    };
    matches!(bytes[e], b'E' | b'e') && (e == 0 || !is_ident_cont(bytes[e - 1]))
}

/// The index just past the string or quoted identifier opened by the quote
/// at `start`: a doubled quote stays inside, and with `backslashes` (an
/// `E'…'` string) a backslash takes the next byte with it. The end of the
/// statement when it is never closed.
fn end_of_string(bytes: &[u8], start: usize, backslashes: bool) -> usize {
    let quote = bytes[start];
    let mut j = start + 1;
    while j < bytes.len() {
        let b = bytes[j];
        if backslashes && b == b'\\' {
            j += 2;
        } else if b == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
            } else {
                return j + 1;
            }
        } else {
            j += 1;
        }
    }
    bytes.len()
}

/// The index just past the `-- …` comment at `start`, which ends with the
/// line (PostgreSQL ends it at `\n` or `\r`).
fn end_of_line_comment(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |at| start + at + 1)
}

/// The index just past the `/* … */` comment at `start`; PostgreSQL's
/// block comments nest.
fn end_of_block_comment(bytes: &[u8], start: usize) -> usize {
    let mut depth = 1_usize;
    let mut j = start + 2;
    while j < bytes.len() {
        match (bytes[j], bytes.get(j + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                j += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return j;
                }
            }
            _ => j += 1,
        }
    }
    bytes.len()
}

/// The index just past the dollar-quoted string opened at `start` (`$$` or
/// `$tag$`, closed by the same tag), or `start + 1` when the `$` opens no
/// such string: a parameter `$1`, or a `$` inside an identifier (`a$b`,
/// `a$$`).
fn end_of_dollar_quote(bytes: &[u8], start: usize) -> usize {
    let not_a_quote = start + 1;
    if start > 0 && is_ident_cont(bytes[start - 1]) {
        return not_a_quote;
    }
    let tag_end = match bytes.get(start + 1) {
        Some(b'$') => start + 1,
        Some(&b) if is_tag_start(b) => {
            let Some(len) = bytes[start + 2..].iter().position(|&b| !is_tag_cont(b)) else {
                return not_a_quote;
            };
            let end = start + 2 + len;
            if bytes[end] != b'$' {
                return not_a_quote;
            }
            end
        }
        _ => return not_a_quote,
    };
    let tag = &bytes[start..=tag_end];
    let body = tag_end + 1;
    bytes[body..]
        .windows(tag.len())
        .position(|w| w == tag)
        .map_or(bytes.len(), |at| body + at + tag.len())
}

#[cfg(test)]
mod tests {
    use super::numbered_placeholders as rewrite;

    #[test]
    fn question_marks_outside_quotes_and_comments_become_numbered() {
        assert_eq!(
            rewrite(
                "SELECT * FROM t WHERE a = ? AND b = '?' AND \"c?\" = ? -- ?\n LIMIT ? /* ? */"
            ),
            "SELECT * FROM t WHERE a = $1 AND b = '?' AND \"c?\" = $2 -- ?\n LIMIT $3 /* ? */"
        );
    }

    #[test]
    fn a_doubled_quote_stays_inside_a_string_or_identifier() {
        assert_eq!(rewrite("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
        assert_eq!(
            rewrite("SELECT \"a\"\"?\" FROM t WHERE x = ?"),
            "SELECT \"a\"\"?\" FROM t WHERE x = $1"
        );
    }

    #[test]
    fn a_backslash_escapes_a_quote_only_in_an_escape_string() {
        assert_eq!(rewrite(r"SELECT E'\'?', ?"), r"SELECT E'\'?', $1");
        assert_eq!(rewrite(r"SELECT e'\\', ?"), r"SELECT e'\\', $1");
        assert_eq!(rewrite(r"SELECT E'a''\'?' || ?"), r"SELECT E'a''\'?' || $1");
        // Standard strings: the backslash is a character, the quote closes.
        assert_eq!(rewrite(r"SELECT '\', ?"), r"SELECT '\', $1");
        // `type` is a name, not an `E` prefix.
        assert_eq!(rewrite(r"SELECT type'\', ?"), r"SELECT type'\', $1");
    }

    #[test]
    fn dollar_quoted_strings_are_left_alone() {
        assert_eq!(rewrite("SELECT $$a ? 'b$$, ?"), "SELECT $$a ? 'b$$, $1");
        assert_eq!(
            rewrite("SELECT $fn$ $$ ? $x$ $fn$ = ?"),
            "SELECT $fn$ $$ ? $x$ $fn$ = $1"
        );
        assert_eq!(rewrite("SELECT $é_1$?$é_1$, ?"), "SELECT $é_1$?$é_1$, $1");
    }

    #[test]
    fn a_dollar_that_opens_no_quote_is_copied() {
        // A numbered parameter, a `$` inside a name, an unclosed tag.
        assert_eq!(rewrite("SELECT $1, ?"), "SELECT $1, $1");
        assert_eq!(rewrite("SELECT a$$b, ?"), "SELECT a$$b, $1");
        assert_eq!(rewrite("SELECT a$b$ ? $b$"), "SELECT a$b$ $1 $b$");
        assert_eq!(rewrite("SELECT $a b$ ?"), "SELECT $a b$ $1");
        assert_eq!(rewrite("?$"), "$1$");
    }

    #[test]
    fn comments_line_and_nested_block_are_left_alone() {
        assert_eq!(rewrite("SELECT ? -- ?\r?"), "SELECT $1 -- ?\r$2");
        assert_eq!(
            rewrite("SELECT /* a /* ? */ still ? */ ?"),
            "SELECT /* a /* ? */ still ? */ $1"
        );
        // A lone `-` or `/` is an operator.
        assert_eq!(rewrite("SELECT ? - ? / ?"), "SELECT $1 - $2 / $3");
    }

    #[test]
    fn a_doubled_question_mark_is_one_literal_question_mark() {
        assert_eq!(
            rewrite("SELECT * FROM t WHERE doc ?? ? AND doc ??| ? AND doc ??& ?"),
            "SELECT * FROM t WHERE doc ? $1 AND doc ?| $2 AND doc ?& $3"
        );
        // Paired from the left, as PgJDBC does: `???` is `?` then `$1`.
        assert_eq!(rewrite("doc ??? x"), "doc ?$1 x");
        assert_eq!(rewrite("????"), "??");
        assert_eq!(rewrite("'??'"), "'??'");
    }

    #[test]
    fn an_unclosed_string_identifier_or_comment_runs_to_the_end() {
        for open in ["'", "E'\\", "\"", "$$", "$t$", "/*", "/* /* */", "--"] {
            let statement = format!("SELECT ? {open} ? ??");
            assert_eq!(rewrite(&statement), format!("SELECT $1 {open} ? ??"));
        }
    }

    /// Every string up to five characters over an alphabet of the
    /// rewrite's delimiters: no panic, and nothing changed without a `?`.
    #[test]
    fn the_rewrite_never_panics_on_short_statements() {
        const ALPHABET: [char; 12] = [
            '\'', '"', '$', '?', '-', '/', '*', '\\', 'E', 'a', '\n', 'é',
        ];
        let mut statement = String::new();
        fn visit(statement: &mut String, depth: usize) {
            let out = rewrite(statement);
            if !statement.contains('?') {
                assert_eq!(&out, statement);
            }
            if depth == 0 {
                return;
            }
            for c in ALPHABET {
                statement.push(c);
                visit(statement, depth - 1);
                statement.pop();
            }
        }
        visit(&mut statement, 5);
    }
}
