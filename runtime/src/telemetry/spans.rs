//! The spans every traced request makes — its server span, instantiation
//! and guest call — started with the OpenTelemetry API directly rather than
//! through `tracing`: a `tracing` span costs a registry slot, a field
//! visitor and a lookup per poll before it becomes the same OpenTelemetry
//! span (BENCHMARKS.md, issue 15). Their context is attached while the work
//! they time is polled, so the `tracing` spans started inside (host calls,
//! authentication, rate limit, validation) nest under them: the
//! `tracing-opentelemetry` layer runs with context activation on, which
//! makes a new `tracing` span a child of the current OpenTelemetry context.

use std::borrow::Cow;

use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};

use super::otel;

/// Starts span `name` of `kind` with `attributes` under `parent`; `None`
/// when traces are not exported. The span ends with [`end`] (or when the
/// last clone of the returned context is dropped).
pub fn start_under(
    parent: &Context,
    name: impl Into<Cow<'static, str>>,
    kind: SpanKind,
    attributes: impl IntoIterator<Item = KeyValue>,
) -> Option<Context> {
    let tracer = otel::tracer()?;
    let span = tracer
        .span_builder(name)
        .with_kind(kind)
        .with_attributes(attributes)
        .start_with_context(tracer, parent);
    Some(parent.with_span(span))
}

/// Starts an internal span `name` under the current OpenTelemetry context
/// (the server span of the request being served, or a delivery's or
/// cronjob run's span); `None` when traces are not exported, or when that
/// span was not sampled. Every sampler of `OTEL_TRACES_SAMPLER` would drop
/// the child too — the parent-based ones follow the parent, `traceidratio`
/// decides by the same trace id, `always_off` drops all and `always_on`
/// none — so a dropped trace skips building spans nobody records.
pub fn start(
    name: &'static str,
    attributes: impl IntoIterator<Item = KeyValue>,
) -> Option<Context> {
    if !otel::enabled() {
        return None;
    }
    let parent = Context::current();
    if sampled_out(&parent) {
        return None;
    }
    start_under(&parent, name, SpanKind::Internal, attributes)
}

/// Whether `parent` holds a span its sampler dropped (a child would be
/// dropped too, as [`start`] says).
fn sampled_out(parent: &Context) -> bool {
    let span = parent.span();
    let context = span.span_context();
    context.is_valid() && !context.is_sampled()
}

/// Starts an internal span `name` under the current OpenTelemetry context,
/// for work that starts no spans of its own (nothing can be its child):
/// the span itself, without the context [`start`] wraps it in. `None` as
/// for [`start`]; it ends with [`opentelemetry::trace::Span::end`] or when
/// dropped.
pub fn start_leaf(name: &'static str) -> Option<opentelemetry_sdk::trace::Span> {
    let tracer = otel::tracer()?;
    Context::map_current(|parent| {
        (!sampled_out(parent)).then(|| tracer.start_with_context(name, parent))
    })
}

/// Ends the span of `context`, if any.
pub fn end(context: Option<&Context>) {
    if let Some(context) = context {
        context.span().end();
    }
}

/// Adds a guest's log record (`log.write`, or a line it printed to
/// `stream`) as an event on the current span — the guest call's — named by
/// its message, with its `level` (`trace` … `error`, `info` for printed
/// lines) and, for printed lines, `log.iostream` (OpenTelemetry semantic
/// conventions, "General log attributes"). Nothing when traces are not
/// exported.
pub fn guest_event(level: &'static str, stream: Option<&'static str>, message: &str) {
    if !otel::enabled() {
        return;
    }
    Context::map_current(|context| {
        let span = context.span();
        if !span.is_recording() {
            return;
        }
        let mut attributes = vec![KeyValue::new("level", level)];
        if let Some(stream) = stream {
            attributes.push(KeyValue::new("log.iostream", stream));
        }
        span.add_event(message.to_owned(), attributes);
    });
}
