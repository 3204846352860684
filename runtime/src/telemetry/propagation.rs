//! W3C Trace Context (`traceparent`, `tracestate`; W3C Recommendation
//! "Trace Context", §3): taken from incoming requests, sent on outbound
//! `http` connection requests and webhook deliveries, and stored with each
//! dispatched event so its delivery's trace can link back.

use axum::http::HeaderMap;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator;

use super::otel;

/// The caller's span context named by `headers`' `traceparent` (and
/// `tracestate`), as the parent of a server span; an empty context (a new
/// trace) without one.
pub fn extract(headers: &HeaderMap) -> opentelemetry::Context {
    if !headers.contains_key("traceparent") {
        return opentelemetry::Context::new();
    }
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// Adds `traceparent` (and `tracestate`) for the current span — the
/// innermost one attached: a host call's, a delivery's, or the request's
/// server span — to `headers` (traces exported only; a span that is not
/// recorded adds nothing).
pub fn inject(headers: &mut HeaderMap) {
    if !otel::enabled() {
        return;
    }
    let context = opentelemetry::Context::current();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    }
}

/// Sets `attributes` (and, with `name`, renames) on a started
/// OpenTelemetry span in one step — an `otel.name` recorded after the start
/// is ignored, and one call is cheaper than a `record` per field through
/// the subscriber. The server span learns its route only after routing.
pub fn annotate(
    otel_span: &opentelemetry::trace::SpanRef<'_>,
    name: Option<std::borrow::Cow<'static, str>>,
    attributes: impl IntoIterator<Item = opentelemetry::KeyValue>,
) {
    if let Some(name) = name {
        otel_span.update_name(name);
    }
    otel_span.set_attributes(attributes);
}

/// The current span's context as a `traceparent` value, to store and link
/// to later.
pub fn traceparent() -> Option<String> {
    let mut headers = HeaderMap::new();
    inject(&mut headers);
    headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The span context a stored `traceparent` names, to link a span to it.
pub fn span_context(traceparent: &str) -> Option<opentelemetry::trace::SpanContext> {
    let mut headers = HeaderMap::new();
    headers.insert("traceparent", traceparent.parse().ok()?);
    let context = TraceContextPropagator::new().extract(&HeaderExtractor(&headers));
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then_some(span_context)
}

/// The trace id (32 lower-case hex digits) of the server span's `context`
/// when traces are exported, else of the request's incoming `traceparent`,
/// else none.
pub fn trace_id(context: Option<&opentelemetry::Context>, headers: &HeaderMap) -> Option<String> {
    if let Some(context) = context {
        let span_context = context.span().span_context().clone();
        return span_context
            .is_valid()
            .then(|| span_context.trace_id().to_string());
    }
    // version "-" trace-id "-" parent-id "-" flags (§3.2.2); an all-zero
    // trace id is invalid.
    let value = headers.get("traceparent")?.to_str().ok()?;
    let mut fields = value.split('-');
    let (_version, trace_id) = (fields.next()?, fields.next()?);
    let valid = trace_id.len() == 32
        && trace_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && trace_id.bytes().any(|b| b != b'0');
    valid.then(|| trace_id.to_string())
}
