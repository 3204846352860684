//! Logging through `tracing`: human-readable by default, JSON on request
//! (`--log-format json` or `SLUICE_LOG_FORMAT=json`); the level comes from
//! `RUST_LOG` (default `info`). Every line logged while a request is served
//! ends with its `request_id` ([`format`]).
//!
//! Traces: when the standard `OTEL_*` variables ask for OTLP export
//! ([`otel`]), each request's server span, instantiation and guest call
//! ([`spans`], started with the OpenTelemetry API) and the `tracing` spans
//! under the target [`TRACE_TARGET`] — authentication, rate limit,
//! validation and every host call — go to an OpenTelemetry exporter, and
//! guest log records become events on the guest call's span. Those spans are
//! off otherwise, so a node without a collector pays for none of them.
//! Metrics live in [`metrics`].

pub mod format;
pub mod metrics;
pub mod otel;
pub mod propagation;
pub mod spans;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Target of the spans that exist only for traces (never in the text log).
pub const TRACE_TARGET: &str = "sluice::trace";

/// Output format of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// What must live as long as the process: the log writer and, when traces
/// are exported, the tracer provider. Dropping it flushes both.
pub struct Telemetry {
    _log: WorkerGuard,
    tracer: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(tracer) = self.tracer.take()
            && let Err(e) = tracer.shutdown()
        {
            eprintln!("flushing traces at exit failed: {e}");
        }
    }
}

/// Installs the global subscriber; call once, inside the tokio runtime,
/// before anything logs. Keep the returned guard until the process ends.
///
/// # Errors
/// When the `OTEL_*` variables ask for an export Sluice cannot make (an
/// unknown protocol, an invalid endpoint).
pub fn init(format: LogFormat) -> anyhow::Result<Telemetry> {
    let tracer = otel::tracer_provider_from_env()?;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive(
            format!("{TRACE_TARGET}=off")
                .parse()
                .expect("a valid directive"),
        );
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
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi);
    let lines = tracing_subscriber::fmt::format();
    let fmt = match format {
        LogFormat::Text => fmt
            .event_format(format::WithRequestId::text(lines.with_ansi(ansi)))
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => fmt
            .json()
            .event_format(format::WithRequestId::json(
                lines.json().flatten_event(true),
            ))
            .with_filter(filter)
            .boxed(),
    };
    let traces = tracer.as_ref().map(|provider| {
        use opentelemetry::trace::TracerProvider as _;
        otel::install(provider.tracer("sluice"));
        // Only what the spans' own fields say: no code locations, thread
        // names or busy/idle timings per span — each of those costs every
        // span. Context activation is on: a `tracing` span started while a
        // span of `spans` is attached (a host call inside the guest call)
        // becomes its child, and one entered attaches its own context for
        // the spans below it.
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("sluice"))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_level(false)
            .with_tracked_inactivity(false)
            .with_context_activation(true)
            // INFO, the level of every span under the target: a TRACE
            // here would raise the subscriber's maximum level, and every
            // `log::trace!` in a dependency (wasmtime logs per instance)
            // would then be converted and filtered instead of skipped.
            .with_filter(Targets::new().with_target(TRACE_TARGET, tracing::Level::INFO))
    });
    tracing_subscriber::registry().with(fmt).with(traces).init();
    Ok(Telemetry {
        _log: guard,
        tracer,
    })
}

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use opentelemetry::trace::{FutureExt as _, SpanKind, TraceContextExt as _};

use crate::error::{ApiError, REQUEST_ID, TRACE_ID};

/// Header carrying the request id, taken from the client when it sends a
/// sane one (1–128 visible ASCII characters) and generated (UUID v7) otherwise.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Middleware: assigns the request id (which log lines written meanwhile
/// carry), runs the request (when traces are exported, inside its server
/// span, continuing an incoming `traceparent`), logs one line per request
/// at debug level, and echoes the id in the response.
pub async fn request_context(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string);
    // Kept only for the debug line at the end.
    let target = tracing::enabled!(tracing::Level::DEBUG)
        .then(|| (request.method().clone(), request.uri().path().to_owned()));
    // The server span (OpenTelemetry HTTP conventions), continuing an
    // incoming `traceparent`; the gateway names it after the operation's
    // route once it knows it.
    let server = server_span(&request, &id);
    let trace_id = propagation::trace_id(server.as_ref(), request.headers());
    let started = Instant::now();
    let serve = SERVER_CONTEXT.scope(server.clone(), async move {
        crate::edge::compression::explain_unsupported_encoding(next.run(request).await)
    });
    let serve = REQUEST_ID.scope(id.clone(), TRACE_ID.scope(trace_id, serve));
    let mut response = match &server {
        // Attached at each poll: spans started while serving are its children.
        Some(context) => serve.with_context(context.clone()).await,
        None => serve.await,
    };
    let status = response.status().as_u16();
    if let Some(context) = &server {
        let otel_span = context.span();
        otel_span.set_attribute(opentelemetry::KeyValue::new(
            "http.response.status_code",
            i64::from(status),
        ));
        if status >= 500 {
            otel_span.set_status(opentelemetry::trace::Status::error(""));
        }
        otel_span.end();
    }
    // The request log (`GET /admin/logs`) is the access log; a line per
    // request on stderr is for debugging (`RUST_LOG=info,sluice::telemetry=debug`),
    // since formatting and writing it costs a busy server about a tenth of
    // its throughput.
    if let Some((method, path)) = target {
        tracing::debug!(
            %method,
            path,
            status,
            request_id = id.as_str(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Starts the server span of `request` with id `id`, under the caller's
/// span when it sent a `traceparent`; `None` when traces are not exported.
fn server_span(request: &Request, id: &str) -> Option<opentelemetry::Context> {
    if !otel::enabled() {
        return None;
    }
    let method = request.method().as_str().to_owned();
    spans::start_under(
        &propagation::extract(request.headers()),
        method.clone(),
        SpanKind::Server,
        [
            opentelemetry::KeyValue::new("http.request.method", method),
            opentelemetry::KeyValue::new("url.path", request.uri().path().to_owned()),
            opentelemetry::KeyValue::new("sluice.request_id", id.to_owned()),
        ],
    )
}

tokio::task_local! {
    /// The OpenTelemetry context of the request being served, holding its
    /// server span (`None` when traces are not exported).
    pub static SERVER_CONTEXT: Option<opentelemetry::Context>;
}

/// Runs `record` on the current request's server span, when traces are
/// exported and this task serves a request.
pub fn on_server_span(record: impl FnOnce(&opentelemetry::trace::SpanRef<'_>)) {
    if otel::enabled() {
        let _ = SERVER_CONTEXT.try_with(|context| {
            if let Some(context) = context {
                record(&context.span());
            }
        });
    }
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
