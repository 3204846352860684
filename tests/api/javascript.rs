//! Actions in JavaScript and TypeScript (sdk-js, bundled by rolldown and
//! built with componentize-js): `hello` answers exactly like the Rust
//! example, `todo` passes the Rust `todo`'s scenario, SDK errors become
//! problems with their statuses, an uncaught error is a 500 whose detail is
//! its message with no stack, and `sluice new js` makes a project that
//! builds and deploys as generated.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};
use crate::python::{deploy, errors_become_problems};

#[tokio::test]
async fn the_javascript_hello_answers_exactly_like_the_rust_one() {
    let app = spawn_app().await;
    deploy(&app, "hello", "hello-rust", "/rust/hello/:name").await;
    deploy(&app, "hello-js", "hello-js", "/js/hello/:name").await;
    for query in [
        "",
        "?greeting=Hi",
        "?greeting=Gr%C3%BC%C3%9F%20Gott",
        "?other=1",
    ] {
        let rust = app.get(&format!("/rust/hello/ada{query}")).await;
        let js = app.get(&format!("/js/hello/ada{query}")).await;
        assert_eq!(js.status(), rust.status(), "{query}");
        assert_eq!(js.headers()["content-type"], rust.headers()["content-type"]);
        assert_eq!(
            js.text().await.unwrap(),
            rust.text().await.unwrap(),
            "{query}"
        );
    }
}

#[tokio::test]
async fn javascript_errors_become_problems_with_their_statuses_and_no_stack() {
    let app = spawn_app().await;
    deploy(&app, "statuses-js", "statuses", "/statuses").await;
    errors_become_problems(&app, &["TypeError", "app.js", ".js:", "@"]).await;
}

#[tokio::test]
async fn the_typescript_todo_passes_the_rust_todos_scenario_on_sqlite() {
    crate::sql::todo_scenario_built_as("todo-js", false).await;
}

#[tokio::test]
async fn the_typescript_todo_passes_the_rust_todos_scenario_on_postgresql() {
    crate::sql::todo_scenario_built_as("todo-js", true).await;
}

#[tokio::test]
async fn the_typescript_todo_keeps_every_digit_of_a_64_bit_id() {
    let app = spawn_app().await;
    crate::sql::deploy_todo_built_as(
        &app,
        // A generous statement timeout: these tests share the machine
        // with the compilation of other tests' 12–18 MB components.
        json!({"driver": "sqlite", "path": "todo.db", "statement_timeout_ms": 30_000}),
        "todo-js",
    )
    .await;
    // Beyond 2^53 a JavaScript number would round; the path id stays a bigint.
    let problem = assert_problem(app.get("/todos/9223372036854775807").await, 404).await;
    assert_eq!(problem["detail"], "there is no todo 9223372036854775807");
    assert_problem(app.get("/todos/9223372036854775808").await, 400).await;
    // A JSON id beyond 2^53 is refused rather than stored rounded.
    let rounded = app
        .client
        .post(app.url("/todos"))
        .header("content-type", "application/json")
        .body(r#"{"id": 9007199254740993, "title": "big"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(rounded, 400).await;
    let fine = app
        .client
        .post(app.url("/todos"))
        .json(&json!({"id": 9_007_199_254_740_991_i64, "title": "largest safe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fine.status(), StatusCode::CREATED);
    let got: Value = app
        .get("/todos/9007199254740991")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({"id": 9_007_199_254_740_991_i64, "title": "largest safe", "done": false})
    );
}

#[tokio::test]
async fn a_new_javascript_project_builds_with_sluice_build_and_deploys() {
    use crate::project::sluice_at;
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let made = sluice_at(&app, dir.path(), &["new", "js", "greeter"], &[]).await;
    assert!(made.ok, "{}", made.stderr);
    let project = dir.path().join("greeter");
    for file in [
        "app.js",
        "package.json",
        "rolldown.config.js",
        "sluice.yaml",
        "README.md",
        "sluice-sdk/index.js",
        "sluice-sdk/index.d.ts",
        "wit/action.wit",
    ] {
        assert!(project.join(file).exists(), "{file} is missing");
    }
    // `npm install` as the README says, from npm's cache where
    // scripts/build-actions.sh already fetched the same pinned packages.
    let installed = std::process::Command::new("npm")
        .args(["install", "--prefer-offline", "--no-audit", "--no-fund"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );
    let built = sluice_at(&app, &project, &["build"], &[]).await;
    assert!(built.ok, "{}", built.stderr);
    assert!(project.join("greeter.wasm").exists());
    let deployed = sluice_at(&app, &project, &["deploy"], &[]).await;
    assert!(deployed.ok, "{}", deployed.stderr);
    let answer: Value = app.get("/greeter/world").await.json().await.unwrap();
    assert_eq!(answer, json!({"message": "Hello, world!"}));
}

#[tokio::test]
async fn a_javascript_version_shows_the_language_and_componentize_js_among_its_producers() {
    let app = spawn_app().await;
    deploy(&app, "hello-js", "hello-js", "/js/hello/:name").await;
    let action: Value = app
        .admin_get("/actions/hello-js")
        .await
        .json()
        .await
        .unwrap();
    let producers: Vec<String> = action["latest_version"]["producers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p["field"].as_str().unwrap(),
                p["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        producers.contains(&"language:JavaScript".to_string()),
        "{producers:?}"
    );
    assert!(
        producers.contains(&"processed-by:ComponentizeJS".to_string()),
        "{producers:?}"
    );
}
