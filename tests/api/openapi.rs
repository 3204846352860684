//! The generated OpenAPI 3.1 document of the hosted API, checked by
//! independent tools from PyPI on the live server: `openapi-spec-validator`
//! validates it, and `schemathesis` calls every operation with generated
//! data and finds neither server errors nor responses that contradict it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, run_tool, spawn_app, started_server};

/// `hello` and `todo` (on SQLite) with full contracts.
pub async fn documented_api(app: &TestApp) {
    for (name, schema) in [
        (
            "todo",
            json!({"type": "object", "required": ["id", "title", "done"],
                        "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                                       "done": {"type": "boolean"}}}),
        ),
        (
            "todo-input",
            json!({"type": "object", "required": ["title"], "additionalProperties": false,
                              "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 200},
                                             "done": {"type": "boolean"}}}),
        ),
        (
            "todo-page",
            json!({"type": "object", "required": ["items", "total", "limit", "offset"],
                             "properties": {"items": {"type": "array", "items": {"$ref": "todo"}},
                                            "total": {"type": "integer"}, "limit": {"type": "integer"},
                                            "offset": {"type": "integer"}}}),
        ),
    ] {
        let created = app
            .admin(reqwest::Method::POST, "/schemas")
            .json(&json!({"name": name, "schema": schema}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            created.status(),
            StatusCode::CREATED,
            "{}",
            created.text().await.unwrap()
        );
    }
    crate::sql::deploy_todo(app, json!({"driver": "sqlite", "path": "todo.db"})).await;
    let id = json!({"name": "id", "in": "path", "type": "integer", "description": "The todo's id"});
    let page = json!([{"name": "limit", "in": "query", "type": "integer"},
                      {"name": "offset", "in": "query", "type": "integer"}]);
    for (op, patch) in [
        (
            "todo-list",
            json!({"parameters": page, "outgoing": {"200": "todo-page"},
                             "outgoing_validation": "enforce", "description": "Lists todos, a page at a time"}),
        ),
        (
            "todo-get",
            json!({"parameters": [id], "outgoing": {"200": "todo"}, "outgoing_validation": "enforce"}),
        ),
        (
            "todo-create",
            json!({"incoming": "todo-input", "outgoing": {"201": "todo"}, "outgoing_validation": "enforce"}),
        ),
        (
            "todo-update",
            json!({"parameters": [id], "incoming": "todo-input", "outgoing": {"200": "todo"}}),
        ),
        ("todo-delete", json!({"parameters": [id]})),
    ] {
        let patched = app.admin_patch(&format!("/operations/{op}"), &patch).await;
        assert_eq!(
            patched.status(),
            StatusCode::OK,
            "{op}: {}",
            patched.text().await.unwrap()
        );
    }
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    let patched = app
        .admin_patch(
            "/operations/hello",
            &json!({"parameters": [{"name": "greeting", "in": "query"}]}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
}

/// Runs schemathesis on the document at `location` with `checks` and
/// `extra` arguments, with a fixed seed; panics with its report on any
/// finding. Its example cache goes under the test's data directory.
pub async fn schemathesis(app: &TestApp, location: &str, checks: &str, extra: &[&str]) {
    let mut args = vec!["run", location, "--checks", checks, "--seed", "1"];
    args.extend(["--phases", "examples,coverage,fuzzing", "--no-color"]);
    args.extend(extra);
    run_tool("schemathesis", app.data_dir.path(), &args).await;
}

#[tokio::test]
async fn the_hosted_document_describes_the_operations_and_passes_the_validator() {
    let app = spawn_app().await;
    documented_api(&app).await;
    let doc: Value = app.get("/system/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let get = &doc["paths"]["/todos/{id}"]["get"];
    assert_eq!(get["operationId"], "todo-get");
    assert_eq!(get["parameters"][0]["schema"]["type"], "integer");
    assert_eq!(
        get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/todo"
    );
    assert_eq!(
        doc["components"]["schemas"]["todo-page"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/todo"
    );
    assert_eq!(
        doc["paths"]["/todos"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/todo-input"
    );

    let yaml = app.get("/system/openapi.yaml").await;
    assert_eq!(yaml.headers()["content-type"], "application/yaml");
    let from_yaml: Value = serde_norway::from_str(&yaml.text().await.unwrap()).unwrap();
    assert_eq!(from_yaml, doc);

    let file = app.data_dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    run_tool(
        "python",
        app.data_dir.path(),
        &["-m", "openapi_spec_validator", file.to_str().unwrap()],
    )
    .await;
}

#[tokio::test]
async fn schemathesis_finds_no_server_errors_and_no_contradicted_responses() {
    let app = spawn_app().await;
    documented_api(&app).await;
    let url = app.url("/system/openapi.json");
    let checks = "not_a_server_error,status_code_conformance,content_type_conformance,\
                  response_schema_conformance,response_headers_conformance,negative_data_rejection";
    schemathesis(&app, &url, checks, &["--max-examples", "40"]).await;
}

#[tokio::test]
async fn a_client_generated_from_the_document_creates_and_reads_todos() {
    let app = spawn_app().await;
    documented_api(&app).await;
    let dir = app.data_dir.path();
    let doc = app.get("/system/openapi.json").await.text().await.unwrap();
    std::fs::write(dir.join("openapi.json"), doc).unwrap();
    run_tool(
        "openapi-python-client",
        dir,
        &[
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            "sluice_client",
        ],
    )
    .await;
    let script = format!(
        r#"
import sys
sys.path.insert(0, {dir:?})
from sluice_client import Client
from sluice_client.api.todo import todo_create, todo_get, todo_list
from sluice_client.api.hello import hello
from sluice_client.models import TodoInput

client = Client(base_url={base:?})
created = todo_create.sync(client=client, body=TodoInput(title="generated", done=True))
assert created.title == "generated" and created.done is True, created
fetched = todo_get.sync(client=client, id=created.id)
assert fetched.id == created.id, fetched
page = todo_list.sync(client=client, limit=10)
assert page.total == 1 and page.items[0].title == "generated", page
greeting = hello.sync_detailed(client=client, name="ada", greeting="Hi")
assert greeting.status_code == 200 and b"Hi, ada!" in greeting.content, greeting
print("ok")
"#,
        dir = dir.to_str().unwrap(),
        base = app.address,
    );
    let out = run_tool("python", dir, &["-c", &script]).await;
    assert!(out.contains("ok"), "{out}");
}

#[tokio::test]
async fn the_docs_page_renders_the_operations_in_headless_chromium() {
    let app = spawn_app().await;
    documented_api(&app).await;
    // Markup in a description is sanitized (Redoc's untrusted-spec), not
    // rendered as it came.
    let patched = app
        .admin_patch(
            "/operations/todo-delete",
            &json!({"description": "Deletes a todo\n\n<img src=\"x\" id=\"planted\" onerror=\"alert(1)\">"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let page = app.get("/system/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    let chromium = started_server("SLUICE_TEST_CHROMIUM");
    let profile = app.data_dir.path().join("chromium");
    let output = tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=15000",
            "--dump-dom",
            &app.url("/system/docs"),
        ])
        .output()
        .await
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "Sluice hosted API",
        "Lists todos, a page at a time",
        "/todos/{id}",
        "/hello/{name}",
        "Deletes a todo",
        "id=\"planted\"",
    ] {
        assert!(
            dom.contains(expected),
            "{expected:?} is not on the rendered page:\n{}",
            &dom[..dom.len().min(3000)]
        );
    }
    let kept: Vec<&str> = dom
        .match_indices("onerror")
        .map(|(at, _)| &dom[at.saturating_sub(200)..(at + 60).min(dom.len())])
        .collect();
    assert!(
        kept.is_empty(),
        "the description's handler was kept: {kept:#?}"
    );
}

#[tokio::test]
async fn the_admin_document_passes_the_validator_and_schemathesis() {
    let app = spawn_app().await;
    documented_api(&app).await;
    let doc: Value = app
        .get("/system/admin-openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let file = app.data_dir.path().join("admin-openapi.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    run_tool(
        "python",
        app.data_dir.path(),
        &["-m", "openapi_spec_validator", file.to_str().unwrap()],
    )
    .await;

    // Every check, on everything but creating and changing connections,
    // which would make the server try to reach whatever hosts the
    // generator invents.
    let config = app.data_dir.path().join("schemathesis.toml");
    std::fs::write(&config, ADMIN_SCHEMATHESIS).unwrap();
    let auth = format!("Authorization: Bearer {}", crate::helpers::ADMIN_TOKEN);
    // The fuzzer makes actions from built-ins and executes them; the first
    // execution compiles the built-in, on the rayon pool this process's
    // other tests share while they compile Python and JavaScript components
    // (seconds each). On two busy cores that wait passed schemathesis's
    // default 10 s read timeout.
    let mut args = vec!["--config-file", config.to_str().unwrap(), "run"];
    args.extend([file.to_str().unwrap(), "--checks", "all", "--seed", "1"]);
    args.extend(["--phases", "examples,coverage,fuzzing", "--no-color"]);
    let url = app.url("/admin");
    args.extend([
        "--url",
        &url,
        "--header",
        &auth,
        "--exclude-operation-id",
        "connections-create",
        "--exclude-operation-id",
        "connections-update",
        "--max-examples",
        "25",
        "--request-timeout",
        "60",
    ]);
    run_tool("schemathesis", app.data_dir.path(), &args).await;
}

/// What schemathesis may not expect of the admin API, each with why a
/// schema cannot say it.
const ADMIN_SCHEMATHESIS: &str = r#"
# 422: the body names another resource (a scope, role, event, action,
# connection or user) that does not exist; existence is not a property of
# a body.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", 401, 403, 404, 409, 422, 429, "5xx"]

# 400 where the rule is about more than the body's shape:
# - authorize: only an http connection with OAuth2 authorization code has one;
# - statistics: `from` must come before `to` (two parameters at once);
# - cronjobs: a schedule is a cron expression (its own grammar);
# - events, schemas: a schema must be a valid JSON Schema 2020-12 (the
#   meta-schema is not embedded in the document);
# - ip-rules: an address or CIDR, and on PUT the body's name is the path's;
# - uploads: the bytes must be a WebAssembly component (and hash to the
#   path's SHA-256);
# - operations: paths under the platform's prefixes are reserved, a
#   parameter may not be named twice, and bounds must fit their type;
# - actions-create: a built-in's config names connections it must be
#   granted;
# - generators: the generated paths must be free and not reserved;
# - rate limits: on PUT the body's name is the path's;
# - portal: the pages' slugs must differ from each other;
# - scopes: `admin` and `metrics` can never be opened to consumers;
# - prompts: a template must parse (MiniJinja) and use only its declared
#   arguments, which must have different names;
# - deploy: a project's resources refer to each other and to backends.
[[operations]]
include-operation-id = ["connections-authorize", "statistics-report", "cronjobs-create",
                        "cronjobs-replace", "events-create", "events-replace", "schemas-create",
                        "schemas-replace", "ip-rules-create", "ip-rules-update", "actions-upload",
                        "components-upload", "operations-create", "operations-replace",
                        "operations-update", "actions-create", "generators-sql-table",
                        "generators-sql-database", "rate-limits-update", "deploy-apply",
                        "portal-put", "scopes-update", "prompts-create", "prompts-update"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", 400, 401, 403, 404, 409, 422, 429, "5xx"]
"#;
