//! Fusio's tutorial offline: `todo` dispatches `todo_created`, a trigger
//! runs `audit` (a row per event) and a webhook tells a receiver; a cronjob
//! runs `digest`, which asks the weather API and mails the day's weather.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{spawn_app, started_server};
use crate::upstream::{self, WEATHER_KEY};
use crate::{receiver, sql};

#[tokio::test]
async fn creating_a_todo_writes_an_audit_row_and_notifies_the_webhook() {
    let app = spawn_app().await;
    sql::deploy_todo(&app, json!({"driver": "sqlite", "path": "todo.db"})).await;
    app.admin_create("/events", json!({"name": "todo_created"}))
        .await;
    app.deploy("audit", "audit", "GET", "/audit").await;
    app.grant("audit", &["todo-db"]).await;
    app.admin_create(
        "/triggers",
        json!({"name": "todo-audit", "event": "todo_created", "action": "audit"}),
    )
    .await;
    let receiver = receiver::start(&[200], false).await;
    app.admin_create(
        "/webhooks",
        json!({"name": "notify", "event": "todo_created", "url": receiver.url}),
    )
    .await;

    let created = app
        .client
        .post(app.url("/todos"))
        .json(&json!({"title": "Write the digest"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let delivery = &receiver.wait_for(1).await[0];
    let event: Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(event["type"], "todo_created");
    assert_eq!(event["data"]["title"], "Write the digest");
    assert!(delivery.headers.contains_key("webhook-signature"));

    let mut entries = Value::Null;
    for _ in 0..500 {
        entries = app.get("/audit").await.json().await.unwrap();
        if entries.as_array().is_some_and(|e| !e.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(entries[0]["event"], "todo_created");
    assert_eq!(entries[0]["event_id"], event["id"]);
    let data: Value = serde_json::from_str(entries[0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["title"], "Write the digest");
}

#[tokio::test]
async fn the_morning_cronjob_mails_the_days_weather() {
    let upstream = upstream::start().await;
    let port: u16 = started_server("SLUICE_TEST_SMTP_PORT").parse().unwrap();
    let app = spawn_app().await;
    app.create_connection(
        "weather-api",
        "http",
        json!({"base_url": upstream.base, "auth": {"type": "api_key", "in": "query",
               "name": "appid", "value": WEATHER_KEY}}),
    )
    .await;
    app.create_connection(
        "mail",
        "smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none", "from": "Sluice <noreply@sluice.test>"}),
    )
    .await;
    app.upload_example("digest").await;
    app.grant("digest", &["weather-api", "mail"]).await;
    let to = format!("me-{}@sluice.test", uuid::Uuid::new_v4());
    let patched = app
        .admin_patch(
            "/actions/digest",
            &json!({"config": {"to": to, "cities": ["Berlin"]}}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    app.admin_create(
        "/cronjobs",
        json!({"name": "morning", "schedule": "0 7 * * *", "action": "digest"}),
    )
    .await;
    let run: Value = app.admin_post("/cronjobs/morning/run").await;
    assert_eq!(run["outcome"], "ok", "{run}");

    let mail = crate::helpers::find_mail(&to).await;
    assert!(mail.contains("Your weather digest"), "{mail}");
    assert!(mail.contains("Berlin: 12.5"), "{mail}");
}
