//! Consumers' webhooks and the egress guard, end to end: a consumer signs
//! up through the consumer API (verification mail from the test SMTP
//! server), subscribes a webhook, and an action dispatches the event. A URL
//! whose host is plainly internal is refused at creation; a name resolving
//! to loopback is accepted but its delivery refused on the address it
//! would connect to; `SLUICE_WEBHOOK_ALLOW_NETWORKS` lets it through.

use std::time::Duration;

use mail_parser::MessageParser;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, find_mail, run_tool, spawn_app, spawn_app_with, started_server,
};
use crate::receiver;

const PASSWORD: &str = "a long passphrase nobody guesses 7";

/// The portal open for registration, mailing through the test SMTP server;
/// the event `thing_happened` open to consumers; `misbehave` as `POST /mb`
/// to dispatch it.
async fn with_portal(app: &TestApp) {
    let port: u16 = started_server("SLUICE_TEST_SMTP_PORT").parse().unwrap();
    app.create_connection(
        "mail",
        "smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none",
               "from": "Sluice Test <noreply@sluice.test>"}),
    )
    .await;
    let portal = app
        .admin(Method::PUT, "/portal")
        .json(&json!({
            "registration": "open",
            "mailer": "mail",
            "title": "Test API",
            "description": "An API to test consumers' webhooks.",
            "logo_url": null,
            "pages": [],
            "max_apps_per_consumer": 10,
            "public_url": app.address,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        portal.status(),
        StatusCode::OK,
        "{}",
        portal.text().await.unwrap()
    );
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.admin_create(
        "/events",
        json!({"name": "thing_happened", "description": "something happened",
               "consumers": true,
               "schema": {"type": "object", "required": ["id"],
                          "properties": {"id": {"type": "integer"}}}}),
    )
    .await;
}

/// Registers a consumer, activates them with the mailed link's token and
/// signs them in; answers their access token.
async fn consumer_token(app: &TestApp) -> String {
    let email = format!("dev-{}@example.com", uuid::Uuid::new_v4().simple());
    let registered = app
        .client
        .post(app.url("/consumer/register"))
        .json(&json!({"name": "Dev", "email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::ACCEPTED);
    let raw = find_mail(&email).await;
    let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
    let text = message.body_text(0).unwrap().into_owned();
    let (_, after) = text
        .split_once("/portal/activate?token=")
        .unwrap_or_else(|| panic!("no activation link in {text}"));
    let token: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.~%".contains(*c))
        .collect();
    let activated = app
        .client
        .post(app.url("/consumer/activate"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), StatusCode::OK);
    let signed_in = app.password_login(&email, PASSWORD).await;
    signed_in["access_token"].as_str().unwrap().to_string()
}

/// `POST /consumer/webhooks {event, url}` as the consumer.
async fn subscribe(app: &TestApp, token: &str, url: &str) -> reqwest::Response {
    app.client
        .post(app.url("/consumer/webhooks"))
        .bearer_auth(token)
        .json(&json!({"event": "thing_happened", "url": url}))
        .send()
        .await
        .unwrap()
}

/// Dispatches `thing_happened` with `id`.
async fn dispatch(app: &TestApp, id: i64) {
    let answer = app
        .misbehave(
            "dispatch",
            json!({"event": "thing_happened", "payload": {"id": id}}),
        )
        .await;
    assert_eq!(answer["dispatched"], true, "{answer}");
}

/// Polls the consumer's view of webhook `id`'s deliveries until `done`
/// holds for the first one (20 s at most).
async fn wait_delivery(
    app: &TestApp,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let path = format!("/consumer/webhooks/{id}/deliveries");
    for _ in 0..2000 {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let deliveries: Value = response.json().await.unwrap();
        if deliveries.get(0).is_some_and(&done) {
            return deliveries[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{path} never got there");
}

#[tokio::test]
async fn a_consumer_webhook_to_an_internal_address_is_refused_at_creation_with_a_pointer_to_the_url()
 {
    let app = spawn_app().await;
    with_portal(&app).await;
    let token = consumer_token(&app).await;
    let receiver = receiver::start(&[200], false).await;
    let port = url::Url::parse(&receiver.url).unwrap().port().unwrap();
    for (url, says) in [
        (receiver.url.clone(), "loopback"),
        (format!("http://[::1]:{port}"), "loopback"),
        (format!("http://[::ffff:127.0.0.1]:{port}/hook"), "loopback"),
        (format!("http://2130706433:{port}/hook"), "loopback"),
        (
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "metadata",
        ),
        ("http://10.0.0.7/hook".to_string(), "private"),
        ("ftp://example.com/hook".to_string(), "http"),
        (
            "https://user:secret@example.com/hook".to_string(),
            "user name",
        ),
    ] {
        let problem = assert_problem(subscribe(&app, &token, &url).await, 400).await;
        let error = &problem["errors"][0];
        assert_eq!(error["pointer"], "/url", "{url}: {problem}");
        assert!(
            error["message"].as_str().unwrap().contains(says),
            "{url}: {problem}"
        );
    }
    let listed: Value = app
        .client
        .get(app.url("/consumer/webhooks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]), "nothing was subscribed");
}

#[tokio::test]
async fn a_consumer_webhook_to_a_name_resolving_to_loopback_is_accepted_but_its_delivery_is_refused()
 {
    let app = spawn_app().await;
    with_portal(&app).await;
    let token = consumer_token(&app).await;
    let theirs = receiver::start(&[200], false).await;
    let by_name = theirs.url.replace("127.0.0.1", "localhost");
    let created = subscribe(&app, &token, &by_name).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let webhook: Value = created.json().await.unwrap();
    let id = webhook["id"].as_str().unwrap().to_string();
    // An admin's webhook to loopback is the operator's choice: not guarded.
    let admins = receiver::start(&[200], false).await;
    app.admin_create(
        "/webhooks",
        json!({"name": "operators", "event": "thing_happened", "url": admins.url}),
    )
    .await;

    dispatch(&app, 7).await;
    admins.wait_for(1).await;
    let delivery = wait_delivery(&app, &token, &id, |d| !d["last_error"].is_null()).await;
    let error = delivery["last_error"].as_str().unwrap();
    assert!(
        error.starts_with("refused: localhost resolves to "),
        "{delivery}"
    );
    assert!(error.contains("127.0.0.1 (a loopback address)"), "{error}");
    assert!(
        error.ends_with("set SLUICE_WEBHOOK_ALLOW_NETWORKS to allow it")
            || error.ends_with("set SLUICE_WEBHOOK_ALLOW_NETWORKS to allow them"),
        "{error}"
    );
    assert!(delivery["last_status_code"].is_null(), "{delivery}");
    assert!(delivery["delivered_at"].is_null(), "{delivery}");
    assert!(
        theirs.deliveries().is_empty(),
        "the consumer's receiver got nothing"
    );
}

#[tokio::test]
async fn with_loopback_allowed_a_consumer_webhook_is_delivered_signed_per_standard_webhooks() {
    let app = spawn_app_with(|s| {
        s.worker.webhook_allow_networks = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    with_portal(&app).await;
    let token = consumer_token(&app).await;
    let receiver = receiver::start(&[200], false).await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let created = subscribe(&app, &token, &by_name).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let webhook: Value = created.json().await.unwrap();
    let id = webhook["id"].as_str().unwrap().to_string();
    let secret = webhook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{webhook}");
    // The allow-list admits the literal address at creation too.
    let other = receiver::start(&[200], false).await;
    let literal = subscribe(&app, &token, &other.url).await;
    assert_eq!(literal.status(), StatusCode::CREATED);

    dispatch(&app, 42).await;
    other.wait_for(1).await;
    let delivery = receiver.wait_for(1).await[0].clone();
    let delivered = wait_delivery(&app, &token, &id, |d| d["status"] == "delivered").await;
    assert_eq!(delivered["last_status_code"], 200, "{delivered}");
    assert!(delivered["last_error"].is_null(), "{delivered}");

    // An independent verifier checks the signature: PyPI's `standardwebhooks`.
    let header = |name: &str| delivery.headers[name].to_str().unwrap().to_string();
    let dir = app.data_dir.path();
    std::fs::write(dir.join("body"), &delivery.body).unwrap();
    let script = format!(
        r#"
from standardwebhooks import Webhook
body = open("body", "rb").read().decode()
headers = {{"webhook-id": "{id}", "webhook-timestamp": "{ts}", "webhook-signature": "{sig}"}}
print("type", Webhook("{secret}").verify(body, headers)["type"])
try:
    Webhook("{secret}").verify(body.replace("42", "43"), headers)
    print("tampered body accepted")
except Exception:
    print("tampered body refused")
"#,
        id = header("webhook-id"),
        ts = header("webhook-timestamp"),
        sig = header("webhook-signature"),
    );
    let out = run_tool("python", dir, &["-c", &script]).await;
    assert!(out.contains("type thing_happened"), "{out}");
    assert!(out.contains("tampered body refused"), "{out}");
    let event: Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(event["data"], json!({"id": 42}));
}
