//! The request log: every request recorded, asynchronously, with its
//! caller, status, duration and fuel; filters and pages.

use std::collections::HashSet;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn log_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM request_log")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_thousand_concurrent_requests_leave_a_thousand_rows() {
    let app = spawn_app().await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app.admin_create(
        "/rate-limits",
        json!({"name": "lots", "priority": 10, "requests": 100000, "window_seconds": 1}),
    )
    .await;
    let statuses: Vec<u16> = futures_util::stream::iter(0..1000)
        .map(|i| {
            let app = &app;
            async move {
                let path = if i % 10 == 0 {
                    "/nowhere".to_string()
                } else {
                    format!("/hello/n{i}")
                };
                app.get(&path).await.status().as_u16()
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 900);
    app.state.request_log.flush().await;
    assert_eq!(log_count(&app).await, 1000);
    assert_eq!(app.state.request_log.dropped(), 0);

    let page: Value = app
        .admin_get("/logs?operation=hello&limit=1")
        .await
        .json()
        .await
        .unwrap();
    let entry = &page["items"][0];
    assert_eq!(entry["operation"], "hello");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["method"], "GET");
    assert_eq!(entry["ip"], "127.0.0.1");
    assert!(entry["fuel_used"].as_i64().unwrap() > 0);
    assert!(entry["duration_us"].as_i64().unwrap() > 0);
    assert!(entry["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(entry["error"], Value::Null);

    let missing: Value = app
        .admin_get("/logs?status=404&limit=1000")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(missing["items"].as_array().unwrap().len(), 100);
    assert_eq!(missing["items"][0]["operation"], Value::Null);
    assert!(
        missing["items"][0]["error"]
            .as_str()
            .unwrap()
            .contains("no operation")
    );
}

#[tokio::test]
async fn pages_walk_the_log_newest_first_without_gaps() {
    let app = spawn_app().await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    for i in 0..25 {
        app.get(&format!("/hello/p{i}")).await;
    }
    app.state.request_log.flush().await;
    let mut seen = HashSet::new();
    let mut cursor: Option<i64> = None;
    let mut last_id = i64::MAX;
    loop {
        let path = match cursor {
            Some(c) => format!("/logs?limit=10&cursor={c}"),
            None => "/logs?limit=10".to_string(),
        };
        let page: Value = app.admin_get(&path).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            let id = item["id"].as_i64().unwrap();
            assert!(id < last_id, "newest first");
            last_id = id;
            seen.insert(id);
        }
        match page["next_cursor"].as_i64() {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
}

#[tokio::test]
async fn failures_are_logged_with_the_caller_and_the_error() {
    let app = spawn_app().await;
    app.upload_example("misbehave").await;
    app.create_scopes(&["s"]).await;
    app.admin_create(
        "/operations",
        json!({"name": "mb", "method": "POST", "path": "/mb", "action": "misbehave",
               "public": false}),
    )
    .await;
    let client = app.create_client("shop", &["s"]).await;
    let token = app.client_token(&client).await;
    app.client
        .post(app.url("/mb?do=trap"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    app.client
        .post(app.url("/mb?do=trap"))
        .send()
        .await
        .unwrap();
    app.state.request_log.flush().await;
    let page: Value = app.admin_get("/logs?app=shop").await.json().await.unwrap();
    let entry = &page["items"][0];
    assert_eq!(entry["status"], 500);
    assert_eq!(entry["app"], "shop");
    assert!(entry["error"].as_str().unwrap().contains("trap"), "{entry}");
    let anonymous: Value = app
        .admin_get("/logs?failed=true&status=401")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous["items"].as_array().unwrap().len(), 1);
    let bad_query = app.admin_get("/logs?from=yesterday").await;
    assert_eq!(bad_query.status(), 400);
}

#[tokio::test]
async fn with_the_log_off_nothing_is_written() {
    let app = crate::helpers::spawn_app_with(|s| s.request_log.enabled = false).await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app.get("/hello/x").await;
    app.state.request_log.flush().await;
    assert_eq!(log_count(&app).await, 0);
}

#[tokio::test]
async fn rows_past_the_retention_are_deleted() {
    let app = crate::helpers::spawn_app_with(|s| s.request_log.retention_days = 7).await;
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    for (age_days, id) in [(8, "old"), (6, "recent")] {
        sqlx::query(
            "INSERT INTO request_log (at_ms, request_id, ip, method, path, status, duration_us)
             VALUES ($1, $2, '127.0.0.1', 'GET', '/x', 200, 1)",
        )
        .bind(now_ms - age_days * 86_400_000)
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    }
    // Retention runs at start and hourly: a restart applies it.
    let app = app.restart_with(|s| s.request_log.retention_days = 7).await;
    let mut left: Vec<String> = Vec::new();
    for _ in 0..200 {
        left = sqlx::query_scalar("SELECT request_id FROM request_log ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(left, ["recent"]);
}
