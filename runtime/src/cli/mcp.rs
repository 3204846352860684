//! `sluice mcp --url URL`: the MCP stdio transport for desktop agents
//! (Claude Desktop and others that start a server as a command), bridged to
//! a Sluice server's `/mcp` over Streamable HTTP with the CLI's
//! credentials. Each JSON-RPC message read from stdin (one per line, MCP
//! "Transports: stdio") is posted as it is; each message the server
//! answers — a JSON body or the events of an SSE stream — and each one it
//! sends on the session's own stream goes to stdout, one per line. The
//! bridge keeps the session (`Mcp-Session-Id`, `MCP-Protocol-Version`) and
//! ends it when stdin closes.

use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::sync::{Mutex, mpsc};

use super::remote::RemoteArgs;

/// Arguments of `sluice mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// The server (its base URL, or the MCP endpoint ending in `/mcp`) and
    /// the token: `--url`/`SLUICE_URL`, `--token`/`SLUICE_TOKEN` (a
    /// consumer's personal access token, say), else `sluice login`'s.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// What the bridge remembers of its session.
#[derive(Default)]
struct Session {
    id: Option<String>,
    protocol: Option<String>,
    /// The client's `initialize` request, to start a new session when the
    /// server forgot this one (404: ended by an admin, or idle).
    initialize: Option<Value>,
}

/// The bridge's HTTP side.
struct Bridge {
    endpoint: String,
    client: reqwest::Client,
    remote: RemoteArgs,
    token: Mutex<String>,
    /// Held while the token is refreshed: concurrent refreshes would spend
    /// the same refresh token twice, which revokes the login.
    refreshing: Mutex<()>,
    session: Mutex<Session>,
    /// The session's own SSE stream, reopened while the bridge runs.
    stream: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    out: mpsc::UnboundedSender<String>,
}

/// Runs the bridge until stdin closes.
///
/// # Errors
/// When no server or token is known; a failed request is answered to the
/// client as a JSON-RPC error instead.
pub async fn run(args: McpArgs) -> anyhow::Result<()> {
    let remote = args.remote.connect().await?;
    let base = remote.base().trim_end_matches('/').to_string();
    let endpoint = if base.ends_with(crate::mcp::PATH) {
        base
    } else {
        format!("{base}{}", crate::mcp::PATH)
    };
    let (out, mut lines) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(line) = lines.recv().await {
            if stdout.write_all(line.as_bytes()).await.is_err()
                || stdout.write_all(b"\n").await.is_err()
                || stdout.flush().await.is_err()
            {
                break;
            }
        }
    });
    let bridge = Arc::new(Bridge {
        endpoint,
        client: reqwest::Client::builder()
            .user_agent(concat!("sluice-mcp/", env!("CARGO_PKG_VERSION")))
            .build()?,
        remote: args.remote,
        token: Mutex::new(remote.token().to_string()),
        refreshing: Mutex::new(()),
        session: Mutex::default(),
        stream: std::sync::Mutex::new(None),
        out,
    });
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut tasks = tokio::task::JoinSet::new();
    while let Some(line) = stdin.next_line().await.context("reading stdin")? {
        if line.trim().is_empty() {
            continue;
        }
        let message: Value = match serde_json::from_str(&line) {
            Ok(message) => message,
            Err(e) => {
                bridge.error(&Value::Null, -32700, &format!("not JSON: {e}"));
                continue;
            }
        };
        let initialize = message["method"] == "initialize";
        if initialize {
            bridge.session.lock().await.initialize = Some(message.clone());
        }
        if initialize || message.get("id").is_none() || message.get("method").is_none() {
            // The handshake, notifications and answers go in order: what
            // follows may depend on them (the session id).
            bridge.forward(message).await;
            if initialize {
                bridge.open_stream();
            }
        } else {
            let bridge = Arc::clone(&bridge);
            tasks.spawn(async move { bridge.forward(message).await });
        }
    }
    while tasks.join_next().await.is_some() {}
    if let Some(stream) = bridge.stream.lock().ok().and_then(|mut s| s.take()) {
        stream.abort();
    }
    bridge.close().await;
    drop(bridge);
    let _ = writer.await;
    Ok(())
}

impl Bridge {
    /// Posts `message` and writes what the server answers; retries once
    /// with a refreshed token after a 401, and once in a new session after
    /// a 404 for a session the server forgot.
    async fn forward(&self, message: Value) {
        let (mut refreshed, mut renewed) = (false, false);
        loop {
            let had_session = self.session.lock().await.id.is_some();
            let (response, used) = match self.post(&message).await {
                Ok(sent) => sent,
                Err(e) => {
                    self.error(&message["id"], -32603, &format!("{}: {e}", self.endpoint));
                    return;
                }
            };
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !refreshed && self.refresh(&used).await {
                refreshed = true;
                continue;
            }
            if status == StatusCode::NOT_FOUND
                && had_session
                && !renewed
                && message["method"] != "initialize"
                && self.renew().await
            {
                renewed = true;
                continue;
            }
            self.answer(&message, response).await;
            return;
        }
    }

    /// Starts a new session with the client's `initialize` (its answer is
    /// not the client's business: it has one); whether that worked.
    async fn renew(&self) -> bool {
        let initialize = {
            let mut session = self.session.lock().await;
            session.id = None;
            session.initialize.clone()
        };
        let Some(initialize) = initialize else {
            return false;
        };
        let Ok((response, _)) = self.post(&initialize).await else {
            return false;
        };
        let Some(id) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
        else {
            return false;
        };
        self.session.lock().await.id = Some(id);
        let _ = response.bytes().await;
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.post(&initialized).await.is_ok()
    }

    /// Posts `message`; answers the response and the token it carried.
    async fn post(&self, message: &Value) -> reqwest::Result<(reqwest::Response, String)> {
        let token = self.token.lock().await.clone();
        let mut request = self
            .client
            .post(&self.endpoint)
            .bearer_auth(&token)
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .body(message.to_string());
        let session = self.session.lock().await;
        if let Some(id) = &session.id {
            request = request.header("mcp-session-id", id);
        }
        if let Some(protocol) = &session.protocol {
            request = request.header("mcp-protocol-version", protocol);
        }
        drop(session);
        Ok((request.send().await?, token))
    }

    /// Writes the messages of `response` to `message`.
    async fn answer(&self, message: &Value, response: reqwest::Response) {
        let status = response.status();
        if let Some(id) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            self.session.lock().await.id = Some(id.to_string());
        }
        if status == StatusCode::ACCEPTED {
            return;
        }
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !status.is_success() {
            let detail = response.text().await.unwrap_or_default();
            let problem: Value = serde_json::from_str(&detail).unwrap_or(json!({}));
            // A JSON-RPC error the server wrote itself passes as it is.
            if problem.get("jsonrpc").is_some() {
                self.send(&problem);
                return;
            }
            let text = problem["detail"].as_str().unwrap_or(&detail);
            self.error(&message["id"], -32603, &format!("HTTP {status}: {text}"));
            return;
        }
        if is_sse {
            let mut events = sse_stream::SseStream::from_bytes_stream(response.bytes_stream());
            while let Some(event) = events.next().await {
                match event {
                    Ok(event) => self.relay(event.data.as_deref()).await,
                    Err(e) => {
                        self.error(&message["id"], -32603, &format!("the stream broke: {e}"));
                        return;
                    }
                }
            }
        } else {
            match response.bytes().await {
                Ok(body) => self.relay(std::str::from_utf8(&body).ok()).await,
                Err(e) => self.error(&message["id"], -32603, &e.to_string()),
            }
        }
    }

    /// Writes a message the server sent; notes the protocol revision an
    /// `initialize` result agreed on.
    async fn relay(&self, data: Option<&str>) {
        let Some(value) = data.and_then(|d| serde_json::from_str::<Value>(d).ok()) else {
            return;
        };
        if let Some(protocol) = value["result"]["protocolVersion"].as_str() {
            self.session.lock().await.protocol = Some(protocol.to_string());
        }
        self.send(&value);
    }

    /// Opens the session's own SSE stream (server notifications, such as a
    /// changed tool list) once the handshake gave a session, and opens it
    /// again whenever it ends (a restart, a balancer's timeout), with the
    /// session and token of the moment.
    fn open_stream(self: &Arc<Self>) {
        let bridge = Arc::clone(self);
        let task = tokio::spawn(async move {
            loop {
                bridge.listen().await;
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
        if let Ok(mut stream) = self.stream.lock()
            && let Some(previous) = stream.replace(task)
        {
            previous.abort();
        }
    }

    /// Relays the session stream's messages until it ends.
    async fn listen(&self) {
        let (id, protocol) = {
            let session = self.session.lock().await;
            (session.id.clone(), session.protocol.clone())
        };
        let Some(id) = id else { return };
        let token = self.token.lock().await.clone();
        let mut request = self
            .client
            .get(&self.endpoint)
            .bearer_auth(&token)
            .header(ACCEPT, "text/event-stream")
            .header("mcp-session-id", id);
        if let Some(protocol) = protocol {
            request = request.header("mcp-protocol-version", protocol);
        }
        let Ok(response) = request.send().await else {
            return;
        };
        if !response.status().is_success() {
            return;
        }
        let mut events = sse_stream::SseStream::from_bytes_stream(response.bytes_stream());
        while let Some(Ok(event)) = events.next().await {
            self.relay(event.data.as_deref()).await;
        }
    }

    /// After `used` was refused: a fresh token (a saved login is
    /// refreshed, by one task at a time); whether there is a new one.
    async fn refresh(&self, used: &str) -> bool {
        let _one_at_a_time = self.refreshing.lock().await;
        if *self.token.lock().await != used {
            // Another task refreshed meanwhile.
            return true;
        }
        let Ok(remote) = self.remote.connect().await else {
            return false;
        };
        if remote.token() == used {
            return false;
        }
        *self.token.lock().await = remote.token().to_string();
        true
    }

    /// Ends the session on the server.
    async fn close(&self) {
        let Some(id) = self.session.lock().await.id.clone() else {
            return;
        };
        let token = self.token.lock().await.clone();
        let _ = self
            .client
            .delete(&self.endpoint)
            .bearer_auth(&token)
            .header("mcp-session-id", id)
            .send()
            .await;
    }

    fn send(&self, message: &Value) {
        let _ = self.out.send(message.to_string());
    }

    /// Answers request `id` (nothing for a notification) with a JSON-RPC
    /// error.
    fn error(&self, id: &Value, code: i64, message: &str) {
        if id.is_null() && code != -32700 {
            tracing::warn!("{message}");
            return;
        }
        self.send(
            &json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
        );
    }
}
