use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let problem = assert_problem(app.get("/nothing/here").await, 404).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("GET /nothing/here")
    );
    assert!(problem["request_id"].as_str().is_some());
}

#[tokio::test]
async fn a_known_path_with_another_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    app.deploy("echo", "greet-put", "PUT", "/hello/:id").await;
    let response = app.client.delete(app.url("/hello/x")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET, PUT");
    assert_problem(response, 405).await;
}

#[tokio::test]
async fn the_action_receives_method_path_params_query_headers_body_and_context() {
    let app = spawn_app().await;
    app.deploy("echo", "mirror", "POST", "/things/:kind/:id")
        .await;
    let response = app
        .client
        .post(app.url("/things/books/42?tag=a&tag=b%20c"))
        .header("x-request-id", "req-123")
        .header("x-custom", "yes")
        .json(&json!({"title": "Dune"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-request-id"], "req-123");
    let echoed: Value = response.json().await.unwrap();
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["path"], "/things/books/42");
    assert_eq!(echoed["params"], json!([["kind", "books"], ["id", "42"]]));
    assert_eq!(echoed["query"], json!([["tag", "a"], ["tag", "b c"]]));
    let headers = echoed["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["x-custom", "yes"])));
    assert_eq!(echoed["body"], json!({"title": "Dune"}));
    assert_eq!(echoed["context"]["kind"], "http");
    assert_eq!(echoed["context"]["operation"], "mirror");
    assert_eq!(echoed["context"]["request_id"], "req-123");
    assert_eq!(echoed["context"]["config"], json!({}));
}

#[tokio::test]
async fn a_typed_error_from_the_action_becomes_a_problem_with_its_status() {
    let app = spawn_app().await;
    app.deploy("misbehave", "bad", "GET", "/bad").await;
    let problem = assert_problem(app.get("/bad?do=error").await, 404).await;
    assert_eq!(
        problem["detail"],
        "misbehave was asked for a not-found error"
    );
    assert!(problem["fuel_used"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_request_body_over_the_limit_is_413_and_the_action_does_not_run() {
    let app = spawn_app_with(|s| s.max_request_bytes = 1024).await;
    app.deploy("echo", "mirror", "POST", "/mirror").await;
    let response = app
        .client
        .post(app.url("/mirror"))
        .body(vec![b'a'; 4096])
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;
    let small = app
        .client
        .post(app.url("/mirror"))
        .body("ok")
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_response_over_the_limit_is_refused_with_a_500_problem() {
    let app = spawn_app_with(|s| s.engine.max_response_bytes = 64 * 1024).await;
    app.deploy("misbehave", "big", "GET", "/big").await;
    let problem = assert_problem(app.get("/big?do=big&bytes=100000").await, 500).await;
    assert_eq!(
        problem["type"],
        "urn:sluice:problem:invalid-action-response"
    );
    let fine = app.get("/big?do=big&bytes=1000").await;
    assert_eq!(fine.status(), StatusCode::OK);
    assert_eq!(fine.bytes().await.unwrap().len(), 1000);
}

#[tokio::test]
async fn head_requests_fall_back_to_the_get_operation() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    let response = app.client.head(app.url("/hello/x")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
