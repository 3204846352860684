use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn a_new_operation_serves_the_actions_json_at_once() {
    let app = spawn_app().await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;

    let response = app.get("/hello/ada?greeting=Hi").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"message": "Hi, ada!", "name": "ada"}));

    let encoded: Value = app.get("/hello/J%C3%BCrgen").await.json().await.unwrap();
    assert_eq!(encoded["message"], "Hello, Jürgen!");
}

#[tokio::test]
async fn the_same_method_and_path_cannot_be_mapped_twice_even_with_other_parameter_names() {
    let app = spawn_app().await;
    app.deploy("hello", "one", "GET", "/hello/:name").await;
    for (name, path) in [("two", "/hello/:name"), ("three", "/hello/:other")] {
        let response = app
            .create_operation(
                &json!({"name": name, "method": "GET", "path": path, "action": "hello"}),
            )
            .await;
        assert_problem(response, 409).await;
    }
    let post = app
        .create_operation(
            &json!({"name": "post", "method": "POST", "path": "/hello/:id", "action": "hello"}),
        )
        .await;
    assert_eq!(
        post.status(),
        StatusCode::CREATED,
        "another method on the same path is fine"
    );
    let dup_name = app
        .create_operation(&json!({"name": "one", "method": "PUT", "path": "/x", "action": "hello"}))
        .await;
    assert_problem(dup_name, 409).await;
}

#[tokio::test]
async fn an_operation_naming_an_unknown_action_is_422() {
    let app = spawn_app().await;
    let response = app
        .create_operation(
            &json!({"name": "ghost", "method": "GET", "path": "/ghost", "action": "nobody"}),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    assert!(problem["detail"].as_str().unwrap().contains("nobody"));
}

#[tokio::test]
async fn invalid_methods_paths_and_reserved_prefixes_are_400() {
    let app = spawn_app().await;
    app.upload_example("hello").await;
    for (method, path) in [
        ("FETCH", "/a"),
        ("GET", "no-slash"),
        ("GET", "/a//b"),
        ("GET", "/a/:"),
        ("GET", "/a/:x/:x"),
        ("GET", "/admin/mine"),
        ("GET", "/system/health"),
        ("GET", "/a/{b}"),
    ] {
        let response = app
            .create_operation(
                &json!({"name": "bad", "method": method, "path": path, "action": "hello"}),
            )
            .await;
        assert_problem(response, 400).await;
    }
}

#[tokio::test]
async fn updating_an_operation_takes_effect_without_a_restart() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    app.upload_example("echo").await;

    let patched = app
        .admin_patch(
            "/operations/greet",
            &json!({"path": "/hi/:who", "action": "echo"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_problem(app.get("/hello/ada").await, 404).await;
    let echoed: Value = app.get("/hi/ada").await.json().await.unwrap();
    assert_eq!(echoed["params"], json!([["who", "ada"]]));
    assert_eq!(echoed["context"]["operation"], "greet");

    let replaced = app
        .admin(reqwest::Method::PUT, "/operations/greet")
        .json(&json!({"name": "greet", "method": "GET", "path": "/hello/:name", "action": "hello", "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), StatusCode::OK);
    assert_problem(app.get("/hello/ada").await, 404).await;
    let stored: Value = app
        .admin_get("/operations/greet")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["active"], false);
}

#[tokio::test]
async fn deleting_an_operation_takes_effect_without_a_restart() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    assert_eq!(app.get("/hello/a").await.status(), StatusCode::OK);
    assert_eq!(
        app.admin_delete("/operations/greet").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get("/hello/a").await, 404).await;
    assert_problem(app.admin_delete("/operations/greet").await, 404).await;
}

#[tokio::test]
async fn operations_can_be_listed_and_fetched() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    let list: Value = app.admin_get("/operations").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let one: Value = app
        .admin_get("/operations/greet")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["method"], "GET");
    assert_eq!(one["path"], "/hello/:name");
    assert_eq!(one["action"], "hello");
    assert_eq!(one["stability"], "experimental");
    assert_problem(app.admin_get("/operations/nope").await, 404).await;
}

#[tokio::test]
async fn operations_and_actions_survive_a_restart() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    let restarted = app.restart().await;
    let body: Value = restarted.get("/hello/zoe").await.json().await.unwrap();
    assert_eq!(body["message"], "Hello, zoe!");
}
