//! `http` connections authorized by OAuth2, against a real authorization
//! server on loopback (`scripts/oauth2_provider.py`, Authlib): the admin's
//! authorization with PKCE and `state`, calls with the access token, a
//! refresh when the token expires, re-authorization needed when the refresh
//! token is revoked, the client credentials grant — and tokens never in an
//! admin answer or in plain text in the control plane.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, started_server};
use crate::node::free_port;

pub(crate) const CLIENT_SECRET: &str = "provider-client-secret-42";

/// The provider, killed when dropped.
pub(crate) struct Provider {
    pub(crate) base: String,
    _child: tokio::process::Child,
    http: reqwest::Client,
}

impl Provider {
    pub(crate) async fn start() -> Self {
        Self::start_with_ttl(3600).await
    }

    /// A provider whose access tokens live `ttl` seconds. Started again on
    /// another port when it exits at once: the free port it was given can be
    /// taken by a server another test starts meanwhile, and only an answer
    /// from the provider's own `/control/stats` counts as started.
    async fn start_with_ttl(ttl: u32) -> Self {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/oauth2_provider.py");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut child = tokio::process::Command::new(started_server("SLUICE_TEST_PYTHON"))
                .arg(&script)
                .args([
                    "--port",
                    &port.to_string(),
                    "--client-secret",
                    CLIENT_SECRET,
                ])
                .args(["--token-ttl", &ttl.to_string()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("the provider starts");
            let base = format!("http://127.0.0.1:{port}");
            for _ in 0..200 {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                let stats = http.get(format!("{base}/control/stats")).send().await;
                if stats.is_ok_and(|answer| answer.status().is_success()) {
                    return Self {
                        base,
                        _child: child,
                        http,
                    };
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        panic!("the OAuth2 provider did not start");
    }

    async fn control(&self, what: &str) {
        let answer = self
            .http
            .post(format!("{}/control/{what}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }

    async fn stats(&self) -> Value {
        self.http
            .get(format!("{}/control/stats", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The connection `calendar`: the provider's API behind its authorization
/// code grant.
async fn calendar_connection(app: &TestApp, provider: &Provider) {
    app.create_connection(
        "calendar",
        "http",
        json!({"base_url": provider.base, "auth": {
            "type": "oauth2_authorization_code",
            "authorize_url": format!("{}/authorize", provider.base),
            "token_url": format!("{}/token", provider.base),
            "client_id": "sluice", "client_secret": CLIENT_SECRET, "scopes": ["calendar.read"]}}),
    )
    .await;
}

async fn calendar(app: &TestApp, conn: &str) -> Value {
    app.misbehave(
        "http-send",
        json!({"conn": conn, "method": "GET", "path": "/calendar/today"}),
    )
    .await
}

async fn connection(app: &TestApp, name: &str) -> Value {
    app.admin_get(&format!("/connections/{name}"))
        .await
        .json()
        .await
        .unwrap()
}

/// Walks the authorization as a browser would: the admin route's redirect
/// to the provider, the provider's redirect back to the callback.
async fn authorize(app: &TestApp, provider: &Provider, name: &str) -> (StatusCode, String) {
    let no_follow = &provider.http;
    let first = no_follow
        .get(app.url(&format!("/admin/connections/{name}/authorize")))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.status(),
        StatusCode::SEE_OTHER,
        "{}",
        first.text().await.unwrap()
    );
    let to_provider = first.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to_provider.starts_with(&format!("{}/authorize?", provider.base)),
        "{to_provider}"
    );
    for part in [
        "response_type=code",
        "code_challenge=",
        "code_challenge_method=S256",
        "state=",
        "scope=calendar.read",
    ] {
        assert!(to_provider.contains(part), "{part} in {to_provider}");
    }
    let back = no_follow.get(&to_provider).send().await.unwrap();
    assert!(
        back.status().is_redirection(),
        "{}",
        back.text().await.unwrap()
    );
    let callback = back.headers()["location"].to_str().unwrap().to_string();
    assert!(
        callback.starts_with(&app.url("/system/connections/callback?")),
        "{callback}"
    );
    let done = no_follow.get(&callback).send().await.unwrap();
    let status = done.status();
    let text = done.text().await.unwrap();
    // A state works once.
    let again = no_follow.get(&callback).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    (status, text)
}

#[tokio::test]
async fn an_authorized_connection_calls_with_its_token_refreshes_it_and_asks_again_when_revoked() {
    let provider = Provider::start().await;
    let app = spawn_app().await;
    calendar_connection(&app, &provider).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["calendar"]).await;

    let shown = connection(&app, "calendar").await;
    assert_eq!(
        shown["authorization"]["status"], "not_authorized",
        "{shown}"
    );
    assert_eq!(shown["config"]["auth"]["secret_set"], true);
    assert!(!shown.to_string().contains(CLIENT_SECRET));
    let before = calendar(&app, "calendar").await;
    assert_eq!(before["error"], "connect-failed", "{before}");
    assert!(
        before["message"].as_str().unwrap().contains("authorize"),
        "{before}"
    );

    let (status, page) = authorize(&app, &provider, "calendar").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Connection calendar is authorized"), "{page}");
    let shown = connection(&app, "calendar").await;
    assert_eq!(shown["authorization"]["status"], "authorized", "{shown}");
    assert!(
        shown["authorization"]["expires_at"].as_str().is_some(),
        "{shown}"
    );

    let answer = calendar(&app, "calendar").await;
    assert_eq!(answer["status"], 200, "{answer}");
    let events: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(events["events"].as_array().unwrap().len(), 3);

    // The tokens: never in an admin answer, never in plain text in the
    // control plane (only sealed).
    let stats = provider.stats().await;
    let prefix = stats["tokens_seen"][0].as_str().unwrap().to_string();
    assert!(
        !connection(&app, "calendar")
            .await
            .to_string()
            .contains(&prefix)
    );
    let sealed: Vec<u8> = sqlx::query_scalar(
        "SELECT tokens_sealed FROM connection_tokens WHERE connection = 'calendar'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(!sealed.windows(prefix.len()).any(|w| w == prefix.as_bytes()));
    for entry in walk(app.data_dir.path()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes.windows(prefix.len()).any(|w| w == prefix.as_bytes()),
            "{} holds a token in plain text",
            entry.display()
        );
    }

    // The provider expires the token: the upstream's 401 makes the host
    // refresh once and send again.
    provider.control("expire").await;
    let answer = calendar(&app, "calendar").await;
    assert_eq!(answer["status"], 200, "{answer}");
    let stats = provider.stats().await;
    assert_eq!(stats["grants"]["refresh_token"], 1, "{stats}");
    assert_eq!(stats["unauthorized"], 1, "{stats}");

    // Revoked: the refresh fails, the connection needs authorization again.
    provider.control("revoke").await;
    let answer = calendar(&app, "calendar").await;
    assert_eq!(answer["error"], "connect-failed", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("authorize it again"),
        "{answer}"
    );
    let shown = connection(&app, "calendar").await;
    assert_eq!(
        shown["authorization"]["status"], "needs_authorization",
        "{shown}"
    );
    assert!(
        shown["authorization"]["error"]
            .as_str()
            .unwrap()
            .contains("invalid_grant"),
        "{shown}"
    );

    // Authorizing again brings it back.
    let (status, _) = authorize(&app, &provider, "calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calendar(&app, "calendar").await["status"], 200);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn a_token_that_expires_within_a_minute_is_refreshed_before_it_is_used() {
    let provider = Provider::start_with_ttl(30).await;
    let app = spawn_app().await;
    calendar_connection(&app, &provider).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["calendar"]).await;
    let (status, _) = authorize(&app, &provider, "calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calendar(&app, "calendar").await["status"], 200);
    let stats = provider.stats().await;
    // Valid for 30 s, inside the minute's margin: refreshed first, no 401.
    assert_eq!(stats["grants"]["refresh_token"], 1, "{stats}");
    assert_eq!(stats["unauthorized"], 0, "{stats}");
}

#[tokio::test]
async fn moving_an_oauth2_connection_forgets_its_tokens() {
    let provider = Provider::start().await;
    let app = spawn_app().await;
    calendar_connection(&app, &provider).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["calendar"]).await;
    let (status, _) = authorize(&app, &provider, "calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calendar(&app, "calendar").await["status"], 200);

    // The same server under another name stands in for another API: the
    // tokens granted for the old one must not follow.
    let port = provider.base.rsplit(':').next().unwrap();
    let moved = app
        .admin_patch(
            "/connections/calendar",
            &json!({"config": {"base_url": format!("http://localhost:{port}"),
                               "auth": {"client_secret": CLIENT_SECRET}}}),
        )
        .await;
    assert_eq!(
        moved.status(),
        StatusCode::OK,
        "{}",
        moved.text().await.unwrap()
    );
    let shown = connection(&app, "calendar").await;
    assert_eq!(
        shown["authorization"]["status"], "not_authorized",
        "{shown}"
    );
    assert_eq!(calendar(&app, "calendar").await["error"], "connect-failed");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connection_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn client_credentials_fetch_a_token_once_and_reuse_it() {
    let provider = Provider::start().await;
    let app = spawn_app().await;
    app.create_connection(
        "machine",
        "http",
        json!({"base_url": provider.base, "auth": {
            "type": "oauth2_client_credentials",
            "token_url": format!("{}/token", provider.base),
            "client_id": "sluice-machine", "client_secret": CLIENT_SECRET}}),
    )
    .await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["machine"]).await;
    for _ in 0..3 {
        assert_eq!(calendar(&app, "machine").await["status"], 200);
    }
    let stats = provider.stats().await;
    assert_eq!(stats["grants"]["client_credentials"], 1, "{stats}");
    let shown = connection(&app, "machine").await;
    assert_eq!(shown["authorization"]["status"], "authorized", "{shown}");
    // The guest may not send its own Authorization header.
    let forged = app
        .misbehave(
            "http-send",
            json!({"conn": "machine", "method": "GET", "path": "/calendar/today",
                   "headers": [["authorization", "Bearer forged"]]}),
        )
        .await;
    assert_eq!(forged["error"], "invalid-request", "{forged}");

    // Deleted, the connection takes its tokens along.
    app.grant("misbehave", &[]).await;
    let deleted = app.admin_delete("/connections/machine").await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connection_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn authorizing_needs_an_admin_an_oauth2_connection_and_a_valid_state() {
    let app = spawn_app().await;
    let plain = app
        .admin(reqwest::Method::POST, "/connections?skip_test=true")
        .json(&json!({"name": "plain", "class": "http", "config": {"base_url": "http://127.0.0.1:9"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::CREATED);
    let anonymous = app.get("/admin/connections/plain/authorize").await;
    crate::helpers::assert_problem(anonymous, 401).await;
    let not_oauth = app
        .admin(reqwest::Method::GET, "/connections/plain/authorize")
        .send()
        .await
        .unwrap();
    crate::helpers::assert_problem(not_oauth, 400).await;
    let forged = app
        .get("/system/connections/callback?code=abc&state=forged-state")
        .await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_calendar_digest_reads_today_through_oauth2_and_mails_it_at_seven() {
    let provider = Provider::start().await;
    let port: u16 = started_server("SLUICE_TEST_SMTP_PORT").parse().unwrap();
    let app = spawn_app().await;
    calendar_connection(&app, &provider).await;
    app.create_connection(
        "mail",
        "smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none", "from": "Sluice <noreply@sluice.test>"}),
    )
    .await;
    app.upload_example("calendar-digest").await;
    app.grant("calendar-digest", &["calendar", "mail"]).await;
    let to = format!("me-{}@sluice.test", uuid::Uuid::new_v4());
    let patched = app
        .admin_patch("/actions/calendar-digest", &json!({"config": {"to": to}}))
        .await;
    assert_eq!(patched.status(), 200);
    app.admin_create(
        "/cronjobs",
        json!({"name": "calendar-digest", "schedule": "0 7 * * *", "action": "calendar-digest"}),
    )
    .await;

    // Not authorized yet: the run fails and says what to do.
    let run: Value = app.admin_post("/cronjobs/calendar-digest/run").await;
    assert_eq!(run["outcome"], "failed", "{run}");
    assert!(
        run["error"].as_str().unwrap().contains("authorize"),
        "{run}"
    );

    let (status, _) = authorize(&app, &provider, "calendar").await;
    assert_eq!(status, StatusCode::OK);
    let run: Value = app.admin_post("/cronjobs/calendar-digest/run").await;
    assert_eq!(run["outcome"], "ok", "{run}");
    let mail = crate::helpers::find_mail(&to).await;
    assert!(mail.contains("Your day,"), "{mail}");
    assert!(mail.contains("09:00  Stand-up"), "{mail}");
    assert!(mail.contains("12:30  Lunch with Ada"), "{mail}");
}

#[tokio::test]
async fn the_authorize_route_answers_json_only_when_the_accept_header_prefers_it() {
    let app = spawn_app().await;
    let created = app
        .admin(reqwest::Method::POST, "/connections?skip_test=true")
        .json(&json!({"name": "calendar", "class": "http", "config": {
            "base_url": "http://127.0.0.1:9", "auth": {
            "type": "oauth2_authorization_code",
            "authorize_url": "http://127.0.0.1:9/authorize",
            "token_url": "http://127.0.0.1:9/token",
            "client_id": "sluice", "client_secret": CLIENT_SECRET}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (accept, json) in [
        (None, false),
        (Some("application/json"), true),
        (Some("application/*"), true),
        (Some("text/html;q=0.4, application/json;q=0.8"), true),
        (Some("*/*"), false),
        (Some("text/html, application/json;q=0.9"), false),
        // q=0 means "not this one" (RFC 9110 §12.4.2), whatever the
        // header's text contains.
        (Some("application/json;q=0, */*"), false),
        (Some("application/json; q=0.0"), false),
        (Some("application/jsonx"), false),
    ] {
        let mut request = no_follow
            .get(app.url("/admin/connections/calendar/authorize"))
            .bearer_auth(crate::helpers::ADMIN_TOKEN);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let answer = request.send().await.unwrap();
        if json {
            assert_eq!(answer.status(), StatusCode::OK, "{accept:?}");
            let body: Value = answer.json().await.unwrap();
            assert!(
                body["authorize_url"]
                    .as_str()
                    .unwrap()
                    .starts_with("http://127.0.0.1:9/authorize?"),
                "{accept:?}: {body}"
            );
        } else {
            assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{accept:?}");
            assert!(
                answer.headers()["location"]
                    .to_str()
                    .unwrap()
                    .starts_with("http://127.0.0.1:9/authorize?"),
                "{accept:?}"
            );
        }
    }
}
