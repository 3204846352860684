//! `/admin/schemas` and request validation against operation contracts:
//! parameters by presence and type, bodies by JSON Schema 2020-12 with
//! references between stored schemas, each error with its JSON pointer.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn create_schema(app: &TestApp, name: &str, schema: Value) -> reqwest::Response {
    app.admin(reqwest::Method::POST, "/schemas")
        .json(&json!({"name": name, "schema": schema}))
        .send()
        .await
        .unwrap()
}

/// `echo` on `POST /items/:id` with an integer `:id`, a required integer
/// `limit` and an `item` body that refers to the `price` schema.
async fn validated_echo(app: &TestApp, extra: Value) {
    for (name, schema) in [
        (
            "price",
            json!({"type": "object", "required": ["amount"],
                         "properties": {"amount": {"type": "number", "minimum": 0}}}),
        ),
        (
            "item",
            json!({"type": "object", "required": ["name", "price"], "additionalProperties": false,
                        "properties": {"name": {"type": "string", "minLength": 1}, "price": {"$ref": "price"}}}),
        ),
    ] {
        let created = create_schema(app, name, schema).await;
        assert_eq!(
            created.status(),
            StatusCode::CREATED,
            "{}",
            created.text().await.unwrap()
        );
    }
    app.upload_example("echo").await;
    let mut op = json!({
        "name": "item-put", "method": "POST", "path": "/items/:id", "action": "echo",
        "parameters": [
            {"name": "id", "in": "path", "type": "integer"},
            {"name": "limit", "in": "query", "type": "integer", "required": true},
            {"name": "verbose", "in": "query", "type": "boolean"}
        ],
        "incoming": "item"
    });
    json_patch::merge(&mut op, &extra);
    let created = app.create_operation(&op).await;
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "{}",
        created.text().await.unwrap()
    );
}

fn pointers(problem: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    out.sort_unstable();
    out
}

#[tokio::test]
async fn invalid_path_query_and_body_are_all_reported_with_pointers() {
    let app = spawn_app().await;
    validated_echo(&app, json!({})).await;
    let response = app
        .client
        .post(app.url("/items/abc?verbose=maybe"))
        .json(&json!({"name": 5, "price": {"amount": -1}, "extra": true}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem["type"], "urn:sluice:problem:validation-failed");
    assert_eq!(
        pointers(&problem),
        [
            "/body",
            "/body/name",
            "/body/price/amount",
            "/path/id",
            "/query/limit",
            "/query/verbose"
        ]
    );
    for error in problem["errors"].as_array().unwrap() {
        assert!(!error["message"].as_str().unwrap().is_empty(), "{error}");
    }

    let ok = app
        .client
        .post(app.url("/items/7?limit=10&verbose=true"))
        .json(&json!({"name": "pen", "price": {"amount": 1.5}}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let echoed: Value = ok.json().await.unwrap();
    assert_eq!(echoed["body"]["name"], "pen");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415_or_400() {
    let app = spawn_app().await;
    validated_echo(&app, json!({})).await;
    let text = app
        .client
        .post(app.url("/items/1?limit=1"))
        .header("content-type", "text/plain")
        .body("name=pen")
        .send()
        .await
        .unwrap();
    assert_problem(text, 415).await;
    let broken = app
        .client
        .post(app.url("/items/1?limit=1"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(broken, 400).await;
    assert_eq!(pointers(&problem), ["/body"]);
}

#[tokio::test]
async fn outgoing_validation_logs_or_enforces_the_response_schema() {
    let app = spawn_app().await;
    let strict = json!({"200": {"type": "object", "required": ["id"]}});
    validated_echo(
        &app,
        json!({"outgoing": strict, "outgoing_validation": "enforce"}),
    )
    .await;
    let send = || {
        app.client
            .post(app.url("/items/1?limit=1"))
            .json(&json!({"name": "pen", "price": {"amount": 1}}))
            .send()
    };
    let problem = assert_problem(send().await.unwrap(), 500).await;
    assert_eq!(problem["type"], "urn:sluice:problem:invalid-response");

    let patched = app
        .admin_patch(
            "/operations/item-put",
            &json!({"outgoing_validation": "log"}),
        )
        .await;
    assert_eq!(
        patched.status(),
        StatusCode::OK,
        "{}",
        patched.text().await.unwrap()
    );
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn schemas_are_checked_against_the_meta_schema_and_their_references() {
    let app = spawn_app().await;
    let invalid = create_schema(&app, "bad", json!({"type": 5})).await;
    let problem = assert_problem(invalid, 400).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("2020-12"),
        "{problem}"
    );
    let dangling = create_schema(&app, "dangling", json!({"$ref": "nowhere"})).await;
    assert_problem(dangling, 400).await;
    // Patterns run in linear time: back-tracking constructs are refused.
    let lookahead = create_schema(
        &app,
        "la",
        json!({"type": "string", "pattern": "^(?=a)a+$"}),
    )
    .await;
    assert_problem(lookahead, 400).await;

    assert_eq!(
        create_schema(&app, "a", json!({"type": "string"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_problem(create_schema(&app, "a", json!({})).await, 409).await;
    let shown: Value = app.admin_get("/schemas/a").await.json().await.unwrap();
    assert_eq!(shown["schema"], json!({"type": "string"}));
    assert_problem(app.admin_get("/schemas/missing").await, 404).await;
}

#[tokio::test]
async fn a_schema_in_use_cannot_be_deleted_and_a_change_applies_at_once() {
    let app = spawn_app().await;
    validated_echo(&app, json!({})).await;
    assert_problem(app.admin_delete("/schemas/item").await, 409).await;
    assert_problem(app.admin_delete("/schemas/price").await, 409).await;

    let send = || {
        app.client
            .post(app.url("/items/1?limit=1"))
            .json(&json!({"name": "pen", "price": {"amount": 1}}))
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    let replaced = app
        .admin(reqwest::Method::PUT, "/schemas/price")
        .json(&json!({"schema": {"type": "object", "required": ["currency"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), StatusCode::OK);
    let problem = assert_problem(send().await.unwrap(), 400).await;
    assert_eq!(pointers(&problem), ["/body/price"]);

    assert_eq!(
        app.admin_delete("/operations/item-put").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.admin_delete("/schemas/item").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.admin_delete("/schemas/price").await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn operations_refuse_unknown_schemas_and_undeclared_path_parameters() {
    let app = spawn_app().await;
    app.upload_example("echo").await;
    let unknown = app
        .create_operation(
            &json!({"name": "x", "method": "POST", "path": "/x", "action": "echo",
                                  "incoming": "missing"}),
        )
        .await;
    assert_problem(unknown, 422).await;
    let bad_param = app
        .create_operation(
            &json!({"name": "y", "method": "GET", "path": "/y/:id", "action": "echo",
                                  "parameters": [{"name": "key", "in": "path"}]}),
        )
        .await;
    assert_problem(bad_param, 400).await;
    let inline = app
        .create_operation(
            &json!({"name": "z", "method": "POST", "path": "/z", "action": "echo",
                                  "incoming": {"type": "object", "required": ["q"]}}),
        )
        .await;
    assert_eq!(inline.status(), StatusCode::CREATED);
    let shown: Value = app.admin_get("/operations/z").await.json().await.unwrap();
    assert_eq!(
        shown["incoming"],
        json!({"type": "object", "required": ["q"]})
    );
    let refused = app
        .client
        .post(app.url("/z"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 400).await;
    assert_eq!(pointers(&problem), ["/body"]);
}
