//! `smtp` connections against a real SMTP server on loopback (aiosmtpd,
//! started by the test command, storing what it accepts in a Maildir that
//! the tests read back).

use std::path::PathBuf;
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, started_server};

async fn with_smtp() -> TestApp {
    let port: u16 = started_server("SLUICE_TEST_SMTP_PORT").parse().unwrap();
    let app = spawn_app().await;
    app.create_connection(
        "mail",
        "smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none",
               "from": "Sluice Test <noreply@sluice.test>"}),
    )
    .await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["mail"]).await;
    app
}

/// The raw message whose subject is `subject`, once the server stored it.
async fn delivered(subject: &str) -> Vec<u8> {
    let dir = PathBuf::from(started_server("SLUICE_TEST_MAILDIR")).join("new");
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let raw = std::fs::read(entry.path()).unwrap();
                if String::from_utf8_lossy(&raw).contains(subject) {
                    return raw;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no message with subject {subject:?} in {}", dir.display());
}

#[tokio::test]
async fn a_message_is_delivered_with_the_exact_headers_and_both_bodies() {
    let app = with_smtp().await;
    let subject = format!("Digest {}", uuid::Uuid::new_v4());
    let sent = app
        .misbehave(
            "smtp-send",
            json!({"conn": "mail", "subject": subject,
                   "to": ["Ada <ada@example.com>"], "cc": ["grace@example.com"],
                   "bcc": ["hidden@example.com"], "reply_to": "desk@example.com",
                   "text": "Sunny, 21 °C", "html": "<p>Sunny, <b>21 °C</b></p>"}),
        )
        .await;
    let id = sent["id"].as_str().unwrap_or_else(|| panic!("{sent}"));
    assert!(id.ends_with("@sluice.test"), "{id}");

    let raw = delivered(&subject).await;
    let message = MessageParser::default().parse(&raw).unwrap();
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("Sluice Test"));
    assert_eq!(from.address(), Some("noreply@sluice.test"));
    let to = message.to().unwrap().first().unwrap();
    assert_eq!(
        (to.name(), to.address()),
        (Some("Ada"), Some("ada@example.com"))
    );
    assert_eq!(
        message.cc().unwrap().first().unwrap().address(),
        Some("grace@example.com")
    );
    assert_eq!(
        message.reply_to().unwrap().first().unwrap().address(),
        Some("desk@example.com")
    );
    assert_eq!(message.subject(), Some(subject.as_str()));
    assert_eq!(message.message_id(), Some(id));
    assert!(message.bcc().is_none(), "Bcc must not be in the headers");
    assert!(message.content_type().unwrap().subtype() == Some("alternative"));
    assert_eq!(message.body_text(0).unwrap().trim(), "Sunny, 21 °C");
    assert!(message.body_html(0).unwrap().contains("<b>21 °C</b>"));

    // The blind recipient was in the envelope (aiosmtpd records it).
    let envelope = String::from_utf8_lossy(&raw);
    let rcpt = envelope
        .lines()
        .find(|l| l.starts_with("X-RcptTo:"))
        .unwrap();
    assert!(rcpt.contains("hidden@example.com"), "{rcpt}");
}

#[tokio::test]
async fn bad_addresses_and_incomplete_messages_are_typed_errors() {
    let app = with_smtp().await;
    let send = |spec: Value| app.misbehave("smtp-send", spec);
    let bad =
        send(json!({"conn": "mail", "subject": "x", "to": ["not an address"], "text": "t"})).await;
    assert_eq!(bad["error"], "invalid-address", "{bad}");
    let nobody = send(json!({"conn": "mail", "subject": "x", "text": "t"})).await;
    assert_eq!(nobody["error"], "invalid-message", "{nobody}");
    let empty = send(json!({"conn": "mail", "subject": "x", "to": ["a@example.com"]})).await;
    assert_eq!(empty["error"], "invalid-message", "{empty}");
}

#[tokio::test]
async fn smtp_connections_are_lent_only_to_granted_actions() {
    let app = with_smtp().await;
    let port = started_server("SLUICE_TEST_SMTP_PORT");
    app.create_connection(
        "other",
        "smtp",
        json!({"host": "127.0.0.1", "port": port.parse::<u16>().unwrap(), "tls": "none", "from": "a@b.test"}),
    )
    .await;
    let spec =
        |conn: &str| json!({"conn": conn, "subject": "x", "to": ["a@example.com"], "text": "t"});
    let denied = app.misbehave("smtp-send", spec("other")).await;
    assert_eq!(denied["error"], "access-denied", "{denied}");
    let missing = app.misbehave("smtp-send", spec("missing")).await;
    assert_eq!(missing["error"], "no-such-connection", "{missing}");
}

#[tokio::test]
async fn an_unreachable_mail_server_is_refused_at_creation_and_connect_failed_later() {
    let app = spawn_app().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let config = json!({"host": "127.0.0.1", "port": port, "tls": "none", "from": "a@b.test",
                        "username": "u", "password": "smtp-pass-never-shown"});
    let response = app
        .admin(reqwest::Method::POST, "/connections")
        .json(&json!({"name": "mail", "class": "smtp", "config": config}))
        .send()
        .await
        .unwrap();
    crate::helpers::assert_problem(response, 422).await;
    let response = app
        .admin(reqwest::Method::POST, "/connections?skip_test=true")
        .json(&json!({"name": "mail", "class": "smtp", "config": config}))
        .send()
        .await
        .unwrap();
    let shown = response.text().await.unwrap();
    assert!(!shown.contains("smtp-pass-never-shown"), "{shown}");
    assert!(shown.contains(r#""password_set":true"#), "{shown}");
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["mail"]).await;
    let failed = app
        .misbehave(
            "smtp-send",
            json!({"conn": "mail", "subject": "x", "to": ["a@example.com"], "text": "t"}),
        )
        .await;
    assert_eq!(failed["error"], "connect-failed", "{failed}");
}

#[tokio::test]
async fn starttls_and_implicit_tls_deliver_to_a_server_whose_certificate_is_trusted() {
    let ca = std::fs::read_to_string(started_server("SLUICE_TEST_SMTP_CA")).unwrap();
    let app = spawn_app().await;
    for (name, tls, var) in [
        ("starttls", "starttls", "SLUICE_TEST_SMTP_STARTTLS_PORT"),
        ("smtps", "tls", "SLUICE_TEST_SMTPS_PORT"),
    ] {
        let port: u16 = started_server(var).parse().unwrap();
        let config =
            json!({"host": "127.0.0.1", "port": port, "tls": tls, "from": "tls@sluice.test"});
        // Without the certificate the server is not trusted: nothing is stored.
        let untrusted = app
            .admin(reqwest::Method::POST, "/connections")
            .json(&json!({"name": name, "class": "smtp", "config": config}))
            .send()
            .await
            .unwrap();
        crate::helpers::assert_problem(untrusted, 422).await;
        let mut trusted = config.clone();
        trusted["ca_cert"] = json!(ca);
        app.create_connection(name, "smtp", trusted).await;
    }
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["starttls", "smtps"]).await;
    for conn in ["starttls", "smtps"] {
        let subject = format!("Over {conn} {}", uuid::Uuid::new_v4());
        let sent = app
            .misbehave(
                "smtp-send",
                json!({"conn": conn, "subject": subject, "to": ["a@example.com"], "text": "t"}),
            )
            .await;
        assert!(sent["id"].is_string(), "{conn}: {sent}");
        let raw = delivered(&subject).await;
        assert!(String::from_utf8_lossy(&raw).contains("From: tls@sluice.test"));
    }
}

#[tokio::test]
async fn starttls_is_required_when_configured() {
    let port = started_server("SLUICE_TEST_SMTP_PORT");
    let app = spawn_app().await;
    let response = app
        .admin(reqwest::Method::POST, "/connections")
        .json(&json!({"name": "mail", "class": "smtp", "config": {
            "host": "127.0.0.1", "port": port.parse::<u16>().unwrap(), "tls": "starttls", "from": "a@b.test"}}))
        .send()
        .await
        .unwrap();
    crate::helpers::assert_problem(response, 422).await;
}
