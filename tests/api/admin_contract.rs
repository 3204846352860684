//! The admin API enforces what its OpenAPI document declares: a body the
//! document calls invalid is a 400 problem with a pointer per violation,
//! whatever the handler's own parsing would have made of it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[test]
fn every_json_body_the_admin_document_declares_compiles() {
    let count = sluice::api::body_schema::count().unwrap();
    assert!(count >= 30, "only {count} request bodies");
}

#[tokio::test]
async fn admin_bodies_the_document_calls_invalid_are_refused_with_pointers() {
    let app = spawn_app().await;
    let uploaded = app.upload_example("hello").await;
    assert!(uploaded.status().is_success());

    // An array where the document says object: serde would read it as the
    // struct's fields in order.
    let array = app
        .admin(Method::POST, "/roles")
        .json(&json!(["viewer", "", []]))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(array, 400).await;
    assert_eq!(problem["errors"][0]["pointer"], "", "{problem}");

    // null where the document says object.
    let null_limits = app
        .admin_patch("/actions/hello", &json!({"limits": null}))
        .await;
    let problem = assert_problem(null_limits, 400).await;
    assert_eq!(problem["errors"][0]["pointer"], "/limits", "{problem}");

    // A name off the documented pattern, named at its place.
    let bad_name = app
        .admin(Method::POST, "/scopes")
        .json(&json!({"name": "two words"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad_name, 400).await;
    assert_eq!(problem["errors"][0]["pointer"], "/name", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("/name"),
        "{problem}"
    );

    // What the document allows still works, and nothing above was stored.
    let good = app
        .admin_patch("/actions/hello", &json!({"limits": {"fuel": 5_000_000}}))
        .await;
    assert_eq!(good.status(), StatusCode::OK);
    let roles: Value = app.admin_get("/roles").await.json().await.unwrap();
    assert!(
        roles
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"] != "viewer"),
        "{roles}"
    );
}

#[tokio::test]
async fn operation_parameters_with_bounds_are_checked_and_documented() {
    let app = spawn_app().await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    let patched = app
        .admin_patch(
            "/operations/hello",
            &json!({"parameters": [
                {"name": "name", "in": "path", "pattern": "^[a-z]{2,10}$"},
                {"name": "times", "in": "query", "type": "integer", "minimum": 1, "maximum": 3}
            ]}),
        )
        .await;
    assert_eq!(
        patched.status(),
        StatusCode::OK,
        "{}",
        patched.text().await.unwrap()
    );
    assert_eq!(app.get("/hello/ada?times=2").await.status(), StatusCode::OK);
    let problem = assert_problem(app.get("/hello/ADA?times=9").await, 400).await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/path/name", "/query/times"], "{problem}");

    let document: Value = app.get("/system/openapi.json").await.json().await.unwrap();
    let parameters = &document["paths"]["/hello/{name}"]["get"]["parameters"];
    assert_eq!(parameters[0]["schema"]["pattern"], "^[a-z]{2,10}$");
    assert_eq!(parameters[1]["schema"]["maximum"], 3);

    // Bounds that cannot hold are refused when saved.
    for (bad, says) in [
        (
            json!({"name": "name", "in": "path", "minimum": 1}),
            "apply to integer and number",
        ),
        (
            json!({"name": "name", "in": "path", "pattern": "("}),
            "not a valid regular expression",
        ),
        (
            json!({"name": "n", "in": "query", "type": "integer", "minimum": 5, "maximum": 1}),
            "minimum is above maximum",
        ),
    ] {
        let refused = app
            .admin_patch("/operations/hello", &json!({"parameters": [bad]}))
            .await;
        let problem = assert_problem(refused, 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{problem}"
        );
    }
}
