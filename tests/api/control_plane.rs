//! The control plane on PostgreSQL (`SLUICE_DATABASE_URL`): what a cluster's
//! nodes share, how they start, and what they refuse.

use reqwest::StatusCode;
use serde_json::json;
use sluice::config::Settings;
use sluice::gateway::rate_limit::FailurePolicy;
use sluice::startup::Application;

use std::time::Duration;

use crate::helpers::{
    ControlPlane, TEST_JWT_KEY, TEST_SECRET_KEY, TestApp, fresh_postgres_database, start,
    test_settings, time_until,
};

#[tokio::test]
async fn a_node_on_postgresql_without_shared_keys_refuses_to_start_and_says_which() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&data_dir);
    settings.database_url = Some(fresh_postgres_database().await);
    settings.secret_key = None;
    settings.tokens.key = None;
    // Signing keys live in the control plane, sealed with the secret key.
    let error = Application::build(settings.clone())
        .await
        .err()
        .expect("no node starts without the shared secret key")
        .to_string();
    assert!(
        error.starts_with("SLUICE_SECRET_KEY must be set"),
        "{error}"
    );
    // Under the HS256 opt-in, the signing secret must be shared too.
    settings.tokens.algorithm = sluice::identity::keys::TokenAlgorithm::Hs256;
    let error = Application::build(settings.clone())
        .await
        .err()
        .expect("no node starts without the shared keys")
        .to_string();
    assert!(
        error.contains("SLUICE_SECRET_KEY and SLUICE_JWT_KEY must be set"),
        "{error}"
    );
    settings.secret_key = Some(TEST_SECRET_KEY.into());
    let error = Application::build(settings)
        .await
        .err()
        .expect("one key is not enough")
        .to_string();
    assert!(error.starts_with("SLUICE_JWT_KEY must be set"), "{error}");
    assert!(
        !data_dir.path().join("secret.key").exists() && !data_dir.path().join("jwt.key").exists(),
        "no node generates keys of its own"
    );
}

#[tokio::test]
async fn a_non_postgres_database_url_is_refused_with_a_clear_message() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&data_dir);
    settings.database_url = Some("mysql://root@127.0.0.1/sluice".into());
    settings.secret_key = Some(TEST_SECRET_KEY.into());
    settings.tokens.key = Some(TEST_JWT_KEY.into());
    let error = Application::build(settings)
        .await
        .err()
        .expect("only PostgreSQL holds a shared control plane")
        .to_string();
    assert!(error.contains("must be a postgres:// URL"), "{error}");
}

/// Three nodes on one fresh PostgreSQL control plane, started together.
async fn three_nodes() -> Vec<TestApp> {
    three_nodes_with(|_| {}).await
}

/// [`three_nodes`] with settings changed by `configure`.
async fn three_nodes_with(configure: impl Fn(&mut Settings)) -> Vec<TestApp> {
    let cp = ControlPlane::postgres().await;
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    futures_util::future::join_all(dirs.into_iter().map(|dir| {
        let mut settings = test_settings(&dir);
        cp.apply(&mut settings);
        configure(&mut settings);
        start(settings, dir)
    }))
    .await
}

#[tokio::test]
async fn three_nodes_starting_at_once_migrate_once_and_share_every_change() {
    let nodes = three_nodes().await;
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&nodes[0].db)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/postgres"
    ))
    .unwrap()
    .count();
    assert_eq!(
        applied,
        i64::try_from(files).unwrap(),
        "each migration ran once"
    );

    // What one node stores, every node reads: an action, an operation, a
    // user who logs in through another node.
    nodes[0].upload_example("hello").await;
    nodes[1]
        .admin_create(
            "/operations",
            json!({"name": "greet", "method": "GET", "path": "/hello/:name",
                   "action": "hello", "public": true}),
        )
        .await;
    nodes[2]
        .admin_create(
            "/users",
            json!({"name": "ada", "password": "correct horse", "roles": ["admin"]}),
        )
        .await;
    let login = nodes[0]
        .token_request(&[
            ("grant_type", "password"),
            ("username", "ada"),
            ("password", "correct horse"),
        ])
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let listed: serde_json::Value = nodes[1]
        .admin_get("/operations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["name"], "greet");
}

#[tokio::test]
async fn sluice_migrate_prepares_a_postgresql_control_plane() {
    let url = fresh_postgres_database().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["migrate", "--database-url", &url])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let rules: Vec<String> = sqlx::query_scalar("SELECT name FROM rate_limits")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rules, ["default"]);
}

#[tokio::test]
async fn an_operation_made_through_one_node_is_served_by_the_others_within_a_second() {
    let nodes = three_nodes().await;
    nodes[0]
        .deploy("hello", "greet", "GET", "/hello/:name")
        .await;
    for node in &nodes[1..] {
        let took =
            time_until(|| async { node.get("/hello/ada").await.status() == StatusCode::OK }).await;
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }
    // A change of the operation reaches them too: deactivated, it is gone.
    let changed = nodes[0]
        .admin(reqwest::Method::PATCH, "/operations/greet")
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let took =
        time_until(|| async { nodes[2].get("/hello/ada").await.status() == StatusCode::NOT_FOUND })
            .await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test]
async fn a_token_whose_app_is_deleted_through_one_node_is_refused_by_another_within_a_second() {
    let nodes = three_nodes().await;
    nodes[0].create_scopes(&["todo:read"]).await;
    let client = nodes[0].create_client("shop", &["todo:read"]).await;
    let token = nodes[0].client_token(&client).await;
    assert_eq!(nodes[2].whoami(&token).await.status(), StatusCode::OK);
    assert_eq!(
        nodes[1].admin_delete("/apps/shop").await.status(),
        StatusCode::NO_CONTENT
    );
    let took =
        time_until(|| async { nodes[2].whoami(&token).await.status() == StatusCode::UNAUTHORIZED })
            .await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test]
async fn a_draining_node_reports_not_ready_while_it_still_serves_then_stops() {
    let mut app = crate::helpers::spawn_app_with(|s| s.drain_ms = 1_000).await;
    let ready = app.get("/system/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let server = app.begin_shutdown();
    let not_ready = time_until(|| async {
        app.get("/system/ready").await.status() == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    assert!(not_ready < Duration::from_millis(500), "took {not_ready:?}");
    let body = crate::helpers::assert_problem(app.get("/system/ready").await, 503).await;
    assert!(body["detail"].as_str().unwrap().contains("draining"));
    // Still serving during the drain: the balancer moves traffic away first.
    assert_eq!(app.get("/system/health").await.status(), StatusCode::OK);
    server.await.unwrap().unwrap();
    assert!(
        app.client
            .get(app.url("/system/health"))
            .send()
            .await
            .is_err(),
        "stopped after the drain"
    );
}

#[tokio::test]
async fn an_unreachable_redis_admits_requests_when_open_and_refuses_them_when_closed() {
    // Nothing listens on this port: a port bound and dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("redis://127.0.0.1:{port}");
    let open = crate::helpers::spawn_app_with(|s| s.rate_limit_store.clone_from(&dead)).await;
    open.deploy("hello", "greet", "GET", "/hello/:name").await;
    assert_eq!(open.get("/hello/ada").await.status(), StatusCode::OK);
    let closed = crate::helpers::spawn_app_with(|s| {
        s.rate_limit_store.clone_from(&dead);
        s.rate_limit_failure = FailurePolicy::Closed;
    })
    .await;
    closed.deploy("hello", "greet", "GET", "/hello/:name").await;
    let body = crate::helpers::assert_problem(closed.get("/hello/ada").await, 503).await;
    assert!(body["detail"].as_str().unwrap().contains("unreachable"));
}

#[tokio::test]
async fn a_node_on_postgresql_creates_its_data_directory_for_sqlite_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&dir);
    settings.data_dir = dir.path().join("not-there-yet");
    crate::helpers::use_postgres(&mut settings).await;
    let app = start(settings, dir).await;
    app.create_connection(
        "local",
        "sql",
        json!({"driver": "sqlite", "path": "local.db"}),
    )
    .await;
    assert!(app.data_dir.path().join("not-there-yet/local.db").exists());
}

#[tokio::test]
async fn a_change_whose_notification_was_lost_is_picked_up_by_the_version_check() {
    let nodes = three_nodes().await;
    nodes[0]
        .deploy("hello", "greet", "GET", "/hello/:name")
        .await;
    time_until(|| async { nodes[1].get("/hello/ada").await.status() == StatusCode::OK }).await;
    // What a node whose NOTIFY never arrived would have missed: the change
    // is stored and the version moves on, but nobody is told.
    sqlx::query("UPDATE operations SET active = FALSE WHERE name = 'greet'")
        .execute(&nodes[0].db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT)
         WHERE key = 'change_version'",
    )
    .execute(&nodes[0].db)
    .await
    .unwrap();
    let took =
        time_until(|| async { nodes[1].get("/hello/ada").await.status() == StatusCode::NOT_FOUND })
            .await;
    assert!(
        took <= sluice::cluster::VERSION_CHECK + Duration::from_secs(1),
        "took {took:?}"
    );
}

#[tokio::test]
async fn a_stopping_node_finishes_the_deliveries_it_claimed_before_it_exits() {
    let mut app = crate::helpers::spawn_app_with(|s| s.drain_ms = 100).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.admin_create("/events", json!({"name": "thing_happened"}))
        .await;
    // The receiver holds its answer: the delivery stays in flight.
    let receiver = crate::receiver::start(&[200], true).await;
    app.admin_create(
        "/webhooks",
        json!({"name": "hook", "event": "thing_happened", "url": receiver.url}),
    )
    .await;
    app.misbehave(
        "dispatch",
        json!({"event": "thing_happened", "payload": {"id": 1}}),
    )
    .await;
    receiver.wait_for(1).await;
    let mut server = app.begin_shutdown();
    // Past the drain the node accepts nothing more, yet it has not exited:
    // it waits for the delivery it claimed.
    time_until(|| async {
        app.client
            .get(app.url("/system/health"))
            .send()
            .await
            .is_err()
    })
    .await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut server)
            .await
            .is_err(),
        "exited with a delivery in flight"
    );
    receiver.release();
    server.await.unwrap().unwrap();
    let state: String = sqlx::query_scalar("SELECT state FROM deliveries")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(state, "delivered", "recorded before the exit");
    assert_eq!(receiver.deliveries().len(), 1);
}
