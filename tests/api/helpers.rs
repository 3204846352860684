use std::path::PathBuf;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sluice::config::Settings;
use sluice::startup::Application;
use sqlx::AnyPool;
use tempfile::TempDir;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

pub struct TestApp {
    pub address: String,
    /// Where `/admin` and `/console` are served: `address`, or the admin
    /// listener's when `SLUICE_ADMIN_LISTEN` is set.
    pub admin_address: String,
    pub client: Client,
    pub db: AnyPool,
    pub state: sluice::state::AppState,
    pub data_dir: TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Settings every test starts from: port 0, a small pool, a fixed token.
pub fn test_settings(data_dir: &TempDir) -> Settings {
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.path().to_path_buf(),
        admin_token: Some(ADMIN_TOKEN.into()),
        ..Settings::default()
    };
    settings.engine.pool_instances = 16;
    // Every server the tests start shares one compiled-component cache
    // (cargo's scratch directory for tests), so each distinct component is
    // compiled once, not once per test: a Python or JavaScript one takes
    // seconds in a debug build. The component_cache tests use their own.
    settings.engine.component_cache_dir =
        Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache"));
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&data_dir);
    configure(&mut settings);
    start(settings, data_dir).await
}

/// Whether this run keeps the control plane in PostgreSQL
/// (`SLUICE_TEST_CONTROL_PLANE=postgres`, set by scripts/test.sh for its
/// second pass) instead of SQLite in each test's data directory.
pub fn on_postgres() -> bool {
    std::env::var("SLUICE_TEST_CONTROL_PLANE").is_ok_and(|v| v == "postgres")
}

/// Keys every node of a PostgreSQL control plane must share.
pub const TEST_SECRET_KEY: &str =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const TEST_JWT_KEY: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

/// A fresh, empty database on the throwaway PostgreSQL server
/// (`SLUICE_TEST_POSTGRES_URL`), for one test's control plane.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let base = std::env::var("SLUICE_TEST_POSTGRES_URL")
        .expect("SLUICE_TEST_POSTGRES_URL: run the tests with scripts/test.sh");
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    let name = format!("cp_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

/// Points `settings` at a fresh PostgreSQL control plane, with shared keys.
pub async fn use_postgres(settings: &mut Settings) {
    settings.database_url = Some(fresh_postgres_database().await);
    settings.secret_key = Some(TEST_SECRET_KEY.into());
    settings.tokens.key = Some(TEST_JWT_KEY.into());
}

/// The control plane a test shares between its in-process server and the
/// `sluice` processes it runs: nothing beyond the data directory on SQLite,
/// a fresh database and the shared keys on PostgreSQL.
pub struct ControlPlane {
    /// Environment for `sluice` child processes.
    pub env: Vec<(&'static str, String)>,
}

impl ControlPlane {
    /// The control plane of this run's kind.
    pub async fn new() -> Self {
        if on_postgres() {
            Self::postgres().await
        } else {
            Self { env: Vec::new() }
        }
    }

    /// A fresh PostgreSQL control plane, whatever this run's kind.
    pub async fn postgres() -> Self {
        Self {
            env: vec![
                ("SLUICE_DATABASE_URL", fresh_postgres_database().await),
                ("SLUICE_SECRET_KEY", TEST_SECRET_KEY.to_string()),
                ("SLUICE_JWT_KEY", TEST_JWT_KEY.to_string()),
            ],
        }
    }

    /// Points `settings` at it.
    pub fn apply(&self, settings: &mut Settings) {
        for (name, value) in &self.env {
            match *name {
                "SLUICE_DATABASE_URL" => settings.database_url = Some(value.clone()),
                "SLUICE_SECRET_KEY" => settings.secret_key = Some(value.clone()),
                "SLUICE_JWT_KEY" => settings.tokens.key = Some(value.clone()),
                _ => {}
            }
        }
    }
}

pub async fn start(mut settings: Settings, data_dir: TempDir) -> TestApp {
    if on_postgres() && settings.database_url.is_none() {
        use_postgres(&mut settings).await;
    }
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let admin_address = format!("http://127.0.0.1:{}", app.admin_local_addr().port());
    let db = app.state().db.clone();
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        admin_address,
        client: Client::new(),
        db,
        state,
        data_dir,
        shutdown: Some(tx),
        server: Some(server),
    }
}

pub fn example_wasm(name: &str) -> Vec<u8> {
    let dir = std::env::var("SLUICE_EXAMPLES_DIR").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../actions-examples/dist"),
        PathBuf::from,
    );
    let path = dir.join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; build the examples with scripts/build-actions.sh",
            path.display()
        )
    })
}

/// Asserts a problem+json answer with `status` and returns its body.
pub async fn assert_problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "status member of {body}");
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:sluice:problem:")
    );
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/admin{path}", self.admin_address))
            .bearer_auth(ADMIN_TOKEN)
    }

    pub async fn admin_get(&self, path: &str) -> Response {
        self.admin(reqwest::Method::GET, path).send().await.unwrap()
    }

    pub async fn admin_delete(&self, path: &str) -> Response {
        self.admin(reqwest::Method::DELETE, path)
            .send()
            .await
            .unwrap()
    }

    pub async fn admin_patch(&self, path: &str, body: &Value) -> Response {
        self.admin(reqwest::Method::PATCH, path)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn upload(&self, name: &str, wasm: Vec<u8>) -> Response {
        self.admin(reqwest::Method::PUT, &format!("/actions/{name}"))
            .header("content-type", "application/wasm")
            .body(wasm)
            .send()
            .await
            .unwrap()
    }

    pub async fn upload_example(&self, name: &str) -> Response {
        self.upload(name, example_wasm(name)).await
    }

    /// Creates an operation; `public` defaults to true here so that tests
    /// about other features call it without a token.
    pub async fn create_operation(&self, body: &Value) -> Response {
        let mut body = body.clone();
        if body.get("public").is_none() {
            body["public"] = json!(true);
        }
        self.admin(reqwest::Method::POST, "/operations")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Uploads example `action` and maps `method path` to it as operation `name`.
    pub async fn deploy(&self, action: &str, name: &str, method: &str, path: &str) {
        let uploaded = self.upload_example(action).await;
        assert!(
            uploaded.status().is_success(),
            "upload {action}: {}",
            uploaded.text().await.unwrap()
        );
        let created = self
            .create_operation(
                &json!({"name": name, "method": method, "path": path, "action": action}),
            )
            .await;
        assert_eq!(
            created.status(),
            StatusCode::CREATED,
            "{}",
            created.text().await.unwrap()
        );
    }

    pub async fn set_limits(&self, action: &str, limits: Value) {
        self.patch_action(action, json!({ "limits": limits })).await;
    }

    /// Grants `action` exactly `connections`.
    pub async fn grant(&self, action: &str, connections: &[&str]) {
        self.patch_action(action, json!({ "connections": connections }))
            .await;
    }

    async fn patch_action(&self, action: &str, patch: Value) {
        let response = self
            .admin_patch(&format!("/actions/{action}"), &patch)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            response.text().await.unwrap()
        );
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    /// Like [`TestApp::restart`], with changed settings.
    pub async fn restart_with(mut self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        let data_dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir().unwrap());
        let mut settings = test_settings(&data_dir);
        // The same control plane: on PostgreSQL, the same database.
        settings
            .database_url
            .clone_from(&self.state.settings.database_url);
        settings
            .secret_key
            .clone_from(&self.state.settings.secret_key);
        settings
            .tokens
            .key
            .clone_from(&self.state.settings.tokens.key);
        // The restarted server listens on another port, which would give
        // it another issuer: its tokens would not be the first one's.
        settings
            .tokens
            .issuer
            .clone_from(&self.state.tokens.settings().issuer);
        configure(&mut settings);
        start(settings, data_dir).await
    }

    /// Environment that points a `sluice` process at this app's control
    /// plane (empty on SQLite, where `--data-dir` does it).
    pub fn control_plane_env(&self) -> Vec<(&'static str, String)> {
        let settings = &self.state.settings;
        [
            ("SLUICE_DATABASE_URL", &settings.database_url),
            ("SLUICE_SECRET_KEY", &settings.secret_key),
            ("SLUICE_JWT_KEY", &settings.tokens.key),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect()
    }

    /// Signals shutdown without waiting.
    pub fn begin_shutdown(&mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.server.take().unwrap()
    }
}

/// The value of `var`, set by `scripts/test.sh` for a server it started.
pub fn started_server(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: run the tests with scripts/test.sh, which starts \
             PostgreSQL, MariaDB, Redis and an SMTP server"
        )
    })
}

impl TestApp {
    /// Creates connection `name` of `class` with `config` and checks the 201.
    pub async fn create_connection(&self, name: &str, class: &str, config: Value) {
        let response = self
            .admin(reqwest::Method::POST, "/connections")
            .json(&json!({"name": name, "class": class, "config": config}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{}",
            response.text().await.unwrap()
        );
    }

    /// Runs `misbehave` mode `mode` with `spec` as the body (deployed as
    /// `POST /mb`) and returns its JSON answer.
    pub async fn misbehave(&self, mode: &str, spec: Value) -> Value {
        let response = self
            .client
            .post(self.url(&format!("/mb?do={mode}")))
            .json(&spec)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

/// The path of `name` in the test Python environment (next to its python).
pub fn venv_tool(name: &str) -> std::path::PathBuf {
    std::path::Path::new(&started_server("SLUICE_TEST_PYTHON")).with_file_name(name)
}

/// Runs `program args` in `dir` (without blocking the in-process server)
/// and panics with its output unless it succeeds.
pub async fn run_tool(program: &str, dir: &std::path::Path, args: &[&str]) -> String {
    let output = tokio::process::Command::new(venv_tool(program))
        .current_dir(dir)
        .args(args)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{text}"
    );
    text
}

/// An app's client credentials.
pub struct AppClient {
    pub client_id: String,
    pub client_secret: String,
}

impl TestApp {
    /// Posts `body` to admin `path` and returns the 201 answer's JSON.
    pub async fn admin_create(&self, path: &str, body: Value) -> Value {
        let response = self
            .admin(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "POST {path}: {}",
            response.text().await.unwrap()
        );
        response.json().await.unwrap()
    }

    /// Creates scopes `names`.
    pub async fn create_scopes(&self, names: &[&str]) {
        for name in names {
            self.admin_create("/scopes", json!({"name": name})).await;
        }
    }

    /// Creates app `name` with `scopes` and returns its credentials.
    pub async fn create_client(&self, name: &str, scopes: &[&str]) -> AppClient {
        let app = self
            .admin_create("/apps", json!({"name": name, "scopes": scopes}))
            .await;
        AppClient {
            client_id: app["client_id"].as_str().unwrap().into(),
            client_secret: app["client_secret"].as_str().unwrap().into(),
        }
    }

    /// Posts the form `fields` to `/authorization/token`.
    pub async fn token_request(&self, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url("/authorization/token"))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// An access token for `client` by `client_credentials` (all its scopes).
    pub async fn client_token(&self, client: &AppClient) -> String {
        let response = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client.client_id),
                ("client_secret", &client.client_secret),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().into()
    }
}

impl TestApp {
    /// The token response of the `password` grant for `user`.
    pub async fn password_login(&self, user: &str, password: &str) -> Value {
        let response = self
            .token_request(&[
                ("grant_type", "password"),
                ("username", user),
                ("password", password),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// `GET /authorization/whoami` with `token`.
    pub async fn whoami(&self, token: &str) -> Response {
        self.client
            .get(self.url("/authorization/whoami"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// `POST /admin<path>` without a body; returns the 200 answer's JSON.
    pub async fn admin_post(&self, path: &str) -> Value {
        let response = self
            .admin(reqwest::Method::POST, path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        response.json().await.unwrap()
    }
}

/// The text of the first message in the test SMTP server's Maildir that
/// contains `needle` (waits up to 5 s for it).
pub async fn find_mail(needle: &str) -> String {
    let dir = std::path::PathBuf::from(started_server("SLUICE_TEST_MAILDIR")).join("new");
    for _ in 0..100 {
        let found = std::fs::read_dir(&dir).unwrap().flatten().find_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            text.contains(needle).then_some(text)
        });
        if let Some(text) = found {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no message containing {needle:?} arrived");
}

/// Polls `check` every 10 ms until it holds; the time it took, failing
/// after 15 s.
pub async fn time_until<F: Future<Output = bool>>(
    mut check: impl FnMut() -> F,
) -> std::time::Duration {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(15) {
        if check().await {
            return started.elapsed();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("not seen within 15 s");
}

/// Runs `statements` on a database of `driver` (`sqlite`: `shop.db` in the
/// app's data directory; `postgres`, `mysql`: the test servers' shared
/// database, so tables need unique names) and answers the `sql`
/// connection config that reaches it.
pub async fn sql_database(app: &TestApp, driver: &str, statements: &[String]) -> Value {
    sqlx::any::install_default_drivers();
    let (config, url) = match driver {
        "postgres" => {
            let url = started_server("SLUICE_TEST_POSTGRES_URL");
            (json!({"driver": "postgres", "url": url}), url)
        }
        "mysql" => {
            let url = started_server("SLUICE_TEST_MYSQL_URL");
            (json!({"driver": "mysql", "url": url}), url)
        }
        _ => {
            let path = app.data_dir.path().join("shop.db");
            (
                json!({"driver": "sqlite", "path": "shop.db"}),
                format!("sqlite://{}?mode=rwc", path.display()),
            )
        }
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    for statement in statements {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;
    config
}
