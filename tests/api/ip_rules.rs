//! The client's address behind trusted proxies, IP rules checked before
//! authentication, and the token endpoint's brute-force bans.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app_with, time_until};

/// A server that believes the forwarding headers of loopback peers (the
/// tests' own requests), with `echo` at `GET /echo` and `hello` at
/// `GET /hello/:name`.
async fn behind_a_proxy() -> TestApp {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.token_ban.attempts = 3;
    })
    .await;
    app.deploy("echo", "echo", "GET", "/echo").await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app
}

async fn get_from(app: &TestApp, path: &str, client: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn forwarding_headers_are_believed_only_from_trusted_proxies() {
    let trusting = behind_a_proxy().await;
    let seen: Value = get_from(&trusting, "/echo", "198.51.100.7")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["client_ip"], "198.51.100.7");

    let untrusting = spawn_app_with(|_| {}).await;
    untrusting.deploy("echo", "echo", "GET", "/echo").await;
    let seen: Value = untrusting
        .client
        .get(untrusting.url("/echo"))
        .header("x-forwarded-for", "198.51.100.7")
        .header("forwarded", "for=198.51.100.7")
        .header("sluice-client-ip", "198.51.100.7")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["client_ip"], "127.0.0.1");
    let forged: Vec<&Value> = seen["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0] == "sluice-client-ip")
        .collect();
    assert_eq!(forged, [&json!(["sluice-client-ip", "127.0.0.1"])]);

    // The request log and per-address rate limits see the same address.
    trusting
        .admin_create(
            "/rate-limits",
            json!({"name": "two", "priority": 10, "operation": "hello", "anonymous": true,
                   "requests": 2, "window_seconds": 3600}),
        )
        .await;
    for client in ["203.0.113.1", "203.0.113.2"] {
        for _ in 0..2 {
            assert_eq!(
                get_from(&trusting, "/hello/x", client).await.status(),
                StatusCode::OK
            );
        }
        assert_eq!(
            get_from(&trusting, "/hello/x", client).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    trusting.state.request_log.flush().await;
    let page: Value = trusting
        .admin_get("/logs?operation=hello&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["ip"], "203.0.113.2");
}

#[tokio::test]
async fn ip_rules_deny_allow_per_operation_and_expire() {
    let app = behind_a_proxy().await;
    let rule = |body: Value| app.admin_create("/ip-rules", body);
    rule(json!({"name": "bad-net", "cidr": "203.0.113.0/24", "effect": "deny"})).await;
    rule(json!({"name": "good-host", "cidr": "203.0.113.9", "effect": "allow"})).await;

    let refused = get_from(&app, "/hello/x", "203.0.113.10").await;
    let problem = assert_problem(refused, 403).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("bad-net"),
        "{problem}"
    );
    // Before authentication: the admin API refuses the address too, whatever
    // its token, while /system keeps answering.
    let admin = app
        .admin(reqwest::Method::GET, "/operations")
        .header("x-forwarded-for", "203.0.113.10")
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get_from(&app, "/system/health", "203.0.113.10")
            .await
            .status(),
        StatusCode::OK
    );
    // The more specific allow wins over the network's deny.
    assert_eq!(
        get_from(&app, "/hello/x", "203.0.113.9").await.status(),
        StatusCode::OK
    );

    // An operation's allow list admits only its networks, to it alone.
    rule(
        json!({"name": "echo-office", "cidr": "198.51.100.0/24", "effect": "allow",
                "operation": "echo"}),
    )
    .await;
    assert_eq!(
        get_from(&app, "/echo", "198.51.100.20").await.status(),
        StatusCode::OK
    );
    let outsider = get_from(&app, "/echo", "192.0.2.1").await;
    let problem = assert_problem(outsider, 403).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not on the allow list of operation \"echo\""),
        "{problem}"
    );
    assert_eq!(
        get_from(&app, "/hello/x", "192.0.2.1").await.status(),
        StatusCode::OK
    );

    // A rule that expires stops applying by itself.
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    let soon = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    rule(
        json!({"name": "brief", "cidr": "192.0.2.77/32", "effect": "deny",
                "expires_at": soon}),
    )
    .await;
    assert_eq!(
        get_from(&app, "/hello/x", "192.0.2.77").await.status(),
        StatusCode::FORBIDDEN
    );
    time_until(|| async {
        get_from(&app, "/hello/x", "192.0.2.77").await.status() == StatusCode::OK
    })
    .await;

    // Deleting rules lifts them at once (the exception first: alone, it
    // would be an allow list of one address, locking the rest out).
    assert_eq!(app.admin_delete("/ip-rules/good-host").await.status(), 204);
    assert_eq!(app.admin_delete("/ip-rules/bad-net").await.status(), 204);
    assert_eq!(
        get_from(&app, "/hello/x", "203.0.113.10").await.status(),
        StatusCode::OK
    );

    for (body, status) in [
        (
            json!({"name": "x", "cidr": "300.1.1.1/8", "effect": "deny"}),
            400,
        ),
        (
            json!({"name": "x", "cidr": "10.0.0.0/8", "effect": "block"}),
            400,
        ),
        (
            json!({"name": "x", "cidr": "10.0.0.0/8", "effect": "deny", "expires_at": "soon"}),
            400,
        ),
        (
            json!({"name": "x", "cidr": "10.0.0.0/8", "effect": "deny", "operation": "nope"}),
            422,
        ),
    ] {
        let answer = app
            .admin(reqwest::Method::POST, "/ip-rules")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(answer, status).await;
    }
}

async fn token_from(app: &TestApp, client: &str, secret: &str, from: &str) -> reqwest::Response {
    app.client
        .post(app.url("/authorization/token"))
        .header("x-forwarded-for", from)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn repeated_failed_token_requests_ban_the_address_until_an_admin_lifts_it() {
    let app = behind_a_proxy().await;
    let client = app.create_client("shop", &[]).await;
    let attacker = "192.0.2.66";
    for _ in 0..3 {
        let answer = token_from(&app, &client.client_id, "wrong", attacker).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    // Banned: even the right secret is refused, before it is checked.
    let banned = token_from(&app, &client.client_id, &client.client_secret, attacker).await;
    let problem = assert_problem(banned, 403).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("banned until"),
        "{problem}"
    );
    // Everyone else is served.
    let other = token_from(&app, &client.client_id, &client.client_secret, "192.0.2.67").await;
    assert_eq!(other.status(), StatusCode::OK);

    let rules: Vec<Value> = app.admin_get("/ip-rules").await.json().await.unwrap();
    let ban = rules
        .iter()
        .find(|r| r["source"] == "ban")
        .expect("the ban is listed");
    assert_eq!(ban["cidr"], "192.0.2.66/32");
    assert_eq!(ban["effect"], "deny");
    assert!(ban["expires_at"].as_str().unwrap().ends_with('Z'));

    let name = ban["name"].as_str().unwrap();
    assert_eq!(
        app.admin_delete(&format!("/ip-rules/{name}"))
            .await
            .status(),
        204
    );
    let lifted = token_from(&app, &client.client_id, &client.client_secret, attacker).await;
    assert_eq!(lifted.status(), StatusCode::OK);
}
