//! `misbehave`: a hostile guest for testing the host's limits. The query
//! parameter `do` picks the misdeed:
//! - `loop`: spins forever (fuel or the deadline must stop it);
//! - `grab`: allocates memory until the limit stops it;
//! - `trap`: panics, which aborts the instance;
//! - `big`: answers with `bytes` bytes (default 16 MiB);
//! - `error`: returns the typed error `not-found`;
//! - `count`: bumps a global counter and answers its value, which is always
//!   1 when every invocation gets a fresh instance;
//! - `sql-open`: opens connection `conn` and answers `{"opened": true}` or
//!   `{"error": "<kind>"}`;
//! - `sql-abandon`: opens `conn`, begins a transaction, inserts into table
//!   `t` (created if missing) and returns without committing;
//! - `sql-query`: runs query `q` on connection `conn` and answers
//!   `{"columns": [...], "rows": [[...]]}` with each value tagged by kind;
//! - `log`: writes the query's `message` to the log at level `level`
//!   (`info` when absent) and answers `{"ok": true}`;
//! - `log-flood`: writes `count` messages (default 1 000) of `bytes` bytes
//!   each (default 100) at level `info`, and answers `{"ok": true}`;
//! - `host-calls`: calls the host `n` times (default: without end) —
//!   `events.dispatch` of an event that does not exist, which answers at
//!   once — and answers `{"calls": n}`;
//! - `http-send`, `kv`, `smtp-send`: see [`capabilities`];
//! - `files`, `command`: see [`host_tools`];
//! - anything else: answers `{"ok": true}`.

mod capabilities;
mod host_tools;

use std::sync::atomic::{AtomicU64, Ordering};

use sluice_sdk::{Error, Request, Response};

static INVOCATIONS: AtomicU64 = AtomicU64::new(0);

fn misbehave(req: Request) -> Result<Response, Error> {
    match req.query("do").unwrap_or("") {
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "grab" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "trap" => panic!("misbehave was asked to trap"),
        "big" => {
            let bytes = req
                .query("bytes")
                .and_then(|b| b.parse().ok())
                .unwrap_or(16 << 20);
            Ok(Response::bytes(
                "application/octet-stream",
                vec![b'x'; bytes],
            ))
        }
        "count" => {
            let n = INVOCATIONS.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Response::json(&serde_json::json!({ "count": n })))
        }
        "sql-open" => {
            let name = req.query("conn").unwrap_or("");
            let answer = match sluice_sdk::sql::open(name) {
                Ok(_) => serde_json::json!({ "opened": true }),
                Err(e) => serde_json::json!({ "error": error_kind(&e), "message": e.message() }),
            };
            Ok(Response::json(&answer))
        }
        "sql-abandon" => {
            let db = sluice_sdk::sql::open(req.query("conn").unwrap_or(""))?;
            db.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)", &[])?;
            let tx = db.transaction()?;
            tx.execute("INSERT INTO t (v) VALUES (?)", &[1.into()])?;
            std::mem::forget(tx);
            Ok(Response::json(&serde_json::json!({ "abandoned": true })))
        }
        "sql-query" => {
            use sluice_sdk::sql::Value;
            let db = sluice_sdk::sql::open(req.query("conn").unwrap_or(""))?;
            let set = db.query_rows(req.query("q").unwrap_or(""), &[])?;
            let rows: Vec<Vec<serde_json::Value>> = set
                .rows
                .into_iter()
                .map(|row| {
                    row.into_iter()
                        .map(|v| match v {
                            Value::Null => serde_json::json!({ "null": null }),
                            Value::Integer(i) => serde_json::json!({ "integer": i }),
                            Value::Real(f) => serde_json::json!({ "real": f }),
                            Value::Text(t) => serde_json::json!({ "text": t }),
                            Value::Blob(b) => serde_json::json!({ "blob": b }),
                            Value::Boolean(b) => serde_json::json!({ "boolean": b }),
                        })
                        .collect()
                })
                .collect();
            Ok(Response::json(
                &serde_json::json!({ "columns": set.columns, "rows": rows }),
            ))
        }
        "http-send" => capabilities::http_send(&req),
        "kv" => capabilities::kv(&req),
        "smtp-send" => capabilities::smtp_send(&req),
        "dispatch" => capabilities::dispatch(&req),
        "files" => host_tools::files(&req),
        "command" => host_tools::command(&req),
        "log" => {
            let message = req.query("message").unwrap_or("");
            match req.query("level").unwrap_or("info") {
                "trace" => sluice_sdk::log::trace(message),
                "debug" => sluice_sdk::log::debug(message),
                "warn" => sluice_sdk::log::warn(message),
                "error" => sluice_sdk::log::error(message),
                _ => sluice_sdk::log::info(message),
            }
            Ok(Response::json(&serde_json::json!({ "ok": true })))
        }
        "log-flood" => {
            let count: u64 = req
                .query("count")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1000);
            let bytes: usize = req
                .query("bytes")
                .and_then(|b| b.parse().ok())
                .unwrap_or(100);
            let message = "m".repeat(bytes);
            for _ in 0..count {
                sluice_sdk::log::info(&message);
            }
            Ok(Response::json(&serde_json::json!({ "ok": true })))
        }
        "host-calls" => {
            let n: u64 = req
                .query("n")
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX);
            let mut made = 0;
            while made < n {
                let _ = sluice_sdk::events::dispatch_raw("misbehave.none", b"{}");
                made += 1;
            }
            Ok(Response::json(&serde_json::json!({ "calls": made })))
        }
        "error" => Err(Error::not_found(
            "misbehave was asked for a not-found error",
        )),
        _ => Ok(Response::json(&serde_json::json!({ "ok": true }))),
    }
}

fn error_kind(e: &sluice_sdk::sql::Error) -> &'static str {
    use sluice_sdk::sql::Error as E;
    match e {
        E::AccessDenied(_) => "access-denied",
        E::NoSuchConnection(_) => "no-such-connection",
        E::QueryFailed(_) => "query-failed",
        E::Timeout => "timeout",
        E::TooManyRows(_) => "too-many-rows",
        E::TooManyConnections(_) => "too-many-connections",
        E::InvalidState(_) => "invalid-state",
        E::Io(_) => "io",
    }
}

sluice_sdk::export_action!(misbehave);
