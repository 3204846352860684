//! The device authorization grant (RFC 8628, issue 44 item 7) through the
//! real server and the real CLI — `sluice login URL --device` approved
//! through the endpoints the console's page calls, an app's device request
//! approved, denied and expired — and resource indicators (RFC 8707):
//! tokens bound to a resource work only under it.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `POST /authorization/device` with `form`.
async fn device_request(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/authorization/device"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A poll of the token endpoint by `client_id` with `device_code`: the
/// status and the body.
async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> (StatusCode, Value) {
    let answer = app
        .token_request(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", client_id),
        ])
        .await;
    (answer.status(), answer.json().await.unwrap())
}

/// The approval page's lookup of `user_code` with `token`.
async fn look_up(app: &TestApp, user_code: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/authorization/device/verify"))
        .query(&[("user_code", user_code)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The approval page's decision on `user_code` with `token`.
async fn decide(app: &TestApp, user_code: &str, decision: &str, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/authorization/device/verify"))
        .bearer_auth(token)
        .json(&json!({"user_code": user_code, "decision": decision}))
        .send()
        .await
        .unwrap()
}

/// Scopes `todo:read` and `todo:write`, a role with `todo:read`, user ada
/// holding it; a public client registered for the device grant with both
/// scopes; ada's own sign-in token.
async fn setup(app: &TestApp) -> (String, String) {
    app.create_scopes(&["todo:read", "todo:write"]).await;
    app.admin_create("/roles", json!({"name": "reader", "scopes": ["todo:read"]}))
        .await;
    app.admin_create(
        "/users",
        json!({"name": "ada", "password": "correct horse", "roles": ["reader"]}),
    )
    .await;
    let registered = app
        .client
        .post(app.url("/authorization/register"))
        .json(
            &json!({"client_name": "Terminal client", "token_endpoint_auth_method": "none",
                      "grant_types": [DEVICE_GRANT, "refresh_token"],
                      "scope": "todo:read todo:write"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let client: Value = registered.json().await.unwrap();
    let ada = app.password_login("ada", "correct horse").await;
    (
        client["client_id"].as_str().unwrap().to_string(),
        ada["access_token"].as_str().unwrap().to_string(),
    )
}

fn registration_open(s: &mut sluice::config::Settings) {
    s.client_registration.open = true;
    s.client_registration.scopes = vec!["todo:read".into(), "todo:write".into()];
}

#[tokio::test]
async fn sluice_login_device_prints_a_link_and_a_code_and_logs_in_once_an_admin_approves() {
    let app = spawn_app().await;
    app.admin_create(
        "/users",
        json!({"name": "boss", "password": "correct horse battery", "roles": ["admin"]}),
    )
    .await;
    let boss = app.password_login("boss", "correct horse battery").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let config = tempfile::tempdir().unwrap();
    let mut cli = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["login", &app.address, "--device"])
        .env_remove("SLUICE_URL")
        .env_remove("SLUICE_TOKEN")
        .env("SLUICE_CONFIG_DIR", config.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(cli.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the CLI prints where to approve")
        .unwrap()
        .unwrap();
    // "To log in, open <url> and confirm the code <code> (…)."
    let link = first
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .unwrap();
    let code = first
        .split("the code ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let link = url::Url::parse(link).unwrap();
    assert_eq!(link.path(), "/console/device", "{first}");
    assert_eq!(
        link.query_pairs()
            .find(|(k, _)| k == "user_code")
            .unwrap()
            .1,
        code
    );
    assert!(
        !config.path().join("credentials.json").exists(),
        "nothing is saved before the approval"
    );

    // The console's page: what asks, from where; then the approval.
    let view = look_up(&app, code, &boss).await;
    assert_eq!(view.status(), StatusCode::OK);
    let view: Value = view.json().await.unwrap();
    assert_eq!(view["client_id"], "sluice-cli");
    assert_eq!(view["first_party"], true);
    assert_eq!(view["requested_from"], "127.0.0.1");
    assert!(
        view["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "admin"),
        "{view}"
    );
    // The code may be typed in lower case, with a space for the dash.
    let typed = code.to_lowercase().replace('-', " ");
    let approved = decide(&app, &typed, "allow", &boss).await;
    assert_eq!(approved.status(), StatusCode::OK);
    assert_eq!(
        approved.json::<Value>().await.unwrap()["status"],
        "approved"
    );

    let status = tokio::time::timeout(Duration::from_secs(30), cli.wait())
        .await
        .expect("the CLI finishes after the approval")
        .unwrap();
    let rest = lines.next_line().await.unwrap().unwrap_or_default();
    assert!(status.success(), "{rest}");
    assert!(
        rest.contains("logged in") && rest.contains("boss"),
        "{rest}"
    );
    let saved: Value =
        serde_json::from_slice(&std::fs::read(config.path().join("credentials.json")).unwrap())
            .unwrap();
    assert_eq!(saved["user"], "boss");

    // The saved session works for admin commands, and the code is spent.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["get", "users", "-o", "json"])
        .env_remove("SLUICE_URL")
        .env_remove("SLUICE_TOKEN")
        .env("SLUICE_CONFIG_DIR", config.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("boss"));
    assert_problem(look_up(&app, code, &boss).await, 404).await;
}

#[tokio::test]
async fn a_device_polls_until_the_user_allows_then_gets_tokens_once() {
    let app = spawn_app_with(registration_open).await;
    let (client_id, ada) = setup(&app).await;
    let metadata: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["device_authorization_endpoint"],
        app.url("/authorization/device")
    );
    assert!(
        metadata["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(DEVICE_GRANT))
    );

    let asked = device_request(&app, &[("client_id", &client_id), ("scope", "todo:read")]).await;
    assert_eq!(asked.status(), StatusCode::OK);
    assert_eq!(asked.headers()["cache-control"], "no-store");
    let asked: Value = asked.json().await.unwrap();
    let device_code = asked["device_code"].as_str().unwrap();
    let user_code = asked["user_code"].as_str().unwrap();
    assert_eq!(asked["interval"], 5);
    assert_eq!(asked["expires_in"], 600);
    assert_eq!(asked["verification_uri"], app.url("/portal/device"));
    assert!(
        asked["verification_uri_complete"]
            .as_str()
            .unwrap()
            .ends_with(&format!("?user_code={user_code}"))
    );

    // Before the user decides: pending; polled again at once: slow down.
    let (status, body) = poll(&app, &client_id, device_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "authorization_pending");
    let (_, body) = poll(&app, &client_id, device_code).await;
    assert_eq!(body["error"], "slow_down");
    assert!(body["error_description"].as_str().unwrap().contains("10 s"));
    // Another client cannot use the code.
    let (_, body) = poll(&app, "sluice-cli", device_code).await;
    assert_eq!(body["error"], "invalid_grant");

    // An app's token cannot approve; a wrong code is not found.
    let other = app.create_client("other", &[]).await;
    let app_token = app.client_token(&other).await;
    assert_problem(look_up(&app, user_code, &app_token).await, 403).await;
    assert_problem(look_up(&app, "BCDF-GHJK", &ada).await, 404).await;
    assert_problem(look_up(&app, "not a code", &ada).await, 404).await;

    let view: Value = look_up(&app, user_code, &ada).await.json().await.unwrap();
    assert_eq!(view["description"], "Terminal client");
    assert_eq!(view["unverified"], true);
    assert_eq!(view["first_party"], false);
    assert_eq!(view["scopes"][0]["name"], "todo:read");
    let approved = decide(&app, user_code, "allow", &ada).await;
    assert_eq!(approved.status(), StatusCode::OK);

    let (status, tokens) = poll(&app, &client_id, device_code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["scope"], "todo:read");
    assert!(tokens["refresh_token"].is_string());
    let who: Value = app
        .whoami(tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(who["user"], "ada");
    assert_eq!(who["client_id"], client_id.as_str());
    // Once: the code is spent.
    let (_, again) = poll(&app, &client_id, device_code).await;
    assert_eq!(again["error"], "invalid_grant");
}

/// A device request by `client_id` (with `extra` fields): its device code
/// and user code.
async fn ask(app: &TestApp, client_id: &str, extra: &[(&str, &str)]) -> (String, String) {
    let mut form = vec![("client_id", client_id)];
    form.extend_from_slice(extra);
    let answer: Value = device_request(app, &form).await.json().await.unwrap();
    (
        answer["device_code"].as_str().unwrap().to_string(),
        answer["user_code"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_denied_request_answers_access_denied_and_a_scope_beyond_the_user_is_not_granted() {
    let app = spawn_app_with(registration_open).await;
    let (client_id, ada) = setup(&app).await;
    let (denied_device, denied_user) = ask(&app, &client_id, &[]).await;
    let denied = decide(&app, &denied_user, "deny", &ada).await;
    assert_eq!(denied.json::<Value>().await.unwrap()["status"], "denied");
    let (_, body) = poll(&app, &client_id, &denied_device).await;
    assert_eq!(body["error"], "access_denied");
    // A decision is final.
    assert_problem(decide(&app, &denied_user, "allow", &ada).await, 404).await;

    // A scope the user's roles lack cannot be granted; the request stays.
    let (wide_device, wide_user) = ask(&app, &client_id, &[("scope", "todo:write")]).await;
    let refused = assert_problem(decide(&app, &wide_user, "allow", &ada).await, 403).await;
    assert!(refused["detail"].as_str().unwrap().contains("todo:write"));
    assert_eq!(
        look_up(&app, &wide_user, &ada).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, body) = poll(&app, &client_id, &wide_device).await;
    assert_eq!(body["error"], "authorization_pending");
    // Unknown clients and scopes beyond the app's are refused at once.
    let unknown = device_request(&app, &[("client_id", "app_nobody")]).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let beyond = device_request(&app, &[("client_id", &client_id), ("scope", "admin")]).await;
    assert_eq!(
        beyond.json::<Value>().await.unwrap()["error"],
        "invalid_scope"
    );

    // A public client that did not register the grant may not start one
    // (anyone could otherwise ask in its name).
    let code_only: Value = app
        .client
        .post(app.url("/authorization/register"))
        .json(&json!({"redirect_uris": ["https://client.example/cb"],
                      "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused = device_request(
        &app,
        &[("client_id", code_only["client_id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
}

#[tokio::test]
async fn an_unapproved_request_expires_after_its_lifetime() {
    let app = spawn_app_with(|s| {
        registration_open(s);
        s.device_code_ttl_secs = 1;
    })
    .await;
    let (client_id, ada) = setup(&app).await;
    let (device_code, user_code) = ask(&app, &client_id, &[]).await;
    // The lifetime (SLUICE_DEVICE_CODE_LIFETIME_SECS) passes unapproved.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, body) = poll(&app, &client_id, &device_code).await;
    assert_eq!(body["error"], "expired_token");
    assert_problem(decide(&app, &user_code, "allow", &ada).await, 404).await;
}

#[tokio::test]
async fn a_token_bound_to_a_resource_works_only_under_it() {
    let app = spawn_app().await;
    app.upload_example("echo").await;
    app.create_scopes(&["todo:read"]).await;
    for (name, path) in [("billing", "/billing/:x"), ("orders", "/orders/:x")] {
        app.admin_create(
            "/operations",
            json!({"name": name, "method": "GET", "path": path, "action": "echo",
                   "public": false, "scopes": ["todo:read"]}),
        )
        .await;
    }
    let client = app.create_client("lib", &["todo:read"]).await;
    let token_for = |resource: Option<String>| {
        let client = &client;
        let app = &app;
        async move {
            let mut form = vec![
                ("grant_type", "client_credentials".to_string()),
                ("client_id", client.client_id.clone()),
                ("client_secret", client.client_secret.clone()),
            ];
            if let Some(resource) = resource {
                form.push(("resource", resource));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.token_request(&form).await
        }
    };
    let call = |path: &'static str, token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };

    let bound: Value = token_for(Some(app.url("/billing")))
        .await
        .json()
        .await
        .unwrap();
    let bound = bound["access_token"].as_str().unwrap().to_string();
    assert_eq!(call("/billing/1", bound.clone()).await, StatusCode::OK);
    assert_eq!(
        call("/orders/1", bound.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    let refused = app
        .client
        .get(app.url("/orders/1"))
        .bearer_auth(&bound)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 401).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("RFC 8707"),
        "{problem}"
    );
    // Nor on the platform's own endpoints.
    assert_eq!(app.whoami(&bound).await.status(), StatusCode::UNAUTHORIZED);
    // Introspection names the audience.
    let introspected: Value = app
        .client
        .post(app.url("/authorization/introspect"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .form(&[("token", bound.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["aud"], app.url("/billing"));

    // Without a resource, or for the issuer itself: the whole API.
    for resource in [None, Some(app.address.clone())] {
        let whole: Value = token_for(resource).await.json().await.unwrap();
        let whole = whole["access_token"].as_str().unwrap().to_string();
        assert_eq!(call("/orders/1", whole.clone()).await, StatusCode::OK);
        assert_eq!(app.whoami(&whole).await.status(), StatusCode::OK);
    }
    // Elsewhere, or malformed: invalid_target (RFC 8707 §2).
    for resource in [
        "https://elsewhere.example/billing".to_string(),
        format!("{}/billing#x", app.address),
        "billing".to_string(),
    ] {
        let answer = token_for(Some(resource)).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            answer.json::<Value>().await.unwrap()["error"],
            "invalid_target"
        );
    }
}
