//! The text-level rules of a deploy file: where each node is (by JSON
//! pointer, from saphyr-parser's events), `${VAR}` substitution, and which
//! fields hold secrets.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::connections::SECRET_FIELDS;

/// RFC 6901 escaping of one reference token.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

enum Frame {
    Map {
        pointer: String,
        key: Option<String>,
    },
    Seq {
        pointer: String,
        index: usize,
    },
}

/// The secret in the string at `pointer`, when the field holds one: a
/// connection's password, token or key, or a URL's password.
pub fn secret_in<'a>(pointer: &str, text: &'a str) -> Option<&'a str> {
    let parts: Vec<&str> = pointer.split('/').collect();
    match parts.as_slice() {
        ["", "connections", _, "config", "url"] => url_password(text),
        // A command's environment may carry the tool's credentials.
        ["", "connections", _, "config", "env", _] => Some(text),
        ["", "connections", _, "config", field @ ..] => {
            SECRET_FIELDS.contains(&field).then_some(text)
        }
        _ => None,
    }
}

/// Whether `text` is one `${...}` reference and nothing else.
pub fn whole_reference(text: &str) -> bool {
    text.starts_with("${") && text.ends_with('}') && text.matches("${").count() == 1
}

/// The password part of a URL's user information, if it has one.
pub fn url_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    userinfo.split_once(':').map(|(_, password)| password)
}

/// Whether `text` is exactly one `${VAR}` with no default.
pub fn is_reference(text: &str) -> bool {
    text.strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .is_some_and(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// `text` with `${VAR}` and `${VAR:-default}` replaced through `lookup`;
/// `$${` is a literal `${`. Errors with the name of a variable that is
/// unset and has no default.
pub fn substitute(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(body) = tail.strip_prefix("${")
            && let Some(end) = body.find('}')
        {
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            match lookup(name).filter(|v| !v.is_empty() || default.is_none()) {
                Some(v) => out.push_str(&v),
                None => out.push_str(default.ok_or_else(|| name.to_string())?),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The line and column (1-based) of every node by JSON pointer (a mapping
/// member is placed at its key), and the pointers of unquoted scalars.
pub fn index(text: &str) -> (HashMap<String, (usize, usize)>, HashSet<String>) {
    let mut out = HashMap::new();
    let mut plain = HashSet::new();
    let mut stack: Vec<Frame> = Vec::new();
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        let at = (span.start.line(), span.start.col() + 1);
        let starts = matches!(
            event,
            Event::Scalar(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
                | Event::Alias(_)
        );
        if starts {
            // A scalar where a mapping expects a key is that key.
            if let (Some(Frame::Map { pointer, key }), Event::Scalar(text, ..)) =
                (stack.last_mut(), &event)
                && key.is_none()
            {
                let member = format!("{pointer}/{}", escape(text));
                out.entry(member).or_insert(at);
                *key = Some(text.to_string());
                continue;
            }
            let pointer = match stack.last_mut() {
                Some(Frame::Map { pointer, key }) => {
                    let p = format!("{pointer}/{}", escape(key.as_deref().unwrap_or_default()));
                    *key = None;
                    p
                }
                Some(Frame::Seq { pointer, index }) => {
                    let p = format!("{pointer}/{index}");
                    *index += 1;
                    p
                }
                None => String::new(),
            };
            out.entry(pointer.clone()).or_insert(at);
            if let Event::Scalar(_, ScalarStyle::Plain, ..) = event {
                plain.insert(pointer.clone());
            }
            match event {
                Event::MappingStart(..) => stack.push(Frame::Map { pointer, key: None }),
                Event::SequenceStart(..) => stack.push(Frame::Seq { pointer, index: 0 }),
                _ => {}
            }
        } else if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
            stack.pop();
        }
    }
    (out, plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_substituted_with_defaults_and_escapes() {
        let env = |n: &str| (n == "HOST").then(|| "db.local".to_string());
        assert_eq!(
            substitute("pg://${HOST}:${PORT:-5432}/x $${KEEP}", env).unwrap(),
            "pg://db.local:5432/x ${KEEP}"
        );
        assert_eq!(substitute("${MISSING}", env).unwrap_err(), "MISSING");
    }

    #[test]
    fn every_node_is_found_by_its_pointer() {
        let text = "operations:\n  hello:\n    method: GET\n    scopes: [a, b]\n";
        let (p, plain) = index(text);
        assert!(plain.contains("/operations/hello/method"));
        assert_eq!(p["/operations/hello/method"], (3, 5));
        assert_eq!(p["/operations/hello/scopes/1"], (4, 17));
    }

    #[test]
    fn a_url_password_must_be_a_reference() {
        assert_eq!(url_password("postgres://u:pw@h/db"), Some("pw"));
        assert_eq!(url_password("postgres://u@h/db"), None);
        assert!(is_reference("${DB_PASSWORD}"));
        assert!(!is_reference("${DB_PASSWORD:-x}"));
    }
}
