//! `sluice sdk typescript|python`: typed clients of the hosted API made by
//! the real CLI with the real generators, compiled strictly (TypeScript)
//! and used to call a private operation with a bearer token.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, run_tool, spawn_app, venv_tool};

/// The console's npm packages (openapi-typescript, openapi-fetch and
/// TypeScript at the versions the console builds with); the test command
/// builds the console before the tests.
fn console_modules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../console/node_modules")
}

/// `PATH` with the generators first: the console's npm tools and the test
/// virtualenv's Python tools.
fn path_with_generators() -> String {
    let venv_bin = venv_tool("python").parent().unwrap().to_path_buf();
    format!(
        "{}:{}:{}",
        console_modules().join(".bin").display(),
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs `sluice args` with `path` as `PATH`; returns its exit status,
/// stdout and stderr.
async fn sluice_sdk(args: &[&str], path: &str, dir: &Path) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .env("SLUICE_CONFIG_DIR", dir.join(".sluice-config"))
        .env_remove("SLUICE_URL")
        .env_remove("SLUICE_TOKEN")
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `tsc -p .` (strict, from the generated tsconfig.json) in `client`.
async fn tsc(client: &Path) -> std::process::Output {
    tokio::process::Command::new("node")
        .arg(console_modules().join("typescript/bin/tsc"))
        .args(["-p", "."])
        .current_dir(client)
        .output()
        .await
        .unwrap()
}

/// The todo API with its contracts, `todo-create` and `todo-get` private
/// behind scope `todo`, and a token that has it.
async fn private_todos(app: &TestApp) -> String {
    crate::openapi::documented_api(app).await;
    app.create_scopes(&["todo"]).await;
    for op in ["todo-create", "todo-get"] {
        let patched = app
            .admin_patch(
                &format!("/operations/{op}"),
                &json!({"public": false, "scopes": ["todo"]}),
            )
            .await;
        assert_eq!(patched.status(), StatusCode::OK, "{op}");
    }
    let anonymous = reqwest::Client::new()
        .post(app.url("/todos"))
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let client = app.create_client("sdk-user", &["todo"]).await;
    app.client_token(&client).await
}

#[tokio::test]
async fn the_typescript_client_compiles_strictly_and_calls_a_private_operation_with_a_token() {
    let app = spawn_app().await;
    let token = private_todos(&app).await;
    let dir = app.data_dir.path();
    let (ok, _, stderr) = sluice_sdk(
        &[
            "sdk",
            "typescript",
            "-o",
            "ts-client",
            "--url",
            &app.address,
        ],
        &path_with_generators(),
        dir,
    )
    .await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("TypeScript client of"), "{stderr}");
    let client = dir.join("ts-client");
    let types = std::fs::read_to_string(client.join("src/schema.d.ts")).unwrap();
    assert!(types.contains("\"/todos/{id}\""), "{types}");
    // The program below uses the client as a user's code would; a wrong
    // path, parameter or body field is a compile error under `strict`.
    std::fs::write(
        client.join("src/check.ts"),
        r#"import { createSluiceClient } from "./index.js";

declare const process: { argv: string[] };
const token = process.argv[2] ?? "";
const api = createSluiceClient({ token });
const created = await api.POST("/todos", { body: { title: "from typescript", done: true } });
if (created.error !== undefined || created.data === undefined) {
  throw new Error(`create failed: ${created.response.status}`);
}
const id: number = created.data.id;
const fetched = await api.GET("/todos/{id}", { params: { path: { id } } });
if (fetched.data?.title !== "from typescript") {
  throw new Error(`get failed: ${fetched.response.status}`);
}
const anonymous = await createSluiceClient().GET("/todos/{id}", { params: { path: { id } } });
console.log(`ok ${created.response.status} ${anonymous.response.status}`);
"#,
    )
    .unwrap();
    std::os::unix::fs::symlink(console_modules(), client.join("node_modules")).unwrap();
    let compiled = tsc(&client).await;
    assert!(
        compiled.status.success(),
        "tsc --strict: {}{}",
        String::from_utf8_lossy(&compiled.stdout),
        String::from_utf8_lossy(&compiled.stderr)
    );
    let ran = tokio::process::Command::new("node")
        .arg(client.join("dist/check.js"))
        .arg(&token)
        .current_dir(&client)
        .output()
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(out.starts_with("ok 201 401"), "{out}");

    // A call that contradicts the document does not compile.
    std::fs::write(
        client.join("src/check.ts"),
        r#"import { createSluiceClient } from "./index.js";
await createSluiceClient().POST("/todos", { body: { titel: "typo" } });
"#,
    )
    .unwrap();
    let refused = tsc(&client).await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stdout).contains("titel"),
        "{}",
        String::from_utf8_lossy(&refused.stdout)
    );
}

#[tokio::test]
async fn the_python_client_calls_a_private_operation_with_a_token() {
    let app = spawn_app().await;
    let token = private_todos(&app).await;
    let dir = app.data_dir.path();
    let (ok, _, stderr) = sluice_sdk(
        &[
            "sdk",
            "python",
            "-o",
            "py-client",
            "--name",
            "todo-api",
            "--url",
            &app.address,
        ],
        &path_with_generators(),
        dir,
    )
    .await;
    assert!(ok, "{stderr}");
    let project = dir.join("py-client");
    assert!(project.join("pyproject.toml").is_file());
    assert!(project.join("todo_api/client.py").is_file());
    let script = format!(
        r#"
import sys
sys.path.insert(0, {project:?})
from todo_api import AuthenticatedClient, Client
from todo_api.api.todo import todo_create, todo_get
from todo_api.models import TodoInput

api = AuthenticatedClient(base_url={base:?}, token={token:?})
created = todo_create.sync(client=api, body=TodoInput(title="from python", done=False))
assert created.title == "from python", created
fetched = todo_get.sync(client=api, id=created.id)
assert fetched.id == created.id, fetched
anonymous = todo_get.sync_detailed(client=Client(base_url={base:?}), id=created.id)
print("ok", anonymous.status_code.value)
"#,
        project = project.to_str().unwrap(),
        base = app.address,
    );
    let out = run_tool("python", dir, &["-c", &script]).await;
    assert!(out.contains("ok 401"), "{out}");
}

#[tokio::test]
async fn sdk_refuses_to_overwrite_a_folder_and_names_the_generator_to_install() {
    let app = spawn_app().await;
    crate::openapi::documented_api(&app).await;
    let dir = app.data_dir.path();
    std::fs::create_dir(dir.join("taken")).unwrap();
    std::fs::write(dir.join("taken/keep.txt"), "mine").unwrap();
    let (ok, _, stderr) = sluice_sdk(
        &["sdk", "python", "-o", "taken", "--url", &app.address],
        &path_with_generators(),
        dir,
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("taken/keep.txt")).unwrap(),
        "mine"
    );

    // No generator on PATH, and none of npx, uvx or pipx either: one line
    // saying what to install, and nothing written.
    let empty = dir.join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let (ok, _, stderr) = sluice_sdk(
        &["sdk", "python", "-o", "nowhere", "--url", &app.address],
        empty.to_str().unwrap(),
        dir,
    )
    .await;
    assert!(!ok);
    assert!(
        stderr.contains("pipx install openapi-python-client"),
        "{stderr}"
    );
    assert!(!dir.join("nowhere").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // No server there: the error says so.
    let (ok, _, stderr) = sluice_sdk(
        &["sdk", "typescript", "--url", "http://127.0.0.1:9"],
        &path_with_generators(),
        dir,
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("is the server running?"), "{stderr}");
}
