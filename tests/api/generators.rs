//! Generators: `POST /admin/generators/sql-table` turns a table into a
//! documented, validated CRUD API in one call — on SQLite, PostgreSQL and
//! MariaDB — and `sql-database` does it for many tables; bad requests
//! create nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app, sql_database};

/// A table with an integer key the database assigns, a unique bounded
/// text, a text, a decimal, an integer and a boolean with defaults, and a
/// date (a type with no JSON counterpart).
fn products_table(driver: &str, name: &str) -> String {
    let (key, decimal) = match driver {
        "postgres" => ("id SERIAL PRIMARY KEY", "NUMERIC(10,2)"),
        "mysql" => ("id INT AUTO_INCREMENT PRIMARY KEY", "DECIMAL(10,2)"),
        _ => ("id INTEGER PRIMARY KEY", "REAL"),
    };
    format!(
        "CREATE TABLE {name} ({key}, sku VARCHAR(20) NOT NULL UNIQUE, title TEXT NOT NULL, \
         price {decimal}, stock INTEGER NOT NULL DEFAULT 0, active BOOLEAN NOT NULL DEFAULT TRUE, added DATE)"
    )
}

async fn generate(app: &TestApp, query: &str, body: Value) -> reqwest::Response {
    app.admin(Method::POST, &format!("/generators/sql-table{query}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Generates `/products` from a fresh `products_<random>` table; answers
/// the table's name.
async fn products_api(app: &TestApp, driver: &str) -> String {
    let table = format!(
        "products_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let config = sql_database(app, driver, &[products_table(driver, &table)]).await;
    app.create_connection("shop", "sql", config).await;
    let body = json!({"connection": "shop", "table": table, "path": "/products", "public": true});

    let dry = generate(app, "?dry_run=true", body.clone()).await;
    let status = dry.status();
    let dry: Value = dry.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["created"].as_array().unwrap().len(), 10, "{dry}");
    assert_problem(
        app.admin_get(&format!("/operations/{table}-list")).await,
        404,
    )
    .await;

    let made = generate(app, "", body.clone()).await;
    let status = made.status();
    let made: Value = made.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let created: Vec<String> = made["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["kind"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        format!("schemas:{table}-row"),
        format!("schemas:{table}-input"),
        format!("actions:{table}"),
        format!("operations:{table}-list"),
        format!("operations:{table}-get"),
        format!("operations:{table}-create"),
        format!("operations:{table}-update"),
        format!("operations:{table}-delete"),
    ] {
        assert!(
            created.contains(&expected),
            "{expected} missing from {created:?}"
        );
    }
    assert_eq!(made["unsupported"][0]["column"], "added", "{made}");

    // Again: every name is taken, all are listed, nothing changes.
    let again = generate(app, "", body).await;
    let problem = assert_problem(again, 409).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("operations {table}-delete")),
        "{detail}"
    );
    assert!(detail.contains(&format!("schemas {table}-row")), "{detail}");
    table
}

/// Every generated operation, the validation its schemas give and the
/// errors a consumer can cause.
async fn products_scenario(app: &TestApp) {
    let post = |body: Value| app.client.post(app.url("/products")).json(&body).send();
    let anvil = post(json!({"sku": "A-1", "title": "Anvil", "price": 9.5}))
        .await
        .unwrap();
    assert_eq!(anvil.status(), StatusCode::CREATED);
    assert_eq!(anvil.headers()["location"], "/products/1");
    assert_eq!(
        anvil.json::<Value>().await.unwrap(),
        json!({"id": 1, "sku": "A-1", "title": "Anvil", "price": 9.5, "stock": 0, "active": true, "added": null})
    );
    for body in [
        json!({"sku": "B-2", "title": "Bucket", "price": 3.25, "stock": 7, "added": "2024-02-29"}),
        json!({"sku": "C-3", "title": "Chisel", "price": 12.0, "active": false}),
    ] {
        let created = post(body).await.unwrap();
        assert_eq!(
            created.status(),
            StatusCode::CREATED,
            "{}",
            created.text().await.unwrap()
        );
    }
    let bucket: Value = app.get("/products/2").await.json().await.unwrap();
    assert_eq!(bucket["added"], "2024-02-29");
    assert_eq!(bucket["stock"], 7);

    // The generated schemas validate before the action runs.
    let wrong = assert_problem(post(json!({"sku": 5, "title": "x"})).await.unwrap(), 400).await;
    assert_eq!(wrong["errors"][0]["pointer"], "/body/sku", "{wrong}");
    let long = assert_problem(
        post(json!({"sku": "x".repeat(21), "title": "x"}))
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(long["errors"][0]["pointer"], "/body/sku", "{long}");
    let read_only = assert_problem(
        post(json!({"id": 9, "sku": "Z", "title": "x"}))
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(read_only["errors"].is_array(), "{read_only}");
    assert_problem(post(json!({"title": "no sku"})).await.unwrap(), 400).await;
    let duplicate = assert_problem(
        post(json!({"sku": "A-1", "title": "again"})).await.unwrap(),
        409,
    )
    .await;
    let detail = duplicate["detail"].as_str().unwrap();
    assert!(
        !detail.contains("INSERT") && !detail.contains("products_"),
        "{detail}"
    );
    let path = assert_problem(app.get("/products/abc").await, 400).await;
    assert_eq!(path["errors"][0]["pointer"], "/path/id", "{path}");

    let page: Value = app
        .get("/products?sort=-price&active=true&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["sku"], "A-1");
    let next: Value = app
        .get("/products?sort=-price&active=true&limit=1&offset=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"][0]["sku"], "B-2");

    let patch = |id: &str, body: Value| {
        app.client
            .patch(app.url(&format!("/products/{id}")))
            .json(&body)
            .send()
    };
    let restocked: Value = patch("1", json!({"stock": 5}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(restocked["stock"], 5);
    assert_eq!(restocked["title"], "Anvil");
    assert_problem(patch("1", json!({})).await.unwrap(), 400).await;
    assert_problem(patch("99", json!({"stock": 1})).await.unwrap(), 404).await;

    let deleted = app
        .client
        .delete(app.url("/products/3"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get("/products/3").await, 404).await;

    // Injection through sort and filter names stays a 400 naming the columns.
    let sort = assert_problem(app.get("/products?sort=price%20DESC%3B--").await, 400).await;
    assert!(sort["detail"].as_str().unwrap().contains("sku"), "{sort}");
}

#[tokio::test]
async fn a_table_becomes_a_documented_crud_api_in_one_call_on_sqlite() {
    let app = spawn_app().await;
    let table = products_api(&app, "sqlite").await;
    products_scenario(&app).await;

    let doc: Value = app.get("/system/openapi.json").await.json().await.unwrap();
    let post = &doc["paths"]["/products"]["post"];
    assert_eq!(post["operationId"], format!("{table}-create"));
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        format!("#/components/schemas/{table}-input")
    );
    let row = &doc["components"]["schemas"][format!("{table}-row")];
    assert_eq!(row["properties"]["sku"]["maxLength"], 20);
    assert_eq!(row["properties"]["id"]["readOnly"], true);
    assert_eq!(
        row["properties"]["price"]["type"],
        json!(["number", "null"])
    );
}

#[tokio::test]
async fn a_table_becomes_a_documented_crud_api_in_one_call_on_postgresql() {
    let app = spawn_app().await;
    products_api(&app, "postgres").await;
    products_scenario(&app).await;
}

#[tokio::test]
async fn a_table_becomes_a_documented_crud_api_in_one_call_on_mariadb() {
    let app = spawn_app().await;
    products_api(&app, "mysql").await;
    products_scenario(&app).await;
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_in_a_generated_api() {
    let app = spawn_app().await;
    products_api(&app, "sqlite").await;
    let url = app.url("/system/openapi.json");
    let checks = "not_a_server_error,status_code_conformance,content_type_conformance,\
                  response_schema_conformance,negative_data_rejection";
    crate::openapi::schemathesis(&app, &url, checks, &["--max-examples", "30"]).await;
}

#[tokio::test]
async fn bad_tables_and_requests_are_refused_and_create_nothing() {
    let app = spawn_app().await;
    let config = sql_database(
        &app,
        "sqlite",
        &[
            "CREATE TABLE notes (body TEXT)".into(),
            "CREATE TABLE pairs (a INTEGER, b INTEGER, PRIMARY KEY (a, b))".into(),
            "CREATE TABLE tags (name TEXT PRIMARY KEY, colour TEXT)".into(),
            "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)".into(),
        ],
    )
    .await;
    app.create_connection("shop", "sql", config).await;
    let cases = [
        (
            json!({"connection": "shop", "table": "nope", "path": "/nope"}),
            422,
            "no table named \"nope\"",
        ),
        (
            json!({"connection": "shop", "table": "notes", "path": "/notes"}),
            422,
            "no primary key",
        ),
        (
            json!({"connection": "shop", "table": "pairs", "path": "/pairs"}),
            422,
            "2 columns",
        ),
        (
            json!({"connection": "other", "table": "tags", "path": "/tags"}),
            422,
            "no connection",
        ),
        (
            json!({"connection": "shop", "table": "tags", "path": "tags"}),
            400,
            "/path",
        ),
        (
            json!({"connection": "shop", "table": "tags", "path": "/tags", "scopes": ["nope"]}),
            422,
            "nope",
        ),
    ];
    for (body, status, needle) in cases {
        let problem = assert_problem(generate(&app, "", body.clone()).await, status).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(needle),
            "{body}: {problem}"
        );
    }
    let schemas: Value = app.admin_get("/schemas").await.json().await.unwrap();
    assert_eq!(schemas, json!([]), "nothing was created");
    let operations: Value = app.admin_get("/operations").await.json().await.unwrap();
    assert_eq!(operations, json!([]), "nothing was created");

    // A whole database: the tables it can serve, the others skipped with reasons.
    let whole = app
        .admin(Method::POST, "/generators/sql-database")
        .json(&json!({"connection": "shop", "path_prefix": "/api", "public": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status(), StatusCode::CREATED);
    let whole: Value = whole.json().await.unwrap();
    let skipped: Vec<&str> = whole["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["table"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["notes", "pairs"]);
    assert_eq!(whole["unsupported"][0]["column"], "data", "{whole}");
    let tag = app
        .client
        .post(app.url("/api/tags"))
        .json(&json!({"name": "red", "colour": "#f00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(tag.status(), StatusCode::CREATED);
    assert_eq!(tag.headers()["location"], "/api/tags/red");
    let red: Value = app.get("/api/tags/red").await.json().await.unwrap();
    assert_eq!(red, json!({"name": "red", "colour": "#f00"}));
    assert_eq!(app.get("/api/blobs").await.status(), StatusCode::OK);
}
