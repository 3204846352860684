//! `misbehave`: a hostile guest for testing the host's limits. The query
//! parameter `do` picks the misdeed:
//! - `loop`: spins forever (fuel or the deadline must stop it);
//! - `grab`: allocates memory until the limit stops it;
//! - `trap`: panics, which aborts the instance;
//! - `big`: answers with `bytes` bytes (default 16 MiB);
//! - `error`: returns the typed error `not-found`;
//! - `count`: bumps a global counter and answers its value, which is always
//!   1 when every invocation gets a fresh instance;
//! - anything else: answers `{"ok": true}`.

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
        "error" => Err(Error::not_found(
            "misbehave was asked for a not-found error",
        )),
        _ => Ok(Response::json(&serde_json::json!({ "ok": true }))),
    }
}

sluice_sdk::export_action!(misbehave);
