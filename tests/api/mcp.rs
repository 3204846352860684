//! The MCP server at `/mcp`, driven by the official Python SDK (`mcp` from
//! PyPI, tests/mcp/client.py) and by hand-made JSON-RPC where a test needs
//! to reach past what a well-behaved client does.

use std::path::PathBuf;
use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::helpers::{TestApp, spawn_app_with, started_server};

/// The todo API of the OpenAPI tests with its operations private (scope
/// `todo`) and open to MCP, `hello` public and open to MCP; app `agent`
/// holds `todo`, app `outsider` nothing; user ada holds `todo` through a
/// role. Dynamic client registration is open for `todo`.
async fn mcp_app() -> TestApp {
    mcp_app_with(|_| {}).await
}

/// [`mcp_app`] with more settings.
async fn mcp_app_with(configure: impl FnOnce(&mut sluice::config::Settings)) -> TestApp {
    let app = spawn_app_with(|s| {
        s.client_registration.open = true;
        s.client_registration.scopes = vec!["todo".into()];
        configure(s);
    })
    .await;
    app.create_scopes(&["todo"]).await;
    crate::openapi::documented_api(&app).await;
    for op in [
        "todo-list",
        "todo-get",
        "todo-create",
        "todo-update",
        "todo-delete",
    ] {
        let patched = app
            .admin_patch(
                &format!("/operations/{op}"),
                &json!({"public": false, "scopes": ["todo"], "mcp": {"enabled": true}}),
            )
            .await;
        assert_eq!(patched.status(), StatusCode::OK, "{op}");
    }
    let patched = app
        .admin_patch(
            "/operations/hello",
            &json!({"mcp": {"enabled": true, "name": "greet", "description": "Greets someone"}}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    app.admin_create(
        "/prompts",
        json!({"name": "summarise", "description": "Summarises todos about a topic",
               "arguments": [{"name": "topic", "required": true}, {"name": "tone"}],
               "template": "Summarise my todos about {{ topic }}.{% if tone %} Be {{ tone }}.{% endif %}"}),
    )
    .await;
    app.admin_create("/roles", json!({"name": "todo-user", "scopes": ["todo"]}))
        .await;
    app.admin_create(
        "/users",
        json!({"name": "ada", "password": "correct horse", "roles": ["todo-user"]}),
    )
    .await;
    app
}

/// The Python client script.
fn client_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/mcp/client.py")
}

/// The Python SDK client in `mode` with `args`, spawned with piped stdout.
fn python_client(mode: &str, args: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(started_server("SLUICE_TEST_PYTHON"))
        .arg(client_script())
        .arg(mode)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// The steps a finished client printed, by name; panics with its stderr
/// when it failed.
async fn steps(child: tokio::process::Child) -> serde_json::Map<String, Value> {
    let output = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the MCP client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|step| (step["step"].as_str().unwrap().to_string(), step))
        .collect()
}

async fn token_of(app: &TestApp, name: &str, scopes: &[&str]) -> String {
    let client = app.create_client(name, scopes).await;
    app.client_token(&client).await
}

#[tokio::test]
async fn the_python_sdk_lists_and_calls_tools_reads_resources_and_hears_of_a_new_tool() {
    let app = mcp_app().await;
    let token = token_of(&app, "agent", &["todo"]).await;
    let url = app.url("/mcp");
    let mut child = python_client("session", &[&url, &token]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = serde_json::Map::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line == "LISTENING" {
            break;
        }
        let step: Value = serde_json::from_str(&line).unwrap();
        seen.insert(step["step"].as_str().unwrap().to_string(), step);
    }
    assert_eq!(seen["initialized"]["server"], "sluice", "{seen:?}");
    assert_eq!(seen["initialized"]["list_changed"], true);

    // Tools: names, schemas and hints from the operations.
    let tools = seen["tools"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "greet",
            "todo-create",
            "todo-delete",
            "todo-get",
            "todo-list",
            "todo-update"
        ]
    );
    let tool = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap().clone();
    let create = tool("todo-create");
    assert_eq!(create["input_schema"]["required"], json!(["title"]));
    assert_eq!(
        create["input_schema"]["properties"]["title"]["maxLength"],
        200
    );
    assert_eq!(create["input_schema"]["additionalProperties"], false);
    assert_eq!(
        create["output_schema"]["required"],
        json!(["id", "title", "done"])
    );
    assert_eq!(create["read_only"], false);
    assert_eq!(create["destructive"], false);
    let update = tool("todo-update");
    assert_eq!(update["input_schema"]["required"], json!(["id", "title"]));
    assert_eq!(update["destructive"], true);
    let list = tool("todo-list");
    assert_eq!(list["read_only"], true);
    assert_eq!(
        list["input_schema"]["properties"]["limit"]["type"],
        "integer"
    );
    assert_eq!(
        list["output_schema"]["properties"]["items"]["items"]["$ref"],
        "#/$defs/todo"
    );
    assert!(list["output_schema"]["$defs"]["todo"].is_object(), "{list}");
    assert_eq!(tool("todo-delete")["destructive"], true);

    // Calls: structured results, the gateway's validation as a tool error.
    let created = &seen["created"];
    assert_eq!(created["is_error"], false, "{created}");
    assert_eq!(created["structured"]["title"], "write the MCP guide");
    let listed = &seen["listed"];
    assert_eq!(listed["is_error"], false, "{listed}");
    assert_eq!(listed["structured"]["total"], 1);
    assert_eq!(
        listed["structured"]["items"][0]["title"],
        "write the MCP guide"
    );
    let wrong = &seen["wrong"];
    assert_eq!(wrong["is_error"], true, "{wrong}");
    // The problem is text: clients check structured content against the
    // output schema, errors too.
    assert_eq!(wrong["structured"], Value::Null, "{wrong}");
    let text = wrong["text"][0].as_str().unwrap();
    assert!(text.contains("\n- /title: "), "{wrong}");
    assert!(text.contains(r#""pointer":"/title""#), "{wrong}");
    assert!(
        seen["unknown"]["error"]
            .as_str()
            .unwrap()
            .contains("unknown tool"),
        "{seen:?}"
    );
    let uris = seen["resources"]["uris"].as_array().unwrap();
    assert!(uris.contains(&json!("sluice://openapi.json")), "{uris:?}");
    assert!(
        uris.contains(&json!("sluice://schemas/todo-page")),
        "{uris:?}"
    );
    assert!(
        seen["openapi"]["paths"]
            .as_array()
            .unwrap()
            .contains(&json!("/todos/{id}"))
    );

    // Prompts: the admin's template filled with the arguments.
    assert_eq!(
        seen["prompts"]["prompts"],
        json!([{"name": "summarise", "arguments": ["topic", "tone"]}])
    );
    assert_eq!(seen["prompt"]["role"], "user");
    assert_eq!(
        seen["prompt"]["text"],
        "Summarise my todos about the MCP guide."
    );
    assert!(
        seen["prompt_missing"]["error"]
            .as_str()
            .unwrap()
            .contains("\"topic\" is required"),
        "{seen:?}"
    );

    // An operation opened to MCP reaches the listening client.
    let created = app
        .create_operation(
            &json!({"name": "hello-again", "method": "GET", "path": "/again/:name",
                                   "action": "hello", "mcp": {"enabled": true}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let mut rest = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        rest.push_str(&line);
        rest.push('\n');
    }
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{rest}");
    let changed: Value = serde_json::from_str(rest.lines().last().unwrap()).unwrap();
    assert_eq!(changed["step"], "changed");
    assert!(
        changed["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("hello-again")),
        "{changed}"
    );

    // The calls are in the request log, marked as MCP, with the caller.
    let logs: Value = app
        .admin_get("/logs?via=mcp&operation=todo-create")
        .await
        .json()
        .await
        .unwrap();
    let rows = logs["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{logs}");
    assert!(
        rows.iter()
            .all(|r| r["via"] == "mcp" && r["app"] == "agent")
    );
    let statuses: Vec<&Value> = rows.iter().map(|r| &r["status"]).collect();
    assert!(statuses.contains(&&json!(201)) && statuses.contains(&&json!(400)));
    assert!(
        rows.iter()
            .all(|r| r["path"] == "/todos" && r["method"] == "POST")
    );
}

#[tokio::test]
async fn a_caller_sees_only_the_tools_its_scopes_reach_and_cannot_call_the_others() {
    let app = mcp_app().await;
    let outsider = token_of(&app, "outsider", &[]).await;
    let url = app.url("/mcp");
    let listed = steps(python_client("list", &[&url, &outsider])).await;
    assert_eq!(listed["list"]["tools"], json!(["greet"]));

    let session = Session::open(&app, &outsider).await;
    let (_, answer) = session
        .call(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                     "params": {"name": "todo-list", "arguments": {}}}))
        .await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    let (_, answer) = session
        .call(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                     "params": {"name": "greet", "arguments": {"name": "Ada", "greeting": "Hi"}}}))
        .await;
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert!(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Hi, Ada"),
        "{answer}"
    );
}

#[tokio::test]
async fn without_a_token_mcp_answers_401_naming_its_protected_resource_metadata() {
    let app = mcp_app().await;
    let answer = app
        .client
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&initialize(1))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let challenge = answer.headers()["www-authenticate"].to_str().unwrap();
    let metadata = format!("{}/.well-known/oauth-protected-resource/mcp", app.address);
    assert!(
        challenge.contains(&format!("resource_metadata=\"{metadata}\"")),
        "{challenge}"
    );
    let document: Value = app
        .client
        .get(&metadata)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["resource"], format!("{}/mcp", app.address));
    assert!(
        document["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("todo"))
    );

    let forged = app
        .client
        .post(app.url("/mcp"))
        .bearer_auth("not-a-token")
        .json(&initialize(1))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_python_sdk_completes_the_oauth_flow_and_its_token_is_bound_to_the_mcp_server() {
    let app = mcp_app().await;
    let ada = app.password_login("ada", "correct horse").await;
    let url = app.url("/mcp");
    let done = steps(python_client(
        "oauth",
        &[&url, ada["access_token"].as_str().unwrap()],
    ))
    .await;
    let oauth = &done["oauth"];
    assert!(oauth["registered"].is_string(), "{oauth}");
    assert_eq!(oauth["resource"], url, "{oauth}");
    assert_eq!(oauth["is_error"], false, "{oauth}");
    assert!(
        oauth["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("todo-list"))
    );
    // Bound to the MCP server (RFC 8707): no use on the API itself.
    let token = oauth["access_token"].as_str().unwrap();
    let direct = app
        .client
        .get(app.url("/todos"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_stdio_bridge_answers_the_python_sdks_stdio_client_and_outlives_its_session() {
    let app = mcp_app().await;
    let token = token_of(&app, "agent", &["todo"]).await;
    let mut child = tokio::process::Command::new(started_server("SLUICE_TEST_PYTHON"))
        .arg(client_script())
        .args(["stdio", env!("CARGO_BIN_EXE_sluice"), &app.address, &token])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = serde_json::Map::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line == "WAITING" {
            break;
        }
        let step: Value = serde_json::from_str(&line).unwrap();
        seen.insert(step["step"].as_str().unwrap().to_string(), step);
    }
    let stdio = &seen["stdio"];
    assert_eq!(stdio["server"], "sluice", "{seen:?}");
    assert!(
        stdio["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("todo-list"))
    );
    assert_eq!(stdio["is_error"], false, "{stdio}");
    assert_eq!(stdio["structured"]["total"], 0, "{stdio}");

    // An admin ends the bridge's session; its next call starts another.
    let sessions: Value = app.admin_get("/mcp/sessions").await.json().await.unwrap();
    let id = sessions[0]["id"].as_str().unwrap().to_string();
    let ended = app
        .admin(reqwest::Method::DELETE, &format!("/mcp/sessions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    use tokio::io::AsyncWriteExt as _;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"go\n").await.unwrap();
    drop(stdin);
    let again: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(again["step"], "again");
    assert_eq!(again["is_error"], false, "{again}");
    let status = child.wait().await.unwrap();
    assert!(status.success());
    // The bridge ended its session when the client went.
    let sessions: Value = app.admin_get("/mcp/sessions").await.json().await.unwrap();
    assert_eq!(sessions, json!([]), "{sessions}");
}

#[tokio::test]
async fn the_mcp_inspectors_cli_lists_the_tools_and_calls_one() {
    let app = mcp_app().await;
    let token = token_of(&app, "agent", &["todo"]).await;
    let build = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../portal/node_modules/@modelcontextprotocol/inspector-cli/build");
    let inspector = |args: Vec<String>| {
        let mut command = tokio::process::Command::new("node");
        // It looks for its package.json relative to the working directory.
        command
            .current_dir(&build)
            .arg("cli.js")
            .args(["--cli", &app.url("/mcp"), "--transport", "http"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(args);
        command.output()
    };
    let listed = inspector(vec!["--method".into(), "tools/list".into()])
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let tools: Value = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"todo-create") && names.contains(&"greet"),
        "{names:?}"
    );
    let called = inspector(
        [
            "--method",
            "tools/call",
            "--tool-name",
            "greet",
            "--tool-arg",
            "name=Grace",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&called.stdout);
    assert!(called.status.success(), "{stdout}");
    let result: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        result["structuredContent"]["message"], "Hello, Grace!",
        "{result}"
    );
}

#[tokio::test]
async fn a_session_belongs_to_its_token_and_browsers_from_other_origins_are_refused() {
    let app = mcp_app().await;
    let agent = token_of(&app, "agent", &["todo"]).await;
    let outsider = token_of(&app, "outsider", &[]).await;
    let session = Session::open(&app, &agent).await;
    let stolen = Session {
        token: outsider,
        ..session.clone()
    };
    let (status, _) = stolen
        .call(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = session
        .call(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let evil = initialize_request(&app, &agent)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    let rebound = initialize_request(&app, &agent)
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_tool_call_counts_against_the_operations_rate_limit() {
    let app = mcp_app().await;
    app.admin_create(
        "/rate-limits",
        json!({"name": "one-list", "operation": "todo-list", "requests": 1, "window_seconds": 60,
               "priority": 100}),
    )
    .await;
    let agent = token_of(&app, "agent", &["todo"]).await;
    let session = Session::open(&app, &agent).await;
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                      "params": {"name": "todo-list", "arguments": {}}});
    let (_, first) = session.call(call.clone()).await;
    assert_eq!(first["result"]["isError"], false, "{first}");
    let (_, second) = session.call(call).await;
    assert_eq!(second["result"]["isError"], true, "{second}");
    assert!(
        second["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains(r#""status":429"#),
        "{second}"
    );
}

#[tokio::test]
async fn a_prompt_must_use_only_its_arguments_and_parse() {
    let app = mcp_app().await;
    for (body, needle) in [
        (
            json!({"name": "p1", "template": "About {{ subject }}"}),
            "subject is not an argument",
        ),
        (
            json!({"name": "p2", "arguments": [{"name": "a"}], "template": "{% if a %}open"}),
            "template:",
        ),
        (
            json!({"name": "p3", "arguments": [{"name": "a"}, {"name": "a"}], "template": "x"}),
            "named twice",
        ),
        (
            json!({"name": "p4", "arguments": [{"name": "1a"}], "template": "x"}),
            "does not match",
        ),
    ] {
        let answer = app
            .admin(reqwest::Method::POST, "/prompts")
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = crate::helpers::assert_problem(answer, 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(needle),
            "{body}: {problem}"
        );
    }
    let changed = app
        .admin(reqwest::Method::PUT, "/prompts/summarise")
        .json(
            &json!({"arguments": [{"name": "topic"}], "template": "Todos on {{ topic | upper }}"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let agent = token_of(&app, "agent", &["todo"]).await;
    let session = Session::open(&app, &agent).await;
    let (_, answer) = session
        .call(json!({"jsonrpc": "2.0", "id": 2, "method": "prompts/get",
                     "params": {"name": "summarise", "arguments": {"topic": "mcp"}}}))
        .await;
    assert_eq!(
        answer["result"]["messages"][0]["content"]["text"], "Todos on MCP",
        "{answer}"
    );
    let (_, answer) = session
        .call(json!({"jsonrpc": "2.0", "id": 3, "method": "prompts/get",
                     "params": {"name": "summarise", "arguments": {"topic": "x", "extra": "y"}}}))
        .await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    let deleted = app
        .admin(reqwest::Method::DELETE, "/prompts/summarise")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_node_holds_at_most_its_sessions_and_an_ended_session_is_gone() {
    let app = mcp_app_with(|s| s.mcp.max_sessions = 1).await;
    let settings: Value = app.admin_get("/mcp").await.json().await.unwrap();
    assert_eq!(settings["max_sessions"], 1, "{settings}");
    assert_eq!(settings["tools_by_default"], false);
    assert!(
        settings["allowed_hosts"]
            .as_array()
            .unwrap()
            .contains(&json!("127.0.0.1"))
    );
    let agent = token_of(&app, "agent", &["todo"]).await;
    let first = Session::open(&app, &agent).await;
    let refused = initialize_request(&app, &agent).send().await.unwrap();
    crate::helpers::assert_problem(refused, 503).await;
    // A client of protocol 2026-07-28 holds no session: it is served.
    let stateless = app
        .client
        .post(app.url("/mcp"))
        .bearer_auth(&agent)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/list")
        .json(&json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list",
                      "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                           "io.modelcontextprotocol/clientCapabilities": {}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(stateless.status(), StatusCode::OK);
    let listed: Value = stateless.json().await.unwrap();
    assert!(
        listed["result"]["tools"].as_array().unwrap().len() > 1,
        "{listed}"
    );
    // The admin sees the session and ends it; its next request gets 404.
    let sessions: Value = app.admin_get("/mcp/sessions").await.json().await.unwrap();
    assert_eq!(sessions[0]["id"], first.id.as_str(), "{sessions}");
    assert_eq!(sessions[0]["app"], "agent");
    assert_eq!(sessions[0]["client_name"], "raw-test");
    let ended = app
        .admin(
            reqwest::Method::DELETE,
            &format!("/mcp/sessions/{}", first.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    let (status, _) = first
        .call(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_token_holds_at_most_its_sessions_and_arguments_cannot_reach_another_operation() {
    let app = mcp_app_with(|s| s.mcp.max_sessions_per_caller = 1).await;
    let agent = token_of(&app, "agent", &["todo"]).await;
    let session = Session::open(&app, &agent).await;
    let another = initialize_request(&app, &agent).send().await.unwrap();
    crate::helpers::assert_problem(another, 429).await;
    // Another app is not held back by this one.
    let other = token_of(&app, "other", &[]).await;
    Session::open(&app, &other).await;

    // `/todos/first` is an operation of its own (not a tool): the tool
    // todo-get with the id "first" may not reach it.
    app.create_operation(
        &json!({"name": "todo-first", "method": "GET", "path": "/todos/first",
                                 "action": "hello"}),
    )
    .await;
    let (_, answer) = session
        .call(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                     "params": {"name": "todo-get", "arguments": {"id": "first"}}}))
        .await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("not this tool's"),
        "{answer}"
    );
}

/// `POST /mcp` with `initialize` as `token`, the Streamable HTTP way.
fn initialize_request(app: &TestApp, token: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url("/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&initialize(1))
}

fn initialize(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize",
           "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                      "clientInfo": {"name": "raw-test", "version": "1"}}})
}

/// A session made by hand (JSON-RPC over HTTP), for what the SDK would not
/// do.
#[derive(Clone)]
struct Session {
    url: String,
    client: reqwest::Client,
    token: String,
    id: String,
}

impl Session {
    /// Initializes a session with `token`.
    async fn open(app: &TestApp, token: &str) -> Self {
        let answer = initialize_request(app, token).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let id = answer.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let session = Self {
            url: app.url("/mcp"),
            client: app.client.clone(),
            token: token.to_string(),
            id,
        };
        let sent = session
            .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(sent.status(), StatusCode::ACCEPTED);
        session
    }

    async fn post(&self, message: Value) -> reqwest::Response {
        self.client
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", "2025-06-18")
            .json(&message)
            .send()
            .await
            .unwrap()
    }

    /// Sends `message` and reads the JSON-RPC answer to it (from a JSON
    /// body or the SSE stream).
    async fn call(&self, message: Value) -> (StatusCode, Value) {
        let answer = self.post(message).await;
        let status = answer.status();
        let text = answer.text().await.unwrap();
        let value = text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|m| m.get("id").is_some())
            .or_else(|| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        (status, value)
    }
}
