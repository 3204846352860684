use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

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
        .json(&json!({"config": {"port": 2}}))
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
    assert_eq!(pg["config"]["port"], 2);
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
