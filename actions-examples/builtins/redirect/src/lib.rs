//! `builtin:redirect`: answers a redirect whose `Location` is built from
//! the request (Fusio's Util-Redirect).
//!
//! Config: `{"location", "status"?}`: `location` a URL or path template in
//! which `{name}` is a path parameter and `{query.name}` a query parameter
//! (percent-encoded; empty when absent); `status` 301, 302 (the default),
//! 303, 307 or 308.

use serde::Deserialize;
use sluice_sdk::{Error, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    location: String,
    #[serde(default = "found")]
    status: u16,
}

fn found() -> u16 {
    302
}

/// `value` percent-encoded (RFC 3986 unreserved kept), safe in a path
/// segment and in a query value.
fn encode(value: &str) -> String {
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

fn redirect(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    if ![301, 302, 303, 307, 308].contains(&config.status) {
        return Err(Error::internal(format!(
            "redirect config: status {} is not 301, 302, 303, 307 or 308",
            config.status
        )));
    }
    let mut location = String::new();
    let mut rest = config.location.as_str();
    while let Some(open) = rest.find('{') {
        location.push_str(&rest[..open]);
        let close = rest[open..].find('}').ok_or_else(|| {
            Error::internal(format!(
                "redirect config: unclosed {{ in {:?}",
                config.location
            ))
        })?;
        let name = &rest[open + 1..open + close];
        let value = match name.strip_prefix("query.") {
            Some(q) => req.query(q).unwrap_or_default(),
            None => req.param(name).ok_or_else(|| {
                Error::internal(format!(
                    "redirect config: the operation has no :{name} parameter"
                ))
            })?,
        };
        location.push_str(&encode(value));
        rest = &rest[open + close + 1..];
    }
    location.push_str(rest);
    Ok(Response::new(config.status).with_header("location", location))
}

sluice_sdk::export_action!(redirect);
