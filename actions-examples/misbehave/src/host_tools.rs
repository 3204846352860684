//! `misbehave` modes that drive the `files` and `command` interfaces from
//! a JSON body, answering what the guest saw, or `{"error": "<kind>",
//! "message"}` — so tests can check what a guest can and cannot reach on
//! the host.
//!
//! - `files` `{"conn", "op": "read|write|list|stat|delete", "path",
//!   "contents"}` → `{"text"}` (read, lossy UTF-8), `{"ok"}`,
//!   `{"entries": [...]}`, `{"entry"}` or `{"existed"}`;
//! - `command` `{"conn", "args": [[slot, value]], "stdin"}` → `{"status",
//!   "stdout", "stderr"}`.

use serde::Deserialize;
use serde_json::{Value, json};
use sluice_sdk::command::{self, Command};
use sluice_sdk::files::{self, Entry, Files};
use sluice_sdk::{Error, Request, Response};

#[derive(Deserialize, Default)]
#[serde(default)]
struct FilesSpec {
    conn: String,
    op: String,
    path: String,
    contents: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommandSpec {
    conn: String,
    args: Vec<(String, String)>,
    stdin: String,
}

fn failed(kind: &str, message: String) -> Response {
    Response::json(&json!({ "error": kind, "message": message }))
}

fn entry(e: &Entry) -> Value {
    json!({"name": e.name, "is_dir": e.is_dir, "size": e.size, "modified_ms": e.modified_ms})
}

pub fn files(req: &Request) -> Result<Response, Error> {
    let spec: FilesSpec = req.json()?;
    let dir = Files::new(&spec.conn);
    let result = match spec.op.as_str() {
        "read" => dir
            .read(&spec.path)
            .map(|b| json!({ "text": String::from_utf8_lossy(&b) })),
        "write" => dir
            .write(&spec.path, spec.contents.as_bytes())
            .map(|()| json!({ "ok": true })),
        "list" => dir
            .list(&spec.path)
            .map(|es| json!({ "entries": es.iter().map(entry).collect::<Vec<_>>() })),
        "stat" => dir.stat(&spec.path).map(|e| json!({ "entry": entry(&e) })),
        "delete" => dir.delete(&spec.path).map(|b| json!({ "existed": b })),
        other => return Err(Error::invalid_input(format!("unknown op {other:?}"))),
    };
    Ok(match result {
        Ok(answer) => Response::json(&answer),
        Err(e) => {
            let kind = match &e {
                files::Error::AccessDenied(_) => "access-denied",
                files::Error::NoSuchConnection(_) => "no-such-connection",
                files::Error::InvalidPath(_) => "invalid-path",
                files::Error::NotFound(_) => "not-found",
                files::Error::ReadOnly(_) => "read-only",
                files::Error::TooLarge(_) => "too-large",
                files::Error::NotAllowed(_) => "not-allowed",
                files::Error::Io(_) => "io",
            };
            failed(kind, e.message())
        }
    })
}

pub fn command(req: &Request) -> Result<Response, Error> {
    let spec: CommandSpec = req.json()?;
    let mut run = Command::new(&spec.conn).stdin(spec.stdin.into_bytes());
    for (slot, value) in &spec.args {
        run = run.slot(slot, value);
    }
    Ok(match run.run() {
        Ok(out) => Response::json(&json!({
            "status": out.status,
            "stdout": String::from_utf8_lossy(&out.stdout),
            "stderr": String::from_utf8_lossy(&out.stderr),
        })),
        Err(e) => {
            let kind = match &e {
                command::Error::AccessDenied(_) => "access-denied",
                command::Error::NoSuchConnection(_) => "no-such-connection",
                command::Error::InvalidArgument(_) => "invalid-argument",
                command::Error::Timeout => "timeout",
                command::Error::OutputTooLarge(_) => "output-too-large",
                command::Error::SpawnFailed(_) => "spawn-failed",
                command::Error::Io(_) => "io",
            };
            failed(kind, e.message())
        }
    })
}
