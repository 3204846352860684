//! Logging through `tracing`: human-readable by default, JSON on request
//! (`--log-format json` or `SLUICE_LOG_FORMAT=json`); the level comes from
//! `RUST_LOG` (default `info`). Each request's span carries `request_id`, so
//! every line logged while serving it shows the id.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Output format of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the global subscriber; call once, before anything logs. Keep
/// the returned guard until the process ends: dropping it flushes the lines
/// still queued for stderr.
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // The log goes to stderr so that commands printing a result on stdout
    // (`sluice token`, `sluice app add`) can be captured by scripts.
    // Colour only for a person at a terminal, not for files or collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Lines are written by a dedicated thread, so a request that logs does
    // not pay a `write(2)` on a tokio worker; none are dropped (a full queue
    // slows the loggers down instead).
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("sluice-log")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    guard
}

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::{ApiError, REQUEST_ID};

/// Header carrying the request id, taken from the client when it sends a
/// sane one (1–128 visible ASCII characters) and generated (UUID v7) otherwise.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Middleware: assigns the request id, runs the request inside a span that
/// carries it, logs one line per request at debug level, and echoes the id
/// in the response.
pub async fn request_context(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = Instant::now();
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    // The request log (`GET /admin/logs`) is the access log; a line per
    // request on stderr is for debugging (`RUST_LOG=info,sluice::telemetry=debug`),
    // since formatting and writing it costs a busy server about a tenth of
    // its throughput.
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Turns a handler panic (a host bug) into a 500 problem instead of a
/// dropped connection; the server goes on serving.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    ApiError::Internal(anyhow::anyhow!("handler panicked: {message}")).into_response()
}
