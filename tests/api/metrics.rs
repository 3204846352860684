//! `GET /system/metrics`: who may read it, that Prometheus's own checker
//! accepts it, and that its counters count exactly what happened; the
//! trace id of a request that came with a `traceparent`.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, spawn_app, started_server};

/// A scrape: each sample line's series (`name{labels}`) and value.
async fn scrape(app: &TestApp, token: &str) -> HashMap<String, f64> {
    let answer = app
        .client
        .get(app.url("/system/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let text = answer.text().await.unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse().unwrap())
        })
        .collect()
}

/// The value of the one series named `name` whose labels include all of
/// `labels` (0 when there is none yet).
fn value(samples: &HashMap<String, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let matching: Vec<f64> = samples
        .iter()
        .filter(|(series, _)| {
            series.split('{').next() == Some(name)
                && labels
                    .iter()
                    .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, v)| *v)
        .collect();
    assert!(matching.len() <= 1, "{name} {labels:?}: {matching:?}");
    matching.first().copied().unwrap_or(0.0)
}

/// How far series `name` with `labels` moved from `before` to `after`.
fn moved(
    before: &HashMap<String, f64>,
    after: &HashMap<String, f64>,
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    value(after, name, labels) - value(before, name, labels)
}

/// Asserts that operation `greet` was counted `n` successful requests
/// from `before` to `after`: its requests, their durations and their fuel.
fn assert_greet_counted(before: &HashMap<String, f64>, after: &HashMap<String, f64>, n: f64) {
    let ok = [
        ("operation", "greet"),
        ("http_response_status_class", "2xx"),
    ];
    let greet = [("operation", "greet")];
    assert_eq!(moved(before, after, "sluice_requests_total", &ok), n);
    assert_eq!(
        moved(
            before,
            after,
            "http_server_request_duration_seconds_count",
            &greet
        ),
        n
    );
    assert_eq!(moved(before, after, "sluice_action_fuel_count", &greet), n);
}

#[tokio::test]
async fn metrics_need_a_token_with_the_metrics_or_admin_scope() {
    let app = spawn_app().await;
    let anonymous = app.get("/system/metrics").await;
    let body = assert_problem(anonymous, 401).await;
    assert!(body["detail"].as_str().unwrap().contains("metrics"));
    app.create_scopes(&["todo:read"]).await;
    let other = app.create_client("shop", &["todo:read"]).await;
    let other = app.client_token(&other).await;
    let refused = app
        .client
        .get(app.url("/system/metrics"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 403).await;
    let scraper = app.create_client("prometheus", &["metrics"]).await;
    let scraper = app.client_token(&scraper).await;
    let samples = scrape(&app, &scraper).await;
    assert!(
        samples
            .keys()
            .any(|s| s.starts_with("sluice_pool_slots_free"))
    );
    // The built-in scope cannot be deleted from under a scraper.
    assert_problem(app.admin_delete("/scopes/metrics").await, 409).await;
}

#[tokio::test]
async fn request_counters_move_by_exactly_the_requests_made_and_promtool_accepts_the_page() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    let token = crate::helpers::ADMIN_TOKEN;
    let before = scrape(&app, token).await;
    for _ in 0..7 {
        assert_eq!(app.get("/hello/ada").await.status(), StatusCode::OK);
    }
    for _ in 0..3 {
        assert_eq!(app.get("/nowhere").await.status(), StatusCode::NOT_FOUND);
    }
    let after = scrape(&app, token).await;
    let delta = |name: &str, labels: &[(&str, &str)]| moved(&before, &after, name, labels);
    assert_greet_counted(&before, &after, 7.0);
    assert_eq!(
        delta(
            "sluice_requests_total",
            &[("operation", ""), ("http_response_status_class", "4xx")]
        ),
        3.0
    );
    assert!(delta("sluice_action_fuel_sum", &[("operation", "greet")]) > 0.0);
    assert_eq!(
        delta("sluice_action_instantiate_duration_seconds_count", &[]),
        7.0
    );
    assert_eq!(delta("sluice_component_cache_hits_total", &[]), 7.0);
    assert_eq!(value(&after, "sluice_instances_running", &[]), 0.0);

    let page = app
        .client
        .get(app.url("/system/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut check = tokio::process::Command::new(started_server("SLUICE_TEST_PROMTOOL"))
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(check.stdin.as_mut().unwrap(), page.as_bytes())
        .await
        .unwrap();
    drop(check.stdin.take());
    let checked = check.wait_with_output().await.unwrap();
    assert!(
        checked.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[tokio::test]
async fn an_operations_counters_go_on_counting_after_its_routes_are_rebuilt() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    let token = crate::helpers::ADMIN_TOKEN;
    let before = scrape(&app, token).await;
    for _ in 0..2 {
        assert_eq!(app.get("/hello/ada").await.status(), StatusCode::OK);
    }
    // Any change to an operation rebuilds the route table, and with it
    // every route's bound instruments.
    let changed = app
        .admin_patch(
            "/operations/greet",
            &serde_json::json!({"description": "changed"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(app.get("/hello/ada").await.status(), StatusCode::OK);
    }
    assert_greet_counted(&before, &scrape(&app, token).await, 5.0);
}

#[tokio::test]
async fn a_rate_limited_request_is_counted_as_a_refusal() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    app.admin_create(
        "/rate-limits",
        serde_json::json!({"name": "tight", "priority": 10, "operation": "greet",
                           "requests": 2, "window_seconds": 3600}),
    )
    .await;
    let mut refused = 0;
    for _ in 0..5 {
        if app.get("/hello/ada").await.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    let samples = scrape(&app, crate::helpers::ADMIN_TOKEN).await;
    assert_eq!(
        value(
            &samples,
            "sluice_rate_limit_refusals_total",
            &[("operation", "greet")]
        ),
        f64::from(refused)
    );
    assert_eq!(refused, 3);
}

#[tokio::test]
async fn a_request_with_a_traceparent_carries_its_trace_id_into_problems_and_the_log() {
    let app = spawn_app().await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let answer = app
        .client
        .get(app.url("/nowhere"))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    let body = assert_problem(answer, 404).await;
    assert_eq!(body["trace_id"], trace_id);
    // Without one (and without a collector) there is no trace to name.
    let body = assert_problem(app.get("/nowhere").await, 404).await;
    assert!(body.get("trace_id").is_none(), "{body}");
    app.state.request_log.flush().await;
    let logged: Value = app.admin_get("/logs").await.json().await.unwrap();
    let traced: Vec<&Value> = logged["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["trace_id"] == trace_id)
        .collect();
    assert_eq!(traced.len(), 1, "{logged}");
}

#[tokio::test]
async fn with_metrics_off_the_endpoint_says_so() {
    let app = crate::helpers::spawn_app_with(|s| s.metrics = false).await;
    let answer = app
        .client
        .get(app.url("/system/metrics"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let body = assert_problem(answer, 404).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("SLUICE_METRICS=false")
    );
}
