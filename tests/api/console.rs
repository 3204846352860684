//! The admin console at `/console`: how the server serves it (one HTML
//! page for every deep link, a fresh nonce in the page and in its content
//! security policy, bundles cached for good), the admin API routes it
//! relies on, and — in Debian's Chromium, driven by Playwright — the
//! console itself (`console/e2e/console.test.mjs`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, started_server};
use crate::upstream::{self, WEATHER_KEY};

/// The nonce in the `csp-nonce` meta element of the page.
fn page_nonce(html: &str) -> String {
    let start = html
        .find("name=\"csp-nonce\" content=\"")
        .expect("a csp-nonce meta element")
        + 26;
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn every_console_page_is_the_app_with_a_fresh_nonce_in_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let mut nonces = Vec::new();
    for path in [
        "/console",
        "/console/",
        "/console/operations",
        "/console/actions/hello",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(response.headers()["cache-control"], "no-cache");
        let html = response.text().await.unwrap();
        assert!(html.contains("<div id=\"root\">"), "{path}: {html}");
        let nonce = page_nonce(&html);
        assert!(nonce.len() >= 24, "{nonce}");
        assert!(
            csp.contains(&format!("style-src 'self' 'nonce-{nonce}'")),
            "{csp}"
        );
        assert!(
            csp.contains("script-src 'self';"),
            "no inline or eval'd scripts: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "each answer has its own nonce");
}

#[tokio::test]
async fn console_bundles_are_cached_for_good_and_unknown_ones_are_404_problems() {
    let app = spawn_app().await;
    let html = app.get("/console").await.text().await.unwrap();
    let start = html.find("/console/assets/").expect("a bundle");
    let script = &html[start..start + html[start..].find('"').unwrap()];
    let response = app.get(script).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_problem(app.get("/console/assets/nothing-here.js").await, 404).await;
}

#[tokio::test]
async fn operations_cannot_take_paths_under_console() {
    let app = spawn_app().await;
    app.upload_example("hello").await;
    let response = app
        .create_operation(
            &json!({"name": "shadow", "method": "GET", "path": "/console/x", "action": "hello"}),
        )
        .await;
    assert_problem(response, 400).await;
}

#[tokio::test]
async fn executing_an_action_returns_what_it_logged() {
    let app = spawn_app().await;
    let upstream = upstream::start().await;
    app.create_connection(
        "weather-api",
        "http",
        json!({"base_url": upstream.base, "auth": {"type": "api_key", "in": "query",
               "name": "appid", "value": WEATHER_KEY}}),
    )
    .await;
    app.upload_example("weather").await;
    // The cache connection is not granted: the action logs that and answers anyway.
    app.grant("weather", &["weather-api"]).await;
    let response = app
        .admin(reqwest::Method::POST, "/actions/weather/execute")
        .json(&json!({"query": [["city", "Berlin"]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["status"], 200, "{answer}");
    let logs = answer["logs"].as_array().unwrap();
    assert!(
        logs.iter().any(|l| l["message"]
            .as_str()
            .unwrap()
            .contains("weather cache unavailable")),
        "{logs:?}"
    );
    assert_eq!(answer["logs_dropped"], 0);
}

#[tokio::test]
async fn a_stored_connection_can_be_tested_and_a_dead_one_reports_why() {
    let app = spawn_app().await;
    let upstream = upstream::start().await;
    app.create_connection("up", "http", json!({"base_url": upstream.base}))
        .await;
    let ok: Value = app.admin_post("/connections/up/test").await;
    assert_eq!(ok["ok"], true, "{ok}");
    assert!(ok["error"].is_null());
    let dead = app
        .admin(reqwest::Method::POST, "/connections?skip_test=true")
        .json(
            &json!({"name": "dead", "class": "http", "config": {"base_url": "http://127.0.0.1:9"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(dead.status(), StatusCode::CREATED);
    let failed: Value = app.admin_post("/connections/dead/test").await;
    assert_eq!(failed["ok"], false);
    assert!(!failed["error"].as_str().unwrap().is_empty(), "{failed}");
    let missing = app
        .admin(reqwest::Method::POST, "/connections/nothing/test")
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404).await;
}

#[tokio::test]
async fn a_cronjob_shows_its_next_five_runs_while_active() {
    let app = spawn_app().await;
    app.upload_example("hello").await;
    app.admin_create(
        "/cronjobs",
        json!({"name": "hourly", "schedule": "0 * * * *", "action": "hello"}),
    )
    .await;
    let job: Value = app
        .admin_get("/cronjobs/hourly")
        .await
        .json()
        .await
        .unwrap();
    let runs: Vec<i64> = serde_json::from_value(job["next_runs_ms"].clone()).unwrap();
    assert_eq!(runs.len(), 5);
    assert!(
        runs.windows(2).all(|w| w[1] - w[0] == 3_600_000),
        "{runs:?}"
    );
    assert_eq!(runs[0] % 3_600_000, 0);
    let paused = app
        .admin(reqwest::Method::PUT, "/cronjobs/hourly")
        .json(
            &json!({"name": "hourly", "schedule": "0 * * * *", "action": "hello", "active": false}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status(), StatusCode::OK);
    let listed: Value = app.admin_get("/cronjobs").await.json().await.unwrap();
    assert_eq!(listed[0]["next_runs_ms"], json!([]));
}

#[tokio::test]
async fn an_invalid_schema_is_refused_with_a_pointer_to_the_offending_keyword() {
    let app = spawn_app().await;
    let response = app
        .admin(reqwest::Method::POST, "/schemas")
        .json(&json!({"name": "broken", "schema": {"properties": {"title": {"type": "strin"}}}}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 400).await;
    assert_eq!(
        problem["errors"][0]["pointer"],
        "/schema/properties/title/type"
    );
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid JSON Schema")
    );
}

#[tokio::test]
async fn the_console_runs_the_tutorial_in_headless_chromium() {
    let app = spawn_app().await;
    let upstream = upstream::start().await;
    admin_users(&app).await;
    let files_root = tempfile::tempdir().unwrap();
    // An outside OpenID Provider that makes administrators' accounts.
    let idp = crate::identity_providers::Idp::start(&app, &["staff"]).await;
    app.admin_create(
        "/identity-providers",
        json!({"name": "staff", "kind": "oidc", "label": "Staff", "audience": "console",
               "issuer": idp.issuer, "client_id": crate::identity_providers::CLIENT_ID,
               "client_secret": crate::identity_providers::CLIENT_SECRET,
               "accounts": "create", "roles": ["admin"],
               "email_domains": ["example.com"]}),
    )
    .await;
    let report = browser_tests(
        &app,
        &[
            ("WEATHER_BASE", upstream.base.clone()),
            ("FILES_ROOT", files_root.path().display().to_string()),
        ],
        None,
    )
    .await;
    // Every browser test ran (the refresh test has a server of its own):
    // a test file that stopped early passes fewer.
    assert!(report.contains("pass 20\n"), "{report}");
    assert!(report.contains("fail 0\n"), "{report}");
}

#[tokio::test]
async fn the_console_refreshes_its_token_before_it_expires() {
    // Access tokens that live 62 s: the console refreshes a minute before
    // expiry, so at once here.
    let app = spawn_app_with(|settings| settings.tokens.access_ttl_secs = 62).await;
    admin_users(&app).await;
    let report = browser_tests(
        &app,
        &[("SHORT_TOKENS", "1".into())],
        Some("refreshes its access token"),
    )
    .await;
    assert!(report.contains("pass 1\n"), "{report}");
    assert!(report.contains("fail 0\n"), "{report}");
}

#[tokio::test]
async fn the_console_on_an_admin_listener_tries_operations_on_the_public_one_in_headless_chromium()
{
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.admin_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    admin_users(&app).await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    let report = browser_tests(
        &app,
        &[
            ("ADMIN_LISTENER", "1".into()),
            ("SLUICE_URL", app.admin_address.clone()),
        ],
        Some("try it reaches operations on the public listener"),
    )
    .await;
    assert!(report.contains("pass 1\n"), "{report}");
    assert!(report.contains("fail 0\n"), "{report}");
}

/// The users the browser tests sign in as: ada (admin) and rita (not).
async fn admin_users(app: &crate::helpers::TestApp) {
    app.admin_create("/roles", json!({"name": "operators", "scopes": ["admin"]}))
        .await;
    app.admin_create(
        "/users",
        json!({"name": "ada", "password": "analytical-engine", "roles": ["operators"]}),
    )
    .await;
    app.admin_create(
        "/users",
        json!({"name": "rita", "password": "reads-only-1"}),
    )
    .await;
}

/// Runs `console/e2e/console.test.mjs` (the tests whose name matches
/// `only`, when given) against `app` with `env`; the report, after
/// asserting node succeeded.
async fn browser_tests(
    app: &crate::helpers::TestApp,
    env: &[(&str, String)],
    only: Option<&str>,
) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let screenshots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let mut command = tokio::process::Command::new("node");
    command.args(["--test", "--test-reporter=spec"]);
    if let Some(pattern) = only {
        command.arg(format!("--test-name-pattern={pattern}"));
    }
    command
        .arg("e2e/console.test.mjs")
        .current_dir(root.join("console"))
        .env("SLUICE_URL", app.url(""))
        .env("CHROMIUM", started_server("SLUICE_TEST_CHROMIUM"))
        .env("WEATHER_KEY", WEATHER_KEY)
        .env(
            "WEATHER_WASM",
            root.join("actions-examples/dist/weather.wasm"),
        )
        .env("SCREENSHOTS", &screenshots)
        .env("ADMIN_USER", "ada")
        .env("ADMIN_PASSWORD", "analytical-engine")
        .env("READER_USER", "rita")
        .env("READER_PASSWORD", "reads-only-1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .output()
        .await
        .expect("node runs (scripts/build-console.sh installs Playwright in console/node_modules)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the browser tests failed:\n{report}"
    );
    report
}
