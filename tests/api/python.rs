//! Actions in Python (sdk-python, built with componentize-py): `hello`
//! answers exactly like the Rust example, SDK errors become problems with
//! their statuses, and an uncaught exception is a 500 whose detail is its
//! message — with no traceback for the caller.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// Uploads `actions-examples/dist/<wasm>.wasm` as action `name` behind a
/// public `GET path`.
pub async fn deploy(app: &TestApp, wasm: &str, name: &str, path: &str) {
    let uploaded = app.upload(name, crate::helpers::example_wasm(wasm)).await;
    assert!(
        uploaded.status().is_success(),
        "{name}: {}",
        uploaded.text().await.unwrap()
    );
    let created = app
        .create_operation(&json!({"name": name, "method": "GET", "path": path, "action": name}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_python_hello_answers_exactly_like_the_rust_one() {
    let app = spawn_app().await;
    deploy(&app, "hello", "hello-rust", "/rust/hello/:name").await;
    deploy(&app, "hello-py", "hello-py", "/py/hello/:name").await;
    for query in [
        "",
        "?greeting=Hi",
        "?greeting=Gr%C3%BC%C3%9F%20Gott",
        "?other=1",
    ] {
        let rust = app.get(&format!("/rust/hello/ada{query}")).await;
        let python = app.get(&format!("/py/hello/ada{query}")).await;
        assert_eq!(python.status(), rust.status(), "{query}");
        assert_eq!(
            python.headers()["content-type"],
            rust.headers()["content-type"]
        );
        assert_eq!(
            python.text().await.unwrap(),
            rust.text().await.unwrap(),
            "{query}"
        );
    }
}

#[tokio::test]
async fn python_errors_become_problems_with_their_statuses_and_no_traceback() {
    let app = spawn_app().await;
    deploy(&app, "statuses-py", "statuses", "/statuses").await;
    errors_become_problems(&app, &["Traceback", "File \"", "app.py", "line "]).await;
}

/// The `statuses` example of any language behind `GET /statuses`: each SDK
/// error answers its status with the message as detail; an uncaught error
/// is a 500 with its message and none of `leaks` (what a traceback or stack
/// would show); a host call to a connection not granted is a 500 naming it.
pub async fn errors_become_problems(app: &TestApp, leaks: &[&str]) {
    for (raise, status) in [
        ("invalid-input", 400),
        ("forbidden", 403),
        ("not-found", 404),
        ("conflict", 409),
        ("unavailable", 503),
        ("internal", 500),
    ] {
        let answer = app.get(&format!("/statuses?raise={raise}")).await;
        let problem = crate::helpers::assert_problem(answer, status).await;
        assert_eq!(
            problem["detail"],
            format!("raised {raise} on purpose"),
            "{problem}"
        );
    }

    let crash = app.get("/statuses?raise=crash").await;
    let text = crash.text().await.unwrap();
    let problem: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(problem["status"], 500);
    assert_eq!(
        problem["detail"], "cannot compute 'deep': the answer is 42",
        "{problem}"
    );
    for leak in leaks {
        assert!(!text.contains(leak), "the answer shows {leak:?}: {text}");
    }

    let host = app.get("/statuses?raise=host").await;
    let problem = crate::helpers::assert_problem(host, 500).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("not-granted"),
        "{problem}"
    );

    let fine = app.get("/statuses").await;
    assert_eq!(fine.status(), StatusCode::OK);
    let known: Value = fine.json().await.unwrap();
    assert_eq!(known["raise"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn the_python_todo_passes_the_rust_todos_scenario_on_sqlite() {
    crate::sql::todo_scenario_built_as("todo-py", false).await;
}

#[tokio::test]
async fn the_python_todo_passes_the_rust_todos_scenario_on_postgresql() {
    crate::sql::todo_scenario_built_as("todo-py", true).await;
}

#[tokio::test]
async fn a_new_python_project_builds_with_sluice_build_and_deploys() {
    use crate::project::sluice_at;
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let made = sluice_at(&app, dir.path(), &["new", "python", "greeter"], &[]).await;
    assert!(made.ok, "{}", made.stderr);
    let project = dir.path().join("greeter");
    for file in [
        "app.py",
        "sluice.yaml",
        "README.md",
        "sluice-sdk/sluice/__init__.py",
        "wit/action.wit",
    ] {
        assert!(project.join(file).exists(), "{file} is missing");
    }
    // componentize-py as scripts/build-actions.sh installed it (pinned).
    let tools = std::path::PathBuf::from(std::env::var("HOME").unwrap())
        .join(".cache/sluice/venv-componentize-py/bin");
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap());
    let built = sluice_at(&app, &project, &["build"], &[("PATH", &path)]).await;
    assert!(built.ok, "{}", built.stderr);
    assert!(project.join("greeter.wasm").exists());
    let deployed = sluice_at(&app, &project, &["deploy"], &[]).await;
    assert!(deployed.ok, "{}", deployed.stderr);
    let answer: Value = app.get("/greeter/world").await.json().await.unwrap();
    assert_eq!(answer, json!({"message": "Hello, world!"}));
}

#[tokio::test]
async fn an_action_version_shows_the_language_and_tools_that_made_it() {
    let app = spawn_app().await;
    deploy(&app, "hello-py", "hello-py", "/py/hello/:name").await;
    deploy(&app, "hello", "hello-rust", "/rust/hello/:name").await;
    let names = |action: Value| -> Vec<String> {
        action["latest_version"]["producers"]
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
            .collect()
    };
    let python: Value = app
        .admin_get("/actions/hello-py")
        .await
        .json()
        .await
        .unwrap();
    let rust: Value = app
        .admin_get("/actions/hello-rust")
        .await
        .json()
        .await
        .unwrap();
    assert!(python["latest_version"]["size_bytes"].as_i64().unwrap() > 1_000_000);
    let (python, rust) = (names(python), names(rust));
    // componentize-py's runtime is written in Rust and its snapshot is taken
    // by component-init-transform: the section says so, not "Python".
    let init = "processed-by:component-init-transform".to_string();
    assert!(python.contains(&init), "{python:?}");
    assert!(
        rust.contains(&"processed-by:wit-bindgen-rust".to_string()),
        "{rust:?}"
    );
    assert!(!rust.contains(&init), "{rust:?}");
}
