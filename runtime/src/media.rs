//! Media types (RFC 6838) of the bodies this server reads and writes,
//! parsed once by the `mime` crate rather than by prefix: a prefix test
//! such as `starts_with("application/wasm")` also accepts
//! `application/wasmx`, and a hand-made `split(';')` misreads quoted
//! parameters.
//!
//! Every comparison is on the essence (`type/subtype`, which `mime`
//! lower-cases, RFC 9110 §8.3.1); parameters such as `charset` never
//! change what a body is taken for.

use axum::http::{HeaderMap, header};
pub use mime::Mime;

/// The request's or response's `Content-Type`.
///
/// # Errors
/// The header's text when it is not one well-formed media type (not
/// visible ASCII, no `/`, a broken parameter); the caller decides whether
/// that is a 415 or a 400.
pub fn content_type(headers: &HeaderMap) -> Result<Option<Mime>, String> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| "the Content-Type is not visible ASCII".to_string())?;
    parse(text).map(Some)
}

/// `text` as a media type.
///
/// # Errors
/// `text` quoted in a message, when it is not one well-formed media type.
pub fn parse(text: &str) -> Result<Mime, String> {
    let refused = || format!("{text:?} is not a media type");
    let mime = text.trim().parse::<Mime>().map_err(|_| refused())?;
    // `mime` takes `application/` with an empty subtype; RFC 6838 §4.2
    // wants at least one character on each side.
    if mime.type_().as_str().is_empty() || mime.subtype().as_str().is_empty() {
        return Err(refused());
    }
    Ok(mime)
}

/// Whether `mime` has the essence `essence` (`type/subtype`, lower case),
/// whatever its parameters.
pub fn is(mime: &Mime, essence: &str) -> bool {
    mime.essence_str() == essence
}

/// True for `application/json` and any `application/<name>+json`
/// (structured syntax suffix, RFC 6839 §3.1), e.g. `application/problem+json`.
pub fn is_json(mime: &Mime) -> bool {
    // `subtype()` is the part before a `+`, so `application/json+xml`
    // has subtype `json`: the essence is compared whole.
    mime.essence_str() == "application/json"
        || (mime.type_() == mime::APPLICATION && mime.suffix() == Some(mime::JSON))
}

/// Which of `available` (plain media types, the server's preference
/// first) the request's `Accept` header (RFC 9110 §12.5.1) prefers, by
/// the `headers-accept` crate: media ranges (`*/*`, `text/*`), q-values,
/// the most specific range deciding, and `q=0` meaning "not this one".
/// Several `Accept` lines count as one comma-separated list.
///
/// `None` when the request sends no `Accept`, one that does not parse, or
/// one that accepts none of `available`: the caller answers its default.
pub fn negotiate(headers: &HeaderMap, available: &[&'static str]) -> Option<&'static str> {
    let lines: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if lines.is_empty() {
        return None;
    }
    let accept: headers_accept::Accept = lines.join(", ").parse().ok()?;
    let types: Vec<mediatype::MediaType<'static>> = available
        .iter()
        .filter_map(|text| mediatype::MediaType::parse(text).ok())
        .collect();
    let chosen = accept.negotiate(&types)?;
    let index = types.iter().position(|t| t == chosen)?;
    available.get(index).copied()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        map
    }

    #[test]
    fn the_essence_is_compared_whole_not_by_prefix() {
        let wasm = parse("application/wasm").unwrap();
        assert!(is(&wasm, "application/wasm"));
        for other in [
            "application/wasmx",
            "application/wasm+json",
            "application/was",
        ] {
            assert!(!is(&parse(other).unwrap(), "application/wasm"), "{other}");
        }
    }

    #[test]
    fn case_and_parameters_do_not_change_the_essence() {
        let upper = parse("Application/WASM; charset=\"utf-8\"").unwrap();
        assert!(is(&upper, "application/wasm"));
        let form = parse("multipart/form-data; boundary=\"a;b\"").unwrap();
        assert!(is(&form, "multipart/form-data"));
        assert_eq!(form.get_param(mime::BOUNDARY).unwrap(), "a;b");
    }

    #[test]
    fn json_and_json_suffixed_types_are_json_and_lookalikes_are_not() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "APPLICATION/Merge-Patch+JSON",
        ] {
            assert!(is_json(&parse(json).unwrap()), "{json}");
        }
        for other in [
            "application/jsonx",
            "application/json5",
            "text/json",
            "application/x-json-stream",
            "application/json+xml",
        ] {
            assert!(!is_json(&parse(other).unwrap()), "{other}");
        }
    }

    fn accept(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(header::ACCEPT, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn negotiation_weighs_ranges_and_q_values_and_q_zero_refuses() {
        const OFFER: &[&str] = &["text/html", "application/json"];
        for (values, chosen) in [
            (&[][..], None),
            (&["application/json"][..], Some("application/json")),
            (&["*/*"][..], Some("text/html")),
            (&["application/*"][..], Some("application/json")),
            (&["application/json;q=0, */*"][..], Some("text/html")),
            (
                &["text/html, application/json;q=0.9"][..],
                Some("text/html"),
            ),
            (
                &["text/html;q=0.5, application/json"][..],
                Some("application/json"),
            ),
            (
                &["text/*;q=0.1", "application/json;q=0.2"][..],
                Some("application/json"),
            ),
            (&["application/json;q=0"][..], None),
            (&["image/png"][..], None),
            (&["not a media type"][..], None),
        ] {
            assert_eq!(negotiate(&accept(values), OFFER), chosen, "{values:?}");
        }
    }

    #[test]
    fn malformed_types_are_errors_and_an_absent_header_is_none() {
        for bad in ["", "wasm", "application/", "/wasm", "application/wasm; =x"] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(content_type(&HeaderMap::new()), Ok(None));
        assert!(content_type(&headers("nonsense")).is_err());
        assert!(is(
            &content_type(&headers("application/octet-stream"))
                .unwrap()
                .unwrap(),
            "application/octet-stream"
        ));
    }
}
