//! An OTLP/HTTP receiver for `scripts/bench-observability.sh`: decodes each
//! trace export POSTed to `/v1/traces` down to its spans and counts them,
//! accepts metric exports, and `GET /stats` answers `{"exports", "spans"}`.
//!
//! It runs on the same cores as the node it measures, so what it spends is
//! taken from Sluice's throughput: it reads the export's structure
//! (resource spans → scope spans → spans, as in
//! `opentelemetry/proto/collector/trace/v1/trace_service.proto`) but leaves
//! each span's own fields undecoded — a collector's work, not Sluice's. A
//! full decode with `opentelemetry-proto` cost about 1.3 µs per span here,
//! four points of the traced throughput (BENCHMARKS.md, issue 15).
//!
//!   otlp_sink 127.0.0.1:4318

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use prost::Message;

/// `ExportTraceServiceRequest` with only `resource_spans` (field 1).
#[derive(Clone, PartialEq, Message)]
struct ExportTraceServiceRequest {
    #[prost(message, repeated, tag = "1")]
    resource_spans: Vec<ResourceSpans>,
}

/// `ResourceSpans` with only `scope_spans` (field 2).
#[derive(Clone, PartialEq, Message)]
struct ResourceSpans {
    #[prost(message, repeated, tag = "2")]
    scope_spans: Vec<ScopeSpans>,
}

/// `ScopeSpans` with its `spans` (field 2) kept as encoded bytes.
#[derive(Clone, PartialEq, Message)]
struct ScopeSpans {
    #[prost(bytes = "bytes", repeated, tag = "2")]
    spans: Vec<Bytes>,
}

#[derive(Default)]
struct Counts {
    exports: AtomicU64,
    spans: AtomicU64,
}

async fn traces(State(counts): State<Arc<Counts>>, body: Bytes) -> StatusCode {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let spans: usize = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    counts.exports.fetch_add(1, Ordering::Relaxed);
    counts.spans.fetch_add(spans as u64, Ordering::Relaxed);
    StatusCode::OK
}

async fn stats(State(counts): State<Arc<Counts>>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "exports": counts.exports.load(Ordering::Relaxed),
        "spans": counts.spans.load(Ordering::Relaxed),
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4318".into());
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/metrics", post(|| async { StatusCode::OK }))
        .route("/stats", get(stats))
        .with_state(Arc::default());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
