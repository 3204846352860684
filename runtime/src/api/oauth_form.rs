//! The request form of the authorization endpoints
//! (`application/x-www-form-urlencoded`, RFC 6749 §4 and Appendix B), read
//! in time linear in its size: anyone may send it, before a client or user
//! is known, so its cost must not grow faster than the bytes it carries.

use std::collections::HashSet;

// The limits are settings and live with the others in `config`.
pub use crate::config::{DEFAULT_MAX_BYTES, DEFAULT_MAX_FIELDS, FormLimits};

/// Why a form was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// More than `max_fields` fields.
    TooManyFields(usize),
    /// A field appears twice (RFC 6749 §3.1 and §3.2: "Request and
    /// response parameters MUST NOT be included more than once").
    Repeated(String),
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooManyFields(max) => write!(
                f,
                "the form has more than {max} fields; an OAuth2 request needs a handful"
            ),
            Self::Repeated(name) => write!(f, "parameter {name:?} is repeated"),
        }
    }
}

/// The fields of `body` in order, decoded (`+` as space, percent escapes,
/// invalid UTF-8 replaced), refusing a repeated name or more than
/// `max_fields` fields. Empty pairs (`a=1&&b=2`) are skipped, as browsers
/// do. Never panics, on any input.
///
/// # Errors
/// [`FormError`] as above; the scan stops at the first one.
pub fn parse(body: &[u8], max_fields: usize) -> Result<Vec<(String, String)>, FormError> {
    let mut fields = Vec::new();
    let mut seen = HashSet::new();
    for (name, value) in form_urlencoded::parse(body) {
        if fields.len() == max_fields {
            return Err(FormError::TooManyFields(max_fields));
        }
        if !seen.insert(name.clone()) {
            return Err(FormError::Repeated(name.into_owned()));
        }
        fields.push((name.into_owned(), value.into_owned()));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_decoded_in_order() {
        let form = parse(b"grant_type=password&username=a+b&password=%C3%A9%26", 8).unwrap();
        assert_eq!(
            form,
            vec![
                ("grant_type".into(), "password".into()),
                ("username".into(), "a b".into()),
                ("password".into(), "é&".into()),
            ]
        );
    }

    #[test]
    fn a_repeated_name_is_refused_even_when_encoded_differently() {
        assert_eq!(
            parse(b"scope=a&sc%6Fpe=b", 8),
            Err(FormError::Repeated("scope".into()))
        );
    }

    #[test]
    fn more_fields_than_the_cap_are_refused() {
        assert_eq!(parse(b"a=1&b=2&c=3", 2), Err(FormError::TooManyFields(2)));
        assert_eq!(parse(b"a=1&b=2", 2).unwrap().len(), 2);
    }

    #[test]
    fn many_distinct_fields_are_refused_at_the_cap_without_reading_on() {
        let body: String = (0..340_000).map(|i| format!("f{i}=x&")).collect();
        assert_eq!(
            parse(body.as_bytes(), DEFAULT_MAX_FIELDS),
            Err(FormError::TooManyFields(DEFAULT_MAX_FIELDS))
        );
    }
}
