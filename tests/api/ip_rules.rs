//! The client's address behind trusted proxies, IP rules checked before
//! authentication, and the token endpoint's brute-force bans.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ControlPlane, TestApp, assert_problem, spawn_app_with, start, started_server, test_settings,
    time_until,
};

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

/// A token request with a wrong secret, through a proxy that appended
/// `from` to the client's own `X-Forwarded-For` (`forged`, may be empty)
/// beside the client's own `Forwarded` header.
async fn failed_token_through_proxy(
    app: &TestApp,
    client: &str,
    forged: &str,
    forwarded: &str,
    from: &str,
) -> reqwest::Response {
    let chain = if forged.is_empty() {
        from.to_string()
    } else {
        format!("{forged}, {from}")
    };
    app.client
        .post(app.url("/authorization/token"))
        .header("forwarded", forwarded)
        .header("x-forwarded-for", chain)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap()
}

async fn echo_ip(app: &TestApp, headers: &[(&str, &str)]) -> Value {
    let mut request = app.client.get(app.url("/echo"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let seen: Value = request.send().await.unwrap().json().await.unwrap();
    seen["client_ip"].clone()
}

#[tokio::test]
async fn a_client_cannot_choose_its_address_with_its_own_forwarded_header_or_a_forged_entry() {
    let app = behind_a_proxy().await;
    // The proxy appended 192.0.2.10; the client sent the rest itself.
    let spoofing = [
        ("forwarded", "for=203.0.113.50"),
        ("x-forwarded-for", "198.51.100.1, 192.0.2.10"),
    ];
    assert_eq!(echo_ip(&app, &spoofing).await, "192.0.2.10");
    // An entry that does not parse, left of the proxy's, changes nothing
    // (it used to make the whole header count as absent: the client became
    // the proxy, and banned it for everyone).
    assert_eq!(
        echo_ip(&app, &[("x-forwarded-for", "not-an-address, 192.0.2.10")]).await,
        "192.0.2.10"
    );

    // IP rules see that address.
    app.admin_create(
        "/ip-rules",
        json!({"name": "seen", "cidr": "192.0.2.10", "effect": "deny", "operation": "hello"}),
    )
    .await;
    let mut request = app.client.get(app.url("/hello/x"));
    for (name, value) in spoofing {
        request = request.header(name, value);
    }
    let problem = assert_problem(request.send().await.unwrap(), 403).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("\"seen\""),
        "{problem}"
    );

    // So does the request log.
    app.state.request_log.flush().await;
    let page: Value = app
        .admin_get("/logs?operation=hello&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["ip"], "192.0.2.10");

    // And bans: three failures that each claim another address ban the
    // one the proxy saw, and no address the client named.
    let client = app.create_client("shop", &[]).await;
    for (i, forged) in ["198.51.100.1", "x", ""].into_iter().enumerate() {
        let answer = failed_token_through_proxy(
            &app,
            &client.client_id,
            forged,
            &format!("for=203.0.113.{}", 60 + i),
            "192.0.2.20",
        )
        .await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    let rules: Vec<Value> = app.admin_get("/ip-rules").await.json().await.unwrap();
    let bans: Vec<&Value> = rules
        .iter()
        .filter(|r| r["source"] == "ban")
        .map(|r| &r["cidr"])
        .collect();
    assert_eq!(bans, [&json!("192.0.2.20/32")]);
}

#[tokio::test]
async fn the_operator_names_the_one_forwarding_header_that_is_read() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.client_ip_header = "forwarded".parse().unwrap();
    })
    .await;
    app.deploy("echo", "echo", "GET", "/echo").await;
    // RFC 7239, right-most untrusted hop; X-Forwarded-For is the client's.
    let headers = [
        (
            "forwarded",
            "for=198.51.100.1, for=\"[2001:db8::17]:4711\";proto=https",
        ),
        ("x-forwarded-for", "203.0.113.50"),
    ];
    assert_eq!(echo_ip(&app, &headers).await, "2001:db8::17");
    // Without the named header, the peer.
    assert_eq!(
        echo_ip(&app, &[("x-forwarded-for", "203.0.113.50")]).await,
        "127.0.0.1"
    );
}

#[tokio::test]
async fn an_ipv4_mapped_address_is_held_by_ipv4_rules() {
    let app = behind_a_proxy().await;
    // What a dual-stack proxy or listener reports for an IPv4 client.
    assert_eq!(
        echo_ip(&app, &[("x-forwarded-for", "::ffff:192.0.2.1")]).await,
        "192.0.2.1"
    );
    app.admin_create(
        "/ip-rules",
        json!({"name": "ten", "cidr": "10.0.0.0/8", "effect": "deny"}),
    )
    .await;
    let problem = assert_problem(get_from(&app, "/hello/x", "::ffff:10.0.0.1").await, 403).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("\"ten\""),
        "{problem}"
    );
    // A rule written in the mapped form is stored as the IPv4 network it is.
    let rule = app
        .admin_create(
            "/ip-rules",
            json!({"name": "mapped", "cidr": "::ffff:192.0.2.0/120", "effect": "deny"}),
        )
        .await;
    assert_eq!(rule["cidr"], "192.0.2.0/24");
    assert_eq!(
        get_from(&app, "/hello/x", "192.0.2.5").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn addresses_of_one_ipv6_subnet_share_a_ban_and_a_rate_limit() {
    let app = behind_a_proxy().await;
    let client = app.create_client("shop", &[]).await;
    // Three failures, each from another address of one /64.
    for from in [
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:abcd:ef01:2345:6789",
    ] {
        let answer = token_from(&app, &client.client_id, "wrong", from).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    let neighbour = token_from(
        &app,
        &client.client_id,
        &client.client_secret,
        "2001:db8:1:2:ffff::9",
    )
    .await;
    let problem = assert_problem(neighbour, 403).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("network 2001:db8:1:2::/64"),
        "{problem}"
    );
    let rules: Vec<Value> = app.admin_get("/ip-rules").await.json().await.unwrap();
    let ban = rules.iter().find(|r| r["source"] == "ban").unwrap();
    assert_eq!(ban["cidr"], "2001:db8:1:2::/64");
    // The next /64 is another subscriber.
    let other = token_from(
        &app,
        &client.client_id,
        &client.client_secret,
        "2001:db8:1:3::1",
    )
    .await;
    assert_eq!(other.status(), StatusCode::OK);

    // Per-address rate limits count the /64 as one caller too.
    app.admin_create(
        "/rate-limits",
        json!({"name": "two", "priority": 10, "operation": "hello", "anonymous": true,
               "requests": 2, "window_seconds": 3600}),
    )
    .await;
    for from in ["2001:db8:9:9::1", "2001:db8:9:9::2"] {
        assert_eq!(
            get_from(&app, "/hello/x", from).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        get_from(&app, "/hello/x", "2001:db8:9:9::3").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        get_from(&app, "/hello/x", "2001:db8:9:a::1").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_ipv6_prefix_that_makes_one_caller_is_a_setting() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.ipv6_prefix = 48;
    })
    .await;
    app.deploy("hello", "hello", "GET", "/hello/:name").await;
    app.admin_create(
        "/rate-limits",
        json!({"name": "one", "priority": 10, "operation": "hello", "anonymous": true,
               "requests": 1, "window_seconds": 3600}),
    )
    .await;
    assert_eq!(
        get_from(&app, "/hello/x", "2001:db8:5:1::1").await.status(),
        StatusCode::OK
    );
    // Another /64, the same /48.
    assert_eq!(
        get_from(&app, "/hello/x", "2001:db8:5:2::1").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        get_from(&app, "/hello/x", "2001:db8:6::1").await.status(),
        StatusCode::OK
    );
}

/// An address no other test run uses: the shared Redis keeps counts
/// between runs for the ban window.
fn fresh_address() -> String {
    let id = uuid::Uuid::new_v4();
    let [a, b, ..] = *id.as_bytes();
    format!("198.18.{a}.{b}")
}

/// Two failures through each of two nodes, with four attempts to a ban.
async fn two_failures_on_each(nodes: &[TestApp; 2], clients: [&str; 2], from: &str) {
    for (node, client) in nodes.iter().zip(clients) {
        for _ in 0..2 {
            let answer = token_from(node, client, "wrong", from).await;
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        }
    }
}

#[tokio::test]
async fn nodes_sharing_a_postgresql_control_plane_ban_after_the_failures_of_one_node() {
    let cp = ControlPlane::postgres().await;
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = test_settings(&dir);
        cp.apply(&mut settings);
        settings.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        settings.token_ban.attempts = 4;
        nodes.push(start(settings, dir).await);
    }
    let nodes: [TestApp; 2] = nodes.try_into().ok().unwrap();
    let client = nodes[0].create_client("shop", &[]).await;
    let attacker = fresh_address();
    two_failures_on_each(&nodes, [&client.client_id; 2], &attacker).await;
    // Banned on both nodes (the second sees the ban through the change feed).
    for node in &nodes {
        time_until(|| async {
            token_from(node, &client.client_id, &client.client_secret, &attacker)
                .await
                .status()
                == StatusCode::FORBIDDEN
        })
        .await;
    }
    let counted: Vec<(String,)> = sqlx::query_as("SELECT network FROM ip_failures")
        .fetch_all(&nodes[0].db)
        .await
        .unwrap();
    assert!(
        counted.is_empty(),
        "a ban starts the count again: {counted:?}"
    );
}

#[tokio::test]
async fn nodes_sharing_a_redis_rate_limit_store_ban_after_the_failures_of_one_node() {
    let redis = started_server("SLUICE_TEST_REDIS_URL");
    let mut nodes = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..2 {
        // Each node its own control plane: only Redis is shared.
        let node = spawn_app_with(|s| {
            s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
            s.token_ban.attempts = 4;
            s.rate_limit_store.clone_from(&redis);
        })
        .await;
        clients.push(node.create_client("shop", &[]).await);
        nodes.push(node);
    }
    let nodes: [TestApp; 2] = nodes.try_into().ok().unwrap();
    let attacker = fresh_address();
    two_failures_on_each(
        &nodes,
        [&clients[0].client_id, &clients[1].client_id],
        &attacker,
    )
    .await;
    // The fourth failure, on the second node, banned the address there.
    let banned = token_from(
        &nodes[1],
        &clients[1].client_id,
        &clients[1].client_secret,
        &attacker,
    )
    .await;
    assert_problem(banned, 403).await;
}
