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

#[tokio::test]
async fn a_burst_past_the_row_bound_leaves_the_log_at_its_bound_with_the_newest_rows() {
    let app = crate::helpers::spawn_app_with(|s| s.request_log.max_rows = 50).await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app.admin_create(
        "/rate-limits",
        json!({"name": "lots", "priority": 10, "requests": 100000, "window_seconds": 1}),
    )
    .await;
    for i in 0..200 {
        assert_eq!(app.get(&format!("/hello/n{i}")).await.status(), 200);
    }
    app.state.request_log.flush().await;
    assert_eq!(log_count(&app).await, 50);
    let paths: HashSet<String> = sqlx::query_scalar("SELECT path FROM request_log")
        .fetch_all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let newest: HashSet<String> = (150..200).map(|i| format!("/hello/n{i}")).collect();
    assert_eq!(paths, newest);
}

/// The sum of the `requests` of a report's items.
fn total_requests(report: &Value) -> i64 {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["requests"].as_i64().unwrap())
        .sum()
}

/// The items of statistics report `report` with `query`.
async fn report(app: &TestApp, report: &str, query: &str) -> Value {
    let answer = app
        .admin_get(&format!("/statistics/{report}?{query}"))
        .await;
    assert_eq!(answer.status(), 200, "{report}");
    answer.json().await.unwrap()
}

#[tokio::test]
async fn statistics_count_a_known_sequence_of_requests() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    let shop = app.create_client("shop", &[]).await;
    let token = app.client_token(&shop).await;
    for _ in 0..6 {
        assert_eq!(app.get("/hello/x").await.status(), 200);
    }
    for _ in 0..4 {
        let answer = app
            .client
            .get(app.url("/hello/x"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    for _ in 0..3 {
        let answer = app
            .client
            .post(app.url("/mb?do=error"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404);
    }
    for _ in 0..2 {
        assert_eq!(app.get("/nowhere").await.status(), 404);
    }
    app.state.request_log.flush().await;

    let range = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&bucket=3600000000";
    let requests = report(&app, "requests", range).await;
    let total = total_requests(&requests);
    assert_eq!(total, 15);
    let errors = report(&app, "errors", range).await;
    assert_eq!(errors["items"][0]["status"], 404);
    assert_eq!(errors["items"][0]["requests"], 5);

    let top = report(&app, "top-operations", range).await;
    assert_eq!(top["items"][0]["name"], "greet");
    assert_eq!(top["items"][0]["requests"], 10);
    assert_eq!(top["items"][0]["errors"], 0);
    assert_eq!(top["items"][1]["name"], "mb");
    assert_eq!(top["items"][1]["errors"], 3);
    assert_eq!(top["items"].as_array().unwrap().len(), 2);
    let apps = report(&app, "top-apps", range).await;
    assert_eq!(apps["items"], json!([apps["items"][0].clone()]));
    assert_eq!(apps["items"][0]["name"], "shop");
    assert_eq!(apps["items"][0]["requests"], 4);
    let only_shop = report(&app, "top-operations", &format!("{range}&app=shop")).await;
    assert_eq!(only_shop["items"][0]["requests"], 4);

    let logged_fuel: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(fuel_used) AS BIGINT) FROM request_log WHERE operation = 'greet'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let fuel = report(&app, "fuel", range).await;
    let greet = fuel["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "greet")
        .unwrap();
    assert_eq!(greet["fuel"], logged_fuel);
    assert!(logged_fuel > 0);

    let mut durations: Vec<i64> =
        sqlx::query_scalar("SELECT duration_us FROM request_log WHERE operation = 'greet'")
            .fetch_all(&app.db)
            .await
            .unwrap();
    durations.sort_unstable();
    let latency = report(&app, "latency", range).await;
    let greet = latency["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["operation"] == "greet")
        .unwrap();
    assert_eq!(greet["requests"], 10);
    // Nearest rank over 10 requests: the 5th, then the 10th twice.
    assert_eq!(greet["p50_us"], durations[4]);
    assert_eq!(greet["p95_us"], durations[9]);
    assert_eq!(greet["p99_us"], durations[9]);
    let slowest = report(&app, "slowest", &format!("{range}&limit=1")).await;
    let max: i64 = sqlx::query_scalar("SELECT MAX(duration_us) FROM request_log")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(slowest["items"][0]["duration_us"], max);

    let unknown = app.admin_get("/statistics/everything").await;
    crate::helpers::assert_problem(unknown, 404).await;
    let backwards = app
        .admin_get("/statistics/requests?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z")
        .await;
    crate::helpers::assert_problem(backwards, 400).await;
    // No name holds a NUL, and PostgreSQL takes none as text.
    let nul = app
        .admin_get("/statistics/top-operations?operation=a%00b")
        .await;
    crate::helpers::assert_problem(nul, 400).await;
    let nul = app.admin_get("/logs?app=a%00b").await;
    crate::helpers::assert_problem(nul, 400).await;
}

#[tokio::test]
async fn a_sampled_log_keeps_every_failure_and_still_counts_every_request() {
    let app = crate::helpers::spawn_app_with(|s| s.request_log.sample = 0.25).await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    for _ in 0..40 {
        assert_eq!(app.get("/hello/x").await.status(), 200);
    }
    for _ in 0..5 {
        assert_eq!(app.get("/nowhere").await.status(), 404);
    }
    app.state.request_log.flush().await;
    assert_eq!(log_count(&app).await, 10 + 5);
    let range = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&bucket=3600000000";
    let top = report(&app, "top-operations", range).await;
    assert_eq!(top["items"][0]["requests"], 40);
    let requests = report(&app, "requests", range).await;
    let total = total_requests(&requests);
    assert_eq!(total, 45);
}
