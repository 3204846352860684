use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, example_wasm, spawn_app, spawn_app_with};

#[tokio::test]
async fn uploading_a_component_creates_version_one_and_identical_bytes_change_nothing() {
    let app = spawn_app().await;

    let first = app.upload_example("hello").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(
        first.headers()["location"].to_str().unwrap(),
        "/admin/actions/hello/versions/1"
    );
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["version"], 1);
    assert_eq!(first["created"], true);
    assert_eq!(first["sha256"].as_str().unwrap().len(), 64);

    let again = app.upload_example("hello").await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["version"], 1);
    assert_eq!(again["created"], false);

    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM action_versions WHERE action = 'hello'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn uploading_new_bytes_makes_a_new_version_that_unpinned_operations_use_at_once() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/greet/:name").await;
    let before: Value = app.get("/greet/ada").await.json().await.unwrap();
    assert_eq!(before["message"], "Hello, ada!");

    let second = app.upload("hello", example_wasm("echo")).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.json::<Value>().await.unwrap()["version"], 2);

    let after: Value = app.get("/greet/ada").await.json().await.unwrap();
    assert_eq!(after["path"], "/greet/ada", "echo now answers: {after}");

    let versions: Value = app
        .admin_get("/actions/hello/versions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_operation_pinned_to_a_version_keeps_running_it_after_a_new_upload() {
    let app = spawn_app().await;
    app.upload_example("hello").await;
    let created = app
        .create_operation(&json!({
            "name": "pinned", "method": "GET", "path": "/pinned/:name",
            "action": "hello", "action_version": 1
        }))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    app.upload("hello", example_wasm("echo")).await;

    let body: Value = app.get("/pinned/bo").await.json().await.unwrap();
    assert_eq!(body["message"], "Hello, bo!");
}

#[tokio::test]
async fn uploading_a_core_module_is_refused_with_a_reason_to_act_on() {
    let app = spawn_app().await;
    let core_module = b"\0asm\x01\0\0\0".to_vec();
    let problem = assert_problem(app.upload("core", core_module).await, 400).await;
    assert_eq!(problem["type"], "urn:sluice:problem:invalid-component");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("core WebAssembly module")
    );
    assert_eq!(
        app.admin_get("/actions/core").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn uploading_bytes_that_are_not_wasm_is_refused() {
    let app = spawn_app().await;
    let problem = assert_problem(app.upload("junk", b"hello world".to_vec()).await, 400).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not a valid WebAssembly component")
    );
}

#[tokio::test]
async fn a_component_with_an_import_the_host_lacks_is_refused_naming_the_import() {
    let app = spawn_app().await;
    let component = wat::parse_str(
        r#"(component (import "acme:secret/backdoor" (instance (export "open" (func)))))"#,
    )
    .unwrap();
    let problem = assert_problem(app.upload("sneaky", component).await, 400).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("acme:secret/backdoor"), "{detail}");
}

#[tokio::test]
async fn a_component_without_the_handler_export_is_refused_naming_the_export() {
    let app = spawn_app().await;
    let component = wat::parse_str("(component)").unwrap();
    let problem = assert_problem(app.upload("empty", component).await, 400).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("sluice:action/handler"), "{detail}");
}

#[tokio::test]
async fn a_multipart_upload_is_accepted() {
    let app = spawn_app().await;
    let form = reqwest::multipart::Form::new().part(
        "wasm",
        reqwest::multipart::Part::bytes(example_wasm("hello")).file_name("hello.wasm"),
    );
    let response = app
        .admin(reqwest::Method::PUT, "/actions/hello")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_upload_over_the_size_limit_gets_413() {
    let app = spawn_app_with(|s| s.max_upload_bytes = 16 * 1024).await;
    assert_problem(app.upload_example("hello").await, 413).await;

    let form = reqwest::multipart::Form::new().part(
        "wasm",
        reqwest::multipart::Part::bytes(example_wasm("hello")),
    );
    let response = app
        .admin(reqwest::Method::PUT, "/actions/hello")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;
}

#[tokio::test]
async fn an_upload_with_another_media_type_gets_415() {
    let app = spawn_app().await;
    let response = app
        .admin(reqwest::Method::PUT, "/actions/hello")
        .header("content-type", "text/plain")
        .body("nope")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415).await;
}

#[tokio::test]
async fn an_upload_declared_as_a_lookalike_of_wasm_gets_415() {
    let app = spawn_app().await;
    for media_type in [
        "application/wasmx",
        "application/wasm+json",
        "application/octet-streams",
    ] {
        let response = app
            .admin(reqwest::Method::PUT, "/actions/hello")
            .header("content-type", media_type)
            .body(example_wasm("hello"))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 415).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("application/wasm"),
            "{media_type} → {problem}"
        );
    }
    assert_eq!(app.admin_get("/actions/hello").await.status(), 404);

    // Case and parameters do not matter.
    let response = app
        .admin(reqwest::Method::PUT, "/actions/hello")
        .header("content-type", "Application/WASM; charset=binary")
        .body(example_wasm("hello"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test]
async fn actions_can_be_listed_inspected_configured_and_deleted() {
    let app = spawn_app().await;
    app.upload_example("hello").await;
    app.upload_example("echo").await;

    // Uploaded actions, without the built-ins that come with the binary.
    let list: Value = app
        .admin_get("/actions?builtin=false")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["echo", "hello"]);
    let all: Value = app.admin_get("/actions").await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2 + 5, "{all}");

    let patched = app
        .admin_patch(
            "/actions/echo",
            &json!({"description": "mirror", "limits": {"fuel": 12345678}, "config": {"greeting": "hi"}}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let echo: Value = app.admin_get("/actions/echo").await.json().await.unwrap();
    assert_eq!(echo["description"], "mirror");
    assert_eq!(echo["limits"]["fuel"], 12345678);
    assert_eq!(echo["limits"]["timeout_ms"], 5000);
    assert_eq!(echo["config"]["greeting"], "hi");
    assert_eq!(echo["latest_version"]["version"], 1);

    assert_eq!(
        app.admin_delete("/actions/echo").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.admin_get("/actions/echo").await, 404).await;
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM action_versions WHERE action = 'echo'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn limits_out_of_range_and_unknown_fields_are_rejected() {
    let app = spawn_app().await;
    app.upload_example("hello").await;
    let zero_fuel = app
        .admin_patch("/actions/hello", &json!({"limits": {"fuel": 0}}))
        .await;
    assert_problem(zero_fuel, 400).await;
    let huge_memory = app
        .admin_patch(
            "/actions/hello",
            &json!({"limits": {"memory_bytes": 1u64 << 40}}),
        )
        .await;
    assert_problem(huge_memory, 400).await;
    let unknown = app
        .admin_patch("/actions/hello", &json!({"colour": "blue"}))
        .await;
    let problem = assert_problem(unknown, 400).await;
    assert!(problem["detail"].as_str().unwrap().contains("colour"));
}

#[tokio::test]
async fn an_action_used_by_an_operation_cannot_be_deleted() {
    let app = spawn_app().await;
    app.deploy("hello", "greet", "GET", "/hello/:name").await;
    let problem = assert_problem(app.admin_delete("/actions/hello").await, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("greet"));
    assert_eq!(app.get("/hello/x").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn execute_runs_an_action_on_a_test_request_with_kind_execute() {
    let app = spawn_app().await;
    app.upload_example("echo").await;
    app.admin_patch("/actions/echo", &json!({"config": {"mode": "test"}}))
        .await;
    let response = app
        .admin(reqwest::Method::POST, "/actions/echo/execute")
        .json(&json!({
            "method": "post", "path": "/try", "params": {"id": "7"},
            "query": [["q", "1"]], "body": {"a": 1}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["status"], 200);
    assert!(result["fuel_used"].as_u64().unwrap() > 0);
    let echoed = &result["json"];
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["params"], json!([["id", "7"]]));
    assert_eq!(echoed["body"], json!({"a": 1}));
    assert_eq!(echoed["context"]["kind"], "execute");
    assert_eq!(echoed["context"]["config"], json!({"mode": "test"}));
}

#[tokio::test]
async fn execute_reports_a_trap_as_the_problem_a_consumer_would_get() {
    let app = spawn_app().await;
    app.upload_example("misbehave").await;
    let result: Value = app
        .admin(reqwest::Method::POST, "/actions/misbehave/execute")
        .json(&json!({"query": [["do", "trap"]]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(result["status"], 500);
    assert_eq!(result["json"]["type"], "urn:sluice:problem:action-trapped");
}
