//! OTLP export, configured by the standard OpenTelemetry environment
//! variables (OpenTelemetry specification, "Environment Variable
//! Specification" and "OTLP Exporter Configuration"):
//!
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL; `/v1/traces` and
//!   `/v1/metrics` are appended) or the per-signal
//!   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `…_METRICS_ENDPOINT` (used as
//!   given): export is on when one applies to a signal, off otherwise;
//! - `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` = `none` turn a
//!   signal off even then;
//! - `OTEL_EXPORTER_OTLP_PROTOCOL` (and per signal): `http/protobuf`, the
//!   default and the only one built in; `grpc` and `http/json` are refused
//!   at start with a message saying so;
//! - `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`: the resource;
//! - `OTEL_TRACES_SAMPLER` (`_ARG`): the sampler (default `parentbased_always_on`);
//! - `OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT`: read by the exporter.
//!
//! The SDK's batch span processor and periodic metric reader export from
//! threads of their own; the HTTP requests themselves run on the tokio
//! runtime through [`TokioHttpClient`], with the same rustls client stack as
//! the rest of Sluice.

use std::sync::OnceLock;

use anyhow::Context as _;
use async_trait::async_trait;
use bytes::Bytes;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

/// The tracer of this process, when it exports traces.
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// Whether this process exports traces (set once at start).
pub fn enabled() -> bool {
    TRACER.get().is_some()
}

/// The tracer that starts Sluice's own spans, when traces are exported.
pub fn tracer() -> Option<&'static SdkTracer> {
    TRACER.get()
}

/// Keeps `tracer` for [`tracer`]; [`super::init`] calls it once.
pub(super) fn install(tracer: SdkTracer) {
    let _ = TRACER.set(tracer);
}

/// The two OTLP signals Sluice exports.
#[derive(Debug, Clone, Copy)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Metrics.
    Metrics,
}

impl Signal {
    fn upper(self) -> &'static str {
        match self {
            Self::Traces => "TRACES",
            Self::Metrics => "METRICS",
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether the environment asks for OTLP export of `signal`.
pub fn wanted(signal: Signal) -> bool {
    let upper = signal.upper();
    if var(&format!("OTEL_{upper}_EXPORTER")).is_some_and(|v| v.eq_ignore_ascii_case("none")) {
        return false;
    }
    var(&format!("OTEL_EXPORTER_OTLP_{upper}_ENDPOINT")).is_some()
        || var("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
}

/// Checks the protocol asked for `signal`.
///
/// # Errors
/// When it is not `http/protobuf`.
fn protocol(signal: Signal) -> anyhow::Result<Protocol> {
    let name = format!("OTEL_EXPORTER_OTLP_{}_PROTOCOL", signal.upper());
    let (source, value) = match var(&name) {
        Some(value) => (name, value),
        None => match var("OTEL_EXPORTER_OTLP_PROTOCOL") {
            Some(value) => ("OTEL_EXPORTER_OTLP_PROTOCOL".into(), value),
            None => return Ok(Protocol::HttpBinary),
        },
    };
    anyhow::ensure!(
        value == "http/protobuf",
        "{source}={value} is not supported: Sluice exports OTLP over http/protobuf \
         (unset it, or point it at a collector's HTTP port, usually 4318)"
    );
    Ok(Protocol::HttpBinary)
}

/// The resource every signal carries: `service.name` from
/// `OTEL_SERVICE_NAME` (default `sluice`) and `OTEL_RESOURCE_ATTRIBUTES`.
pub fn resource() -> Resource {
    let builder = Resource::builder();
    if var("OTEL_SERVICE_NAME").is_some() {
        builder.build()
    } else {
        builder.with_service_name("sluice").build()
    }
}

/// The tracer provider when the environment asks for traces.
///
/// # Errors
/// On an unsupported protocol or an endpoint the exporter rejects.
pub fn tracer_provider_from_env() -> anyhow::Result<Option<SdkTracerProvider>> {
    if !wanted(Signal::Traces) {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(protocol(Signal::Traces)?)
        .with_http_client(TokioHttpClient::new()?)
        .build()
        .context("the OTLP trace exporter (OTEL_EXPORTER_OTLP_*)")?;
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource())
            .build(),
    ))
}

/// The OTLP metric exporter when the environment asks for metrics.
///
/// # Errors
/// On an unsupported protocol or an endpoint the exporter rejects.
pub fn metric_exporter_from_env() -> anyhow::Result<Option<opentelemetry_otlp::MetricExporter>> {
    if !wanted(Signal::Metrics) {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_protocol(protocol(Signal::Metrics)?)
        .with_http_client(TokioHttpClient::new()?)
        .build()
        .context("the OTLP metric exporter (OTEL_EXPORTER_OTLP_*)")?;
    Ok(Some(exporter))
}

/// Longest answer read from a collector, bytes (they answer with a few).
const MAX_COLLECTOR_ANSWER: usize = 1 << 20;

/// The exporter's HTTP client: each request runs on the tokio runtime that
/// built it, so the SDK's export threads (which are not tokio threads) can
/// use reqwest's async client.
#[derive(Debug, Clone)]
pub struct TokioHttpClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl TokioHttpClient {
    /// A client on the current tokio runtime.
    ///
    /// # Errors
    /// Outside a tokio runtime, or when the TLS stack cannot be built.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            runtime: tokio::runtime::Handle::try_current()
                .context("OTLP export needs the tokio runtime")?,
        })
    }
}

#[async_trait]
impl HttpClient for TokioHttpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let (parts, body) = request.into_parts();
        let request = client
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .build()?;
        let answer = self
            .runtime
            .spawn(async move {
                let mut response = client.execute(request).await?;
                let status = response.status();
                let headers = std::mem::take(response.headers_mut());
                let mut body = Vec::new();
                while let Some(chunk) = response.chunk().await? {
                    if body.len() + chunk.len() > MAX_COLLECTOR_ANSWER {
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok::<_, reqwest::Error>((status, headers, body))
            })
            .await??;
        let (status, headers, body) = answer;
        let mut response = Response::builder().status(status).body(Bytes::from(body))?;
        *response.headers_mut() = headers;
        Ok(response)
    }
}
