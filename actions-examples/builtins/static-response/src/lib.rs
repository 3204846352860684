//! `builtin:static-response`: answers a configured status, headers and
//! body, whatever the request (Fusio's Util-Static-Response).
//!
//! Config: `{"status"?, "headers"?, "body"?}`: `status` 100–599 (default
//! 200); `headers` an object of strings; `body` a string (sent as it is,
//! `text/plain; charset=utf-8` unless `headers` names a content type) or
//! any other JSON value (sent as JSON, `application/json`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;
use sluice_sdk::{Error, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Json>,
}

fn ok() -> u16 {
    200
}

fn static_response(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    if !(100..=599).contains(&config.status) {
        return Err(Error::internal(format!(
            "static-response config: status {} is not 100–599",
            config.status
        )));
    }
    let mut response = match config.body {
        None | Some(Json::Null) => Response::new(config.status),
        Some(Json::String(text)) => Response::text(text).with_status(config.status),
        Some(value) => Response::json(&value).with_status(config.status),
    };
    let typed = config
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("content-type"));
    if typed {
        response.headers.retain(|(name, _)| name != "content-type");
    }
    for (name, value) in config.headers {
        response = response.with_header(name, value);
    }
    Ok(response)
}

sluice_sdk::export_action!(static_response);
