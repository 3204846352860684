//! `builtin:http-processor`: forwards the request — method, path, query,
//! headers and body — to an `http` connection and answers with what the
//! upstream said, with optional mapping (Fusio's HTTP-Processor).
//!
//! Config: `{"connection", "path"?, "prefix"?, "method"?, "query"?,
//! "headers"?, "forward_query"?, "forward_headers"?}`:
//! - `path`: a template under the connection's base URL, `{name}` a path
//!   parameter percent-encoded as one segment, `{*name}` inserted as it is
//!   (a `*rest` wildcard); without it, the request path, less `prefix`;
//! - `method`: sent instead of the request's;
//! - `query` / `headers`: added to what is forwarded (objects of strings);
//! - `forward_query` / `forward_headers` (default true): whether the
//!   consumer's query and headers go along. Its `authorization`, cookies
//!   and framing headers never do; the connection's credentials are added
//!   by the host, and the path cannot leave the base URL.

use std::collections::BTreeMap;

use serde::Deserialize;
use sluice_sdk::http;
use sluice_sdk::{Error, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    connection: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    query: BTreeMap<String, String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default = "yes")]
    forward_query: bool,
    #[serde(default = "yes")]
    forward_headers: bool,
}

fn yes() -> bool {
    true
}

/// Request headers that stay here: the host owns framing and the
/// connection's credentials; the consumer's credentials are for Sluice.
const NOT_FORWARDED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
    "authorization",
    "cookie",
];

/// Response headers the host sets itself.
const NOT_RETURNED: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

/// `value` percent-encoded as one path segment (RFC 3986 unreserved kept).
fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The template with `{name}` and `{*name}` filled from the path parameters.
fn fill(template: &str, req: &Request) -> Result<String, Error> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').ok_or_else(|| {
            Error::internal(format!(
                "http-processor config: unclosed {{ in path {template:?}"
            ))
        })?;
        let name = &rest[open + 1..open + close];
        let (raw, name) = match name.strip_prefix('*') {
            Some(name) => (true, name),
            None => (false, name),
        };
        let value = req.param(name).ok_or_else(|| {
            Error::internal(format!(
                "http-processor config: the operation has no :{name} parameter"
            ))
        })?;
        out.push_str(&if raw {
            value.to_string()
        } else {
            segment(value)
        });
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn http_processor(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let path = match (&config.path, &config.prefix) {
        (Some(template), _) => fill(template, &req)?,
        (None, Some(prefix)) => req
            .path()
            .strip_prefix(prefix.trim_end_matches('/'))
            .ok_or_else(|| {
                Error::internal(format!(
                    "http-processor config: the path {} is not under the prefix {prefix}",
                    req.path()
                ))
            })?
            .to_string(),
        (None, None) => req.path().to_string(),
    };
    let method = config.method.as_deref().unwrap_or(req.method());
    let mut upstream = http::request(&config.connection, method, &path);
    if config.forward_query {
        for (key, value) in req.query_pairs() {
            upstream = upstream.query(key, value);
        }
    }
    for (key, value) in &config.query {
        upstream = upstream.query(key, value);
    }
    if config.forward_headers {
        for (name, value) in req.headers() {
            if !NOT_FORWARDED.contains(&name.as_str()) && !config.headers.contains_key(name) {
                upstream = upstream.header(name, value);
            }
        }
    }
    for (name, value) in &config.headers {
        upstream = upstream.header(name, value);
    }
    let answer = match upstream.body(req.body()).send() {
        Ok(answer) => answer,
        Err(http::Error::InvalidRequest(m)) => return Err(Error::invalid_input(m)),
        Err(e) => return Err(e.into()),
    };
    let mut response = Response::new(answer.status());
    for (name, value) in answer.headers() {
        if !NOT_RETURNED.contains(&name.as_str()) {
            response = response.with_header(name.clone(), value.clone());
        }
    }
    response.body = answer.into_inner().body;
    Ok(response)
}

sluice_sdk::export_action!(http_processor);
