//! `kv` connections in memory and in a real Redis (started by the test
//! command): values, TTL expiry, counters, namespaces and grants.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, started_server};

async fn op(app: &TestApp, conn: &str, spec: Value) -> Value {
    let mut spec = spec;
    spec["conn"] = json!(conn);
    app.misbehave("kv", spec).await
}

/// Set, get, exists, delete, increment and expiry on connection `conn`.
async fn kv_scenario(app: &TestApp, conn: &str) {
    let unique = uuid::Uuid::new_v4().to_string();
    let key = |k: &str| format!("{unique}:{k}");
    assert_eq!(
        op(app, conn, json!({"op": "get", "key": key("a")})).await,
        json!({"value": null})
    );
    assert_eq!(
        op(
            app,
            conn,
            json!({"op": "set", "key": key("a"), "value": "hello"})
        )
        .await,
        json!({"ok": true})
    );
    assert_eq!(
        op(app, conn, json!({"op": "get", "key": key("a")})).await,
        json!({"value": "hello"})
    );
    assert_eq!(
        op(app, conn, json!({"op": "exists", "key": key("a")})).await,
        json!({"exists": true})
    );
    assert_eq!(
        op(app, conn, json!({"op": "delete", "key": key("a")})).await,
        json!({"existed": true})
    );
    assert_eq!(
        op(app, conn, json!({"op": "delete", "key": key("a")})).await,
        json!({"existed": false})
    );

    for expected in [5, 8, -2] {
        let delta = if expected == 5 {
            5
        } else if expected == 8 {
            3
        } else {
            -10
        };
        let sum = op(
            app,
            conn,
            json!({"op": "increment", "key": key("n"), "delta": delta}),
        )
        .await;
        assert_eq!(sum, json!({"sum": expected}));
    }
    op(
        app,
        conn,
        json!({"op": "set", "key": key("word"), "value": "abc"}),
    )
    .await;
    let refused = op(
        app,
        conn,
        json!({"op": "increment", "key": key("word"), "delta": 1}),
    )
    .await;
    assert_eq!(refused["error"], "not-an-integer", "{refused}");

    // A one-second TTL: present at once, gone once it has passed.
    op(
        app,
        conn,
        json!({"op": "set", "key": key("t"), "value": "v", "ttl": 1}),
    )
    .await;
    assert_eq!(
        op(app, conn, json!({"op": "exists", "key": key("t")})).await,
        json!({"exists": true})
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        op(app, conn, json!({"op": "get", "key": key("t")})).await,
        json!({"value": null})
    );
    assert_eq!(
        op(app, conn, json!({"op": "exists", "key": key("t")})).await,
        json!({"exists": false})
    );

    let long_key = "k".repeat(513);
    let refused = op(app, conn, json!({"op": "get", "key": long_key})).await;
    assert_eq!(refused["error"], "invalid-key", "{refused}");
}

async fn with_kv(config: Value) -> TestApp {
    let app = spawn_app().await;
    app.create_connection("cache", "kv", config).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["cache"]).await;
    app
}

#[tokio::test]
async fn a_memory_store_keeps_values_counts_and_expires_them() {
    let app = with_kv(json!({"backend": "memory"})).await;
    kv_scenario(&app, "cache").await;
}

#[tokio::test]
async fn a_redis_store_keeps_values_counts_and_expires_them() {
    let url = started_server("SLUICE_TEST_REDIS_URL");
    let app = with_kv(json!({"backend": "redis", "url": url})).await;
    kv_scenario(&app, "cache").await;
}

#[tokio::test]
async fn the_default_ttl_applies_to_values_set_without_one() {
    let app = with_kv(json!({"backend": "memory", "ttl_seconds": 1})).await;
    op(
        &app,
        "cache",
        json!({"op": "set", "key": "d", "value": "v"}),
    )
    .await;
    op(
        &app,
        "cache",
        json!({"op": "set", "key": "forever", "value": "v", "ttl": 0}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        op(&app, "cache", json!({"op": "get", "key": "d"})).await,
        json!({"value": null})
    );
    assert_eq!(
        op(&app, "cache", json!({"op": "get", "key": "forever"})).await,
        json!({"value": "v"})
    );
}

#[tokio::test]
async fn redis_is_shared_between_nodes_and_keys_are_namespaced_by_connection() {
    let url = started_server("SLUICE_TEST_REDIS_URL");
    let node_a = with_kv(json!({"backend": "redis", "url": url})).await;
    let node_b = with_kv(json!({"backend": "redis", "url": url})).await;
    let key = uuid::Uuid::new_v4().to_string();
    op(
        &node_a,
        "cache",
        json!({"op": "set", "key": key, "value": "from a"}),
    )
    .await;
    assert_eq!(
        op(&node_b, "cache", json!({"op": "get", "key": key})).await,
        json!({"value": "from a"})
    );

    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let stored: Option<String> = redis::cmd("GET")
        .arg(format!("sluice:cache:s:{key}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some("from a"));
}

#[tokio::test]
async fn an_action_namespace_gives_each_action_its_own_keys() {
    let app = spawn_app().await;
    app.create_connection("shared", "kv", json!({"backend": "memory"}))
        .await;
    app.create_connection(
        "own",
        "kv",
        json!({"backend": "memory", "namespace": "action"}),
    )
    .await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["shared", "own"]).await;
    // A second action over the same component, granted the same connections.
    app.upload("misbehave2", crate::helpers::example_wasm("misbehave"))
        .await;
    app.create_operation(
        &json!({"name": "mb2", "method": "POST", "path": "/mb2", "action": "misbehave2"}),
    )
    .await;
    app.grant("misbehave2", &["shared", "own"]).await;

    for conn in ["shared", "own"] {
        op(&app, conn, json!({"op": "set", "key": "k", "value": "one"})).await;
    }
    let from_second = |conn: &str| {
        app.client
            .post(app.url("/mb2?do=kv"))
            .json(&json!({"conn": conn, "op": "get", "key": "k"}))
            .send()
    };
    let shared: Value = from_second("shared").await.unwrap().json().await.unwrap();
    let own: Value = from_second("own").await.unwrap().json().await.unwrap();
    assert_eq!(shared, json!({"value": "one"}));
    assert_eq!(own, json!({"value": null}));
}

#[tokio::test]
async fn kv_connections_are_lent_only_to_granted_actions_and_values_are_bounded() {
    let app = with_kv(json!({"backend": "memory", "max_value_bytes": 8})).await;
    app.create_connection("other", "kv", json!({"backend": "memory"}))
        .await;
    let denied = op(&app, "other", json!({"op": "get", "key": "k"})).await;
    assert_eq!(denied["error"], "access-denied", "{denied}");
    let missing = op(&app, "missing", json!({"op": "get", "key": "k"})).await;
    assert_eq!(missing["error"], "no-such-connection", "{missing}");
    let big = op(
        &app,
        "cache",
        json!({"op": "set", "key": "k", "value": "123456789"}),
    )
    .await;
    assert_eq!(big["error"], "value-too-large", "{big}");
}

#[tokio::test]
async fn a_redis_connection_that_cannot_be_reached_is_refused_at_creation() {
    let app = spawn_app().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", closed.local_addr().unwrap());
    drop(closed);
    let response = app
        .admin(reqwest::Method::POST, "/connections")
        .json(&json!({"name": "cache", "class": "kv", "config": {"backend": "redis", "url": url}}))
        .send()
        .await
        .unwrap();
    crate::helpers::assert_problem(response, 422).await;
}

/// A reload of every cache, as a node does after missing a cluster change,
/// keeps a memory store whose connection did not change, values and all,
/// and reopens one whose stored config changed behind the node's back.
#[tokio::test]
async fn a_cluster_reload_keeps_the_memory_stores_of_unchanged_connections() {
    let app = with_kv(json!({"backend": "memory"})).await;
    app.create_connection("other", "kv", json!({"backend": "memory"}))
        .await;
    app.grant("misbehave", &["cache", "other"]).await;
    for conn in ["cache", "other"] {
        op(&app, conn, json!({"op": "set", "key": "k", "value": "v"})).await;
    }
    // `other` changes in the control plane without this node hearing of
    // it, as when another node's announcement was lost.
    let changed = json!({"class": "kv", "config": {"backend": "memory", "ttl_seconds": 60}});
    let sealed = app
        .state
        .secrets
        .seal("other", &serde_json::to_vec(&changed).unwrap())
        .unwrap();
    sluice::store::connections::update(&app.db, "other", "kv", &sealed)
        .await
        .unwrap();

    app.state.apply_all().await.unwrap();
    assert_eq!(
        op(&app, "cache", json!({"op": "get", "key": "k"})).await,
        json!({"value": "v"}),
        "the unchanged connection's store kept its value"
    );
    assert_eq!(
        op(&app, "other", json!({"op": "get", "key": "k"})).await,
        json!({"value": null}),
        "the changed connection's store was reopened"
    );
}

#[tokio::test]
async fn a_redis_value_past_max_value_bytes_is_refused_without_being_fetched() {
    let url = started_server("SLUICE_TEST_REDIS_URL");
    let app = with_kv(json!({"backend": "redis", "url": url, "max_value_bytes": 1024})).await;
    let key = uuid::Uuid::new_v4().to_string();
    let stored = |k: &str| format!("sluice:cache:s:{k}");
    // Another client of the same Redis writes what Sluice never would: a
    // 64 MB value (SETRANGE makes Redis allocate it without sending it),
    // a value of exactly the cap, and an empty one.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let huge = format!("{key}:huge");
    let _: u64 = redis::cmd("SETRANGE")
        .arg(stored(&huge))
        .arg(64_000_000 - 1)
        .arg("x")
        .query_async(&mut conn)
        .await
        .unwrap();
    let exact = format!("{key}:exact");
    let _: () = redis::cmd("SET")
        .arg(stored(&exact))
        .arg("y".repeat(1024))
        .query_async(&mut conn)
        .await
        .unwrap();
    let empty = format!("{key}:empty");
    let _: () = redis::cmd("SET")
        .arg(stored(&empty))
        .arg("")
        .query_async(&mut conn)
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let refused = op(&app, "cache", json!({"op": "get", "key": huge})).await;
    assert_eq!(refused["error"], "value-too-large", "{refused}");
    assert!(refused.to_string().contains("1024"), "{refused}");
    // Fetching 64 MB and handing it to the guest takes far longer than
    // asking its length.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let at_cap = op(&app, "cache", json!({"op": "get", "key": exact})).await;
    assert_eq!(at_cap["value"], "y".repeat(1024));
    assert_eq!(
        op(&app, "cache", json!({"op": "get", "key": empty})).await,
        json!({"value": ""})
    );
    assert_eq!(
        op(
            &app,
            "cache",
            json!({"op": "get", "key": format!("{key}:none")})
        )
        .await,
        json!({"value": null})
    );
    let _: u64 = redis::cmd("DEL")
        .arg(stored(&huge))
        .query_async(&mut conn)
        .await
        .unwrap();
}
