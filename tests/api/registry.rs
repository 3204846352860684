//! The registry of open connection backends: concurrent first uses of a
//! connection open one backend, and a backend let go of (the connection
//! changed) closes its sockets.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{TestApp, started_server, time_until};

/// A server on a PostgreSQL control plane whatever this run's kind (so that
/// [`all_at_once`] can hold its requests back), and that control plane's
/// URL.
async fn app_on_postgres() -> (TestApp, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings(&dir);
    crate::helpers::use_postgres(&mut settings).await;
    let control_plane = settings.database_url.clone().unwrap();
    (crate::helpers::start(settings, dir).await, control_plane)
}

/// The sessions on database `name` of the test PostgreSQL server, with
/// `filter` an extra condition on `pg_stat_activity`.
async fn sessions(name: &str, filter: &str) -> i64 {
    let pool = sqlx::PgPool::connect(&started_server("SLUICE_TEST_POSTGRES_URL"))
        .await
        .unwrap();
    let count = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND {filter}"
    ))
    .bind(name)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    count
}

/// The database name at the end of a PostgreSQL URL.
fn database_of(url: &str) -> String {
    url.rsplit_once('/').unwrap().1.to_string()
}

/// Runs `calls`, which each look a connection up, so that all reach the
/// registry together: a lock on the control plane's `connections` table
/// holds each at its first read of it until all are waiting.
async fn all_at_once<T: Send + 'static>(
    control_plane: &str,
    calls: Vec<impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let mut lock = sqlx::PgConnection::connect(control_plane).await.unwrap();
    let mut tx = lock.begin().await.unwrap();
    sqlx::query("LOCK TABLE connections IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    let n = i64::try_from(calls.len()).unwrap();
    let running: Vec<_> = calls.into_iter().map(tokio::spawn).collect();
    let database = database_of(control_plane);
    time_until(|| async { sessions(&database, "wait_event_type = 'Lock'").await >= n }).await;
    tx.commit().await.unwrap();
    let mut done = Vec::new();
    for call in running {
        done.push(call.await.unwrap());
    }
    done
}

/// A TCP relay to `target` (`host:port`) that counts the connections made
/// through it and those still open.
struct Relay {
    address: String,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

impl Relay {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (accepted, open) = (Arc::<AtomicUsize>::default(), Arc::<AtomicUsize>::default());
        let (counted, still_open) = (Arc::clone(&accepted), Arc::clone(&open));
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                still_open.fetch_add(1, Ordering::SeqCst);
                let (target, still_open) = (target.clone(), Arc::clone(&still_open));
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                    still_open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Self {
            address,
            accepted,
            open,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// Many first uses at once of a Redis `kv` connection open one Redis
/// connection, not one each; and when the connection changes, the one it
/// had is closed.
#[tokio::test]
async fn concurrent_first_uses_of_a_redis_connection_open_it_once() {
    let redis = url::Url::parse(&started_server("SLUICE_TEST_REDIS_URL")).unwrap();
    let relay = Relay::start(format!(
        "{}:{}",
        redis.host_str().unwrap(),
        redis.port().unwrap()
    ))
    .await;
    let (app, control_plane) = app_on_postgres().await;
    let config = json!({"backend": "redis", "url": format!("redis://{}", relay.address)});
    app.create_connection("cache", "kv", config).await;
    app.deploy("misbehave", "mb", "POST", "/mb").await;
    app.grant("misbehave", &["cache"]).await;
    // Creating the connection tried it once.
    time_until(|| async { relay.open() == 0 }).await;
    let before = relay.accepted();

    let url = app.url("/mb?do=kv");
    let calls = (0..10)
        .map(|_| {
            let (client, url) = (app.client.clone(), url.clone());
            async move {
                let answer = client
                    .post(url)
                    .json(&json!({"conn": "cache", "op": "get", "key": "k"}))
                    .send()
                    .await
                    .unwrap();
                answer.json::<Value>().await.unwrap()
            }
        })
        .collect();
    for answer in all_at_once(&control_plane, calls).await {
        assert_eq!(answer, json!({"value": null}));
    }
    assert_eq!(relay.accepted() - before, 1, "Redis connections opened");
    assert_eq!(relay.open(), 1);

    let patched = app
        .admin_patch(
            "/connections/cache",
            &json!({"config": {"timeout_ms": 4000}}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    time_until(|| async { relay.open() == 0 }).await;
}

/// Many first uses at once of a PostgreSQL connection share one pool (with
/// `pool_size` 1, one server session), and the pool let go of when the
/// connection changes leaves no session behind. (sqlx pools open lazily,
/// so the extra pools the registry used to open were never connected: this
/// guards the sharing rather than reproducing a leak.)
#[tokio::test]
async fn concurrent_first_uses_of_a_postgresql_connection_share_one_pool() {
    let (app, control_plane) = app_on_postgres().await;
    let url = crate::helpers::fresh_postgres_database().await;
    let database = database_of(&url);
    app.create_connection(
        "db",
        "sql",
        json!({"driver": "postgres", "url": url, "pool_size": 1, "statement_timeout_ms": 30_000}),
    )
    .await;
    app.deploy("misbehave", "sql", "GET", "/sql").await;
    app.grant("misbehave", &["db"]).await;
    let pid_url = reqwest::Url::parse_with_params(
        &app.url("/sql"),
        &[
            ("do", "sql-query"),
            ("conn", "db"),
            ("q", "SELECT pg_backend_pid() AS pid"),
        ],
    )
    .unwrap();
    let backend_pid = |client: reqwest::Client, url: reqwest::Url| async move {
        let answer: Value = client.get(url).send().await.unwrap().json().await.unwrap();
        answer["rows"][0][0]["integer"]
            .as_i64()
            .unwrap_or_else(|| panic!("no pid in {answer}"))
    };

    let calls = (0..10)
        .map(|_| backend_pid(app.client.clone(), pid_url.clone()))
        .collect();
    let pids: std::collections::BTreeSet<i64> = all_at_once(&control_plane, calls)
        .await
        .into_iter()
        .collect();
    assert_eq!(pids.len(), 1, "server sessions used: {pids:?}");
    assert_eq!(sessions(&database, "true").await, 1);

    let patched = app
        .admin_patch(
            "/connections/db",
            &json!({"config": {"statement_timeout_ms": 20_000}}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    time_until(|| async { sessions(&database, "true").await == 0 }).await;
    backend_pid(app.client.clone(), pid_url).await;
    assert_eq!(sessions(&database, "true").await, 1);
}
