//! A webhook receiver for `scripts/bench-events.sh`: answers every POST
//! with 204 and records the delivery latency — arrival time minus the
//! CloudEvent's `time` (the dispatch, in ms) — and `GET /stats` answers
//! `{"count", "p50_ms", "p99_ms", "max_ms"}`; `POST /reset` forgets.
//!
//!   webhook_receiver 127.0.0.1:9000

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

type Latencies = Arc<Mutex<Vec<i64>>>;

async fn receive(State(seen): State<Latencies>, body: Bytes) -> StatusCode {
    let now = time::OffsetDateTime::now_utc();
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let sent = event["time"].as_str().and_then(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    });
    if let Some(sent) = sent {
        let ms = (now - sent).whole_milliseconds();
        seen.lock()
            .unwrap()
            .push(i64::try_from(ms).unwrap_or(i64::MAX));
    }
    StatusCode::NO_CONTENT
}

async fn stats(State(seen): State<Latencies>) -> axum::Json<serde_json::Value> {
    let mut all = seen.lock().unwrap().clone();
    all.sort_unstable();
    let at = |q: f64| {
        all.get(((all.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    axum::Json(serde_json::json!({
        "count": all.len(), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": all.last().copied().unwrap_or(0)
    }))
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .expect("usage: webhook_receiver ADDR");
    let seen: Latencies = Arc::default();
    let app = Router::new()
        .route("/stats", get(stats))
        .route(
            "/reset",
            axum::routing::post(|State(seen): State<Latencies>| async move {
                seen.lock().unwrap().clear();
                StatusCode::NO_CONTENT
            }),
        )
        .fallback(receive)
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
