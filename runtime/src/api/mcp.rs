//! `/admin/mcp`: what the MCP server at `/mcp` offers and who uses it —
//! the tools (the operations open to MCP, as clients see them), the live
//! sessions, and ending one. Its tool calls are in the request log
//! (`GET /admin/logs?via=mcp`).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::store::mcp_sessions::{self, McpSessionRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mcp", get(mcp_settings))
        .route("/mcp/tools", get(mcp_tools_list))
        .route("/mcp/sessions", get(mcp_sessions_list))
        .route("/mcp/sessions/{id}", delete(mcp_sessions_delete))
}

/// The MCP server's settings as this node runs with them.
#[derive(Debug, Serialize)]
pub struct McpInfo {
    /// Whether an operation without an `mcp` field is a tool
    /// (`SLUICE_MCP_TOOLS_BY_DEFAULT`).
    pub tools_by_default: bool,
    /// `Host` values `/mcp` answers (`*`: any).
    pub allowed_hosts: Vec<String>,
    /// Browser origins `/mcp` answers.
    pub allowed_origins: Vec<String>,
    /// Sessions a node holds in memory at most.
    pub max_sessions: usize,
    /// Seconds an unused session lives.
    pub session_idle_secs: i64,
}

/// `GET /admin/mcp` → 200 with the MCP server's settings.
pub async fn mcp_settings(State(state): State<AppState>) -> Json<McpInfo> {
    let settings = &state.settings.mcp;
    Json(McpInfo {
        tools_by_default: settings.tools_by_default,
        allowed_hosts: crate::mcp::allowed_hosts(&state),
        allowed_origins: crate::mcp::allowed_origins(&state),
        max_sessions: settings.max_sessions,
        session_idle_secs: settings.session_idle_secs,
    })
}

/// One tool as `tools/list` shows it, with its operation and who may call
/// it.
#[derive(Debug, Serialize)]
pub struct ToolInfo {
    /// The tool's name.
    pub name: String,
    /// The operation it runs.
    pub operation: String,
    /// `METHOD /path` of the operation.
    pub route: String,
    /// What the model reads.
    pub description: String,
    /// Callable with any token (the operation is public).
    pub public: bool,
    /// Scopes any one of which lets a token call it (and see it).
    pub scopes: Vec<String>,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
    /// JSON Schema of `structuredContent`, when the operation declares its
    /// success response.
    pub output_schema: Option<Value>,
    /// `readOnlyHint`, `destructiveHint`, `idempotentHint`.
    pub read_only: bool,
    /// See [`ToolInfo::read_only`].
    pub destructive: bool,
    /// See [`ToolInfo::read_only`].
    pub idempotent: bool,
}

/// `GET /admin/mcp/tools` → 200 with every tool of the MCP server, by
/// name (each caller sees those its scopes reach).
pub async fn mcp_tools_list(State(state): State<AppState>) -> Json<Vec<ToolInfo>> {
    let table = state.routes.load();
    Json(
        table
            .tools
            .values()
            .filter_map(|route| {
                let tool = route.tool.as_ref()?;
                Some(ToolInfo {
                    name: tool.name.clone(),
                    operation: route.operation.clone(),
                    route: route.trace_name.to_string(),
                    description: tool.description.clone(),
                    public: route.public,
                    scopes: route.scopes.to_vec(),
                    input_schema: Value::Object((*tool.input_schema).clone()),
                    output_schema: tool
                        .output_schema
                        .as_ref()
                        .map(|s| Value::Object((**s).clone())),
                    read_only: tool.read_only,
                    destructive: tool.destructive,
                    idempotent: tool.idempotent,
                })
            })
            .collect(),
    )
}

/// Query of `GET /admin/mcp/sessions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsQuery {
    /// Only sessions used in the last this many seconds (default 3 600;
    /// at most `SLUICE_MCP_SESSION_IDLE_SECS`).
    pub active_within_secs: Option<i64>,
}

/// `GET /admin/mcp/sessions?active_within_secs=` → 200 with the sessions
/// used lately (`seen_ms` is written at most once a minute), the most
/// recent first: who opened each (app, user), the client's name and
/// version, the protocol revision.
///
/// # Errors
/// 400 for a window that is not positive.
pub async fn mcp_sessions_list(
    State(state): State<AppState>,
    Query(query): Query<SessionsQuery>,
) -> ApiResult<Json<Vec<McpSessionRow>>> {
    let within = query.active_within_secs.unwrap_or(3_600);
    if within < 1 {
        return Err(ApiError::BadRequest(
            "active_within_secs must be at least 1".into(),
        ));
    }
    let within = within.min(state.settings.mcp.session_idle_secs);
    let since = crate::store::now_ms() - within * 1000;
    Ok(Json(mcp_sessions::list_since(&state.db, since).await?))
}

/// `DELETE /admin/mcp/sessions/{id}` → 204: the session ends; its next
/// request gets 404 (within a minute on the other nodes of a cluster) and
/// its client starts a new one.
///
/// # Errors
/// 404 for an unknown session.
pub async fn mcp_sessions_delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if !mcp_sessions::delete(&state.db, &id).await? {
        return Err(ApiError::NotFound(format!(
            "MCP session {id:?} does not exist"
        )));
    }
    crate::mcp::sessions::forget(&id);
    Ok(StatusCode::NO_CONTENT)
}
