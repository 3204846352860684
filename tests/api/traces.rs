//! Traces exported over OTLP/HTTP by a real `sluice serve` whose `OTEL_*`
//! variables point at a receiver on loopback: the spans of one request to
//! the `weather` example, an incoming `traceparent` continued to the
//! upstream, a webhook delivery's own trace linked to the request that
//! dispatched its event, a trigger run's trace with its guest call, and
//! nothing exported for a caller's unsampled trace.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::json;

use crate::node::Node;
use crate::otlp::{self, Span};
use crate::upstream::{self, WEATHER_KEY};

/// OTLP `SpanKind` values.
const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const CONSUMER: i32 = 5;

async fn traced_node(receiver: &otlp::Receiver) -> Node {
    Node::spawn(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.clone()),
        ("OTEL_SERVICE_NAME", "sluice-under-test".into()),
        // Export each batch at once rather than every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "50".into()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "200".into()),
    ])
    .await
}

/// Whether `span` descends from `ancestor` within `spans`.
fn descends(spans: &[Span], span: &Span, ancestor: &Span) -> bool {
    let mut parent = span.parent_span_id.clone();
    while !parent.is_empty() && parent != "0000000000000000" {
        if parent == ancestor.span_id {
            return true;
        }
        parent = spans
            .iter()
            .find(|s| s.span_id == parent)
            .map(|s| s.parent_span_id.clone())
            .unwrap_or_default();
    }
    false
}

/// The public operation `POST /mb` running `misbehave`.
async fn with_misbehave_operation(node: &Node) {
    node.upload("misbehave").await;
    node.create(
        "/operations",
        &json!({"name": "mb", "method": "POST", "path": "/mb", "action": "misbehave",
                "public": true}),
    )
    .await;
}

/// [`with_misbehave_operation`], and the event `thing_happened` it can
/// dispatch.
async fn with_dispatching_operation(node: &Node) {
    with_misbehave_operation(node).await;
    node.create("/events", &json!({"name": "thing_happened"}))
        .await;
}

/// Dispatches `thing_happened` through `POST /mb?do=dispatch`, which must
/// answer 200.
async fn dispatch_thing_happened(node: &Node) {
    let answer = node
        .client
        .post(node.url("/mb?do=dispatch"))
        .json(&json!({"event": "thing_happened", "payload": {"id": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn one_weather_request_is_one_trace_with_its_guest_call_and_host_calls() {
    let receiver = otlp::start().await;
    let upstream = upstream::start().await;
    let node = traced_node(&receiver).await;
    node.create(
        "/connections",
        &json!({"name": "weather-api", "class": "http",
                "config": {"base_url": upstream.base, "auth": {"type": "api_key", "in": "query",
                           "name": "appid", "value": WEATHER_KEY}}}),
    )
    .await;
    node.create(
        "/connections",
        &json!({"name": "weather-cache", "class": "kv", "config": {"backend": "memory"}}),
    )
    .await;
    node.upload("weather").await;
    node.send(
        Method::PATCH,
        "/actions/weather",
        &json!({"connections": ["weather-api", "weather-cache"], "config": {"cache_seconds": 60}}),
    )
    .await;
    node.create(
        "/operations",
        &json!({"name": "weather-current", "method": "GET", "path": "/weather/current",
                "action": "weather", "public": true}),
    )
    .await;

    // An app's token, so the request is authenticated too.
    let app = node.create("/apps", &json!({"name": "shop"})).await;
    let token = crate::node::app_token_from(&node.client, &node.base, &app).await;

    // The caller's trace goes on: its trace id, a child of its span.
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let caller_span = "b7ad6b7169203331";
    let answer = node
        .client
        .get(node.url("/weather/current?city=Berlin"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);

    let server = receiver
        .wait_for("server", |s| s.trace_id == trace_id && s.kind == SERVER)
        .await;
    assert_eq!(server.parent_span_id, caller_span);
    assert_eq!(server.name, "GET /weather/current");
    assert_eq!(server.service, "sluice-under-test");
    for (key, value) in [
        ("http.request.method", "GET"),
        ("http.route", "/weather/current"),
        ("http.response.status_code", "200"),
        ("sluice.operation", "weather-current"),
        ("sluice.action", "weather"),
        ("sluice.action.version", "1"),
    ] {
        assert_eq!(
            server.attributes.get(key).map(String::as_str),
            Some(value),
            "{key}"
        );
    }
    let fuel: u64 = server.attributes["sluice.fuel_used"].parse().unwrap();
    assert!(fuel > 0);

    let http = receiver
        .wait_for("http", |s| s.trace_id == trace_id && s.name == "http send")
        .await;
    let kv = receiver
        .wait_for("kv", |s| {
            s.trace_id == trace_id && s.name.starts_with("kv ")
        })
        .await;
    let call = receiver
        .wait_for("call", |s| s.trace_id == trace_id && s.name == "call")
        .await;
    receiver
        .wait_for("instantiate", |s| {
            s.trace_id == trace_id && s.name == "instantiate"
        })
        .await;
    receiver
        .wait_for("authenticate", |s| {
            s.trace_id == trace_id && s.name == "authenticate"
        })
        .await;
    // Under the `default` rule every node starts with.
    let limited = receiver
        .wait_for("rate limit", |s| {
            s.trace_id == trace_id && s.name == "rate limit"
        })
        .await;
    assert_eq!(limited.attributes["sluice.rate_limit.rule"], "default");
    let spans = receiver.spans();
    assert!(descends(&spans, &call, &server));
    assert!(descends(&spans, &http, &call), "http under the guest call");
    assert!(descends(&spans, &kv, &call), "kv under the guest call");
    assert_eq!(http.kind, CLIENT);
    assert_eq!(http.attributes["server.address"], "127.0.0.1");
    assert_eq!(http.attributes["http.response.status_code"], "200");
    assert!(call.attributes["sluice.fuel_used"].parse::<u64>().unwrap() > 0);

    // The upstream got the trace too, as a child of the http span.
    let seen = upstream.seen_at("/v1/data/2.5/weather");
    let sent = seen[0].headers["traceparent"].to_str().unwrap();
    assert_eq!(sent, format!("00-{trace_id}-{}-01", http.span_id));

    // The node pushes its metrics to the same receiver.
    crate::helpers::time_until(|| async { receiver.metric_exports() > 0 }).await;
}

#[tokio::test]
async fn a_webhook_delivery_is_a_trace_of_its_own_linked_to_the_dispatching_request() {
    let receiver = otlp::start().await;
    let hooks = crate::receiver::start(&[200], false).await;
    let node = traced_node(&receiver).await;
    with_dispatching_operation(&node).await;
    node.create(
        "/webhooks",
        &json!({"name": "hook", "event": "thing_happened", "url": hooks.url}),
    )
    .await;
    dispatch_thing_happened(&node).await;
    let request = receiver
        .wait_for("dispatching request", |s| {
            s.kind == SERVER && s.name == "POST /mb"
        })
        .await;
    let delivery = receiver
        .wait_for("delivery", |s| s.name == "deliver webhook hook")
        .await;
    assert_eq!(delivery.kind, CONSUMER);
    assert_ne!(delivery.trace_id, request.trace_id, "a trace of its own");
    let dispatch = receiver
        .wait_for("dispatch", |s| {
            s.trace_id == request.trace_id && s.name == "events.dispatch"
        })
        .await;
    assert_eq!(dispatch.attributes["sluice.event"], "thing_happened");
    assert!(
        delivery
            .links
            .iter()
            .any(|(trace, _)| *trace == request.trace_id),
        "linked to the dispatching request: {delivery:?}"
    );
    // The receiver sees the delivery's trace context.
    let delivered = hooks.wait_for(1).await;
    let sent = delivered[0].headers["traceparent"].to_str().unwrap();
    assert!(
        sent.starts_with(&format!("00-{}-{}-", delivery.trace_id, delivery.span_id)),
        "{sent}"
    );
}

#[tokio::test]
async fn a_trigger_run_is_a_trace_of_its_own_with_the_guest_call_and_its_sql_under_it() {
    let receiver = otlp::start().await;
    let node = traced_node(&receiver).await;
    node.create(
        "/connections",
        &json!({"name": "todo-db", "class": "sql",
                "config": {"driver": "sqlite", "path": "audit.db"}}),
    )
    .await;
    with_dispatching_operation(&node).await;
    node.upload("audit").await;
    node.send(
        Method::PATCH,
        "/actions/audit",
        &json!({"connections": ["todo-db"]}),
    )
    .await;
    node.create(
        "/triggers",
        &json!({"name": "audit", "event": "thing_happened", "action": "audit"}),
    )
    .await;
    dispatch_thing_happened(&node).await;

    let run = receiver
        .wait_for("trigger run", |s| {
            s.kind == CONSUMER && s.name.ends_with(" audit")
        })
        .await;
    let call = receiver
        .wait_for("call", |s| s.trace_id == run.trace_id && s.name == "call")
        .await;
    let instantiate = receiver
        .wait_for("instantiate", |s| {
            s.trace_id == run.trace_id && s.name == "instantiate"
        })
        .await;
    let sql = receiver
        .wait_for("sql", |s| {
            s.trace_id == run.trace_id && s.name.starts_with("sql ")
        })
        .await;
    let spans = receiver.spans();
    assert!(descends(&spans, &instantiate, &run), "{instantiate:?}");
    assert!(descends(&spans, &call, &run), "{call:?}");
    assert!(descends(&spans, &sql, &call), "sql under the guest call");
    assert_eq!(call.attributes["sluice.action"], "audit");
}

#[tokio::test]
async fn guest_logs_become_events_on_the_guest_call_span() {
    let receiver = otlp::start().await;
    let node = traced_node(&receiver).await;
    with_misbehave_operation(&node).await;
    let answer = node
        .client
        .post(node.url("/mb?do=log&level=warn&message=the%20cache%20is%20cold"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        StatusCode::OK,
        "{}",
        answer.text().await.unwrap()
    );
    let call = receiver
        .wait_for("call with the log", |s| {
            s.name == "call" && s.events.iter().any(|e| e.contains("the cache is cold"))
        })
        .await;
    assert!(call.attributes.contains_key("sluice.fuel_used"));
}

#[tokio::test]
async fn a_request_its_caller_did_not_sample_exports_no_span_and_keeps_its_trace_id() {
    let receiver = otlp::start().await;
    let node = traced_node(&receiver).await;
    with_misbehave_operation(&node).await;
    let request = |trace_id: &str, flags: &str| {
        node.client
            .post(node.url("/mb?do=log&level=warn&message=hello"))
            .header(
                "traceparent",
                format!("00-{trace_id}-00f067aa0ba902b7-{flags}"),
            )
            .json(&json!({}))
            .send()
    };
    let dropped = "4bf92f3577b34da6a3ce929d0e0e4736";
    let answer = request(dropped, "00").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    // The caller's decision holds (the default sampler is parent-based),
    // yet the request log still names the caller's trace.
    crate::helpers::time_until(|| async {
        node.admin_json("/logs?operation=mb").await["items"][0]["trace_id"] == dropped
    })
    .await;
    // A sampled request after it: once its guest call has arrived, the
    // dropped one's spans would have too.
    let kept = "0af7651916cd43dd8448eb211c80319c";
    let answer = request(kept, "01").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    receiver
        .wait_for("the sampled call", |s| {
            s.trace_id == kept && s.name == "call"
        })
        .await;
    let spans = receiver.spans();
    assert!(
        spans.iter().all(|s| s.trace_id != dropped),
        "no span of the unsampled trace: {:?}",
        spans
            .iter()
            .filter(|s| s.trace_id == dropped)
            .map(|s| &s.name)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn an_mcp_tool_call_continues_the_agents_trace_with_the_operations_server_span_and_guest_call()
 {
    let receiver = otlp::start().await;
    let node = traced_node(&receiver).await;
    node.upload("hello").await;
    node.create(
        "/operations",
        &json!({"name": "hello", "method": "GET", "path": "/hello/:name", "action": "hello",
                "public": true, "mcp": {"enabled": true}}),
    )
    .await;
    let app = node.create("/apps", &json!({"name": "agent"})).await;
    let token = crate::node::app_token_from(&node.client, &node.base, &app).await;
    let post = |session: Option<&str>, message: serde_json::Value| {
        let mut request = node
            .client
            .post(node.url("/mcp"))
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .json(&message);
        if let Some(id) = session {
            request = request.header("mcp-session-id", id);
        }
        request
    };
    let opened = post(
        None,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "traced-agent", "version": "1"}}}),
    )
    .send()
    .await
    .unwrap();
    let session = opened.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    post(
        Some(&session),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .send()
    .await
    .unwrap();
    let trace_id = "5d1a9b3c7e2f40618a9b0c1d2e3f4a5b";
    let answer = post(
        Some(&session),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
               "params": {"name": "hello", "arguments": {"name": "ada"}}}),
    )
    .header("traceparent", format!("00-{trace_id}-b7ad6b7169203331-01"))
    .send()
    .await
    .unwrap();
    assert!(answer.text().await.unwrap().contains("Hello, ada!"));
    let server = receiver
        .wait_for("the tool call's server span", |s| {
            s.trace_id == trace_id && s.kind == SERVER && s.name == "GET /hello/:name"
        })
        .await;
    let call = receiver
        .wait_for("its guest call", |s| {
            s.trace_id == trace_id && s.name == "call"
        })
        .await;
    assert!(descends(&receiver.spans(), &call, &server));
}

#[tokio::test]
async fn an_unsupported_otlp_protocol_stops_the_start_with_a_message_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported"),
        "{stderr}"
    );
}
