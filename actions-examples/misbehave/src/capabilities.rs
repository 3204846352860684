//! `misbehave` modes that drive the `http`, `kv` and `smtp` interfaces from
//! a JSON body, answering what the guest saw, or `{"error": "<kind>",
//! "message"}` — so tests can check what a guest can and cannot reach.
//!
//! - `http-send` `{"conn", "method", "path", "query": [[k, v]], "headers":
//!   [[k, v]], "body"}` → `{"status", "headers", "body", "env", "config"}`
//!   (`env` and `config` are everything else the guest can read);
//! - `kv` `{"conn", "op": "get|set|delete|exists|increment", "key",
//!   "value", "ttl", "delta"}` → `{"value"}`, `{"ok"}`, `{"existed"}`,
//!   `{"exists"}` or `{"sum"}`;
//! - `smtp-send` `{"conn", "to", "cc", "bcc", "reply_to", "subject",
//!   "text", "html"}` → `{"id"}`.

use serde::Deserialize;
use serde_json::{Value, json};
use sluice_sdk::{Error, Request, Response, http, kv, smtp};

#[derive(Deserialize, Default)]
#[serde(default)]
struct HttpSpec {
    conn: String,
    method: Option<String>,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KvSpec {
    conn: String,
    op: String,
    key: String,
    value: String,
    ttl: Option<u32>,
    delta: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MailSpec {
    conn: String,
    to: Vec<String>,
    cc: Vec<String>,
    bcc: Vec<String>,
    reply_to: Option<String>,
    subject: String,
    text: Option<String>,
    html: Option<String>,
}

fn failed(kind: &str, message: String) -> Response {
    Response::json(&json!({ "error": kind, "message": message }))
}

pub fn http_send(req: &Request) -> Result<Response, Error> {
    let spec: HttpSpec = req.json()?;
    let mut call = http::request(
        &spec.conn,
        spec.method.as_deref().unwrap_or("GET"),
        &spec.path,
    );
    for (k, v) in &spec.query {
        call = call.query(k, v);
    }
    for (k, v) in &spec.headers {
        call = call.header(k, v);
    }
    let env: Vec<(String, String)> = std::env::vars().collect();
    let config: Value = req.context().config()?;
    Ok(match call.body(spec.body.into_bytes()).send() {
        Ok(answer) => Response::json(&json!({
            "status": answer.status(),
            "headers": answer.headers(),
            "body": String::from_utf8_lossy(answer.body()),
            "env": env,
            "config": config,
        })),
        Err(e) => {
            let kind = match &e {
                http::Error::AccessDenied(_) => "access-denied",
                http::Error::NoSuchConnection(_) => "no-such-connection",
                http::Error::Timeout => "timeout",
                http::Error::ResponseTooLarge(_) => "response-too-large",
                http::Error::ConnectFailed(_) => "connect-failed",
                http::Error::InvalidRequest(_) => "invalid-request",
            };
            failed(kind, e.message())
        }
    })
}

pub fn kv(req: &Request) -> Result<Response, Error> {
    let spec: KvSpec = req.json()?;
    let store = kv::Store::new(&spec.conn);
    let result = match spec.op.as_str() {
        "get" => store
            .get(&spec.key)
            .map(|v| json!({ "value": v.map(|b| String::from_utf8_lossy(&b).into_owned()) })),
        "set" => store
            .set(&spec.key, spec.value.as_bytes(), spec.ttl)
            .map(|()| json!({ "ok": true })),
        "delete" => store.delete(&spec.key).map(|b| json!({ "existed": b })),
        "exists" => store.exists(&spec.key).map(|b| json!({ "exists": b })),
        "increment" => store
            .increment(&spec.key, spec.delta)
            .map(|n| json!({ "sum": n })),
        other => return Err(Error::invalid_input(format!("unknown op {other:?}"))),
    };
    Ok(match result {
        Ok(answer) => Response::json(&answer),
        Err(e) => {
            let kind = match &e {
                kv::Error::AccessDenied(_) => "access-denied",
                kv::Error::NoSuchConnection(_) => "no-such-connection",
                kv::Error::InvalidKey(_) => "invalid-key",
                kv::Error::ValueTooLarge(_) => "value-too-large",
                kv::Error::NotAnInteger(_) => "not-an-integer",
                kv::Error::Io(_) => "io",
            };
            failed(kind, e.message())
        }
    })
}

pub fn smtp_send(req: &Request) -> Result<Response, Error> {
    let spec: MailSpec = req.json()?;
    let mut message = smtp::Message::new(&spec.subject);
    for a in &spec.to {
        message = message.to(a);
    }
    for a in &spec.cc {
        message = message.cc(a);
    }
    for a in &spec.bcc {
        message = message.bcc(a);
    }
    if let Some(a) = &spec.reply_to {
        message = message.reply_to(a);
    }
    if let Some(t) = &spec.text {
        message = message.text(t);
    }
    if let Some(h) = &spec.html {
        message = message.html(h);
    }
    Ok(match message.send(&spec.conn) {
        Ok(id) => Response::json(&json!({ "id": id })),
        Err(e) => {
            let kind = match &e {
                smtp::Error::AccessDenied(_) => "access-denied",
                smtp::Error::NoSuchConnection(_) => "no-such-connection",
                smtp::Error::InvalidAddress(_) => "invalid-address",
                smtp::Error::InvalidMessage(_) => "invalid-message",
                smtp::Error::Rejected(_) => "rejected",
                smtp::Error::Timeout => "timeout",
                smtp::Error::ConnectFailed(_) => "connect-failed",
            };
            failed(kind, e.message())
        }
    })
}

/// `dispatch`: dispatches `count` (default 1) events `event` with
/// `payload` as given; with `"fail": true` it then answers a 500 error, so
/// the dispatched events must be dropped. Answers the refusal of the host
/// as `{"error": kind, "message"}`.
pub fn dispatch(req: &Request) -> Result<Response, Error> {
    use sluice_sdk::events::{DispatchError, dispatch_raw};
    let spec: serde_json::Value = req.json()?;
    let event = spec["event"].as_str().unwrap_or_default();
    let payload = serde_json::to_vec(&spec["payload"]).unwrap_or_default();
    for _ in 0..spec["count"].as_u64().unwrap_or(1) {
        if let Err(e) = dispatch_raw(event, &payload) {
            let (kind, message) = match e {
                DispatchError::NoSuchEvent(m) => ("no-such-event", m),
                DispatchError::InvalidPayload(m) => ("invalid-payload", m),
                DispatchError::TooMany(m) => ("too-many", m),
            };
            return Ok(failed(kind, message));
        }
    }
    if spec["fail"].as_bool().unwrap_or(false) {
        return Err(Error::internal(
            "misbehave was asked to fail after dispatching",
        ));
    }
    Ok(Response::json(&serde_json::json!({ "dispatched": true })))
}
