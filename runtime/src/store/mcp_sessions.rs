//! MCP sessions (`Mcp-Session-Id`, MCP Streamable HTTP transport): who
//! opened each, the client's `initialize` parameters (so that another node
//! can take the session over), and when it was opened and last used.
//! Times are Unix milliseconds.

use serde::Serialize;
use sqlx::AnyExecutor;

/// One row of `mcp_sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct McpSessionRow {
    /// The session id the server gave (`Mcp-Session-Id`).
    pub id: String,
    /// The app of the token that opened it.
    pub app: Option<String>,
    /// The user of that token.
    #[sqlx(rename = "user_name")]
    pub user: Option<String>,
    /// rmcp's `SessionState` (the client's `initialize` parameters), JSON;
    /// `None` until the handshake completed.
    #[serde(skip)]
    pub state: Option<String>,
    /// `clientInfo.name` of `initialize`.
    pub client_name: Option<String>,
    /// `clientInfo.version` of `initialize`.
    pub client_version: Option<String>,
    /// The protocol revision the client asked for.
    pub protocol_version: Option<String>,
    /// When it was opened.
    pub created_ms: i64,
    /// When a request last used it (updated at most once a minute).
    pub seen_ms: i64,
}

/// Records that `id` was opened by `app` and `user` at `now_ms`; a row
/// already there (the handshake's state stored first) keeps its state.
///
/// # Errors
/// On database failure.
pub async fn open<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    app: Option<&str>,
    user: Option<&str>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mcp_sessions (id, app, user_name, created_ms, seen_ms)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (id) DO UPDATE SET app = excluded.app, user_name = excluded.user_name",
    )
    .bind(id)
    .bind(app)
    .bind(user)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Stores the handshake's state of `id` with what it says of the client.
///
/// # Errors
/// On database failure.
pub async fn save_state<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    state: &str,
    client: (Option<&str>, Option<&str>, Option<&str>),
    now_ms: i64,
) -> sqlx::Result<()> {
    let (name, version, protocol) = client;
    sqlx::query(
        "INSERT INTO mcp_sessions (id, state, client_name, client_version, protocol_version,
             created_ms, seen_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state,
             client_name = excluded.client_name, client_version = excluded.client_version,
             protocol_version = excluded.protocol_version",
    )
    .bind(id)
    .bind(state)
    .bind(name)
    .bind(version)
    .bind(protocol)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// The session `id`, if it exists.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<Option<McpSessionRow>> {
    sqlx::query_as("SELECT * FROM mcp_sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// How many sessions `app` and `user` opened that were used at or after
/// `since_ms`.
///
/// # Errors
/// On database failure.
pub async fn count_of<'e>(
    db: impl AnyExecutor<'e>,
    app: Option<&str>,
    user: Option<&str>,
    since_ms: i64,
) -> sqlx::Result<i64> {
    // COALESCE, since `=` never matches a NULL (a token without an app or
    // without a user); names are never empty.
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM mcp_sessions
         WHERE COALESCE(app, '') = COALESCE($1, '') AND COALESCE(user_name, '') = COALESCE($2, '')
           AND seen_ms >= $3",
    )
    .bind(app)
    .bind(user)
    .bind(since_ms)
    .fetch_one(db)
    .await
}

/// Marks `id` as used at `now_ms`.
///
/// # Errors
/// On database failure.
pub async fn touch<'e>(db: impl AnyExecutor<'e>, id: &str, now_ms: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE mcp_sessions SET seen_ms = $2 WHERE id = $1")
        .bind(id)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(())
}

/// The sessions used at or after `since_ms`, the most recently used first.
///
/// # Errors
/// On database failure.
pub async fn list_since<'e>(
    db: impl AnyExecutor<'e>,
    since_ms: i64,
) -> sqlx::Result<Vec<McpSessionRow>> {
    sqlx::query_as("SELECT * FROM mcp_sessions WHERE seen_ms >= $1 ORDER BY seen_ms DESC, id")
        .bind(since_ms)
        .fetch_all(db)
        .await
}

/// Deletes session `id`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM mcp_sessions WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes the sessions unused since `before_ms`; returns how many.
///
/// # Errors
/// On database failure.
pub async fn delete_idle<'e>(db: impl AnyExecutor<'e>, before_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM mcp_sessions WHERE seen_ms < $1")
        .bind(before_ms)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
