//! A real cluster: three `sluice serve` processes on one PostgreSQL control
//! plane behind HAProxy (Debian's package; round robin, health checks on
//! `/system/ready`), all on loopback. One scenario, since starting the
//! cluster is the expensive part: the examples through the balancer (hello,
//! the todo API on a shared PostgreSQL connection with private writes under
//! an app's token), a `kill -9` of a node under load with events in flight,
//! then a rolling restart of every node under load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::helpers::{ADMIN_TOKEN, ControlPlane, example_wasm, started_server};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
            ports: (0..3).map(|_| free_port()).collect(),
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
        let lb_port = free_port();
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
             \x20 http-check expect status 200\n  default-server inter 100ms fall 1 rise 2\n{servers}"
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
        let child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(self.dirs[i].path())
            .envs(self.cp.env.iter().map(|(k, v)| (k, v)))
            .env("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("SLUICE_DRAIN_MS", "500")
            .env("SLUICE_RETRY_BASE_MS", "100")
            .env("SLUICE_DELIVERY_LEASE_MS", "1000")
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
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

    /// Uploads example `name` as action `name` through the balancer.
    async fn upload(&self, name: &str) {
        let uploaded = self
            .admin(reqwest::Method::PUT, &format!("/actions/{name}"))
            .header("content-type", "application/wasm")
            .body(example_wasm(name))
            .send()
            .await
            .unwrap();
        assert!(
            uploaded.status().is_success(),
            "{name}: {}",
            uploaded.status()
        );
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
                            Ok(r) => failures.lock().unwrap().push(r.status().to_string()),
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

#[tokio::test]
async fn a_cluster_behind_haproxy_survives_a_killed_node_and_a_rolling_restart() {
    let mut cluster = Cluster::start().await;
    let receiver = crate::receiver::start(&[200], false).await;

    // The examples, deployed through the balancer.
    for name in ["hello", "misbehave"] {
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
    // Every node routes them within a second of the change.
    for port in cluster.ports.clone() {
        wait_ok(
            &cluster.client,
            &format!("http://127.0.0.1:{port}/hello/ada"),
        )
        .await;
    }
    for _ in 0..30 {
        let hello: Value = cluster
            .client
            .get(format!("{}/hello/ada", cluster.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(hello["message"], "Hello, ada!");
    }

    // The todo API on a PostgreSQL connection every node reaches, private
    // writes with an app's token: each request lands on another node.
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
    let app = cluster
        .create("/apps", &json!({"name": "shop", "scopes": ["todo:write"]}))
        .await;
    let token: Value = cluster
        .client
        .post(format!("{}/authorization/token", cluster.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
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
    for port in cluster.ports.clone() {
        wait_ok(&cluster.client, &format!("http://127.0.0.1:{port}/todos")).await;
    }
    let anonymous = post(None, "nope").await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    for title in ["a", "b", "c"] {
        let created = post(Some(&token), title).await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    for _ in 0..3 {
        let page: Value = cluster
            .client
            .get(format!("{}/todos", cluster.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 3, "every node reads the same todos");
    }

    // kill -9 of a node under load, with events dispatched before and after.
    let load = Load::start(format!("{}/hello/ada", cluster.base), 8);
    for id in 0..50 {
        cluster.dispatch(id).await;
    }
    cluster.nodes[1].start_kill().unwrap();
    cluster.nodes[1].wait().await.unwrap();
    for id in 50..100 {
        cluster.dispatch(id).await;
    }
    // The load runs on a moment after the kill, on two nodes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (served, failures) = load.finish().await;
    assert!(served > 0);
    assert!(
        failures.is_empty(),
        "{} of {served} requests failed around the kill: {failures:?}",
        failures.len()
    );
    // Nothing dispatched is lost: the dead node's claims lapse (1 s lease)
    // and the others deliver.
    let delivered = receiver.wait_for(100).await;
    let mut ids: Vec<i64> = delivered
        .iter()
        .map(|d| {
            serde_json::from_slice::<Value>(&d.body).unwrap()["data"]["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids, (0..100).collect::<Vec<i64>>());
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
        "{} of {served} requests failed during the rolling restart: {failures:?}",
        failures.len()
    );
}
