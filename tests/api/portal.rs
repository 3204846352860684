//! The developer portal at `/portal`: how the server serves it (one HTML
//! page for every deep link, a fresh nonce in a strict content security
//! policy, bundles cached for good, the prefix kept from operations), and
//! — in Debian's Chromium, driven by Playwright — a consumer's whole
//! journey through it (`portal/e2e/portal.test.mjs`): sign up, the
//! verification mail from the test SMTP server, activation, sign-in, an
//! app and its credentials, "try it" on a private operation with them,
//! and that call in the usage; axe-core on every page.
//!
//! The journey needs the consumer API (`/consumer`, `PUT /admin/portal`,
//! the scope and event field `consumers`).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, spawn_app, started_server};

/// The nonce in the `csp-nonce` meta element of the page.
fn page_nonce(html: &str) -> String {
    let start = html
        .find("name=\"csp-nonce\" content=\"")
        .expect("a csp-nonce meta element")
        + 26;
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn every_portal_page_is_the_app_with_a_fresh_nonce_in_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let mut nonces = Vec::new();
    for path in [
        "/portal",
        "/portal/",
        "/portal/register",
        "/portal/activate?token=abc",
        "/portal/apps/123",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(response.headers()["cache-control"], "no-cache");
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        let html = response.text().await.unwrap();
        assert!(html.contains("<div id=\"root\">"), "{path}: {html}");
        assert!(html.contains("/portal/assets/"), "{path}: {html}");
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
        assert!(csp.contains("connect-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 5, "each answer has its own nonce");
}

#[tokio::test]
async fn portal_bundles_are_cached_for_good_and_unknown_ones_are_404_problems() {
    let app = spawn_app().await;
    let html = app.get("/portal").await.text().await.unwrap();
    let start = html.find("/portal/assets/").expect("a bundle");
    let end = start + html[start..].find('"').unwrap();
    let bundle = app.get(&html[start..end]).await;
    assert_eq!(bundle.status(), StatusCode::OK);
    assert_eq!(
        bundle.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_problem(app.get("/portal/assets/nothing-here.js").await, 404).await;
    // The portal is its own build: the console's bundles are not in it.
    let console = app.get("/console").await.text().await.unwrap();
    let start = console.find("/console/assets/").unwrap() + "/console/assets/".len();
    let end = start + console[start..].find('"').unwrap();
    let cross = app
        .get(&format!("/portal/assets/{}", &console[start..end]))
        .await;
    assert_eq!(cross.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_operation_may_live_under_the_portal_prefix() {
    let app = spawn_app().await;
    app.upload_example("hello").await;
    for path in ["/portal", "/portal/hello/:name"] {
        let created = app
            .create_operation(
                &json!({"name": "shadow", "method": "GET", "path": path, "action": "hello"}),
            )
            .await;
        let body = assert_problem(created, 400).await;
        assert!(body.to_string().contains("reserved"), "{path}: {body}");
    }
}

/// The email address of this run's consumer.
fn consumer_email() -> String {
    format!("dev-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A server set up as an API product: an SMTP mailer, the portal's
/// settings (open registration, branding, a guide), a scope and an event
/// open to consumers, and a private operation that needs the scope.
async fn api_product() -> TestApp {
    let port: u16 = started_server("SLUICE_TEST_SMTP_PORT").parse().unwrap();
    let app = spawn_app().await;
    app.create_connection(
        "mailer",
        "smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none",
               "from": "Weather API <noreply@weather.test>"}),
    )
    .await;
    let settings = app
        .admin(reqwest::Method::PUT, "/portal")
        .json(&json!({
            "registration": "open",
            "mailer": "mailer",
            "title": "Weather API",
            "description": "Current weather for **any city**, by the hour.",
            "logo_url": null,
            "pages": [{"slug": "getting-started", "title": "Getting started",
                       "markdown": "## First steps\n\n1. Sign up\n2. Create an app\n\n<script>alert(1)</script>"}],
            "max_apps_per_consumer": 10,
            "public_url": app.url(""),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        settings.status(),
        StatusCode::OK,
        "PUT /admin/portal: {}",
        settings.text().await.unwrap()
    );
    app.admin_create(
        "/scopes",
        json!({"name": "greetings:read", "description": "Read greetings", "consumers": true}),
    )
    .await;
    app.admin_create(
        "/events",
        json!({"name": "greeting.sent", "description": "A greeting went out", "consumers": true}),
    )
    .await;
    app.upload_example("hello").await;
    let created = app
        .create_operation(
            &json!({"name": "greet", "method": "GET", "path": "/greet/:name",
                                 "action": "hello", "public": false, "scopes": ["greetings:read"],
                                 "description": "Greets someone by name."}),
        )
        .await;
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "{}",
        created.text().await.unwrap()
    );
    app
}

#[tokio::test]
async fn a_consumer_signs_up_activates_creates_an_app_and_tries_a_private_operation_in_headless_chromium()
 {
    let app = api_product().await;
    // A third-party app, for the authorization-code grant through the
    // consent page.
    let redirect = "http://127.0.0.1:9/gallery/callback";
    let gallery = app
        .admin_create(
            "/apps",
            json!({"name": "gallery", "description": "Shows your greetings",
                   "scopes": ["greetings:read"], "redirect_uris": [redirect]}),
        )
        .await;
    // An outside OpenID Provider consumers may sign in with.
    let idp = crate::identity_providers::Idp::start(&app, &["corp"]).await;
    app.admin_create(
        "/identity-providers",
        json!({"name": "corp", "kind": "oidc", "label": "Corp", "audience": "portal",
               "issuer": idp.issuer, "client_id": crate::identity_providers::CLIENT_ID,
               "client_secret": crate::identity_providers::CLIENT_SECRET,
               "accounts": "create"}),
    )
    .await;
    let report = browser_tests(
        &app,
        &[
            ("CONSUMER_EMAIL", consumer_email()),
            (
                "THIRD_CLIENT_ID",
                gallery["client_id"].as_str().unwrap().into(),
            ),
            (
                "THIRD_CLIENT_SECRET",
                gallery["client_secret"].as_str().unwrap().into(),
            ),
            ("THIRD_REDIRECT", redirect.into()),
        ],
    )
    .await;
    // Every browser test ran: a test file that stopped early passes fewer.
    assert!(report.contains("fail 0\n"), "{report}");
    assert!(report.contains("pass 14\n"), "{report}");
}

/// Runs `portal/e2e/portal.test.mjs` against `app` with `env`; the report,
/// after asserting node succeeded.
async fn browser_tests(app: &TestApp, env: &[(&str, String)]) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let screenshots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal-screenshots");
    let mut command = tokio::process::Command::new("node");
    command
        .args(["--test", "--test-reporter=spec", "e2e/portal.test.mjs"])
        .current_dir(root.join("portal"))
        .env("SLUICE_URL", app.url(""))
        .env("CHROMIUM", started_server("SLUICE_TEST_CHROMIUM"))
        .env("MAILDIR", started_server("SLUICE_TEST_MAILDIR"))
        .env("SCREENSHOTS", &screenshots)
        .env("OPERATION", "greet");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .output()
        .await
        .expect("node runs (scripts/build-portal.sh installs Playwright in portal/node_modules)");
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
