//! `http` connections: credentials injected by the host and invisible to
//! the guest, every escape from the base URL refused, timeouts, size
//! limits, redirects and grants — against a real upstream on loopback.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::upstream::{self, Upstream};

const KEY: &str = "k3y-0f-the-weather-api-9d8e7f";
const TOKEN: &str = "t0ken-for-the-upstream-4b5c6d";

/// A server with `misbehave` on `POST /mb`, granted connection `api`
/// (`auth` as given) over a fresh upstream whose base path is `/v1`.
async fn setup(auth: Value, extra: Value) -> (TestApp, Upstream) {
    let upstream = upstream::start().await;
    let app = spawn_app().await;
    let mut config = json!({"base_url": upstream.base, "auth": auth});
    json_patch::merge(&mut config, &extra);
    app.create_connection("api", "http", config).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["api"]).await;
    upstream.clear();
    (app, upstream)
}

async fn send(app: &TestApp, path: &str) -> Value {
    app.misbehave("http-send", json!({"conn": "api", "path": path}))
        .await
}

#[tokio::test]
async fn an_api_key_is_injected_as_a_query_parameter_the_guest_cannot_replace() {
    let (app, upstream) = setup(
        json!({"type": "api_key", "in": "query", "name": "appid", "value": KEY}),
        json!({}),
    )
    .await;
    let answer = app
        .misbehave(
            "http-send",
            json!({"conn": "api", "path": "/data/weather",
                   "query": [["q", "Berlin & Co"], ["appid", "guest-made-this-up"]]}),
        )
        .await;
    assert_eq!(answer["status"], 200, "{answer}");
    let seen = upstream.seen_at("/v1/data/weather");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].query.as_deref(),
        Some(format!("q=Berlin+%26+Co&appid={KEY}").as_str())
    );
}

#[tokio::test]
async fn an_api_key_header_is_injected_and_the_guest_may_not_send_its_own() {
    let (app, upstream) = setup(
        json!({"type": "api_key", "in": "header", "name": "X-Api-Key", "value": KEY}),
        json!({}),
    )
    .await;
    let answer = send(&app, "/with-key").await;
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(
        upstream.seen_at("/v1/with-key")[0].headers["x-api-key"],
        KEY
    );
    assert!(!answer.to_string().contains(KEY));

    let refused = app
        .misbehave(
            "http-send",
            json!({"conn": "api", "path": "/x", "headers": [["x-api-key", "guess"]]}),
        )
        .await;
    assert_eq!(refused["error"], "invalid-request", "{refused}");
    assert!(upstream.seen_at("/v1/x").is_empty());
}

#[tokio::test]
async fn injected_credentials_reach_the_upstream_but_never_the_guest() {
    let (app, upstream) = setup(json!({"type": "bearer", "token": TOKEN}), json!({})).await;
    let answer = send(&app, "/echo-auth").await;
    assert_eq!(answer["status"], 200, "{answer}");
    let seen = upstream.seen_at("/v1/echo-auth");
    assert_eq!(seen[0].headers["authorization"], format!("Bearer {TOKEN}"));

    // The upstream echoed the header back: the guest sees it redacted, and
    // nothing else it can read (environment, config) holds the token.
    let text = answer.to_string();
    assert!(!text.contains(TOKEN), "the guest saw the token: {text}");
    let echoed = answer["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "x-seen-authorization")
        .unwrap();
    assert_eq!(echoed[1], "[redacted]");
    assert_eq!(answer["env"], json!([]));

    let refused = app
        .misbehave(
            "http-send",
            json!({"conn": "api", "path": "/x", "headers": [["Authorization", "Bearer mine"]]}),
        )
        .await;
    assert_eq!(refused["error"], "invalid-request", "{refused}");

    let shown = app
        .admin_get("/connections/api")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !shown.contains(TOKEN),
        "the admin API showed the token: {shown}"
    );
    assert!(shown.contains(r#""secret_set":true"#), "{shown}");
}

#[tokio::test]
async fn basic_auth_and_default_headers_are_sent_and_guest_headers_override_defaults() {
    let (app, upstream) = setup(
        json!({"type": "basic", "username": "ada", "password": "s3cret-pass"}),
        json!({"headers": {"accept": "application/xml", "x-team": "sluice"}}),
    )
    .await;
    let answer = app
        .misbehave(
            "http-send",
            json!({"conn": "api", "method": "POST", "path": "items", "body": "{\"a\":1}",
                   "headers": [["accept", "application/json"], ["content-type", "application/json"]]}),
        )
        .await;
    assert_eq!(answer["status"], 200, "{answer}");
    let seen = &upstream.seen_at("/v1/items")[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.headers["authorization"], "Basic YWRhOnMzY3JldC1wYXNz");
    assert_eq!(seen.headers["accept"], "application/json");
    assert_eq!(seen.headers["x-team"], "sluice");
    assert_eq!(&seen.body[..], b"{\"a\":1}");
}

#[tokio::test]
async fn every_attempt_to_leave_the_base_url_is_refused_before_sending() {
    let (app, upstream) = setup(json!({"type": "bearer", "token": TOKEN}), json!({})).await;
    let port = upstream
        .base
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let attempts = [
        "http://elsewhere.invalid/v1/x".to_string(),
        format!("http://127.0.0.1:{port}/v1/x"),
        "//elsewhere.invalid/x".into(),
        "/../admin".into(),
        "/a/../../admin".into(),
        "..".into(),
        "/%2e%2e/admin".into(),
        "/%2E%2E%2Fadmin".into(),
        "/a%2fb".into(),
        "/..%5cadmin".into(),
        "/..\\admin".into(),
        "/%252e%252e/admin".into(),
        "/x?appid=mine".into(),
        "/x#fragment".into(),
        "/ok\r\nHost: elsewhere.invalid".into(),
        "/%00".into(),
        "/50%".into(),
    ];
    for path in &attempts {
        let answer = send(&app, path).await;
        assert_eq!(answer["error"], "invalid-request", "{path:?} → {answer}");
    }
    assert!(
        upstream.seen().is_empty(),
        "refused requests reached the upstream: {:?}",
        upstream.seen()
    );

    // The same guest may still reach paths under the base, even odd ones.
    let fine = send(&app, "/@elsewhere.invalid/x").await;
    assert_eq!(fine["status"], 200, "{fine}");
    assert_eq!(upstream.seen()[0].path, "/v1/@elsewhere.invalid/x");
}

#[tokio::test]
async fn redirects_are_followed_inside_the_base_url_and_refused_outside_it() {
    let (app, upstream) = setup(json!({"type": "bearer", "token": TOKEN}), json!({})).await;
    let inside = send(&app, "/to-inside").await;
    assert_eq!(inside["status"], 200, "{inside}");
    assert_eq!(upstream.seen_at("/v1/landed").len(), 1);

    for path in ["/to-elsewhere", "/to-outside"] {
        let answer = send(&app, path).await;
        assert_eq!(answer["error"], "invalid-request", "{path} → {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains("outside"),
            "{answer}"
        );
    }
    assert!(upstream.seen_at("/admin/secrets").is_empty());
}

#[tokio::test]
async fn a_slow_upstream_is_a_timeout_and_others_keep_being_served() {
    let (app, _upstream) = setup(json!({"type": "none"}), json!({"timeout_ms": 300})).await;
    let slow = send(&app, "/slow");
    let quick = async {
        let answer = send(&app, "/quick").await;
        assert_eq!(answer["status"], 200);
    };
    let (slow, ()) = tokio::join!(slow, quick);
    assert_eq!(slow["error"], "timeout", "{slow}");
}

#[tokio::test]
async fn a_response_over_the_limit_is_refused_with_or_without_a_length() {
    let (app, _upstream) =
        setup(json!({"type": "none"}), json!({"max_response_bytes": 4096})).await;
    for path in ["/big?n=4096", "/big?n=8192", "/big-chunked?n=65536"] {
        let (path, query) = path.split_once('?').unwrap();
        let (k, v) = query.split_once('=').unwrap();
        let answer = app
            .misbehave(
                "http-send",
                json!({"conn": "api", "path": path, "query": [[k, v]]}),
            )
            .await;
        if v == "4096" {
            assert_eq!(answer["status"], 200, "{answer}");
        } else {
            assert_eq!(answer["error"], "response-too-large", "{path} → {answer}");
        }
    }
}

#[tokio::test]
async fn an_unreachable_upstream_is_connect_failed() {
    let app = spawn_app().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let created = app
        .admin(reqwest::Method::POST, "/connections")
        .json(&json!({"name": "api", "class": "http", "config": {"base_url": base}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the test fails first"
    );
    let created = app
        .admin(reqwest::Method::POST, "/connections?skip_test=true")
        .json(&json!({"name": "api", "class": "http", "config": {"base_url": base}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["api"]).await;
    assert_eq!(send(&app, "/x").await["error"], "connect-failed");
}

#[tokio::test]
async fn http_connections_are_lent_only_to_granted_actions_and_by_class() {
    let (app, upstream) = setup(json!({"type": "none"}), json!({})).await;
    app.create_connection("cache", "kv", json!({"backend": "memory"}))
        .await;
    app.create_connection("other", "http", json!({"base_url": upstream.base}))
        .await;
    upstream.clear();
    let denied = app
        .misbehave("http-send", json!({"conn": "other", "path": "/x"}))
        .await;
    assert_eq!(denied["error"], "access-denied", "{denied}");
    for conn in ["missing", "cache"] {
        let answer = app
            .misbehave("http-send", json!({"conn": conn, "path": "/x"}))
            .await;
        assert_eq!(answer["error"], "no-such-connection", "{conn} → {answer}");
    }
    assert!(upstream.seen().is_empty());
}

#[tokio::test]
async fn invalid_http_configs_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    for (config, field) in [
        (json!({"base_url": "ftp://example.com"}), "base_url"),
        (
            json!({"base_url": "http://user:pw@example.com"}),
            "base_url",
        ),
        (json!({"base_url": "http://example.com/?a=b"}), "base_url"),
        (
            json!({"base_url": "http://example.com", "auth": {"type": "bearer"}}),
            "auth.token",
        ),
        (
            json!({"base_url": "http://example.com", "timeout_ms": 0}),
            "timeout_ms",
        ),
        (
            json!({"base_url": "http://example.com", "headers": {"bad name": "x"}}),
            "headers",
        ),
    ] {
        let response = app
            .admin(reqwest::Method::POST, "/connections?skip_test=true")
            .json(&json!({"name": "api", "class": "http", "config": config}))
            .send()
            .await
            .unwrap();
        let problem = crate::helpers::assert_problem(response, 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{config} → {problem}"
        );
    }
}

#[tokio::test]
async fn a_patch_that_leaves_out_the_secret_keeps_it() {
    let (app, upstream) = setup(json!({"type": "bearer", "token": TOKEN}), json!({})).await;
    let patched = app
        .admin_patch("/connections/api", &json!({"config": {"timeout_ms": 2000}}))
        .await;
    assert_eq!(
        patched.status(),
        StatusCode::OK,
        "{}",
        patched.text().await.unwrap()
    );
    assert_eq!(send(&app, "/after-patch").await["status"], 200);
    assert_eq!(
        upstream.seen_at("/v1/after-patch")[0].headers["authorization"],
        format!("Bearer {TOKEN}")
    );
}

#[tokio::test]
async fn path_parameters_that_java_servers_read_as_dot_dot_never_leave_the_base_path() {
    let (app, upstream) = setup(json!({"type": "bearer", "token": TOKEN}), json!({})).await;
    // Tomcat and Spring drop `;…` from a segment before resolving `..`;
    // each of these is `/admin` to them, or would be after a proxy decodes it.
    let attempts = [
        "..;/admin",
        "/..;/admin",
        "/x/..;/..;/admin",
        "/.;/admin",
        "/..;jsessionid=0/admin",
        "/..%3b/admin",
        "/..%3B/admin",
        "/%2e%2e;/admin",
        "/%2E%2e%3b/admin",
        "/..%5c..%5cadmin",
        "/..\\..\\admin",
        "/%c0%ae%c0%ae/admin",
    ];
    for path in attempts {
        let answer = send(&app, path).await;
        assert_eq!(answer["error"], "invalid-request", "{path:?} → {answer}");
    }
    let plain = send(&app, "/..;/admin").await;
    assert!(
        plain["message"].as_str().unwrap().contains("';'"),
        "the message says why: {plain}"
    );
    assert!(
        upstream.seen().is_empty(),
        "refused requests reached the upstream: {:?}",
        upstream.seen()
    );

    // An upstream (or an open redirect on it) cannot lead the host there either.
    let redirected = send(&app, "/to-path-parameter").await;
    assert_eq!(redirected["error"], "invalid-request", "{redirected}");
    let paths: Vec<String> = upstream.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, ["/v1/to-path-parameter"]);
}

#[tokio::test]
async fn credentials_an_upstream_echoes_in_its_body_reach_the_guest_redacted() {
    let basic = "YWRhOnMzY3JldC1wYXNz"; // ada:s3cret-pass
    for (auth, secrets) in [
        (json!({"type": "bearer", "token": TOKEN}), vec![TOKEN]),
        (
            json!({"type": "basic", "username": "ada", "password": "s3cret-pass"}),
            vec!["s3cret-pass", basic],
        ),
        (
            json!({"type": "api_key", "in": "header", "name": "X-Api-Key", "value": KEY}),
            vec![KEY],
        ),
        (
            json!({"type": "api_key", "in": "query", "name": "appid", "value": KEY}),
            vec![KEY],
        ),
    ] {
        let (app, upstream) = setup(auth.clone(), json!({})).await;
        let answer = send(&app, "/echo-headers").await;
        assert_eq!(answer["status"], 200, "{auth} → {answer}");
        let seen = &upstream.seen_at("/v1/echo-headers")[0];
        let sent = format!("{:?} {:?}", seen.headers, seen.query);
        assert!(
            secrets.iter().any(|s| sent.contains(s)),
            "the upstream got the credentials: {sent}"
        );
        let body = answer["body"].as_str().unwrap();
        assert!(body.contains("[redacted]"), "{auth} → {body}");
        for secret in &secrets {
            assert!(
                !answer.to_string().contains(secret),
                "{auth}: the guest saw {secret}: {answer}"
            );
        }
        // The rest of the body is untouched.
        let echoed: Value = serde_json::from_str(body).unwrap();
        assert!(echoed["headers"]["user-agent"].is_string(), "{echoed}");
    }
}

#[tokio::test]
async fn the_size_limit_applies_to_the_body_as_redacted_for_the_guest() {
    // `Bearer k` (8 bytes) becomes `[redacted]` (10): 100 echoes are 800
    // bytes from the upstream and 1000 for the guest.
    let (app, _upstream) = setup(
        json!({"type": "bearer", "token": "k"}),
        json!({"max_response_bytes": 900}),
    )
    .await;
    let over = app
        .misbehave(
            "http-send",
            json!({"conn": "api", "path": "/echo-auth-body", "query": [["n", "100"]]}),
        )
        .await;
    assert_eq!(over["error"], "response-too-large", "{over}");

    app.admin_patch(
        "/connections/api",
        &json!({"config": {"max_response_bytes": 1000}}),
    )
    .await;
    let fits = app
        .misbehave(
            "http-send",
            json!({"conn": "api", "path": "/echo-auth-body", "query": [["n", "100"]]}),
        )
        .await;
    assert_eq!(fits["status"], 200, "{fits}");
    assert_eq!(fits["body"], "[redacted]".repeat(100));
}

#[tokio::test]
async fn moving_an_http_connection_requires_restating_its_secret() {
    let (app, upstream) = setup(json!({"type": "bearer", "token": TOKEN}), json!({})).await;
    let elsewhere = upstream::start().await;

    let moved = app
        .admin_patch(
            "/connections/api",
            &json!({"config": {"base_url": elsewhere.base}}),
        )
        .await;
    let problem = crate::helpers::assert_problem(moved, 422).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("config.base_url") && detail.contains("config.auth.token"),
        "{problem}"
    );
    assert!(
        elsewhere.seen().is_empty(),
        "the new host was tried: {:?}",
        elsewhere.seen()
    );
    // Unchanged: the guest still reaches the old upstream with the token.
    let shown: Value = app
        .admin_get("/connections/api")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["config"]["base_url"], upstream.base);
    assert_eq!(send(&app, "/still-here").await["status"], 200);
    assert_eq!(
        upstream.seen_at("/v1/still-here")[0].headers["authorization"],
        format!("Bearer {TOKEN}")
    );

    let restated = app
        .admin_patch(
            "/connections/api",
            &json!({"config": {"base_url": elsewhere.base,
                               "auth": {"token": "t0ken-for-elsewhere"}}}),
        )
        .await;
    assert_eq!(restated.status(), StatusCode::OK);
    assert_eq!(send(&app, "/moved").await["status"], 200);
    assert_eq!(
        elsewhere.seen_at("/v1/moved")[0].headers["authorization"],
        "Bearer t0ken-for-elsewhere"
    );
}

#[tokio::test]
async fn moving_an_oauth2_token_endpoint_requires_restating_the_client_secret() {
    let app = spawn_app().await;
    let created = app
        .admin(reqwest::Method::POST, "/connections?skip_test=true")
        .json(&json!({"name": "api", "class": "http", "config": {
            "base_url": "http://api.invalid/v1",
            "auth": {"type": "oauth2_client_credentials", "client_id": "sluice",
                     "client_secret": "cl1ent-secret", "token_url": "http://auth.invalid/token"}
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let patch = |auth: Value| json!({"config": {"auth": auth}});
    let moved = app
        .admin(reqwest::Method::PATCH, "/connections/api?skip_test=true")
        .json(&patch(
            json!({"token_url": "http://attacker.invalid/token"}),
        ))
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::assert_problem(moved, 422).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("config.auth.client_secret"),
        "{problem}"
    );
    let shown: Value = app
        .admin_get("/connections/api")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        shown["config"]["auth"]["token_url"],
        "http://auth.invalid/token"
    );

    let harmless = app
        .admin(reqwest::Method::PATCH, "/connections/api?skip_test=true")
        .json(&patch(json!({"scopes": ["read"]})))
        .send()
        .await
        .unwrap();
    assert_eq!(harmless.status(), StatusCode::OK);
    let shown: Value = harmless.json().await.unwrap();
    assert_eq!(shown["config"]["auth"]["secret_set"], true, "{shown}");
}
