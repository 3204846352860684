//! The CLI's client of a running server's admin API: where it is and which
//! bearer token to send, from `--url`/`--token`, `SLUICE_URL`/`SLUICE_TOKEN`
//! or the credentials `sluice login` saved (refreshed before they expire).

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use clap::Args;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::login::Credentials;

/// Where the server is and how to authenticate (every remote command).
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`; default: the one
    /// `sluice login` saved.
    #[arg(long, env = "SLUICE_URL", global = true)]
    pub url: Option<String>,
    /// An access token with the admin scope; default: the saved login's
    /// (refreshed when it is about to expire).
    #[arg(long, env = "SLUICE_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
}

/// A connected client of the admin API.
#[derive(Debug)]
pub struct Remote {
    base: String,
    token: String,
    client: reqwest::Client,
    requests: AtomicUsize,
}

/// A refused request: the status and the problem's detail.
#[derive(Debug, thiserror::Error)]
#[error("{method} {path}: {status}: {detail}")]
pub struct Refused {
    /// The request's method.
    pub method: Method,
    /// The request's path.
    pub path: String,
    /// The answer's status.
    pub status: StatusCode,
    /// The problem's `detail` (or `title`, or the body).
    pub detail: String,
}

impl RemoteArgs {
    /// Resolves the server and the token.
    ///
    /// # Errors
    /// When no URL is known, no token is given and no login is saved for
    /// the URL, or a saved login cannot be refreshed.
    pub async fn connect(&self) -> anyhow::Result<Remote> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("sluice-cli/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let saved = Credentials::load()?;
        let base = match (&self.url, &saved) {
            (Some(url), _) => url.trim_end_matches('/').to_string(),
            (None, Some(c)) => c.url.clone(),
            (None, None) => bail!(
                "no server: log in with `sluice login URL`, or pass --url (SLUICE_URL) and \
                 --token (SLUICE_TOKEN)"
            ),
        };
        let token = match (&self.token, saved) {
            (Some(token), _) => token.clone(),
            (None, Some(credentials)) if credentials.url == base => {
                credentials.fresh_access_token(&client).await?
            }
            (None, _) => bail!(
                "no token for {base}: log in with `sluice login {base}`, or pass --token \
                 (SLUICE_TOKEN)"
            ),
        };
        Ok(Remote {
            base,
            token,
            client,
            requests: AtomicUsize::new(0),
        })
    }
}

impl Remote {
    /// A client of `base` sending `token` (for `sluice up`, which makes its own).
    pub fn new(base: String, token: String) -> Self {
        Self {
            base,
            token,
            client: reqwest::Client::new(),
            requests: AtomicUsize::new(0),
        }
    }

    /// The bearer token it sends.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// How many requests this client has made.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<reqwest::Body>,
        content_type: &str,
    ) -> anyhow::Result<reqwest::Response> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|p| {
                p["detail"]
                    .as_str()
                    .or_else(|| p["title"].as_str())
                    .map(str::to_string)
            })
            .unwrap_or(text);
        Err(Refused {
            method,
            path: path.to_string(),
            status,
            detail,
        }
        .into())
    }

    /// Sends `body` as JSON (or nothing) and answers the JSON reply (`null`
    /// for an empty one).
    ///
    /// # Errors
    /// [`Refused`] for a non-2xx answer; transport errors.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let body = body.map(|b| reqwest::Body::from(b.to_string()));
        let response = self.send(method, path, body, "application/json").await?;
        let bytes = response.bytes().await?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// `GET path` as JSON.
    ///
    /// # Errors
    /// As [`Remote::json`].
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.json(Method::GET, path, None).await
    }

    /// Whether `HEAD path` answers 2xx (false for 404).
    ///
    /// # Errors
    /// Any refusal but 404; transport errors.
    pub async fn exists(&self, path: &str) -> anyhow::Result<bool> {
        match self.send(Method::HEAD, path, None, "").await {
            Ok(_) => Ok(true),
            Err(e)
                if e.downcast_ref::<Refused>().map(|r| r.status) == Some(StatusCode::NOT_FOUND) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// `PUT path` with `bytes` as `application/wasm`.
    ///
    /// # Errors
    /// As [`Remote::json`].
    pub async fn put_wasm(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.send(Method::PUT, path, Some(bytes.into()), "application/wasm")
            .await?;
        Ok(())
    }

    /// `GET path` as raw bytes.
    ///
    /// # Errors
    /// As [`Remote::json`].
    pub async fn bytes(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let response = self.send(Method::GET, path, None, "").await?;
        Ok(response.bytes().await?.to_vec())
    }
}
