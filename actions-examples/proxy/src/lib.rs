//! `proxy`: forwards the incoming request — method, the path under a prefix,
//! query, headers and body — to an `http` connection and answers with what
//! the upstream said (Fusio's HTTP processor).
//!
//! Map it to every method on `/proxy/*rest` and grant it the connection
//! named in its config: `{"connection": "upstream", "prefix": "/proxy"}`
//! (those are the defaults). `GET /proxy/users/1?x=y` becomes
//! `GET <base URL>/users/1?x=y`. The connection's credentials are added by
//! the host; the consumer's own `authorization` and cookies are not
//! forwarded.

use serde::Deserialize;
use sluice_sdk::http;
use sluice_sdk::{Error, Request, Response};

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_connection")]
    connection: String,
    #[serde(default = "default_prefix")]
    prefix: String,
}

fn default_connection() -> String {
    "upstream".into()
}

fn default_prefix() -> String {
    "/proxy".into()
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

fn proxy(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let rest = req
        .path()
        .strip_prefix(config.prefix.trim_end_matches('/'))
        .ok_or_else(|| {
            Error::internal(format!(
                "the path {} is not under the configured prefix {}",
                req.path(),
                config.prefix
            ))
        })?;
    let mut upstream = http::request(&config.connection, req.method(), rest);
    for (key, value) in req.query_pairs() {
        upstream = upstream.query(key, value);
    }
    for (name, value) in req.headers() {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            upstream = upstream.header(name, value);
        }
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

sluice_sdk::export_action!(proxy);
