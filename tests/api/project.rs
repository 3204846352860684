//! Projects as code: `sluice deploy` of deploy files onto real servers,
//! through the real CLI binary — plans, atomicity, pruning, errors with
//! their place in the file, and export round trips.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, AppClient, TestApp, spawn_app, started_server};
use crate::upstream::{self, WEATHER_KEY};

/// What a CLI run printed and how it ended.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `sluice args` in `dir` against `app` (its URL and admin token in the
/// environment) with `env` added.
pub async fn sluice_at(app: &TestApp, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .args(args)
        .current_dir(dir)
        .env("SLUICE_URL", &app.address)
        .env("SLUICE_TOKEN", ADMIN_TOKEN)
        .env("SLUICE_CONFIG_DIR", dir.join(".sluice-config"))
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().await.unwrap();
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Deploys `file` with `extra` flags and `--output json`; answers the plan.
async fn deploy_json(
    app: &TestApp,
    file: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Vec<Value> {
    let mut args = vec!["deploy", "-f", file.to_str().unwrap(), "--output", "json"];
    args.extend_from_slice(extra);
    let run = sluice_at(app, file.parent().unwrap(), &args, env).await;
    assert!(run.ok, "sluice {args:?} failed:\n{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn changes_of<'a>(plan: &'a [Value], change: &str) -> Vec<&'a Value> {
    plan.iter().filter(|c| c["change"] == change).collect()
}

/// The environment `examples/sluice.yaml` needs, pointed at test servers.
fn examples_env(upstream_base: &str, smtp_port: &str) -> Vec<(&'static str, String)> {
    vec![
        ("STANDIN_URL", upstream_base.to_string()),
        ("WEATHER_API_URL", upstream_base.to_string()),
        ("WEATHER_API_KEY", WEATHER_KEY.to_string()),
        ("UPSTREAM_TOKEN", "upstream-token-for-tests".to_string()),
        ("SMTP_PORT", smtp_port.to_string()),
        (
            "EXAMPLES_DIR",
            repo().join("examples").display().to_string(),
        ),
        ("PYTHON", started_server("SLUICE_TEST_PYTHON")),
        // Any HTTP answer passes the connection test; the tests of
        // tests/api/oauth2.rs authorize against a real provider.
        ("CALENDAR_URL", upstream_base.to_string()),
        (
            "CALENDAR_CLIENT_SECRET",
            "calendar-client-secret".to_string(),
        ),
    ]
}

fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A small project: a scope, the hello action and two operations.
fn small_project(dir: &Path, description: &str, with_second: bool) -> PathBuf {
    let hello = repo().join("actions-examples/dist/hello.wasm");
    let mut text = format!(
        "scopes:\n  greet: {{description: Greetings}}\nactions:\n  hello:\n    source: {}\noperations:\n  hello:\n    method: GET\n    path: /hello/:name\n    action: hello\n    public: true\n    description: {description}\n",
        hello.display()
    );
    if with_second {
        text.push_str("  hello-again:\n    method: GET\n    path: /again/:name\n    action: hello\n    scopes: [greet]\n");
    }
    let file = dir.join("sluice.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

/// The example project as [`deploy_examples`] left it.
struct Deployed {
    /// The test upstream (alive while this is kept).
    _upstream: upstream::Upstream,
    /// The environment the file was deployed with.
    env: Vec<(&'static str, String)>,
    /// Where the CLI saved the secrets it created.
    secrets: PathBuf,
    /// The CLI's run.
    run: Run,
}

/// The example project deployed onto `app` by the real CLI, against a
/// test upstream.
async fn deploy_examples(app: &TestApp) -> Deployed {
    let upstream = upstream::start().await;
    let env = examples_env(&upstream.base, &started_server("SLUICE_TEST_SMTP_PORT"));
    let secrets = app.data_dir.path().join("saved-secrets");
    let file = repo().join("examples/sluice.yaml");
    let run = sluice_at(
        app,
        &repo(),
        &[
            "deploy",
            "-f",
            file.to_str().unwrap(),
            "--save-secrets",
            secrets.to_str().unwrap(),
        ],
        &pairs(&env),
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    Deployed {
        _upstream: upstream,
        env,
        secrets,
        run,
    }
}

#[tokio::test]
async fn the_examples_project_deploys_onto_a_fresh_server_and_every_operation_answers() {
    let app = spawn_app().await;
    let deployed = deploy_examples(&app).await;
    let (env, secrets, run) = (&deployed.env, &deployed.secrets, &deployed.run);
    let file = repo().join("examples/sluice.yaml");
    assert!(
        run.stdout.contains("0 unchanged, 0 to delete"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("app demo: client_id"), "{}", run.stderr);

    for (path, status) in [
        ("/hello/ada", 200),
        ("/weather/current?city=Berlin", 200),
        ("/proxy/anything", 200),
        ("/reports/sales.csv", 200),
        ("/cli-data?city=Berlin", 200),
    ] {
        assert_eq!(app.get(path).await.status(), status, "{path}");
    }
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let answer = app
            .client
            .request(method.parse().unwrap(), app.url("/proxy/x"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{method} /proxy/x");
    }
    let echo = app
        .client
        .post(app.url("/echo/x"))
        .json(&json!({"a": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(echo.status(), 200);
    let contact = app
        .client
        .post(app.url("/contact"))
        .json(&json!({"name": "Ada", "email": "ada@example.com", "message": "Hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(contact.status(), 202, "{}", contact.text().await.unwrap());

    let demo: Value =
        serde_json::from_slice(&std::fs::read(secrets.join("apps.demo.json")).unwrap()).unwrap();
    let token = app
        .client_token(&AppClient {
            client_id: demo["client_id"].as_str().unwrap().into(),
            client_secret: demo["secret"].as_str().unwrap().into(),
        })
        .await;
    assert_eq!(app.get("/todos").await.status(), 401);
    let authed = |method: &str, path: &str| {
        app.client
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(&token)
    };
    let created: Value = authed("POST", "/todos")
        .json(&json!({"title": "Deploy the project"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(authed("GET", "/todos").send().await.unwrap().status(), 200);
    assert_eq!(
        authed("GET", &format!("/todos/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let updated = authed("PUT", &format!("/todos/{id}"))
        .json(&json!({"title": "Deployed", "done": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(authed("GET", "/audit").send().await.unwrap().status(), 200);
    assert_eq!(
        authed("DELETE", &format!("/todos/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    // The same todo API as tools of the MCP server, for the official
    // Python SDK, with the project's prompt.
    let output = tokio::process::Command::new(started_server("SLUICE_TEST_PYTHON"))
        .arg(repo().join("tests/mcp/client.py"))
        .args(["example", &app.url("/mcp"), &token])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mcp: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    for tool in ["greet", "todo-create", "todo-list", "todo-update"] {
        assert!(
            mcp["tools"].as_array().unwrap().contains(&json!(tool)),
            "{mcp}"
        );
    }
    assert_eq!(
        mcp["created"]["structured"]["title"], "Ask the agent",
        "{mcp}"
    );
    assert_eq!(
        mcp["listed"]["structured"]["items"][0]["title"],
        "Ask the agent"
    );
    assert_eq!(mcp["greeted"]["structured"]["message"], "Hi, Ada!");
    assert!(
        mcp["prompt"]
            .as_str()
            .unwrap()
            .contains("Put first what helps with: the release."),
        "{mcp}"
    );
    let digest = app
        .admin(reqwest::Method::POST, "/cronjobs/weather-digest/run")
        .send()
        .await
        .unwrap();
    let run: Value = digest.json().await.unwrap();
    assert_eq!(run["outcome"], "ok", "{run}");

    // Again: every resource unchanged, no new action version.
    let plan = deploy_json(&app, &file, &[], &pairs(env)).await;
    assert!(!plan.is_empty());
    assert_eq!(changes_of(&plan, "unchanged").len(), plan.len(), "{plan:?}");
    let versions: Value = app
        .admin_get("/actions/hello/versions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn one_changed_field_is_exactly_one_update_and_a_dry_run_changes_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = small_project(dir.path(), "Says hello", true);
    let plan = deploy_json(&app, &file, &[], &[]).await;
    assert_eq!(changes_of(&plan, "create").len(), 4, "{plan:?}");

    small_project(dir.path(), "Greets by name", true);
    let dry = deploy_json(&app, &file, &["--dry-run"], &[]).await;
    let updates = changes_of(&dry, "update");
    assert_eq!(updates.len(), 1, "{dry:?}");
    assert_eq!(updates[0]["kind"], "operations");
    assert_eq!(updates[0]["name"], "hello");
    assert_eq!(updates[0]["fields"][0]["field"], "description");
    assert_eq!(updates[0]["fields"][0]["from"], "Says hello");
    let stored: Value = app
        .admin_get("/operations/hello")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stored["description"], "Says hello",
        "a dry run changes nothing"
    );

    let plan = deploy_json(&app, &file, &[], &[]).await;
    assert_eq!(changes_of(&plan, "update").len(), 1);
    assert_eq!(changes_of(&plan, "unchanged").len(), 3);
    let stored: Value = app
        .admin_get("/operations/hello")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["description"], "Greets by name");
}

#[tokio::test]
async fn prune_deletes_exactly_what_left_the_file() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = small_project(dir.path(), "Says hello", true);
    deploy_json(&app, &file, &[], &[]).await;
    // Something made outside the file survives a deploy without --prune.
    app.create_scopes(&["by-hand"]).await;

    small_project(dir.path(), "Says hello", false);
    let kept = deploy_json(&app, &file, &[], &[]).await;
    assert!(changes_of(&kept, "delete").is_empty());
    assert_eq!(app.admin_get("/operations/hello-again").await.status(), 200);

    let refused = sluice_at(&app, dir.path(), &["deploy", "--prune"], &[]).await;
    assert!(!refused.ok, "pruning without a terminal needs --yes");
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);

    let plan = deploy_json(&app, &file, &["--prune", "--yes"], &[]).await;
    let deleted: Vec<(String, String)> = changes_of(&plan, "delete")
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().into(),
                c["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        deleted,
        vec![
            ("operations".to_string(), "hello-again".to_string()),
            ("scopes".to_string(), "by-hand".to_string())
        ]
    );
    assert_eq!(app.admin_get("/operations/hello-again").await.status(), 404);
    assert_eq!(app.admin_get("/scopes/by-hand").await.status(), 404);
    assert_eq!(
        app.admin_get("/scopes/admin").await.status(),
        200,
        "built-ins stay"
    );
    assert_eq!(app.get("/hello/x").await.status(), 200);
}

#[tokio::test]
async fn a_file_whose_last_resource_is_refused_applies_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = small_project(dir.path(), "Says hello", true);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(
        "rate_limits:\n  mobile:\n    app: no-such-app\n    requests: 10\n    window_seconds: 60\n",
    );
    std::fs::write(&file, text).unwrap();

    let run = sluice_at(&app, dir.path(), &["deploy"], &[]).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("rate_limits \"mobile\""),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no-such-app"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was applied"), "{}", run.stderr);
    for path in ["/operations/hello", "/actions/hello", "/scopes/greet"] {
        assert_eq!(
            app.admin_get(path).await.status(),
            404,
            "{path} was applied"
        );
    }
    assert_eq!(app.get("/hello/x").await.status(), 404);
}

#[tokio::test]
async fn bad_files_are_refused_with_their_place_and_change_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let hello = repo().join("actions-examples/dist/hello.wasm");
    let cases: Vec<(String, &str)> = vec![
        ("scopes:\n  a: {description: x\n".into(), "sluice.yaml"),
        (
            "operations:\n  hello:\n    method: GET\n    pathh: /x\n".into(),
            "sluice.yaml:4:5: unknown key \"pathh\"",
        ),
        (
            "connections:\n  db:\n    class: sql\n    config:\n      driver: postgres\n      host: h\n      password: hunter22\n".into(),
            "sluice.yaml:7:7: /connections/db/config/password is a secret",
        ),
        (
            "scopes:\n  a:\n    description: ${SLUICE_TEST_UNSET_VARIABLE}\n".into(),
            "sluice.yaml:3:5: the environment variable SLUICE_TEST_UNSET_VARIABLE is not set",
        ),
        (
            "actions:\n  gone:\n    source: missing.wasm\n".into(),
            "sluice.yaml:3:5: the source of action \"gone\"",
        ),
        (
            "actions:\n  text:\n    source: sluice.yaml\n".into(),
            "is not a WebAssembly component",
        ),
        (
            format!("actions:\n  hello:\n    source: {}\noperations:\n  hi:\n    method: GET\n    path: /hi\n    action: helo\n", hello.display()),
            "operations \"hi\": there is no action named \"helo\"",
        ),
        (
            format!("actions:\n  hello:\n    source: {}\noperations:\n  hi:\n    method: GET\n    path: /hi\n    action: helo\n", hello.display()),
            "(the resource is defined at sluice.yaml:5:3)",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(dir.path().join("sluice.yaml"), &text).unwrap();
        let run = sluice_at(&app, dir.path(), &["deploy"], &[]).await;
        assert!(!run.ok, "{text} was accepted");
        assert!(
            run.stderr.contains(expected),
            "{text}\nexpected {expected:?} in:\n{}",
            run.stderr
        );
    }
    let actions: Value = app
        .admin_get("/actions?builtin=false")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(actions, json!([]), "nothing was applied");
}

#[tokio::test]
async fn an_export_deploys_onto_an_empty_server_and_exports_the_same_file() {
    let first = spawn_app().await;
    let upstream = upstream::start().await;
    let env = examples_env(&upstream.base, &started_server("SLUICE_TEST_SMTP_PORT"));
    let file = repo().join("examples/sluice.yaml");
    deploy_json(&first, &file, &[], &pairs(&env)).await;

    let one = tempfile::tempdir().unwrap();
    let exported = one.path().join("sluice.yaml");
    let run = sluice_at(
        &first,
        one.path(),
        &["export", "-o", exported.to_str().unwrap()],
        &[],
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("${CONNECTION_UPSTREAM_TOKEN}"), "{text}");
    assert!(
        !text.contains("upstream-token-for-tests"),
        "secrets never leave the server"
    );

    let second = spawn_app().await;
    let mut placeholders = pairs(&env);
    placeholders.push(("CONNECTION_UPSTREAM_TOKEN", "upstream-token-for-tests"));
    placeholders.push(("CONNECTION_WEATHER_API_VALUE", WEATHER_KEY));
    placeholders.push((
        "CONNECTION_CALENDAR_CLIENT_SECRET",
        "calendar-client-secret",
    ));
    let plan = deploy_json(&second, &exported, &[], &placeholders).await;
    assert!(changes_of(&plan, "update").is_empty(), "{plan:?}");
    assert_eq!(
        changes_of(&plan, "create").len(),
        plan.len() - 1,
        "all but the default rate limit"
    );
    let again = deploy_json(&second, &exported, &[], &placeholders).await;
    assert_eq!(
        changes_of(&again, "unchanged").len(),
        again.len(),
        "{again:?}"
    );

    let two = tempfile::tempdir().unwrap();
    let re_exported = two.path().join("sluice.yaml");
    let run = sluice_at(
        &second,
        two.path(),
        &["export", "-o", re_exported.to_str().unwrap()],
        &[],
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    let body = |text: String| text.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(
        body(std::fs::read_to_string(&re_exported).unwrap()),
        body(text)
    );
    assert_eq!(
        std::fs::read(one.path().join("components/hello.wasm")).unwrap(),
        std::fs::read(two.path().join("components/hello.wasm")).unwrap()
    );
}

#[tokio::test]
async fn the_deploy_endpoint_names_the_resource_it_refuses_and_the_schema_is_shipped() {
    let app = spawn_app().await;
    let refused = app
        .admin(reqwest::Method::POST, "/deploy")
        .json(&json!({"operations": {"x": {"method": "GET", "path": "/x", "action": "a", "colour": 1}}}))
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::assert_problem(refused, 400).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("operations \"x\": unknown field `colour`"),
        "{problem}"
    );

    let mismatch = app
        .admin(
            reqwest::Method::PUT,
            &format!("/components/{}", "0".repeat(64)),
        )
        .header("content-type", "application/wasm")
        .body(crate::helpers::example_wasm("hello"))
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::assert_problem(mismatch, 400).await;
    assert_eq!(problem["type"], "urn:sluice:problem:sha256-mismatch");

    let served: Value = app
        .get("/system/deploy-schema.json")
        .await
        .json()
        .await
        .unwrap();
    let shipped: Value =
        serde_json::from_slice(&std::fs::read(repo().join("docs/sluice.schema.json")).unwrap())
            .unwrap();
    assert_eq!(
        served, shipped,
        "docs/sluice.schema.json is stale: copy /system/deploy-schema.json"
    );
}

#[tokio::test]
async fn a_file_included_twice_is_refused_at_once_instead_of_read_for_every_path_to_it() {
    // Eight files each including the next four times (spelt differently)
    // made 4^8 = 65 536 reads of the last one, minutes of work for a
    // project that defines nothing, before a file could be included once.
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    for level in 0..8 {
        let next = format!("l{}.yaml", level + 1);
        std::fs::write(
            dir.path().join(format!("l{level}.yaml")),
            format!("include: [{next}, ./{next}, {next}, x/../{next}]\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("l8.yaml"), "scopes: {}\n").unwrap();
    std::fs::write(dir.path().join("sluice.yaml"), "include: [l0.yaml]\n").unwrap();
    let started = std::time::Instant::now();
    let run = sluice_at(&app, dir.path(), &["deploy"], &[]).await;
    assert!(!run.ok, "the project was read:\n{}", run.stdout);
    assert!(
        run.stderr
            .contains("l8.yaml is included more than once (first at ./l7.yaml:1:11)"),
        "{}",
        run.stderr
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_file_that_includes_itself_is_refused_naming_the_cycle() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.yaml"), "include: [./sluice.yaml]\n").unwrap();
    let run = sluice_at(&app, dir.path(), &["deploy"], &[]).await;
    assert!(!run.ok, "the project was read:\n{}", run.stdout);
    assert!(
        run.stderr
            .contains("sluice.yaml is included more than once (it is the deploy file itself)"),
        "{}",
        run.stderr
    );
}

/// What schemathesis may not expect of the example project, each with why
/// a schema cannot say it.
const EXAMPLES_SCHEMATHESIS: &str = r#"
# 400 where the rule is about more than a value's shape:
# - proxy: the host refuses a forwarded path that could leave the
#   connection's base URL — an encoded '/', '.', '%', ';' or control
#   character — and a path parameter cannot say whether a '/' in it was sent
#   as '/' or as '%2F';
# - contact: the mailer refuses addresses its RFC 5322 parser rejects,
#   beyond the documented pattern.
[[operations]]
include-operation-id = ["proxy-get", "proxy-post", "proxy-put", "proxy-patch", "proxy-delete",
                        "contact"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409, 422, 429]

"#;

#[tokio::test]
async fn the_example_projects_document_passes_every_schemathesis_check() {
    let app = spawn_app().await;
    let deployed = deploy_examples(&app).await;
    let secrets = &deployed.secrets;
    let demo: Value =
        serde_json::from_slice(&std::fs::read(secrets.join("apps.demo.json")).unwrap()).unwrap();
    let token = app
        .client_token(&AppClient {
            client_id: demo["client_id"].as_str().unwrap().into(),
            client_secret: demo["secret"].as_str().unwrap().into(),
        })
        .await;
    let dir = app.data_dir.path();
    let document = app.get("/system/openapi.json").await.text().await.unwrap();
    std::fs::write(dir.join("openapi.json"), document).unwrap();
    crate::helpers::run_tool(
        "python",
        dir,
        &["-m", "openapi_spec_validator", "openapi.json"],
    )
    .await;
    std::fs::write(dir.join("schemathesis.toml"), EXAMPLES_SCHEMATHESIS).unwrap();
    let auth = format!("Authorization: Bearer {token}");
    crate::helpers::run_tool(
        "schemathesis",
        dir,
        &[
            "--config-file",
            "schemathesis.toml",
            "run",
            "openapi.json",
            "--url",
            &app.address,
            "--header",
            &auth,
            "--checks",
            "all",
            "--seed",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            "--no-color",
            "--max-examples",
            "25",
            "--request-timeout",
            "60",
        ],
    )
    .await;
}
