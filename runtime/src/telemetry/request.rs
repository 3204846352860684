//! The context every request is served in: its request id (which log lines
//! written meanwhile carry, and every problem body names), its trace id and,
//! when traces are exported, its server span (OpenTelemetry semantic
//! conventions, "HTTP server spans"), continuing an incoming `traceparent`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use opentelemetry::trace::{FutureExt as _, SpanKind, TraceContextExt as _};

use super::{otel, propagation, spans};
use crate::error::{ApiError, REQUEST_ID, TRACE_ID};

/// Header carrying the request id, taken from the client when it sends a
/// sane one (1–128 visible ASCII characters) and generated (UUID v7) otherwise.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The layer of [`RequestContext`], the outermost but one (only the panic
/// catcher is above it, so a panic's 500 still carries the request id).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestContextLayer;

impl<S> tower::Layer<S> for RequestContextLayer {
    type Service = RequestContext<S>;

    fn layer(&self, inner: S) -> RequestContext<S> {
        RequestContext { inner }
    }
}

/// Assigns the request id, runs the request (when traces are exported,
/// inside its server span), logs one line per request at debug level, and
/// echoes the id in the `x-request-id` response header. A plain service
/// rather than `middleware::from_fn`, which per request boxes a clone of the
/// inner service and a second future: this runs on every request.
#[derive(Debug, Clone)]
pub struct RequestContext<S> {
    inner: S,
}

impl<S> tower::Service<Request> for RequestContext<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The ready service is the one to call; its clone waits for the next
        // request. It is called inside the scopes below, because layers
        // under this one answer some requests in `call` itself (the IP
        // guard's 403), and those answers name the request id too.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        Box::pin(async move {
            let response = serve(request, move |request| inner.call(request)).await;
            Ok(response)
        })
    }
}

/// Serves `request` with `call` in a request context of its own (request
/// id, trace id, server span) as if it had come over HTTP: the MCP server
/// runs each tool call so, since its requests do not pass the HTTP stack.
pub async fn serve_within<F>(request: Request, call: impl FnOnce(Request) -> F) -> Response
where
    F: Future<Output = Response>,
{
    serve(request, move |request| {
        let answer = call(request);
        async move { Ok(answer.await) }
    })
    .await
}

async fn serve<F>(request: Request, call: impl FnOnce(Request) -> F) -> Response
where
    F: Future<Output = Result<Response, Infallible>>,
{
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(new_request_id, str::to_string);
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
        let Ok(response) = call(request).await;
        crate::edge::compression::explain_unsupported_encoding(response)
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
    // The id's own bytes become the header value, without a copy.
    if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(id)) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// A fresh request id, a UUID v7 in its hyphenated form: written into a
/// buffer on the stack and copied once, where `to_string` grows a string
/// as the formatter writes each group.
fn new_request_id() -> String {
    let mut buffer = uuid::Uuid::encode_buffer();
    uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut buffer)
        .to_owned()
}

/// Starts the server span of `request` with id `id`, under the caller's
/// span when it sent a `traceparent`; `None` when traces are not exported.
/// Named by its method until the gateway knows the route; a method outside
/// the registered ones is `_OTHER` with the original beside it, and names
/// the span `HTTP` (semantic conventions, "HTTP server spans").
fn server_span(request: &Request, id: &str) -> Option<opentelemetry::Context> {
    if !otel::enabled() {
        return None;
    }
    let method = super::metrics::method_name(request.method());
    let mut attributes = Vec::with_capacity(10);
    attributes.extend([
        opentelemetry::KeyValue::new("http.request.method", method),
        opentelemetry::KeyValue::new("url.path", request.uri().path().to_owned()),
        opentelemetry::KeyValue::new("sluice.request_id", id.to_owned()),
    ]);
    let name = if method == "_OTHER" {
        attributes.push(opentelemetry::KeyValue::new(
            "http.request.method_original",
            request.method().as_str().to_owned(),
        ));
        "HTTP"
    } else {
        method
    };
    spans::start_under(
        &propagation::extract(request.headers()),
        name,
        SpanKind::Server,
        attributes,
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
