//! The consumer side: people sign up in the portal's API, confirm their
//! address from the mail the test SMTP server stores, sign in with the
//! password grant, make apps and tokens and call a private operation —
//! and every way in which that must be refused.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, find_mail, spawn_app, spawn_app_with, started_server,
};

/// A password zxcvbn rates as strong.
const STRONG: &str = "correct horse battery staple 42";

/// A server with an smtp mailer, the portal open (or `mode`), scope
/// `weather` open to consumers and `internal` not, and the `echo` action
/// as the private operation `GET /forecast/:city` needing `weather`.
async fn portal_with(app: &TestApp, mode: &str) {
    let port: u16 = started_server("SLUICE_TEST_SMTP_PORT").parse().unwrap();
    app.create_connection(
        "mailer",
        "smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none",
               "from": "Weather API <portal@weather.test>"}),
    )
    .await;
    let put = app
        .admin(reqwest::Method::PUT, "/portal")
        .json(
            &json!({"registration": mode, "mailer": "mailer", "title": "Weather API",
                      "public_url": app.address}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.status(),
        StatusCode::OK,
        "{}",
        put.text().await.unwrap()
    );
    app.admin_create("/scopes", json!({"name": "weather", "consumers": true}))
        .await;
    app.admin_create("/scopes", json!({"name": "internal"}))
        .await;
    app.upload_example("echo").await;
    app.admin_create(
        "/operations",
        json!({"name": "forecast", "method": "GET", "path": "/forecast/:city",
               "action": "echo", "public": false, "scopes": ["weather"]}),
    )
    .await;
}

async fn portal_app() -> TestApp {
    let app = spawn_app().await;
    portal_with(&app, "open").await;
    app
}

/// A unique address at the test domain.
fn address(who: &str) -> String {
    format!("{who}-{}@example.com", uuid::Uuid::new_v4().simple())
}

impl TestApp {
    async fn consumer_post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/consumer{path}")))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn as_consumer(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(&format!("/consumer{path}")))
            .bearer_auth(token)
    }

    /// Signs `email` up and answers the token of the mailed link.
    async fn sign_up(&self, name: &str, email: &str) -> String {
        let answer = self
            .consumer_post(
                "/register",
                json!({"name": name, "email": email, "password": STRONG}),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
        link_token(&find_mail(email).await, "/portal/activate?token=")
    }

    /// Signs up, confirms and signs in: an access token.
    async fn consumer_token(&self, email: &str) -> String {
        let token = self.sign_up("Ada", email).await;
        let activated = self
            .consumer_post("/activate", json!({"token": token}))
            .await;
        assert_eq!(activated.status(), StatusCode::OK);
        self.password_login(email, STRONG).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// The first stored mail to `to` whose text contains `needle`.
async fn mail_to(to: &str, needle: &str) -> String {
    let dir = std::path::PathBuf::from(started_server("SLUICE_TEST_MAILDIR")).join("new");
    for _ in 0..100 {
        let found = std::fs::read_dir(&dir).unwrap().flatten().find_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            (text.contains(&format!("To: {to}")) && text.contains(needle)).then_some(text)
        });
        if let Some(text) = found {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} containing {needle:?} arrived");
}

/// The token after `marker` in a raw mail's decoded text body.
fn link_token(raw: &str, marker: &str) -> String {
    let message = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a parseable mail");
    let mail = message.body_text(0).expect("a text body").into_owned();
    let at = mail
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {mail}"));
    mail[at + marker.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

#[tokio::test]
async fn a_consumer_signs_up_confirms_makes_an_app_and_calls_a_private_operation_it_then_sees_in_usage()
 {
    let app = portal_app().await;
    let email = address("ada");
    let link = app.sign_up("Ada Lovelace", &email).await;
    assert_eq!(link.len(), 64);
    let raw = find_mail(&email).await;
    let text = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(
        text.contains(&format!("{}/portal/activate?token=", app.address)),
        "{text}"
    );

    let activated = app.consumer_post("/activate", json!({"token": link})).await;
    let body: Value = activated.json().await.unwrap();
    assert_eq!(body, json!({"status": "active"}));
    let signed_in = app.password_login(&email.to_uppercase(), STRONG).await;
    let token = signed_in["access_token"].as_str().unwrap();
    assert_eq!(signed_in["scope"], "weather");

    let account: Value = app
        .as_consumer(reqwest::Method::GET, "/account", token)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["name"], "Ada Lovelace");
    assert_eq!(account["email"], email);
    assert_eq!(account["status"], "active");

    let created = app
        .as_consumer(reqwest::Method::POST, "/apps", token)
        .await
        .json(&json!({"name": "My weather app", "scopes": ["weather"],
                      "redirect_uris": ["https://app.example.com/cb"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["name"], "My weather app");
    let secret = created["client_secret"].as_str().unwrap();
    let client_id = created["client_id"].as_str().unwrap();
    let listed: Value = app
        .as_consumer(reqwest::Method::GET, "/apps", token)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["client_id"], client_id);
    assert!(listed[0].get("client_secret").is_none(), "{listed}");

    let app_token = app
        .client_token(&crate::helpers::AppClient {
            client_id: client_id.into(),
            client_secret: secret.into(),
        })
        .await;
    let called = app
        .client
        .get(app.url("/forecast/paris"))
        .bearer_auth(&app_token)
        .send()
        .await
        .unwrap();
    assert_eq!(called.status(), StatusCode::OK);

    let id = created["id"].as_str().unwrap().to_string();
    crate::helpers::time_until(|| async {
        let usage: Value = app
            .as_consumer(reqwest::Method::GET, &format!("/usage?app={id}"), token)
            .await
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        usage["totals"]["requests"] == 1 && usage["days"][0]["operation"] == "forecast"
    })
    .await;
    let logs: Value = app
        .as_consumer(reqwest::Method::GET, "/logs", token)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(logs[0]["path"], "/forecast/paris");
    assert!(
        logs[0].get("ip").is_none(),
        "a consumer never sees IPs: {logs}"
    );
}

#[tokio::test]
async fn signing_up_twice_with_one_address_answers_alike_and_makes_no_second_account() {
    let app = portal_app().await;
    let email = address("twice");
    app.sign_up("First", &email).await;
    let again = app
        .consumer_post(
            "/register",
            json!({"name": "Second", "email": email.to_uppercase(), "password": STRONG}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    mail_to(&email, "you already have an account").await;
    let listed: Value = app
        .admin_get(&format!("/consumers?q={email}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["name"], "First");
    assert_eq!(listed[0]["status"], "unverified");
}

#[tokio::test]
async fn a_weak_password_or_a_bad_address_is_refused_with_pointers() {
    let app = portal_app().await;
    let answer = app
        .consumer_post(
            "/register",
            json!({"name": "Bob", "email": "not-an-address", "password": "password123"}),
        )
        .await;
    let problem = assert_problem(answer, 400).await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/email", "/password"], "{problem}");
}

#[tokio::test]
async fn an_unconfirmed_consumer_cannot_sign_in_and_a_link_works_once() {
    let app = portal_app().await;
    let email = address("slow");
    let link = app.sign_up("Slow", &email).await;
    let refused = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", &email),
            ("password", STRONG),
        ])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("not confirmed")
    );

    let first = app.consumer_post("/activate", json!({"token": link})).await;
    assert_eq!(first.status(), StatusCode::OK);
    let reused = app.consumer_post("/activate", json!({"token": link})).await;
    let problem = assert_problem(reused, 400).await;
    assert_eq!(problem["errors"][0]["pointer"], "/token");
}

#[tokio::test]
async fn an_expired_activation_link_is_refused() {
    let app = portal_app().await;
    let email = address("late");
    let link = app.sign_up("Late", &email).await;
    // A day passes: the link's expiry moves into the past.
    sqlx::query("UPDATE consumer_links SET expires_at = expires_at - 86401")
        .execute(&app.db)
        .await
        .unwrap();
    let answer = app.consumer_post("/activate", json!({"token": link})).await;
    assert_problem(answer, 400).await;
}

#[tokio::test]
async fn another_consumers_app_is_not_found_and_closed_scopes_are_refused() {
    let app = portal_app().await;
    let ada = app.consumer_token(&address("ada")).await;
    let eve = app.consumer_token(&address("eve")).await;
    let created: Value = app
        .as_consumer(reqwest::Method::POST, "/apps", &ada)
        .await
        .json(&json!({"name": "Ada's"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let answer = app
            .as_consumer(method, &format!("/apps/{id}"), &eve)
            .await
            .send()
            .await
            .unwrap();
        assert_problem(answer, 404).await;
    }
    let rotate = app
        .as_consumer(reqwest::Method::POST, &format!("/apps/{id}/secret"), &eve)
        .await
        .send()
        .await
        .unwrap();
    assert_problem(rotate, 404).await;

    let closed = app
        .as_consumer(reqwest::Method::POST, "/apps", &ada)
        .await
        .json(&json!({"name": "Sneaky", "scopes": ["weather", "internal"]}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(closed, 400).await;
    assert_eq!(problem["errors"][0]["pointer"], "/scopes/0");
    let admin = app
        .as_consumer(reqwest::Method::POST, "/tokens", &ada)
        .await
        .json(&json!({"name": "root", "scopes": ["admin"]}))
        .send()
        .await
        .unwrap();
    assert_problem(admin, 400).await;
    let scopes: Value = app
        .as_consumer(reqwest::Method::GET, "/scopes", &ada)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(scopes, json!([{"name": "weather", "description": ""}]));
}

#[tokio::test]
async fn a_personal_access_token_calls_the_api_until_it_is_revoked() {
    let app = portal_app().await;
    let session = app.consumer_token(&address("pat")).await;
    let created = app
        .as_consumer(reqwest::Method::POST, "/tokens", &session)
        .await
        .json(&json!({"name": "cron script", "expires_in_days": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let pat = created["token"].as_str().unwrap();
    assert_eq!(created["scopes"], json!(["weather"]));
    let call = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/forecast/oslo"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(call(pat.to_string()).await, StatusCode::OK);
    let listed: Value = app
        .as_consumer(reqwest::Method::GET, "/tokens", &session)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["name"], "cron script");
    assert!(listed[0].get("token").is_none());
    let id = created["id"].as_str().unwrap();
    let revoked = app
        .as_consumer(reqwest::Method::DELETE, &format!("/tokens/{id}"), &session)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(call(pat.to_string()).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_up_is_refused_when_closed_and_waits_for_an_admin_in_approval_mode() {
    let app = spawn_app().await;
    let closed = app
        .consumer_post(
            "/register",
            json!({"name": "X", "email": address("x"), "password": STRONG}),
        )
        .await;
    assert_problem(closed, 403).await;

    portal_with(&app, "approval").await;
    let email = address("waits");
    let link = app.sign_up("Waits", &email).await;
    let activated: Value = app
        .consumer_post("/activate", json!({"token": link}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(activated["status"], "awaiting_approval");
    let refused = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", &email),
            ("password", STRONG),
        ])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let waiting: Value = app
        .admin_get("/consumers?status=awaiting_approval")
        .await
        .json()
        .await
        .unwrap();
    let id = waiting[0]["id"].as_str().unwrap();
    let approved = app.admin_post(&format!("/consumers/{id}/approve")).await;
    assert_eq!(approved["status"], "active");
    app.password_login(&email, STRONG).await;
}

#[tokio::test]
async fn deactivating_a_consumer_revokes_their_tokens_and_stops_their_apps() {
    let app = portal_app().await;
    let email = address("gone");
    let token = app.consumer_token(&email).await;
    let created: Value = app
        .as_consumer(reqwest::Method::POST, "/apps", &token)
        .await
        .json(&json!({"name": "Doomed", "scopes": ["weather"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = crate::helpers::AppClient {
        client_id: created["client_id"].as_str().unwrap().into(),
        client_secret: created["client_secret"].as_str().unwrap().into(),
    };
    let app_token = app.client_token(&client).await;
    let detail: Value = app
        .admin_get(&format!("/consumers?q={email}"))
        .await
        .json()
        .await
        .unwrap();
    let id = detail[0]["id"].as_str().unwrap();
    assert_eq!(detail[0]["apps"], 1);
    app.admin_post(&format!("/consumers/{id}/deactivate")).await;

    let account = app
        .as_consumer(reqwest::Method::GET, "/account", &token)
        .await
        .send()
        .await
        .unwrap();
    assert_problem(account, 401).await;
    let call = app
        .client
        .get(app.url("/forecast/rome"))
        .bearer_auth(&app_token)
        .send()
        .await
        .unwrap();
    assert_eq!(call.status(), StatusCode::UNAUTHORIZED);
    let again = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", &client.client_secret),
        ])
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_mail_and_old_sessions_end() {
    let app = portal_app().await;
    let email = address("forgot");
    let old = app.consumer_token(&email).await;
    let asked = app
        .consumer_post("/password-reset", json!({"email": email}))
        .await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let unknown = app
        .consumer_post("/password-reset", json!({"email": address("nobody")}))
        .await;
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    let token = link_token(
        &mail_to(&email, "set a new password").await,
        "/portal/reset?token=",
    );
    let weak = app
        .consumer_post(
            "/password-reset/confirm",
            json!({"token": token, "password": "aaaaaaaaaa"}),
        )
        .await;
    let problem = assert_problem(weak, 400).await;
    assert_eq!(problem["errors"][0]["pointer"], "/password");
    let done = app
        .consumer_post(
            "/password-reset/confirm",
            json!({"token": token, "password": "violet lamp orbit canyon 7"}),
        )
        .await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let account = app
        .as_consumer(reqwest::Method::GET, "/account", &old)
        .await
        .send()
        .await
        .unwrap();
    assert_problem(account, 401).await;
    app.password_login(&email, "violet lamp orbit canyon 7")
        .await;
}

#[tokio::test]
async fn deleting_the_account_revokes_everything_and_erases_the_address() {
    let app = portal_app().await;
    let email = address("leaving");
    let token = app.consumer_token(&email).await;
    let wrong = app
        .as_consumer(reqwest::Method::DELETE, "/account", &token)
        .await
        .json(&json!({"password": "not it at all"}))
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 400).await;
    let deleted = app
        .as_consumer(reqwest::Method::DELETE, "/account", &token)
        .await
        .json(&json!({"password": STRONG}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.status(),
        StatusCode::NO_CONTENT,
        "{}",
        deleted.text().await.unwrap()
    );
    let listed: Value = app
        .admin_get(&format!("/consumers?q={email}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    let whoami = app.whoami(&token).await;
    assert_eq!(whoami.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_ups_past_the_hourly_allowance_get_429() {
    let app = spawn_app_with(|s| s.portal_limits.signups_per_hour = 2).await;
    portal_with(&app, "open").await;
    for _ in 0..2 {
        app.sign_up("Busy", &address("busy")).await;
    }
    let third = app
        .consumer_post(
            "/register",
            json!({"name": "Busy", "email": address("busy"), "password": STRONG}),
        )
        .await;
    assert_problem(third, 429).await;
}

#[tokio::test]
async fn the_admin_opens_scopes_to_consumers_but_never_admin() {
    let app = spawn_app().await;
    let refused = app
        .admin(reqwest::Method::PUT, "/scopes/admin")
        .json(&json!({"consumers": true}))
        .send()
        .await
        .unwrap();
    assert_problem(refused, 400).await;
    let portal = app
        .admin(reqwest::Method::PUT, "/portal")
        .json(&json!({"registration": "open"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(portal, 400).await;
    assert_eq!(problem["errors"][0]["pointer"], "/mailer");
    let shown: Value = app.get("/consumer/portal").await.json().await.unwrap();
    assert_eq!(shown["registration"], "closed");
}

#[tokio::test]
async fn the_consumer_api_without_a_token_is_401_and_with_an_app_token_403() {
    let app = portal_app().await;
    let bare = app.get("/consumer/account").await;
    assert_problem(bare, 401).await;
    let admin_app = app.create_client("robot", &["weather"]).await;
    let token = app.client_token(&admin_app).await;
    let answer = app
        .as_consumer(reqwest::Method::GET, "/apps", &token)
        .await
        .send()
        .await
        .unwrap();
    assert_problem(answer, 403).await;
    let document: Value = app
        .get("/system/consumer-openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["paths"]["/apps/{id}/secret"]["post"].is_object());
}

/// What schemathesis may not expect of the consumer API: endpoints whose
/// answer depends on something a schema cannot say — a secret the
/// generator cannot know (a mailed token, the current password), a
/// password's strength beyond its length, which scopes the admin opened —
/// may refuse a schema-valid body with 400. Deleting the account would end
/// the run's session, so it is left out.
const SCHEMATHESIS_CONFIG: &str = r#"
[[operations]]
include-operation-id = ["activate", "password-reset-confirm", "register", "account-update",
                        "apps-create", "apps-update", "tokens-create"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409, 429]
"#;

#[tokio::test]
async fn the_consumer_document_passes_the_validator_and_every_schemathesis_check() {
    let app = spawn_app_with(|s| {
        s.portal_limits.signups_per_hour = 100_000;
        s.portal_limits.mails_per_hour = 100_000;
    })
    .await;
    portal_with(&app, "open").await;
    let token = app.consumer_token(&address("fuzz")).await;
    let doc: Value = app
        .get("/system/consumer-openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let file = app.data_dir.path().join("consumer-openapi.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    crate::helpers::run_tool(
        "python",
        app.data_dir.path(),
        &["-m", "openapi_spec_validator", file.to_str().unwrap()],
    )
    .await;
    let config = app.data_dir.path().join("schemathesis.toml");
    std::fs::write(&config, SCHEMATHESIS_CONFIG).unwrap();
    let auth = format!("Authorization: Bearer {token}");
    let mut args = vec!["--config-file", config.to_str().unwrap(), "run"];
    args.extend([file.to_str().unwrap(), "--checks", "all", "--seed", "1"]);
    let url = app.url("/consumer");
    args.extend([
        "--phases",
        "examples,coverage,fuzzing",
        "--no-color",
        "--url",
        &url,
        "--header",
        &auth,
        "--exclude-operation-id",
        "account-delete",
        "--max-examples",
        "25",
        "--request-timeout",
        "60",
    ]);
    crate::helpers::run_tool("schemathesis", app.data_dir.path(), &args).await;
}

#[tokio::test]
async fn a_consumer_sees_and_withdraws_a_consent_and_the_apps_tokens_stop_working() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let app = portal_app().await;
    let email = address("ada");
    let ada = app.consumer_token(&email).await;
    let redirect = "http://127.0.0.1:9/callback";
    let third = app
        .admin_create(
            "/apps",
            json!({"name": "third", "scopes": ["weather"], "redirect_uris": [redirect]}),
        )
        .await;
    let client_id = third["client_id"].as_str().unwrap();
    let verifier = "v".repeat(43);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let query = format!(
        "response_type=code&client_id={client_id}&redirect_uri={}&scope=weather\
         &code_challenge={challenge}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
    );
    let decided: Value = app
        .client
        .post(app.url("/authorization/authorize"))
        .bearer_auth(&ada)
        .json(&json!({"query": query, "decision": "allow"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let to = url::Url::parse(decided["redirect_to"].as_str().unwrap()).unwrap();
    let code = to
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let tokens: Value = app
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", third["client_secret"].as_str().unwrap()),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
        ])
        .await
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let called = app
        .client
        .get(app.url("/forecast/oslo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(called.status(), StatusCode::OK);
    // The token the app holds for the consumer never manages the account:
    // no personal access token, no secret of the consumer's apps.
    for (method, path) in [
        (reqwest::Method::POST, "/tokens"),
        (reqwest::Method::GET, "/apps"),
        (reqwest::Method::GET, "/consents"),
    ] {
        let answer = app
            .as_consumer(method, path, access)
            .await
            .json(&json!({"name": "stolen"}))
            .send()
            .await
            .unwrap();
        crate::helpers::assert_problem(answer, 403).await;
    }

    let listed: Value = app
        .as_consumer(reqwest::Method::GET, "/consents", &ada)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["app"], "third", "{listed}");
    assert_eq!(listed[0]["scopes"], json!(["weather"]));
    let consumers: Value = app.admin_get("/consumers").await.json().await.unwrap();
    let id = consumers
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == email.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let seen: Value = app
        .admin_get(&format!("/consumers/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen, listed, "the admin sees what the consumer sees");

    let withdrawn = app
        .as_consumer(
            reqwest::Method::DELETE,
            &format!("/consents/{client_id}"),
            &ada,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.whoami(access).await.status(), StatusCode::UNAUTHORIZED);
    let refreshed = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", third["client_secret"].as_str().unwrap()),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(refreshed.status(), StatusCode::BAD_REQUEST);
    let again = app
        .as_consumer(
            reqwest::Method::DELETE,
            &format!("/consents/{client_id}"),
            &ada,
        )
        .await
        .send()
        .await
        .unwrap();
    crate::helpers::assert_problem(again, 404).await;
    // The consumer's own session is untouched.
    assert_eq!(app.whoami(&ada).await.status(), StatusCode::OK);
}
