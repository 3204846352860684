use reqwest::StatusCode;
use serde_json::{Value, json};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::helpers::{TestApp, assert_problem, spawn_app, started_server};

const PASSWORD: &str = "hunter2-very-secret";

async fn create(app: &TestApp, body: Value, skip_test: bool) -> reqwest::Response {
    let path = if skip_test {
        "/connections?skip_test=true"
    } else {
        "/connections"
    };
    app.admin(reqwest::Method::POST, path)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn postgres_fields() -> Value {
    json!({"name": "pg", "class": "sql", "config": {
        "driver": "postgres", "host": "127.0.0.1", "port": 1,
        "user": "app", "password": PASSWORD, "database": "app"
    }})
}

#[tokio::test]
async fn a_sqlite_connection_is_tested_created_and_shown() {
    let app = spawn_app().await;
    let response = create(
        &app,
        json!({"name": "local", "class": "sql", "config": {"driver": "sqlite", "path": "local.db"}}),
        false,
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["location"], "/admin/connections/local");
    assert!(
        app.data_dir.path().join("local.db").exists(),
        "the test connection created the file"
    );
    let shown: Value = app
        .admin_get("/connections/local")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["class"], "sql");
    assert_eq!(shown["config"]["driver"], "sqlite");
    assert_eq!(shown["config"]["password_set"], false);
    assert_eq!(shown["config"]["pool_size"], 8);
}

#[tokio::test]
async fn no_admin_response_ever_contains_the_password() {
    let app = spawn_app().await;
    let mut bodies = Vec::new();
    let created = create(&app, postgres_fields(), true).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    bodies.push(created.text().await.unwrap());
    let with_url = create(
        &app,
        json!({"name": "pg-url", "class": "sql", "config": {
            "driver": "postgres", "url": format!("postgres://app:{PASSWORD}@127.0.0.1:1/app")
        }}),
        true,
    )
    .await;
    assert_eq!(with_url.status(), StatusCode::CREATED);
    bodies.push(with_url.text().await.unwrap());
    let patched = app
        .admin(reqwest::Method::PATCH, "/connections/pg?skip_test=true")
        .json(&json!({"config": {"pool_size": 2}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    bodies.push(patched.text().await.unwrap());
    for path in ["/connections", "/connections/pg", "/connections/pg-url"] {
        bodies.push(app.admin_get(path).await.text().await.unwrap());
    }
    for body in &bodies {
        assert!(!body.contains(PASSWORD), "password leaked in {body}");
    }
    let pg: Value = serde_json::from_str(&bodies[3 + 1]).unwrap();
    assert_eq!(
        pg["config"]["password_set"], true,
        "the patch kept the password"
    );
    assert_eq!(pg["config"]["pool_size"], 2);
    let url: Value = serde_json::from_str(&bodies[5]).unwrap();
    assert_eq!(url["config"]["password_set"], true);
    assert_eq!(url["config"]["url"], "postgres://app@127.0.0.1:1/app");
}

#[tokio::test]
async fn the_stored_config_is_not_plaintext_on_disk() {
    let app = spawn_app().await;
    assert_eq!(
        create(&app, postgres_fields(), true).await.status(),
        StatusCode::CREATED
    );
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT config_sealed FROM connections WHERE name = 'pg'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(
        !sealed
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );
    if crate::helpers::on_postgres() {
        // Nothing on disk here; the column above is all the database holds.
        return;
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&app.db)
        .await
        .unwrap();
    for file in ["sluice.db", "sluice.db-wal"] {
        let path = app.data_dir.path().join(file);
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !bytes
                    .windows(PASSWORD.len())
                    .any(|w| w == PASSWORD.as_bytes()),
                "{file} holds the password in clear"
            );
        }
    }
    let key_mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(app.data_dir.path().join("secret.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(key_mode & 0o777, 0o600);
}

#[tokio::test]
async fn a_connection_that_fails_its_test_is_422_and_not_stored() {
    let app = spawn_app().await;
    let problem = assert_problem(create(&app, postgres_fields(), false).await, 422).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("cannot connect")
    );
    assert!(!problem["detail"].as_str().unwrap().contains(PASSWORD));
    assert_problem(app.admin_get("/connections/pg").await, 404).await;
}

#[tokio::test]
async fn invalid_configs_are_400() {
    let app = spawn_app().await;
    for config in [
        json!({"driver": "sqlite"}),
        json!({"driver": "postgres"}),
        json!({"driver": "mysql", "url": "postgres://x@y/z"}),
        json!({"driver": "sqlite", "path": "a.db", "pool_size": 0}),
        json!({"driver": "oracle", "host": "x"}),
        json!({"driver": "sqlite", "path": "a.db", "colour": "blue"}),
    ] {
        let response = create(
            &app,
            json!({"name": "bad", "class": "sql", "config": config}),
            true,
        )
        .await;
        assert_problem(response, 400).await;
    }
}

#[tokio::test]
async fn grants_are_set_through_the_actions_api_and_guard_deletion() {
    let app = spawn_app().await;
    app.upload_example("echo").await;
    create(
        &app,
        json!({"name": "db", "class": "sql", "config": {"driver": "sqlite", "path": "db.sqlite"}}),
        false,
    )
    .await;
    let unknown = app
        .admin_patch("/actions/echo", &json!({"connections": ["nope"]}))
        .await;
    assert_problem(unknown, 422).await;
    let granted = app
        .admin_patch("/actions/echo", &json!({"connections": ["db"]}))
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    assert_eq!(
        granted.json::<Value>().await.unwrap()["connections"],
        json!(["db"])
    );
    let shown: Value = app.admin_get("/connections/db").await.json().await.unwrap();
    assert_eq!(shown["granted_to"], json!(["echo"]));

    assert_problem(app.admin_delete("/connections/db").await, 409).await;
    app.admin_patch("/actions/echo", &json!({"connections": []}))
        .await;
    assert_eq!(
        app.admin_delete("/connections/db").await.status(),
        StatusCode::NO_CONTENT
    );
}

/// A TCP port on loopback that counts the connections made to it and
/// answers nothing: where a moved secret would have been sent.
async fn listening_trap() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (port, count)
}

async fn patch(app: &TestApp, name: &str, query: &str, body: Value) -> reqwest::Response {
    app.admin(
        reqwest::Method::PATCH,
        &format!("/connections/{name}{query}"),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

async fn refused_for(response: reqwest::Response, moved: &str, secret: &str) {
    let problem = assert_problem(response, 422).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(moved) && detail.contains(secret),
        "the problem names {moved} and {secret}: {problem}"
    );
}

#[tokio::test]
async fn moving_a_sql_connection_requires_restating_its_password() {
    let app = spawn_app().await;
    let my = url::Url::parse(&started_server("SLUICE_TEST_MYSQL_URL")).unwrap();
    let config = json!({
        "driver": "mysql", "host": my.host_str().unwrap(), "port": my.port().unwrap(),
        "user": my.username(), "password": my.password().unwrap(),
        "database": my.path().trim_start_matches('/')
    });
    app.create_connection("db", "sql", config.clone()).await;
    let (trap, connections) = listening_trap().await;

    // Tried for real, this would send the password to the trap at once.
    let moved = patch(&app, "db", "", json!({"config": {"port": trap}})).await;
    refused_for(moved, "config.port", "config.password").await;
    let moved = patch(&app, "db", "", json!({"config": {"host": "127.0.0.2"}})).await;
    refused_for(moved, "config.host", "config.password").await;
    let weaker = patch(&app, "db", "", json!({"config": {"tls_mode": "disable"}})).await;
    refused_for(weaker, "config.tls_mode", "config.password").await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the trap was tried");
    let shown: Value = app.admin_get("/connections/db").await.json().await.unwrap();
    assert_eq!(shown["config"]["port"], config["port"]);
    assert_eq!(shown["config"]["host"], config["host"]);

    // Something harmless keeps the password: the test (against the real
    // server) passes with it.
    let harmless = patch(
        &app,
        "db",
        "",
        json!({"config": {"pool_size": 3, "statement_timeout_ms": 2000}}),
    )
    .await;
    assert_eq!(
        harmless.status(),
        StatusCode::OK,
        "{}",
        harmless.text().await.unwrap()
    );

    let restated = patch(
        &app,
        "db",
        "?skip_test=true",
        json!({"config": {"port": trap, "password": "another-one"}}),
    )
    .await;
    assert_eq!(restated.status(), StatusCode::OK);
    let shown: Value = restated.json().await.unwrap();
    assert_eq!(shown["config"]["port"], trap);
    assert_eq!(shown["config"]["password_set"], true);
}

#[tokio::test]
async fn moving_an_smtp_connection_requires_restating_its_password() {
    let app = spawn_app().await;
    let created = create(
        &app,
        json!({"name": "mail", "class": "smtp", "config": {
            "host": "127.0.0.1", "port": 1, "tls": "starttls", "username": "app",
            "password": PASSWORD, "from": "Sluice <noreply@example.com>"
        }}),
        true,
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    for (change, field) in [
        (json!({"host": "mail.attacker.invalid"}), "config.host"),
        (json!({"port": 2525}), "config.port"),
        (json!({"tls": "none"}), "config.tls"),
    ] {
        let moved = patch(&app, "mail", "", json!({"config": change})).await;
        refused_for(moved, field, "config.password").await;
    }
    let harmless = patch(
        &app,
        "mail",
        "?skip_test=true",
        json!({"config": {"timeout_ms": 3000}}),
    )
    .await;
    assert_eq!(harmless.status(), StatusCode::OK);
    let shown: Value = harmless.json().await.unwrap();
    assert_eq!(shown["config"]["host"], "127.0.0.1");
    assert_eq!(shown["config"]["password_set"], true);
}

#[tokio::test]
async fn moving_a_redis_connection_requires_restating_the_password_in_its_url() {
    let app = spawn_app().await;
    let created = create(
        &app,
        json!({"name": "cache", "class": "kv", "config": {
            "backend": "redis", "url": format!("redis://app:{PASSWORD}@127.0.0.1:1/0")
        }}),
        true,
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let moved = patch(
        &app,
        "cache",
        "",
        json!({"config": {"url": "redis://app@attacker.invalid:1/0"}}),
    )
    .await;
    refused_for(moved, "config.url", "password").await;
    let same_server = patch(
        &app,
        "cache",
        "?skip_test=true",
        json!({"config": {"url": "redis://app@127.0.0.1:1/1"}}),
    )
    .await;
    assert_eq!(same_server.status(), StatusCode::OK);
    let shown: Value = same_server.json().await.unwrap();
    assert_eq!(shown["config"]["password_set"], true, "{shown}");
}
