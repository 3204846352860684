//! An OTLP/HTTP receiver on loopback (OTLP specification, "OTLP/HTTP"):
//! decodes the protobuf `ExportTraceServiceRequest`s POSTed to
//! `/v1/traces` with the `opentelemetry-proto` types and keeps every span;
//! counts the metric exports POSTed to `/v1/metrics`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;

/// One received span, its ids in lower-case hex.
#[derive(Debug, Clone)]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub name: String,
    /// `SpanKind` as a number (2 server, 3 client, 5 consumer).
    pub kind: i32,
    pub attributes: HashMap<String, String>,
    /// `(trace id, span id)` of each link.
    pub links: Vec<(String, String)>,
    /// Each event's `message` attribute or name.
    pub events: Vec<String>,
    /// The resource's `service.name`.
    pub service: String,
}

#[derive(Default)]
struct Seen {
    spans: Vec<Span>,
    metric_exports: usize,
}

pub struct Receiver {
    pub endpoint: String,
    seen: Arc<Mutex<Seen>>,
}

fn text(value: Option<&opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

async fn traces(State(seen): State<Arc<Mutex<Seen>>>, body: Bytes) -> StatusCode {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut seen = seen.lock().unwrap();
    for resource in request.resource_spans {
        let service = resource
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .map(|kv| text(kv.value.as_ref()))
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for span in scope.spans {
                seen.spans.push(Span {
                    trace_id: hex::encode(&span.trace_id),
                    span_id: hex::encode(&span.span_id),
                    parent_span_id: hex::encode(&span.parent_span_id),
                    name: span.name,
                    kind: span.kind,
                    attributes: span
                        .attributes
                        .iter()
                        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
                        .collect(),
                    links: span
                        .links
                        .iter()
                        .map(|l| (hex::encode(&l.trace_id), hex::encode(&l.span_id)))
                        .collect(),
                    events: span
                        .events
                        .iter()
                        .map(|e| {
                            e.attributes
                                .iter()
                                .find(|kv| kv.key == "message")
                                .map_or_else(|| e.name.clone(), |kv| text(kv.value.as_ref()))
                        })
                        .collect(),
                    service: service.clone(),
                });
            }
        }
    }
    StatusCode::OK
}

async fn metrics(State(seen): State<Arc<Mutex<Seen>>>) -> StatusCode {
    seen.lock().unwrap().metric_exports += 1;
    StatusCode::OK
}

impl Receiver {
    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.seen.lock().unwrap().spans.clone()
    }

    /// Metric exports received so far.
    pub fn metric_exports(&self) -> usize {
        self.seen.lock().unwrap().metric_exports
    }

    /// Waits (20 s at most) until a span matching `found` arrived.
    pub async fn wait_for(&self, what: &str, found: impl Fn(&Span) -> bool) -> Span {
        for _ in 0..2000 {
            if let Some(span) = self.spans().into_iter().find(&found) {
                return span;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("no {what} span within 20 s; got {:#?}", self.spans());
    }
}

/// A receiver on a free loopback port; `endpoint` is the base URL for
/// `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub async fn start() -> Receiver {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/metrics", post(metrics))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        endpoint: format!("http://{addr}"),
        seen,
    }
}
