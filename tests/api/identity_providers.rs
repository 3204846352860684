//! Signing in through outside identity providers (issue 44 item 6) with
//! providers nobody here wrote: a certified OpenID Provider
//! (`oidc-provider` from npm, `portal/e2e/idp.mjs`) and a GitHub-style
//! OAuth2 provider (Authlib, `scripts/oauth2_provider.py`), on loopback.
//! The browser's part is played by a client with a cookie jar that follows
//! redirects and posts the provider's login form.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{TestApp, assert_problem, spawn_app};

pub(crate) const CLIENT_ID: &str = "sluice";
pub(crate) const CLIENT_SECRET: &str = "sluice-secret";

/// `oidc-provider` on a free loopback port, killed when dropped.
pub(crate) struct Idp {
    pub(crate) issuer: String,
    _child: tokio::process::Child,
}

impl Idp {
    /// Users `ada` (ada@example.com, verified) and `eve` (unverified), the
    /// password `secret`; the callbacks of providers `names` at `app`.
    pub(crate) async fn start(app: &TestApp, names: &[&str]) -> Self {
        let portal = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../portal");
        let mut args = vec![
            "e2e/idp.mjs".to_string(),
            "--port".into(),
            "0".into(),
            "--client-id".into(),
            CLIENT_ID.into(),
            "--client-secret".into(),
            CLIENT_SECRET.into(),
        ];
        for name in names {
            args.push("--redirect-uri".into());
            args.push(app.url(&format!("/authorization/providers/{name}/callback")));
        }
        let mut child = tokio::process::Command::new("node")
            .args(&args)
            .current_dir(portal)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the provider");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the provider says where it listens")
            .unwrap()
            .expect("the provider started");
        let issuer = line
            .strip_prefix("listening on ")
            .expect("listening on URL")
            .to_string();
        Self {
            issuer,
            _child: child,
        }
    }
}

/// A browser: cookies, redirects followed.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Clicks "Sign in with `provider`" for a page under `return_to`, signs in
/// at the provider's form as `login` when it shows one, and answers the
/// URL the browser ends at (the page, with `handoff` or `signin_error`).
async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    provider: &str,
    return_to: &str,
    login: &str,
) -> url::Url {
    let page = browser
        .get(app.url(&format!(
            "/authorization/providers/{provider}/start?return_to={return_to}"
        )))
        .send()
        .await
        .unwrap();
    let mut at = page.url().clone();
    if at.path().starts_with("/interaction/") {
        let form = browser
            .post(format!("{}/login", at.as_str().trim_end_matches('/')))
            .form(&[("login", login), ("password", "secret")])
            .send()
            .await
            .unwrap();
        at = form.url().clone();
    }
    at
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Exchanges a handoff code as the page does, in `browser`.
async fn handoff(app: &TestApp, browser: &reqwest::Client, code: &str) -> reqwest::Response {
    browser
        .post(app.url("/authorization/providers/handoff"))
        .json(&json!({"handoff": code}))
        .send()
        .await
        .unwrap()
}

/// Open registration, with the test SMTP server as the portal's mailer.
async fn open_portal(app: &TestApp) {
    let port: u16 = crate::helpers::started_server("SLUICE_TEST_SMTP_PORT")
        .parse()
        .unwrap();
    app.create_connection(
        "mailer",
        "smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none", "from": "API <noreply@api.test>"}),
    )
    .await;
    let settings = app
        .admin(reqwest::Method::PUT, "/portal")
        .json(
            &json!({"registration": "open", "mailer": "mailer", "title": "API",
                      "description": "", "logo_url": null, "pages": [],
                      "max_apps_per_consumer": 10, "public_url": app.url("")}),
        )
        .send()
        .await
        .unwrap();
    assert!(
        settings.status().is_success(),
        "{}",
        settings.text().await.unwrap()
    );
}

#[tokio::test]
async fn a_consumer_signs_in_with_an_openid_provider_which_makes_then_finds_their_account() {
    let app = spawn_app().await;
    open_portal(&app).await;
    let idp = Idp::start(&app, &["corp"]).await;
    let created = app
        .admin(reqwest::Method::POST, "/identity-providers")
        .json(
            &json!({"name": "corp", "kind": "oidc", "label": "Corp", "audience": "portal",
                      "issuer": idp.issuer, "client_id": CLIENT_ID,
                      "client_secret": CLIENT_SECRET, "accounts": "create"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert!(created.get("client_secret").is_none(), "never returned");
    assert!(created.get("client_secret_sealed").is_none());
    assert_eq!(
        created["callback_path"],
        "/authorization/providers/corp/callback"
    );
    let buttons: Value = app
        .get("/authorization/providers?audience=portal")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(buttons, json!([{"name": "corp", "label": "Corp"}]));

    // First sign-in: the provider vouches for ada@example.com; a consumer
    // account is made and signed in.
    let first = browser();
    let at = sign_in(&app, &first, "corp", "/portal/apps", "ada").await;
    assert_eq!(at.path(), "/portal/signin", "{at}");
    assert_eq!(param(&at, "next").as_deref(), Some("/portal/apps"));
    let code = param(&at, "handoff").unwrap_or_else(|| panic!("{at}"));
    // Another browser cannot use the code (login CSRF: a link with the
    // attacker's code signs nobody in), and trying does not spend it.
    let elsewhere = handoff(&app, &browser(), &code).await;
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);
    let tokens = handoff(&app, &first, &code).await;
    assert_eq!(tokens.status(), StatusCode::OK);
    let tokens: Value = tokens.json().await.unwrap();
    assert_eq!(tokens["username"], "ada@example.com");
    let who: Value = app
        .whoami(tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    // The code works once.
    let again = handoff(&app, &first, &code).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    // The account is a consumer's, with the consumer API open to it.
    let account = app
        .client
        .get(app.url("/consumer/account"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), StatusCode::OK);

    // Second sign-in (a new browser, so the provider asks again): the same
    // account, found by the link.
    let second = browser();
    let at = sign_in(&app, &second, "corp", "/portal/apps", "ada").await;
    let tokens: Value = handoff(&app, &second, &param(&at, "handoff").unwrap())
        .await
        .json()
        .await
        .unwrap();
    let again: Value = app
        .whoami(tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["sub"], who["sub"]);

    // An address the provider does not vouch for makes no account.
    let at = sign_in(&app, &browser(), "corp", "/portal/apps", "eve").await;
    assert!(param(&at, "handoff").is_none());
    assert_eq!(
        param(&at, "signin_error").as_deref(),
        Some("unverified_email"),
        "{at}"
    );

    // A callback in another browser than the one that started it (an
    // attacker's half-done sign-in sent to a victim) is refused; the
    // browser that started it still finishes it.
    let starter = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.url().path().ends_with("/callback") {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .unwrap();
    let form = starter
        .get(app.url("/authorization/providers/corp/start?return_to=/portal/apps"))
        .send()
        .await
        .unwrap()
        .url()
        .clone();
    let to_callback = starter
        .post(format!("{form}/login"))
        .form(&[("login", "ada"), ("password", "secret")])
        .send()
        .await
        .unwrap();
    let callback = to_callback.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        callback.contains("/authorization/providers/corp/callback?"),
        "{callback}"
    );
    let victim = browser().get(&callback).send().await.unwrap();
    assert_problem(victim, 400).await;
    let finished = starter.get(&callback).send().await.unwrap();
    assert!(
        param(finished.url(), "handoff").is_some(),
        "{}",
        finished.url()
    );

    // A state nobody started, and a return address elsewhere.
    let forged = app
        .get("/authorization/providers/corp/callback?code=x&state=forged")
        .await;
    assert_problem(forged, 400).await;
    let at = sign_in(&app, &browser(), "corp", "https://evil.example/", "ada").await;
    assert_eq!(param(&at, "next").as_deref(), Some("/portal/"));
}

#[tokio::test]
async fn an_admin_signs_in_to_the_console_through_a_provider_linked_by_verified_email() {
    let app = spawn_app().await;
    let idp = Idp::start(&app, &["staff", "partners"]).await;
    app.admin_create(
        "/identity-providers",
        json!({"name": "staff", "kind": "oidc", "audience": "console",
               "issuer": idp.issuer, "client_id": CLIENT_ID,
               "client_secret": CLIENT_SECRET}),
    )
    .await;
    // No user has the address yet: `link` makes none.
    let at = sign_in(&app, &browser(), "staff", "/console/operations", "ada").await;
    assert_eq!(
        param(&at, "signin_error").as_deref(),
        Some("no_account"),
        "{at}"
    );
    // A provider limited to other domains admits nobody from example.com.
    app.admin_create(
        "/identity-providers",
        json!({"name": "partners", "kind": "oidc", "audience": "console",
               "issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
               "email_domains": ["partner.example"]}),
    )
    .await;
    let at = sign_in(&app, &browser(), "partners", "/console/", "ada").await;
    assert_eq!(
        param(&at, "signin_error").as_deref(),
        Some("domain"),
        "{at}"
    );

    app.admin_create(
        "/users",
        json!({"name": "boss", "email": "Ada@Example.com", "password": "correct horse battery",
               "roles": ["admin"]}),
    )
    .await;
    let boss = browser();
    let at = sign_in(&app, &boss, "staff", "/console/operations", "ada").await;
    assert_eq!(at.path(), "/console/", "{at}");
    assert_eq!(param(&at, "next").as_deref(), Some("/console/operations"));
    let tokens: Value = handoff(&app, &boss, &param(&at, "handoff").unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["username"], "boss");
    assert!(
        tokens["scope"]
            .as_str()
            .unwrap()
            .split(' ')
            .any(|s| s == "admin")
    );
    let users = app
        .client
        .get(app.url("/admin/users"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), StatusCode::OK);

    // The portal's side does not offer it; deactivated, it is refused.
    let buttons: Value = app
        .get("/authorization/providers?audience=portal")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(buttons, json!([]));
    let mut provider: Value = app
        .admin_get("/identity-providers/staff")
        .await
        .json()
        .await
        .unwrap();
    provider["active"] = json!(false);
    for key in [
        "name",
        "label",
        "callback_path",
        "created_at",
        "updated_at",
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
    ] {
        provider.as_object_mut().unwrap().remove(key);
    }
    let updated = app
        .admin(reqwest::Method::PUT, "/identity-providers/staff")
        .json(&provider)
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.status(),
        StatusCode::OK,
        "the secret is kept when left out"
    );
    let closed = app
        .get("/authorization/providers/staff/start?return_to=/console/")
        .await;
    assert_problem(closed, 404).await;
}

#[tokio::test]
async fn a_github_style_oauth2_provider_signs_a_consumer_in_by_its_user_endpoint() {
    let app = spawn_app().await;
    open_portal(&app).await;
    let provider = crate::oauth2::Provider::start().await;
    app.admin_create(
        "/identity-providers",
        json!({"name": "hub", "kind": "oauth2", "label": "Hub", "audience": "portal",
               "authorization_endpoint": format!("{}/authorize", provider.base),
               "token_endpoint": format!("{}/token", provider.base),
               "userinfo_endpoint": format!("{}/user", provider.base),
               "client_id": "sluice", "client_secret": crate::oauth2::CLIENT_SECRET,
               "accounts": "create", "trust_email": true}),
    )
    .await;
    let hub = browser();
    let at = sign_in(&app, &hub, "hub", "/portal/apps", "ada").await;
    let code = param(&at, "handoff").unwrap_or_else(|| panic!("{at}"));
    let tokens: Value = handoff(&app, &hub, &code).await.json().await.unwrap();
    assert_eq!(
        tokens["username"], "ada@example.com",
        "the address, lower-cased"
    );

    // Without trust in its email, the same provider makes no account.
    let mut changed: Value = app
        .admin_get("/identity-providers/hub")
        .await
        .json()
        .await
        .unwrap();
    changed["trust_email"] = json!(false);
    changed["name"] = json!("hub2");
    for key in ["callback_path", "created_at", "updated_at", "issuer"] {
        changed.as_object_mut().unwrap().remove(key);
    }
    changed["client_secret"] = json!(crate::oauth2::CLIENT_SECRET);
    let made = app
        .admin(reqwest::Method::POST, "/identity-providers")
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        made.status(),
        StatusCode::CREATED,
        "{}",
        made.text().await.unwrap()
    );
    let at = sign_in(&app, &browser(), "hub2", "/portal/apps", "ada").await;
    assert_eq!(
        param(&at, "signin_error").as_deref(),
        Some("unverified_email"),
        "{at}"
    );
}

#[tokio::test]
async fn a_provider_with_a_bad_setting_is_refused_and_names_it() {
    let app = spawn_app().await;
    for (body, word) in [
        (
            json!({"name": "x", "kind": "saml", "audience": "portal", "client_id": "c",
                "client_secret": "s"}),
            "kind",
        ),
        (
            json!({"name": "x", "kind": "oidc", "audience": "portal", "client_id": "c",
                "client_secret": "s", "issuer": "http://idp.example"}),
            "issuer",
        ),
        (
            json!({"name": "x", "kind": "oauth2", "audience": "portal", "client_id": "c",
                "client_secret": "s", "authorization_endpoint": "https://a.example/auth",
                "token_endpoint": "https://a.example/token"}),
            "userinfo_endpoint",
        ),
        (
            json!({"name": "x", "kind": "oidc", "audience": "portal", "client_id": "c",
                "issuer": "https://idp.example"}),
            "client_secret",
        ),
        (
            json!({"name": "x", "kind": "oidc", "audience": "portal", "client_id": "c",
                "client_secret": "s", "issuer": "https://idp.example", "roles": ["admin"]}),
            "roles",
        ),
        (
            json!({"name": "x", "kind": "oidc", "audience": "console", "client_id": "c",
                "client_secret": "s", "issuer": "https://idp.example", "accounts": "create"}),
            "email_domains",
        ),
        (
            json!({"name": "..", "kind": "oidc", "audience": "portal", "client_id": "c",
                "client_secret": "s", "issuer": "https://idp.example"}),
            "/name",
        ),
    ] {
        let refused = app
            .admin(reqwest::Method::POST, "/identity-providers")
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(refused, 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(word),
            "{word}: {problem}"
        );
    }
    assert_eq!(
        app.admin_get("/identity-providers")
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([]),
        "nothing was stored"
    );
}
