//! Events, triggers, webhooks and cronjobs end to end, with a real webhook
//! receiver on loopback.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, run_tool, spawn_app, spawn_app_with};
use crate::receiver;

/// `misbehave` as `POST /mb`, event `thing_happened` (payload: object with
/// an integer `id`).
async fn with_event(app: &TestApp) {
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.admin_create(
        "/events",
        json!({"name": "thing_happened", "description": "test",
               "schema": {"type": "object", "required": ["id"],
                          "properties": {"id": {"type": "integer"}}}}),
    )
    .await;
}

async fn dispatch(app: &TestApp, spec: Value) -> Value {
    app.misbehave("dispatch", spec).await
}

async fn webhook(app: &TestApp, url: &str) -> String {
    let created = app
        .admin_create(
            "/webhooks",
            json!({"name": "hook", "event": "thing_happened", "url": url}),
        )
        .await;
    created["secret"].as_str().unwrap().to_string()
}

/// Polls `path` until `done` holds for its JSON (20 s at most).
async fn wait_admin(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..2000 {
        let value: Value = app.admin_get(path).await.json().await.unwrap();
        if done(&value) {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{path} never got there");
}

#[tokio::test]
async fn a_dispatched_event_reaches_a_trigger_and_a_webhook_signed_per_standard_webhooks() {
    let app = spawn_app().await;
    with_event(&app).await;
    app.upload_example("echo").await;
    app.admin_create(
        "/triggers",
        json!({"name": "audit", "event": "thing_happened", "action": "echo"}),
    )
    .await;
    let receiver = receiver::start(&[200], false).await;
    let secret = webhook(&app, &receiver.url).await;
    assert!(secret.starts_with("whsec_"));
    let listed = app.admin_get("/webhooks/hook").await.text().await.unwrap();
    assert!(!listed.contains(&secret), "the secret is shown once");

    let answer = dispatch(
        &app,
        json!({"event": "thing_happened", "payload": {"id": 7}}),
    )
    .await;
    assert_eq!(answer["dispatched"], true);

    let delivery = &receiver.wait_for(1).await[0];
    let header = |name: &str| delivery.headers[name].to_str().unwrap().to_string();
    assert!(header("webhook-signature").starts_with("v1,"));
    assert!(header("content-type").starts_with("application/cloudevents+json"));
    let event: Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], "thing_happened");
    assert_eq!(event["id"], header("webhook-id"));
    assert_eq!(event["source"], "/sluice/actions/misbehave");
    assert_eq!(event["data"], json!({"id": 7}));

    // An independent implementation checks the signature: the
    // `standardwebhooks` package from PyPI.
    let dir = app.data_dir.path();
    std::fs::write(dir.join("body"), &delivery.body).unwrap();
    let script = format!(
        r#"
from standardwebhooks import Webhook
body = open("body", "rb").read().decode()
headers = {{"webhook-id": "{id}", "webhook-timestamp": "{ts}", "webhook-signature": "{sig}"}}
print(Webhook("{secret}").verify(body, headers)["type"])
try:
    Webhook("{secret}").verify(body.replace("7", "8"), headers)
    print("tampered body accepted")
except Exception:
    print("tampered body refused")
"#,
        id = header("webhook-id"),
        ts = header("webhook-timestamp"),
        sig = header("webhook-signature"),
    );
    let out = run_tool("python", dir, &["-c", &script]).await;
    assert!(out.contains("thing_happened"), "{out}");
    assert!(out.contains("tampered body refused"), "{out}");

    let runs = wait_admin(&app, "/triggers/audit/runs", |v| {
        v[0]["state"] == "delivered"
    })
    .await;
    let attempt = &runs[0]["attempts"][0];
    assert_eq!(attempt["status_code"], 200);
    let seen: Value = serde_json::from_str(attempt["response_excerpt"].as_str().unwrap()).unwrap();
    assert_eq!(seen["context"]["kind"], "event");
    assert_eq!(seen["context"]["operation"], "audit");
    assert_eq!(seen["body"]["data"], json!({"id": 7}));
}

#[tokio::test]
async fn unknown_events_and_invalid_payloads_are_refused_and_failed_invocations_dispatch_nothing() {
    let app = spawn_app().await;
    with_event(&app).await;
    let receiver = receiver::start(&[200], false).await;
    webhook(&app, &receiver.url).await;
    let unknown = dispatch(&app, json!({"event": "nope", "payload": {}})).await;
    assert_eq!(unknown["error"], "no-such-event");
    let invalid = dispatch(
        &app,
        json!({"event": "thing_happened", "payload": {"id": "x"}}),
    )
    .await;
    assert_eq!(invalid["error"], "invalid-payload");
    assert!(
        invalid["message"].as_str().unwrap().contains("/id"),
        "{invalid}"
    );
    let failed = app
        .client
        .post(app.url("/mb?do=dispatch"))
        .json(&json!({"event": "thing_happened", "payload": {"id": 1}, "fail": true}))
        .send()
        .await
        .unwrap();
    assert_problem(failed, 500).await;
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(queued, 0, "a failed invocation's events are discarded");
    assert!(receiver.deliveries().is_empty());
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_growing_delays_until_it_succeeds() {
    let app = spawn_app_with(|s| s.worker.retry_base_ms = 200).await;
    with_event(&app).await;
    let receiver = receiver::start(&[500, 503, 200], false).await;
    webhook(&app, &receiver.url).await;
    dispatch(
        &app,
        json!({"event": "thing_happened", "payload": {"id": 1}}),
    )
    .await;
    let seen = receiver.wait_for(3).await;
    let ids: Vec<_> = seen
        .iter()
        .map(|d| d.headers["webhook-id"].clone())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one message id across retries"
    );
    let first_gap = seen[1].at - seen[0].at;
    let second_gap = seen[2].at - seen[1].at;
    assert!(first_gap >= Duration::from_millis(160), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(320), "{second_gap:?}");
    let history = wait_admin(&app, "/webhooks/hook/deliveries", |v| {
        v[0]["state"] == "delivered"
    })
    .await;
    let attempts = history[0]["attempts"].as_array().unwrap();
    let codes: Vec<_> = attempts.iter().map(|a| a["status_code"].clone()).collect();
    assert_eq!(codes, [json!(500), json!(503), json!(200)]);
    assert!(attempts[0]["next_retry_ms"].is_i64());
    assert!(attempts[2]["next_retry_ms"].is_null());
    assert_eq!(history[0]["attempts"][0]["error"], "answered 500");
}

#[tokio::test]
async fn attempts_run_out_and_a_410_disables_the_webhook() {
    let app = spawn_app_with(|s| {
        s.worker.retry_base_ms = 20;
        s.worker.max_attempts = 3;
    })
    .await;
    with_event(&app).await;
    let failing = receiver::start(&[500], false).await;
    webhook(&app, &failing.url).await;
    dispatch(
        &app,
        json!({"event": "thing_happened", "payload": {"id": 1}}),
    )
    .await;
    let history = wait_admin(&app, "/webhooks/hook/deliveries", |v| {
        v[0]["state"] == "failed"
    })
    .await;
    assert_eq!(history[0]["attempts"].as_array().unwrap().len(), 3);
    assert_eq!(failing.deliveries().len(), 3);

    let gone = receiver::start(&[410], false).await;
    let patched = app
        .admin_patch("/webhooks/hook", &json!({"url": gone.url}))
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    dispatch(
        &app,
        json!({"event": "thing_happened", "payload": {"id": 2}}),
    )
    .await;
    let hook = wait_admin(&app, "/webhooks/hook", |v| v["active"] == false).await;
    assert!(hook["disabled_reason"].as_str().unwrap().contains("410"));
    assert_eq!(gone.deliveries().len(), 1, "no retry after 410");
}

#[tokio::test]
async fn a_slow_receiver_does_not_hold_up_api_requests() {
    let app = spawn_app().await;
    with_event(&app).await;
    let receiver = receiver::start(&[200], true).await;
    webhook(&app, &receiver.url).await;
    dispatch(
        &app,
        json!({"event": "thing_happened", "payload": {"id": 1}}),
    )
    .await;
    receiver.wait_for(1).await;
    // The receiver holds its answer; requests go on being served meanwhile.
    for _ in 0..20 {
        let answer = dispatch(&app, json!({"event": "other", "payload": {}})).await;
        assert_eq!(answer["error"], "no-such-event");
    }
    let pending: Value = app
        .admin_get("/webhooks/hook/deliveries")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending[0]["state"], "pending");
    receiver.release();
    wait_admin(&app, "/webhooks/hook/deliveries", |v| {
        v[0]["state"] == "delivered"
    })
    .await;
}

#[tokio::test]
async fn a_one_second_cronjob_runs_once_per_tick_and_failures_keep_their_error() {
    let app = spawn_app().await;
    app.upload_example("echo").await;
    app.admin_create(
        "/cronjobs",
        json!({"name": "every-second", "schedule": "* * * * * *", "action": "echo"}),
    )
    .await;
    let runs = wait_admin(&app, "/cronjobs/every-second/runs", |v| {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["outcome"] == "ok")
            .count()
            >= 3
    })
    .await;
    let ticks: Vec<i64> = runs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["tick_ms"].as_i64())
        .collect();
    for pair in ticks.windows(2) {
        assert_eq!(
            pair[0] - pair[1],
            1000,
            "one run per second, none twice: {ticks:?}"
        );
    }

    // A failing action: fuel runs out; the run records why.
    app.set_limits("echo", json!({"fuel": 1000})).await;
    let run: Value = app.admin_post("/cronjobs/every-second/run").await;
    assert_eq!(run["outcome"], "failed");
    assert!(run["error"].as_str().unwrap().contains("fuel"), "{run}");
    assert_eq!(run["tick_ms"], Value::Null);

    let bad = app
        .admin(reqwest::Method::POST, "/cronjobs")
        .json(&json!({"name": "bad", "schedule": "every day", "action": "echo"}))
        .send()
        .await
        .unwrap();
    assert_problem(bad, 400).await;
}

/// Restarts `app` after pretending its scheduler stopped three hours ago,
/// and returns the runs of the hourly cronjob whose tick fell before the
/// restart.
async fn runs_after_hours_down(app: TestApp, missed: &str) -> Vec<Value> {
    app.upload_example("hello").await;
    app.admin_create(
        "/cronjobs",
        json!({"name": "hourly", "schedule": "0 0 * * * *", "action": "hello",
               "missed": missed}),
    )
    .await;
    let now_ms = || {
        i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap()
    };
    let stopped = now_ms() - 3 * 3_600_000;
    sqlx::query("UPDATE cronjobs SET last_tick_ms = $1")
        .bind(stopped)
        .execute(&app.db)
        .await
        .unwrap();
    let restarted_ms = now_ms();
    let app = app.restart_with(|s| s.worker.enabled = true).await;
    // The scheduler has handled the missed ticks once last_tick_ms moved
    // to the latest of them (within the last hour).
    wait_admin(&app, "/cronjobs/hourly", |v| {
        v["last_tick_ms"]
            .as_i64()
            .is_some_and(|t| t > stopped + 3_600_000)
    })
    .await;
    let runs: Value = app
        .admin_get("/cronjobs/hourly/runs")
        .await
        .json()
        .await
        .unwrap();
    runs.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tick_ms"].as_i64().is_some_and(|t| t < restarted_ms))
        .cloned()
        .collect()
}

#[tokio::test]
async fn ticks_missed_while_stopped_run_once_on_start() {
    let app = spawn_app_with(|s| s.worker.enabled = false).await;
    assert_eq!(runs_after_hours_down(app, "run_once").await.len(), 1);
}

#[tokio::test]
async fn ticks_missed_while_stopped_are_skipped_when_so_configured() {
    let app = spawn_app_with(|s| s.worker.enabled = false).await;
    assert_eq!(runs_after_hours_down(app, "skip").await.len(), 0);
}

/// A `sluice serve` process on `data_dir` and a free port.
async fn serve_process(
    data_dir: &std::path::Path,
    cp: &crate::helpers::ControlPlane,
) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .envs(cp.env.iter().map(|(k, v)| (k, v)))
        .env("SLUICE_ADMIN_TOKEN", crate::helpers::ADMIN_TOKEN)
        .env("SLUICE_RETRY_BASE_MS", "100")
        .env("SLUICE_DELIVERY_LEASE_MS", "1000")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..1000 {
        if client
            .get(format!("{base}/system/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return (child, base);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("sluice serve did not come up");
}

#[tokio::test]
async fn an_event_survives_kill_9_between_dispatch_and_delivery() {
    let data_dir = tempfile::tempdir().unwrap();
    let cp = crate::helpers::ControlPlane::new().await;
    let (mut first, base) = serve_process(data_dir.path(), &cp).await;
    let client = reqwest::Client::new();
    let admin = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{base}/admin{path}"))
            .bearer_auth(crate::helpers::ADMIN_TOKEN)
    };
    let wasm = crate::helpers::example_wasm("misbehave");
    let ok = |r: reqwest::Response| assert!(r.status().is_success(), "{}", r.status());
    ok(admin(reqwest::Method::PUT, "/actions/misbehave")
        .header("content-type", "application/wasm")
        .body(wasm)
        .send()
        .await
        .unwrap());
    for (path, body) in [
        (
            "/operations",
            json!({"name": "mb", "method": "POST", "path": "/mb",
                               "action": "misbehave", "public": true}),
        ),
        ("/events", json!({"name": "thing_happened"})),
    ] {
        ok(admin(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap());
    }
    // Nothing listens on the receiver's port yet: every attempt fails.
    let receiver_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let receiver_addr = receiver_port.local_addr().unwrap();
    drop(receiver_port);
    ok(admin(reqwest::Method::POST, "/webhooks")
        .json(&json!({"name": "hook", "event": "thing_happened",
                      "url": format!("http://{receiver_addr}/hook")}))
        .send()
        .await
        .unwrap());
    let dispatched = client
        .post(format!("{base}/mb?do=dispatch"))
        .json(&json!({"event": "thing_happened", "payload": {"id": 42}}))
        .send()
        .await
        .unwrap();
    assert_eq!(dispatched.status(), StatusCode::OK);

    first.kill().await.unwrap();
    let receiver = receiver::start_on(
        tokio::net::TcpListener::bind(receiver_addr).await.unwrap(),
        &[200],
        false,
    );
    let (_second, _) = serve_process(data_dir.path(), &cp).await;
    let delivery = &receiver.wait_for(1).await[0];
    let event: Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(event["data"], json!({"id": 42}));
}

#[tokio::test]
async fn sluice_worker_alone_delivers_what_a_server_without_a_worker_queued() {
    let app = spawn_app_with(|s| s.worker.enabled = false).await;
    with_event(&app).await;
    let receiver = receiver::start(&[200], false).await;
    webhook(&app, &receiver.url).await;
    dispatch(
        &app,
        json!({"event": "thing_happened", "payload": {"id": 5}}),
    )
    .await;
    let mut worker = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["worker", "--data-dir"])
        .arg(app.data_dir.path())
        .envs(app.control_plane_env())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let delivery = &receiver.wait_for(1).await[0];
    let event: Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(event["data"], json!({"id": 5}));
    worker.kill().await.unwrap();
}

#[tokio::test]
async fn finished_deliveries_past_the_retention_are_deleted_and_pending_ones_kept() {
    let app = spawn_app_with(|s| {
        s.worker.enabled = false;
        s.worker.retention_days = 7;
    })
    .await;
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let old = now_ms - 8 * 86_400_000;
    for (id, state) in [("old-done", "delivered"), ("old-pending", "pending")] {
        sqlx::query(
            "INSERT INTO outbox (id, event, payload, source, request_id, created_ms)
             VALUES ($1, 'e', $2, 'a', 'r', $3)",
        )
        .bind(id)
        .bind(b"{}".to_vec())
        .bind(old)
        .execute(&app.db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO deliveries (outbox_id, kind, target, state, next_attempt_ms, created_ms)
             VALUES ($1, 'webhook', 'gone', $2, $3, $4)",
        )
        .bind(id)
        .bind(state)
        .bind(now_ms + 3_600_000)
        .bind(old)
        .execute(&app.db)
        .await
        .unwrap();
    }
    // Retention runs when the worker starts and hourly.
    let app = app
        .restart_with(|s| {
            s.worker.enabled = true;
            s.worker.retention_days = 7;
        })
        .await;
    let mut left: Vec<String> = Vec::new();
    for _ in 0..500 {
        left = sqlx::query_scalar("SELECT id FROM outbox ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(left, ["old-pending"]);
    let deliveries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(deliveries, 1, "the deleted event's deliveries went with it");
}
