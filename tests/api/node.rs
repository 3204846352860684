//! One `sluice serve` process on a free loopback port with its own data
//! directory, for tests of what only the real binary does (the process's
//! tracing and export setup, signals).

use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::helpers::{ADMIN_TOKEN, example_wasm, time_until};

pub struct Node {
    pub base: String,
    pub client: reqwest::Client,
    child: Child,
    _dir: TempDir,
}

impl Node {
    /// Starts `sluice serve` with `env` added to the test's environment and
    /// waits until it is ready.
    pub async fn spawn(env: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = serve_command(port, dir.path())
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .spawn()
            .unwrap();
        let node = Self {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            child,
            _dir: dir,
        };
        time_until(|| async {
            node.client
                .get(node.url("/system/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        })
        .await;
        node
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the node is running")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(&format!("/admin{path}")))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// Uploads example `name` as action `name`.
    pub async fn upload(&self, name: &str) {
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

    /// Sends `body` to admin `path` with `method`; expects a 2xx.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> Value {
        expect_success(self.admin(method, path).json(body), path).await
    }

    /// The JSON answer to admin `GET path`; expects a 2xx.
    pub async fn admin_json(&self, path: &str) -> Value {
        expect_success(self.admin(reqwest::Method::GET, path), path).await
    }

    /// POSTs `body` to admin `path`; expects a 2xx.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        self.send(reqwest::Method::POST, path, body).await
    }
}

/// Sends `request` (to `path`) and answers its JSON body (`null` when it
/// has none); fails the test unless the status is a 2xx.
async fn expect_success(request: reqwest::RequestBuilder, path: &str) -> Value {
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Uploads example `name` as action `name` to the server at `base`.
pub async fn upload_example_to(client: &reqwest::Client, base: &str, name: &str) {
    let uploaded = client
        .put(format!("{base}/admin/actions/{name}"))
        .bearer_auth(ADMIN_TOKEN)
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

/// A client-credentials access token from the server at `base` for `app`
/// (as `POST /admin/apps` answered it, with its secret).
pub async fn app_token_from(client: &reqwest::Client, base: &str, app: &Value) -> String {
    let token: Value = client
        .post(format!("{base}/authorization/token"))
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
    token["access_token"].as_str().unwrap().to_string()
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `sluice serve` on loopback `port` with its data in `data_dir` and the
/// test's bootstrap admin token; killed when dropped.
pub fn serve_command(port: u16, data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .env("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)
        .kill_on_drop(true);
    command
}
