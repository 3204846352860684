//! Rate limits: exact counts at the boundary, per-caller allowances,
//! priorities and the RateLimit / Retry-After headers.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, spawn_app};

fn header(response: &reqwest::Response, name: &str) -> u64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

async fn hello_with_rule(app: &TestApp, rule: serde_json::Value) {
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app.admin_create("/rate-limits", rule).await;
}

#[tokio::test]
async fn the_limit_admits_exactly_n_requests_then_answers_429_with_retry_after() {
    let app = spawn_app().await;
    hello_with_rule(
        &app,
        json!({"name": "hello-5", "priority": 10, "operation": "hello",
               "requests": 5, "window_seconds": 60}),
    )
    .await;
    for expected_remaining in (0..5).rev() {
        let ok = app.get("/hello/ada").await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(header(&ok, "ratelimit-limit"), 5);
        assert_eq!(header(&ok, "ratelimit-remaining"), expected_remaining);
        assert!(header(&ok, "ratelimit-reset") <= 60);
    }
    let refused = app.get("/hello/ada").await;
    assert_eq!(header(&refused, "ratelimit-remaining"), 0);
    let retry = header(&refused, "retry-after");
    assert!(
        (1..=12).contains(&retry),
        "one request refills in 12 s: {retry}"
    );
    assert_problem(refused, 429).await;
}

#[tokio::test]
async fn each_caller_has_its_own_allowance_and_the_highest_priority_rule_applies() {
    let app = spawn_app().await;
    app.create_scopes(&["s"]).await;
    let first = app.create_client("first", &["s"]).await;
    let second = app.create_client("second", &["s"]).await;
    hello_with_rule(
        &app,
        json!({"name": "per-caller", "priority": 10, "requests": 2, "window_seconds": 60}),
    )
    .await;
    app.admin_create(
        "/rate-limits",
        json!({"name": "first-more", "priority": 20, "app": "first",
               "requests": 4, "window_seconds": 60}),
    )
    .await;
    let first_token = app.client_token(&first).await;
    let second_token = app.client_token(&second).await;
    let statuses = |token: Option<String>, n: usize| {
        let app = &app;
        async move {
            let mut out = Vec::new();
            for _ in 0..n {
                let mut request = app.client.get(app.url("/hello/x"));
                if let Some(t) = &token {
                    request = request.bearer_auth(t);
                }
                out.push(request.send().await.unwrap().status().as_u16());
            }
            out
        }
    };
    assert_eq!(
        statuses(Some(first_token), 5).await,
        [200, 200, 200, 200, 429]
    );
    assert_eq!(statuses(Some(second_token), 3).await, [200, 200, 429]);
    assert_eq!(
        statuses(None, 3).await,
        [200, 200, 429],
        "anonymous: per IP"
    );
}

#[tokio::test]
async fn a_changed_rule_applies_at_once_and_a_deleted_one_stops_limiting() {
    let app = spawn_app().await;
    hello_with_rule(
        &app,
        json!({"name": "tight", "priority": 10, "requests": 1, "window_seconds": 3600}),
    )
    .await;
    assert_eq!(app.get("/hello/a").await.status(), 200);
    assert_eq!(app.get("/hello/a").await.status(), 429);
    let replaced = app
        .admin(reqwest::Method::PUT, "/rate-limits/tight")
        .json(&json!({"name": "tight", "priority": 10, "requests": 3, "window_seconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), StatusCode::OK);
    assert_eq!(app.get("/hello/a").await.status(), 200);
    assert_eq!(app.admin_delete("/rate-limits/tight").await.status(), 204);
    let default = app.get("/hello/a").await;
    assert_eq!(header(&default, "ratelimit-limit"), 600, "the default rule");
}

#[tokio::test]
async fn invalid_rules_are_refused() {
    let app = spawn_app().await;
    for (body, status) in [
        (
            json!({"name": "z", "requests": 0, "window_seconds": 60}),
            400,
        ),
        (
            json!({"name": "z", "requests": 1, "window_seconds": 0}),
            400,
        ),
        (
            json!({"name": "z", "requests": 1, "window_seconds": 60, "operation": "nope"}),
            422,
        ),
        (
            json!({"name": "default", "requests": 1, "window_seconds": 60}),
            409,
        ),
    ] {
        let response = app
            .admin(reqwest::Method::POST, "/rate-limits")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(response, status).await;
    }
}
