//! The Model Context Protocol server at `/mcp`: AI agents see the
//! operations an admin opened to MCP as tools, and the OpenAPI document
//! and the stored schemas as resources (MCP specification 2025-06-18 and
//! later, Streamable HTTP transport, built on `rmcp`, the official Rust
//! SDK).
//!
//! A tool call runs through the gateway like an HTTP request
//! ([`call`]): the caller's scopes, rate limits, validation, the request
//! log (`via: mcp`), traces and fuel all apply. Every request to `/mcp`
//! needs a bearer token (MCP "Authorization": 401 with
//! `WWW-Authenticate` naming the protected-resource metadata, RFC 9728);
//! a token bound to the `{issuer}/mcp` resource (RFC 8707) is valid here.
//! Sessions (`Mcp-Session-Id`) are kept in the control plane, so that any
//! node of a cluster can serve one, and are bound to the principal that
//! opened them; clients of protocol revision 2026-07-28 need none.

pub mod call;
pub mod prompts;
pub mod server;
pub mod sessions;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::SessionManager as _;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;

use crate::error::ApiError;
use crate::identity::{Caller, PROTECTED_RESOURCE_METADATA};
use crate::state::AppState;

/// Where the MCP server listens.
pub const PATH: &str = "/mcp";

/// The session header of the Streamable HTTP transport.
const SESSION_HEADER: &str = "mcp-session-id";

/// Settings of the MCP server.
#[derive(Debug, Clone)]
pub struct McpSettings {
    /// Whether an operation without an `mcp` field is a tool
    /// (`SLUICE_MCP_TOOLS_BY_DEFAULT`, default false).
    pub tools_by_default: bool,
    /// `Host` values accepted (`SLUICE_MCP_ALLOWED_HOSTS`); empty: loopback
    /// names and the hosts of the public URL and the issuer; `*`: any.
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted (`SLUICE_MCP_ALLOWED_ORIGINS`); empty: the
    /// origins of the public URL and the issuer. A request without
    /// `Origin` (not from a browser) is always accepted.
    pub allowed_origins: Vec<String>,
    /// Seconds an unused session lives (`SLUICE_MCP_SESSION_IDLE_SECS`,
    /// default 86 400).
    pub session_idle_secs: i64,
    /// Sessions a node holds in memory at most (`SLUICE_MCP_MAX_SESSIONS`,
    /// default 10 000); a client starting one more gets 503. A session
    /// leaves memory after 5 minutes unused (its next request restores it
    /// from the control plane).
    pub max_sessions: usize,
    /// Live sessions one principal (app and user of a token) may hold
    /// (`SLUICE_MCP_MAX_SESSIONS_PER_CALLER`, default 100); one more is
    /// refused with 429.
    pub max_sessions_per_caller: i64,
}

impl Default for McpSettings {
    fn default() -> Self {
        Self {
            tools_by_default: false,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            session_idle_secs: 86_400,
            max_sessions: 10_000,
            max_sessions_per_caller: 100,
        }
    }
}

/// The `/mcp` route: the guard ([`guard`]) over rmcp's Streamable HTTP
/// service.
pub fn router(state: &AppState) -> Router<AppState> {
    let mut config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(state.settings.max_request_bytes)
        .with_cancellation_token(stop_token(state));
    let hosts = allowed_hosts(state);
    config = if hosts.iter().any(|h| h == "*") {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(hosts)
    };
    config = config
        .with_allowed_origins(allowed_origins(state))
        .enforce_origin_validation();
    config.session_store = Some(Arc::new(sessions::Store::new(
        state.db.clone(),
        state.settings.mcp.session_idle_secs,
    )));
    // Clients of protocol 2026-07-28 (no session) get JSON answers. No
    // SSE priming events: without an event store a stream cannot be
    // resumed, so announcing a retry interval only costs a write.
    config = config.with_json_response(true).with_sse_retry(None);
    let factory = state.clone();
    let mut manager = LocalSessionManager::default();
    manager.session_config.sse_retry = None;
    let sessions = Arc::new(manager);
    let service = StreamableHttpService::new(
        move || Ok(server::Server::new(factory.clone())),
        Arc::clone(&sessions),
        config,
    );
    let guarded = Guarded {
        state: state.clone(),
        sessions,
    };
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::from_fn_with_state(guarded, guard))
}

/// What [`guard`] needs: the node's state and its sessions in memory.
#[derive(Clone)]
struct Guarded {
    state: AppState,
    sessions: Arc<LocalSessionManager>,
}

/// A token cancelled when the node starts to stop, which ends the open
/// SSE streams (they would hold a graceful shutdown open).
fn stop_token(state: &AppState) -> tokio_util::sync::CancellationToken {
    let token = tokio_util::sync::CancellationToken::new();
    let mut stopping = state.lifecycle.stopping();
    let cancel = token.clone();
    tokio::spawn(async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
        cancel.cancel();
    });
    token
}

/// The URL of `/mcp`'s protected-resource metadata (RFC 9728 §3.1: the
/// well-known path with the resource's path appended).
pub fn resource_metadata_url(base: &str) -> String {
    format!(
        "{}{PROTECTED_RESOURCE_METADATA}{PATH}",
        base.trim_end_matches('/')
    )
}

/// The hosts `/mcp` answers (`*`: any).
pub fn allowed_hosts(state: &AppState) -> Vec<String> {
    let configured = &state.settings.mcp.allowed_hosts;
    if !configured.is_empty() {
        return configured.clone();
    }
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(String::from)
        .collect();
    for url in own_urls(state) {
        if let Some(host) = url.host_str() {
            hosts.push(host.trim_matches(['[', ']']).to_string());
        }
    }
    hosts
}

/// The browser origins `/mcp` answers.
pub fn allowed_origins(state: &AppState) -> Vec<String> {
    let configured = &state.settings.mcp.allowed_origins;
    if !configured.is_empty() {
        return configured.clone();
    }
    own_urls(state)
        .map(|url| {
            let origin = url.origin().ascii_serialization();
            // An explicit port: rmcp reads a port-less entry as "any port".
            match url.port() {
                Some(_) => origin,
                None => format!("{origin}:{}", url.port_or_known_default().unwrap_or(443)),
            }
        })
        .collect()
}

/// The public URL and the issuer, when they are URLs.
fn own_urls(state: &AppState) -> impl Iterator<Item = url::Url> {
    [
        state.settings.public_url.clone(),
        Some(state.tokens.settings().issuer.clone()),
    ]
    .into_iter()
    .flatten()
    .filter_map(|u| url::Url::parse(&u).ok())
    .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// Who may use `/mcp`: a valid bearer token (for the whole API or bound to
/// the MCP resource), and for a session only the principal that opened
/// it. The caller goes to the handlers in the request's extensions; a new
/// session is recorded with its principal.
async fn guard(State(guarded): State<Guarded>, mut request: Request, next: Next) -> Response {
    let state = &guarded.state;
    let caller =
        match crate::gateway::auth::authenticate_at(&state.tokens, request.headers(), Some(PATH)) {
            Ok(Some(caller)) => caller,
            Ok(None) => {
                return challenge(
                    state,
                    request.headers(),
                    ApiError::Unauthorized(
                        "the MCP server needs `Authorization: Bearer <access token>`: an OAuth \
                     client finds the authorization server in the protected-resource \
                     metadata named by WWW-Authenticate"
                            .into(),
                    ),
                );
            }
            Err(e) => return challenge(state, request.headers(), e),
        };
    let session = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(id) = &session {
        match sessions::owner(state, id).await {
            Ok(Some(owner)) if owner.is(&caller) => {}
            // Another principal's session answers as an unknown one, and a
            // session ended (by an admin, or idle) is unknown everywhere:
            // the client starts a new one (Streamable HTTP: 404).
            Ok(_) => {
                return ApiError::NotFound(
                    "no such MCP session for this token; send initialize to start one".into(),
                )
                .into_response();
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
        // A session this node does not hold is restored into its memory.
        let held = guarded.sessions.sessions.read().await;
        if !held.contains_key(id.as_str()) && held.len() >= state.settings.mcp.max_sessions {
            return sessions_full();
        }
    } else if !stateless(request.headers())
        && guarded.sessions.sessions.read().await.len() >= state.settings.mcp.max_sessions
    {
        return sessions_full();
    }
    request.extensions_mut().insert(Arc::clone(&caller));
    let response = next.run(request).await;
    if session.is_none()
        && let Some(id) = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    {
        let refused = match sessions::opened(state, &id, &caller).await {
            Ok(held) if held > state.settings.mcp.max_sessions_per_caller => {
                Some(ApiError::Custom {
                    status: axum::http::StatusCode::TOO_MANY_REQUESTS,
                    slug: "mcp-sessions-per-caller",
                    title: "Too many MCP sessions for this token",
                    detail: format!(
                        "this app and user hold {} MCP sessions already \
                         (SLUICE_MCP_MAX_SESSIONS_PER_CALLER); end unused ones with DELETE /mcp",
                        held - 1
                    ),
                    fuel_used: None,
                })
            }
            Ok(_) => None,
            // A session whose owner is not recorded would answer 404 to
            // it: none is better.
            Err(e) => Some(ApiError::from(e)),
        };
        if let Some(error) = refused {
            let _ = guarded
                .sessions
                .close_session(&Arc::from(id.as_str()))
                .await;
            let _ = crate::store::mcp_sessions::delete(&state.db, &id).await;
            sessions::forget(&id);
            return error.into_response();
        }
    }
    response
}

/// Whether the request is of protocol 2026-07-28, which rmcp serves
/// without a session (the revision removed them): it adds none to hold.
fn stateless(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v >= "2026-07-28")
}

/// 503: this node holds as many sessions as it may.
fn sessions_full() -> Response {
    ApiError::Custom {
        status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
        slug: "mcp-sessions-full",
        title: "Too many MCP sessions",
        detail: "this node holds as many MCP sessions as SLUICE_MCP_MAX_SESSIONS allows; \
                 retry in a few minutes, when unused ones have left memory"
            .into(),
        fuel_used: None,
    }
    .into_response()
}

/// A 401 for `error` whose bearer challenge names `/mcp`'s
/// protected-resource metadata.
fn challenge(state: &AppState, headers: &axum::http::HeaderMap, error: ApiError) -> Response {
    let base = crate::api::metadata::base_url(state, headers);
    let mut response = error.into_response();
    crate::gateway::add_resource_metadata(&mut response, &resource_metadata_url(&base));
    response
}

/// The principal of a session: the app and the user of the token that
/// opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The token's app.
    pub app: Option<String>,
    /// The token's user.
    pub user: Option<String>,
}

impl Owner {
    /// Whether `caller` is this principal.
    pub fn is(&self, caller: &Caller) -> bool {
        self.app == caller.app && self.user == caller.user
    }
}

/// How often a session's `seen` time is written at most.
const TOUCH_EVERY: Duration = Duration::from_secs(60);
