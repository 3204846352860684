//! A real cluster: three `sluice serve` processes on one PostgreSQL control
//! plane, counting rate limits in one Redis, behind HAProxy (Debian's
//! package; round robin, health checks on `/system/ready`), all on loopback.
//! One scenario, since starting the cluster is the expensive part: the
//! examples through the balancer (hello, the todo API on a shared
//! PostgreSQL connection with private writes under an app's token), a
//! change and a revocation reaching every node within a second, a rate
//! limit counted across the nodes, 200 events delivered once each, a
//! one-second cronjob run once per tick, a `kill -9` of a node under load
//! with events in flight, then a rolling restart of every node under load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::helpers::{ADMIN_TOKEN, ControlPlane, started_server, time_until};

/// How soon a change made through one node must be in force on the others.
const PROPAGATION: Duration = Duration::from_secs(1);

/// Polls `url` until it answers 200 (10 s at most).
async fn wait_ok(client: &reqwest::Client, url: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{url} did not answer 200 within 10 s");
}

struct Cluster {
    cp: ControlPlane,
    dirs: Vec<TempDir>,
    ports: Vec<u16>,
    nodes: Vec<Child>,
    _balancer: Child,
    _config: TempDir,
    base: String,
    client: reqwest::Client,
}

impl Cluster {
    async fn start() -> Self {
        // In the SQLite pass too: a cluster needs the shared control plane.
        let cp = ControlPlane::postgres().await;
        let client = reqwest::Client::new();
        let mut cluster = Self {
            cp,
            dirs: (0..3).map(|_| tempfile::tempdir().unwrap()).collect(),
            ports: (0..3).map(|_| crate::node::free_port()).collect(),
            nodes: Vec::new(),
            _balancer: Command::new("true").spawn().unwrap(),
            _config: tempfile::tempdir().unwrap(),
            base: String::new(),
            client,
        };
        for i in 0..3 {
            let node = cluster.spawn_node(i).await;
            cluster.nodes.push(node);
        }
        let lb_port = crate::node::free_port();
        let servers: String = cluster
            .ports
            .iter()
            .enumerate()
            .map(|(i, port)| format!("  server n{i} 127.0.0.1:{port} check\n"))
            .collect();
        let config = format!(
            "global\n  maxconn 4000\n\
             defaults\n  mode http\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n\
             \x20 retries 3\n  option redispatch 1\n\
             \x20 retry-on conn-failure empty-response response-timeout 503\n\
             frontend api\n  bind 127.0.0.1:{lb_port}\n  default_backend nodes\n\
             backend nodes\n  balance roundrobin\n  option httpchk GET /system/ready\n\
             \x20 http-check expect status 200\n  timeout check 2s\n\
             \x20 default-server inter 100ms fall 1 rise 2\n{servers}"
        );
        let path = cluster._config.path().join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        cluster._balancer = Command::new(started_server("SLUICE_TEST_HAPROXY"))
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        cluster.base = format!("http://127.0.0.1:{lb_port}");
        wait_ok(&cluster.client, &format!("{}/system/ready", cluster.base)).await;
        cluster
    }

    async fn spawn_node(&self, i: usize) -> Child {
        let port = self.ports[i];
        let child = crate::node::serve_command(port, self.dirs[i].path())
            .envs(self.cp.env.iter().map(|(k, v)| (k, v)))
            .env("SLUICE_DRAIN_MS", "500")
            .env("SLUICE_RETRY_BASE_MS", "100")
            .env("SLUICE_DELIVERY_LEASE_MS", "1000")
            .env(
                "SLUICE_RATE_LIMIT_STORE",
                started_server("SLUICE_TEST_REDIS_URL"),
            )
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap();
        wait_ok(
            &self.client,
            &format!("http://127.0.0.1:{port}/system/ready"),
        )
        .await;
        child
    }

    fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/admin{path}", self.base))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// The JSON answer to `GET path` through the balancer.
    async fn get_json(&self, path: &str) -> Value {
        let answer = self.client.get(format!("{}{path}", self.base)).send();
        answer.await.unwrap().json().await.unwrap()
    }

    /// `path` on node `i` itself, past the balancer.
    fn on_node(&self, i: usize, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.ports[i])
    }

    /// An app with `scopes` and a client-credentials token for it, through
    /// the balancer.
    async fn app_token(&self, name: &str, scopes: &[&str]) -> (Value, String) {
        let app = self
            .create("/apps", &json!({"name": name, "scopes": scopes}))
            .await;
        let token = crate::node::app_token_from(&self.client, &self.base, &app).await;
        (app, token)
    }

    /// Uploads example `name` as action `name` through the balancer.
    async fn upload(&self, name: &str) {
        crate::node::upload_example_to(&self.client, &self.base, name).await;
    }

    /// POSTs `body` to admin `path` through the balancer; expects 201.
    async fn create(&self, path: &str, body: &Value) -> Value {
        let created = self
            .admin(reqwest::Method::POST, path)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{path}");
        created.json().await.unwrap()
    }

    async fn dispatch(&self, id: usize) {
        let answer = self
            .client
            .post(format!("{}/mb?do=dispatch", self.base))
            .json(&json!({"event": "thing_happened", "payload": {"id": id}}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "dispatch {id}");
    }
}

/// Requests through the balancer from `workers` tasks until stopped; counts
/// answers and keeps every failure.
struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicUsize>,
    failures: Arc<std::sync::Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(url: String, workers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
        let client = reqwest::Client::new();
        let tasks = (0..workers)
            .map(|_| {
                let (stop, ok, failures, client, url) = (
                    stop.clone(),
                    ok.clone(),
                    failures.clone(),
                    client.clone(),
                    url.clone(),
                );
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        match client.get(&url).send().await {
                            Ok(r) if r.status() == StatusCode::OK => {
                                ok.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(r) => {
                                let status = r.status();
                                let body = r.text().await.unwrap_or_default();
                                failures.lock().unwrap().push(format!("{status}: {body}"));
                            }
                            Err(e) => failures.lock().unwrap().push(e.to_string()),
                        }
                    }
                })
            })
            .collect();
        Self {
            stop,
            ok,
            failures,
            tasks,
        }
    }

    /// Stops; the number of 200s and the failures.
    async fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        let failures = self.failures.lock().unwrap().clone();
        (self.ok.load(Ordering::Relaxed), failures)
    }
}

/// Each distinct failure with how often it happened.
fn tally(failures: &[String]) -> std::collections::BTreeMap<&str, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for failure in failures {
        *counts.entry(failure.as_str()).or_default() += 1;
    }
    counts
}

/// Ids in the webhook deliveries the receiver saw, in arrival order.
fn delivered_ids(receiver: &crate::receiver::Receiver) -> Vec<i64> {
    receiver
        .deliveries()
        .iter()
        .map(|d| {
            serde_json::from_slice::<Value>(&d.body).unwrap()["data"]["id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn a_cluster_behind_haproxy_shares_every_change_and_survives_a_killed_node_and_a_rolling_restart()
 {
    let mut cluster = Cluster::start().await;
    let receiver = crate::receiver::start(&[200], false).await;

    // The examples, deployed through the balancer.
    for name in ["hello", "misbehave", "echo"] {
        cluster.upload(name).await;
    }
    for (path, body) in [
        (
            "/operations",
            json!({"name": "greet", "method": "GET", "path": "/hello/:name",
                   "action": "hello", "public": true}),
        ),
        (
            "/operations",
            json!({"name": "mb", "method": "POST", "path": "/mb",
                   "action": "misbehave", "public": true}),
        ),
        ("/events", json!({"name": "thing_happened"})),
        (
            "/webhooks",
            json!({"name": "hook", "event": "thing_happened", "url": receiver.url}),
        ),
    ] {
        cluster.create(path, &body).await;
    }
    // The default rule (600 a minute per client) would stop this test's
    // load, which comes from one address.
    let deleted = cluster
        .admin(reqwest::Method::DELETE, "/rate-limits/default")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for i in 0..3 {
        wait_ok(&cluster.client, &cluster.on_node(i, "/hello/ada")).await;
    }
    for _ in 0..30 {
        let hello = cluster.get_json("/hello/ada").await;
        assert_eq!(hello["message"], "Hello, ada!");
    }

    todo_api_with_private_writes(&cluster).await;
    an_mcp_session_opened_on_one_node_is_served_by_every_node(&cluster).await;
    a_change_through_node_1_reaches_nodes_2_and_3_within_a_second(&cluster).await;
    a_token_revoked_through_node_2_is_refused_by_node_3_within_a_second(&cluster).await;
    a_key_rotated_through_node_1_signs_tokens_node_3_accepts_within_a_second(&cluster).await;
    a_rate_limit_of_n_admits_n_across_the_nodes(&cluster).await;
    two_hundred_events_are_delivered_once_each(&cluster, &receiver).await;
    a_one_second_cronjob_runs_each_tick_once(&cluster).await;

    // kill -9 of a node under load, with events dispatched before and after.
    let load = Load::start(format!("{}/hello/ada", cluster.base), 8);
    for id in 200..250 {
        cluster.dispatch(id).await;
    }
    cluster.nodes[1].start_kill().unwrap();
    cluster.nodes[1].wait().await.unwrap();
    for id in 250..300 {
        cluster.dispatch(id).await;
    }
    // The load runs on a moment after the kill, on two nodes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (served, failures) = load.finish().await;
    assert!(served > 0);
    assert!(
        failures.is_empty(),
        "{} of {served} requests failed around the kill: {:?}",
        failures.len(),
        tally(&failures)
    );
    // Nothing dispatched is lost: the dead node's claims lapse (1 s lease)
    // and the others deliver (a claim the dead node had sent but not yet
    // recorded may arrive twice: at least once, not exactly once).
    // Counting arrivals is not enough: a delivery the dead node had sent
    // may arrive twice, so wait for every id (15 s at most).
    let unique = || {
        let mut ids = delivered_ids(&receiver);
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    time_until(|| async { unique().len() == 300 }).await;
    assert_eq!(unique(), (0..300).collect::<Vec<i64>>());
    cluster.nodes[1] = cluster.spawn_node(1).await;

    // A rolling restart under load: SIGTERM, drain, exit, start again.
    let load = Load::start(format!("{}/hello/ada", cluster.base), 8);
    for i in 0..3 {
        let pid = cluster.nodes[i].id().unwrap().to_string();
        let signalled = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(signalled.success());
        let exited = cluster.nodes[i].wait().await.unwrap();
        assert!(exited.success(), "node {i} stopped cleanly: {exited}");
        // Ready again before the next goes; the balancer takes it back
        // after two good checks, meanwhile the third node serves.
        cluster.nodes[i] = cluster.spawn_node(i).await;
    }
    let (served, failures) = load.finish().await;
    assert!(served > 0);
    assert!(
        failures.is_empty(),
        "{} of {served} requests failed during the rolling restart: {:?}",
        failures.len(),
        tally(&failures)
    );
}

/// The todo API on a PostgreSQL connection every node reaches, private
/// writes with an app's token: each request lands on another node.
async fn todo_api_with_private_writes(cluster: &Cluster) {
    let todo_db = crate::helpers::fresh_postgres_database().await;
    cluster
        .create(
            "/connections",
            &json!({"name": "todo-db", "class": "sql",
                    "config": {"driver": "postgres", "url": todo_db}}),
        )
        .await;
    cluster.upload("todo").await;
    let granted = cluster
        .admin(reqwest::Method::PATCH, "/actions/todo")
        .json(&json!({"connections": ["todo-db"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), StatusCode::OK);
    for (path, body) in [
        ("/scopes", json!({"name": "todo:write"})),
        (
            "/operations",
            json!({"name": "todo-create", "method": "POST", "path": "/todos", "action": "todo",
                   "public": false, "scopes": ["todo:write"]}),
        ),
        (
            "/operations",
            json!({"name": "todo-list", "method": "GET", "path": "/todos", "action": "todo",
                   "public": true}),
        ),
    ] {
        cluster.create(path, &body).await;
    }
    let (_, token) = cluster.app_token("shop", &["todo:write"]).await;
    let post = |auth: Option<&str>, title: &str| {
        let request = cluster
            .client
            .post(format!("{}/todos", cluster.base))
            .json(&json!({"title": title}));
        match auth {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
    };
    for i in 0..3 {
        wait_ok(&cluster.client, &cluster.on_node(i, "/todos")).await;
    }
    let anonymous = post(None, "nope").await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    for title in ["a", "b", "c"] {
        let created = post(Some(&token), title).await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    for _ in 0..3 {
        let page = cluster.get_json("/todos").await;
        assert_eq!(page["total"], 3, "every node reads the same todos");
    }
}

/// An MCP session lives in the control plane: opened on node 1, node 2
/// and node 3 serve its tool calls (each restores it), and the Python
/// SDK's session through the balancer (round robin) works throughout.
async fn an_mcp_session_opened_on_one_node_is_served_by_every_node(cluster: &Cluster) {
    let patched = cluster
        .admin(reqwest::Method::PATCH, "/operations/todo-list")
        .json(&json!({"mcp": {"enabled": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let (_, token) = cluster.app_token("agent", &[]).await;
    let post = |node: usize, session: Option<&str>, message: Value| {
        let mut request = cluster
            .client
            .post(cluster.on_node(node, "/mcp"))
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .json(&message);
        if let Some(id) = session {
            request = request.header("mcp-session-id", id);
        }
        request.send()
    };
    let opened = post(
        0,
        None,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "cluster-test", "version": "1"}}}),
    )
    .await
    .unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    let session = opened.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let initialized = post(
        0,
        Some(&session),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await
    .unwrap();
    assert_eq!(initialized.status(), StatusCode::ACCEPTED);
    for node in [1, 2, 0] {
        // Every node has the tool once the change reached it.
        time_until(|| async {
            let answer = post(
                node,
                Some(&session),
                json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                       "params": {"name": "todo-list", "arguments": {}}}),
            )
            .await
            .unwrap();
            answer.status() == StatusCode::OK
                && answer.text().await.unwrap().contains(r#""isError":false"#)
        })
        .await;
    }
    let listed = tokio::process::Command::new(started_server("SLUICE_TEST_PYTHON"))
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/mcp/client.py"))
        .args(["list", &format!("{}/mcp", cluster.base), &token])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success() && stdout.contains(r#""todo-list""#),
        "{stdout}\n{}",
        String::from_utf8_lossy(&listed.stderr)
    );
}

async fn a_change_through_node_1_reaches_nodes_2_and_3_within_a_second(cluster: &Cluster) {
    let created = cluster
        .client
        .post(cluster.on_node(0, "/admin/operations"))
        .bearer_auth(ADMIN_TOKEN)
        .json(
            &json!({"name": "wave", "method": "GET", "path": "/wave/:name",
                      "action": "hello", "public": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let (node_2, node_3) = futures_util::future::join(
        time_until(|| async {
            let answer = cluster.client.get(cluster.on_node(1, "/wave/ada")).send();
            answer.await.unwrap().status() == StatusCode::OK
        }),
        time_until(|| async {
            let answer = cluster.client.get(cluster.on_node(2, "/wave/ada")).send();
            answer.await.unwrap().status() == StatusCode::OK
        }),
    )
    .await;
    let slowest = node_2.max(node_3);
    assert!(slowest < PROPAGATION, "nodes 2 and 3 took {slowest:?}");
}

async fn a_token_revoked_through_node_2_is_refused_by_node_3_within_a_second(cluster: &Cluster) {
    let (app, token) = cluster.app_token("kiosk", &[]).await;
    let whoami = |i: usize| {
        cluster
            .client
            .get(cluster.on_node(i, "/authorization/whoami"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(whoami(2).await.unwrap().status(), StatusCode::OK);
    let revoked = cluster
        .client
        .post(cluster.on_node(1, "/authorization/revoke"))
        .basic_auth(
            app["client_id"].as_str().unwrap(),
            app["client_secret"].as_str(),
        )
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let took =
        time_until(|| async { whoami(2).await.unwrap().status() == StatusCode::UNAUTHORIZED })
            .await;
    assert!(took < PROPAGATION, "node 3 took {took:?}");
}

/// Every node verifies the tokens another signed, before and after a
/// rotation through node 1; the key deleted through node 1 stops
/// verifying on node 3 within a second.
async fn a_key_rotated_through_node_1_signs_tokens_node_3_accepts_within_a_second(
    cluster: &Cluster,
) {
    let (app, before) = cluster.app_token("signer", &[]).await;
    let whoami = |i: usize, token: String| {
        cluster
            .client
            .get(cluster.on_node(i, "/authorization/whoami"))
            .bearer_auth(token)
            .send()
    };
    for i in 0..3 {
        assert_eq!(
            whoami(i, before.clone()).await.unwrap().status(),
            StatusCode::OK
        );
    }
    let old_kid = jsonwebtoken::decode_header(&before).unwrap().kid.unwrap();
    let rotated = cluster
        .client
        .post(cluster.on_node(0, "/admin/signing-keys"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::CREATED);
    let new_kid = rotated.json::<Value>().await.unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_string();
    // A token from node 1 under the new key is good on node 3 at once: the
    // key is in the control plane before the rotation answers.
    let after = crate::node::app_token_from(&cluster.client, &cluster.on_node(0, ""), &app).await;
    assert_eq!(
        jsonwebtoken::decode_header(&after).unwrap().kid.as_deref(),
        Some(new_kid.as_str())
    );
    let took =
        time_until(|| async { whoami(2, after.clone()).await.unwrap().status() == StatusCode::OK })
            .await;
    assert!(took < PROPAGATION, "node 3 took {took:?}");
    assert_eq!(
        whoami(2, before.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    let deleted = cluster
        .client
        .delete(cluster.on_node(0, &format!("/admin/signing-keys/{old_kid}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let took = time_until(|| async {
        whoami(2, before.clone()).await.unwrap().status() == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(took < PROPAGATION, "node 3 took {took:?}");
}

/// A rule of 5 an hour on one operation, counted in Redis: 5 anonymous
/// requests through the balancer pass in total, not 5 per node.
async fn a_rate_limit_of_n_admits_n_across_the_nodes(cluster: &Cluster) {
    cluster
        .create(
            "/operations",
            &json!({"name": "scarce", "method": "GET", "path": "/scarce/:name",
                    "action": "hello", "public": true}),
        )
        .await;
    // Redis outlives the test: a rule of its own starts from a full allowance.
    let rule = format!("scarce-{}", uuid::Uuid::new_v4().simple());
    cluster
        .create(
            "/rate-limits",
            &json!({"name": rule, "priority": 10, "operation": "scarce",
                    "requests": 5, "window_seconds": 3600}),
        )
        .await;
    // Each node has the rule once it counts an app's requests under it; the
    // app's allowance is its own, so these probes leave the anonymous
    // callers' untouched.
    let (_, probe) = cluster.app_token("probe", &[]).await;
    for i in 0..3 {
        time_until(|| async {
            let answer = cluster
                .client
                .get(cluster.on_node(i, "/scarce/ada"))
                .bearer_auth(&probe)
                .send()
                .await
                .unwrap();
            answer
                .headers()
                .get("ratelimit-limit")
                .is_some_and(|limit| limit == "5")
        })
        .await;
    }
    let mut admitted = 0;
    for _ in 0..30 {
        let answer = cluster
            .client
            .get(format!("{}/scarce/ada", cluster.base))
            .send()
            .await
            .unwrap();
        match answer.status() {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(admitted, 5, "5 an hour across the cluster, not 5 per node");
}

/// 200 events dispatched through the balancer, so from every node, reach
/// the receiver once each: the nodes' workers claim from one outbox.
async fn two_hundred_events_are_delivered_once_each(
    cluster: &Cluster,
    receiver: &crate::receiver::Receiver,
) {
    for i in 0..3 {
        time_until(|| async {
            let answer = cluster
                .client
                .post(cluster.on_node(i, "/mb?do=echo"))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            answer.status() == StatusCode::OK
        })
        .await;
    }
    futures_util::stream::iter(0..200)
        .for_each_concurrent(16, |id| cluster.dispatch(id))
        .await;
    receiver.wait_for(200).await;
    // A duplicate would arrive right behind its first copy; the next phase
    // checks the count again after more events.
    let mut ids = delivered_ids(receiver);
    ids.sort_unstable();
    assert_eq!(ids, (0..200).collect::<Vec<i64>>(), "each event once");
}

/// Every node's scheduler sees each tick of a one-second cronjob; each tick
/// runs on one of them.
async fn a_one_second_cronjob_runs_each_tick_once(cluster: &Cluster) {
    cluster
        .create(
            "/cronjobs",
            &json!({"name": "every-second", "schedule": "* * * * * *", "action": "echo"}),
        )
        .await;
    let runs = || async {
        let runs: Value = cluster
            .admin(reqwest::Method::GET, "/cronjobs/every-second/runs")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        runs.as_array().unwrap().clone()
    };
    time_until(|| async { runs().await.iter().filter(|r| r["outcome"] == "ok").count() >= 4 })
        .await;
    let runs = runs().await;
    let removed = cluster
        .admin(reqwest::Method::DELETE, "/cronjobs/every-second")
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let ticks: Vec<i64> = runs.iter().filter_map(|r| r["tick_ms"].as_i64()).collect();
    // A run may still be going when the list is read (a busy machine runs
    // one slowly while the next tick's finishes); none may have failed.
    assert_eq!(
        runs.iter()
            .filter(|r| r["outcome"] != "ok" && r["outcome"] != "running")
            .count(),
        0,
        "{runs:?}"
    );
    for pair in ticks.windows(2) {
        assert_eq!(
            pair[0] - pair[1],
            1000,
            "each tick once, none skipped: {ticks:?}"
        );
    }
}
