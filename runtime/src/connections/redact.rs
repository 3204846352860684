//! Removing a connection's secrets from what an upstream answers before a
//! guest reads it: an error page or a `/headers` endpoint that echoes the
//! request would otherwise hand the guest the credentials the host
//! injected.
//!
//! All secrets are found in one pass by an Aho-Corasick automaton
//! (leftmost-longest, so a header value containing the bare secret is
//! replaced whole). Only the exact bytes of each given form are found: a
//! secret the upstream re-encodes (JSON-escaped, percent-encoded,
//! base64-encoded differently) or splits is not recognised.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};

/// What replaces each secret.
pub const MARKER: &str = "[redacted]";

/// A matcher for a fixed set of secrets; clones share the automaton.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    /// A redactor for `secrets`; empty ones are ignored, and with none
    /// left [`Self::redact`] returns its input as is.
    ///
    /// # Errors
    /// When the automaton would exceed aho-corasick's size limits
    /// (secrets of many megabytes).
    pub fn new<I, S>(secrets: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let patterns: Vec<S> = secrets
            .into_iter()
            .filter(|s| !s.as_ref().is_empty())
            .collect();
        if patterns.is_empty() {
            return Ok(Self::default());
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns)
            .map_err(|e| format!("the secrets cannot be matched: {e}"))?;
        Ok(Self {
            matcher: Some(matcher),
        })
    }

    /// `bytes` with every secret replaced by [`MARKER`]; borrowed (no
    /// copy) when none occurs, which is almost always.
    pub fn redact<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        match &self.matcher {
            Some(matcher) if matcher.is_match(bytes) => {
                let markers = vec![MARKER.as_bytes(); matcher.patterns_len()];
                Cow::Owned(matcher.replace_all_bytes(bytes, &markers))
            }
            _ => Cow::Borrowed(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_replaced_and_the_longest_form_wins() {
        let redactor = Redactor::new(["s3cret", "Bearer s3cret", ""]).unwrap();
        assert_eq!(
            &*redactor.redact(b"auth: Bearer s3cret, again s3cret."),
            b"auth: [redacted], again [redacted]."
        );
    }

    #[test]
    fn text_without_a_secret_is_not_copied() {
        let redactor = Redactor::new(["s3cret"]).unwrap();
        assert!(matches!(redactor.redact(b"nothing here"), Cow::Borrowed(_)));
        let none = Redactor::new(Vec::<String>::new()).unwrap();
        assert!(matches!(none.redact(b"s3cret"), Cow::Borrowed(_)));
    }
}
