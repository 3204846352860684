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
pub mod request;
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

pub use request::{
    REQUEST_ID_HEADER, RequestContextLayer, SERVER_CONTEXT, on_server_span, panic_response,
};
