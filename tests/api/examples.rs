//! The `proxy`, `weather` and `contact` examples end to end, as the README's
//! start command deploys them, against a real upstream and SMTP server.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app, started_server};
use crate::upstream::{self, WEATHER_KEY};

async fn operation(app: &TestApp, name: &str, method: &str, path: &str, action: &str) {
    let created = app
        .create_operation(&json!({"name": name, "method": method, "path": path, "action": action}))
        .await;
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "{}",
        created.text().await.unwrap()
    );
}

#[tokio::test]
async fn proxy_forwards_method_path_query_headers_and_body_with_the_connections_token() {
    let upstream = upstream::start().await;
    let app = spawn_app().await;
    app.create_connection(
        "upstream",
        "http",
        json!({"base_url": upstream.base, "auth": {"type": "bearer", "token": "upstream-token"}}),
    )
    .await;
    app.upload_example("proxy").await;
    app.grant("proxy", &["upstream"]).await;
    operation(&app, "proxy-get", "GET", "/proxy/*rest", "proxy").await;
    operation(&app, "proxy-post", "POST", "/proxy/*rest", "proxy").await;
    // The consumer's own (Sluice) token stays with Sluice; the upstream
    // sees the connection's.
    app.create_scopes(&["any"]).await;
    let consumer = app.create_client("consumer", &["any"]).await;
    let consumer_token = app.client_token(&consumer).await;

    let response = app
        .client
        .post(app.url("/proxy/items/7?x=1&x=2"))
        .bearer_auth(&consumer_token)
        .header("x-custom", "a")
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"ok": true}));
    let seen = &upstream.seen_at("/v1/items/7")[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.query.as_deref(), Some("x=1&x=2"));
    assert_eq!(seen.headers["authorization"], "Bearer upstream-token");
    assert_eq!(seen.headers["x-custom"], "a");
    assert_eq!(&seen.body[..], b"payload");

    let redirect = app.get("/proxy/to-inside").await;
    assert_eq!(redirect.status(), StatusCode::OK);
    // An encoded slash would let the upstream read the path differently.
    let escape = app.get("/proxy/..%2fadmin").await;
    assert_problem(escape, 400).await;
    assert!(upstream.seen().iter().all(|s| s.path.starts_with("/v1")));
}

async fn deploy_weather(app: &TestApp, base: &str, cache_seconds: u32) {
    app.create_connection(
        "weather-api",
        "http",
        json!({"base_url": base, "auth": {"type": "api_key", "in": "query", "name": "appid", "value": WEATHER_KEY}}),
    )
    .await;
    app.create_connection("weather-cache", "kv", json!({"backend": "memory"}))
        .await;
    app.upload_example("weather").await;
    app.grant("weather", &["weather-api", "weather-cache"])
        .await;
    let patched = app
        .admin_patch(
            "/actions/weather",
            &json!({"config": {"cache_seconds": cache_seconds}}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    operation(app, "weather-current", "GET", "/weather/current", "weather").await;
}

#[tokio::test]
async fn weather_reshapes_the_api_answer_and_caches_it_for_the_configured_seconds() {
    let upstream = upstream::start().await;
    let app = spawn_app().await;
    deploy_weather(&app, &upstream.base, 1).await;

    let first: Value = app
        .get("/weather/current?city=Berlin")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        first,
        json!({"city": "Berlin", "country": "DE", "temperature": 12.5, "feels_like": 11.0,
               "units": "metric", "humidity_percent": 81, "description": "light rain",
               "wind_speed": 4.2, "observed_at_unix": 1_700_000_000, "cached": false})
    );
    let seen = upstream.seen_at("/v1/data/2.5/weather");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].query.as_deref(),
        Some(format!("q=Berlin&units=metric&appid={WEATHER_KEY}").as_str())
    );

    let second: Value = app
        .get("/weather/current?city=berlin")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["cached"], true);
    assert_eq!(
        upstream.seen_at("/v1/data/2.5/weather").len(),
        1,
        "served from the cache"
    );

    tokio::time::sleep(Duration::from_millis(1300)).await;
    let third: Value = app
        .get("/weather/current?city=Berlin")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(third["cached"], false);
    assert_eq!(
        upstream.seen_at("/v1/data/2.5/weather").len(),
        2,
        "the cache expired"
    );
}

#[tokio::test]
async fn weather_answers_400_without_a_city_and_404_for_an_unknown_one() {
    let upstream = upstream::start().await;
    let app = spawn_app().await;
    deploy_weather(&app, &upstream.base, 60).await;
    assert_problem(app.get("/weather/current").await, 400).await;
    assert_problem(app.get("/weather/current?city=Atlantis").await, 404).await;
}

#[tokio::test]
async fn contact_validates_the_form_and_mails_it() {
    let port: u16 = started_server("SLUICE_TEST_SMTP_PORT").parse().unwrap();
    let app = spawn_app().await;
    app.create_connection(
        "mail",
        "smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none", "from": "Sluice <noreply@sluice.test>"}),
    )
    .await;
    app.upload_example("contact").await;
    app.grant("contact", &["mail"]).await;
    let patched = app
        .admin_patch(
            "/actions/contact",
            &json!({"config": {"to": "team@sluice.test"}}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    operation(&app, "contact", "POST", "/contact", "contact").await;

    let subject = format!("Question {}", uuid::Uuid::new_v4());
    let response = app
        .client
        .post(app.url("/contact"))
        .json(&json!({"name": "Ada", "email": "ada@example.com", "message": "Hello there", "subject": subject}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["status"], "sent");

    let mail = crate::helpers::find_mail(&subject).await;
    assert!(
        mail.contains(&format!("Subject: [contact] {subject}")),
        "{mail}"
    );
    assert!(mail.contains("To: team@sluice.test"), "{mail}");
    assert!(mail.contains("Reply-To: ada@example.com"), "{mail}");
    assert!(mail.contains("Ada <ada@example.com> wrote:"), "{mail}");

    for form in [
        json!({"name": "", "email": "ada@example.com", "message": "m"}),
        json!({"name": "Ada", "email": "no-at-sign", "message": "m"}),
        json!({"name": "Ada", "email": "ada@example.com"}),
    ] {
        let response = app
            .client
            .post(app.url("/contact"))
            .json(&form)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400).await;
    }
}
