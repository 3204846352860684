//! MCP sessions in the control plane: rmcp's external session store (the
//! client's `initialize` parameters, so that a node that never saw a
//! session restores it), and the principal each session belongs to.

use std::sync::LazyLock;
use std::time::Duration;

use rmcp::transport::streamable_http_server::session::{
    SessionState, SessionStore, SessionStoreError,
};
use sqlx::AnyPool;

use super::{Owner, TOUCH_EVERY};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::mcp_sessions;

/// Owners of recently used sessions, so that a session's requests read
/// (and mark used) the control plane once a minute rather than each time.
/// Entries live [`TOUCH_EVERY`]. Session ids are random (UUIDs), so one
/// cache serves every server of a process.
static OWNERS: LazyLock<moka::sync::Cache<String, Owner>> = LazyLock::new(|| {
    moka::sync::Cache::builder()
        .max_capacity(100_000)
        .time_to_live(TOUCH_EVERY)
        .build()
});

/// The principal of session `id`, `None` for a session the control plane
/// does not know (or forgot: unused for `SLUICE_MCP_SESSION_IDLE_SECS`).
/// Marks the session used.
///
/// # Errors
/// On control-plane failure.
pub async fn owner(state: &AppState, id: &str) -> sqlx::Result<Option<Owner>> {
    if let Some(known) = OWNERS.get(id) {
        return Ok(Some(known));
    }
    let Some(row) = mcp_sessions::get(&state.db, id).await? else {
        return Ok(None);
    };
    let now = crate::store::now_ms();
    if row.seen_ms < now - state.settings.mcp.session_idle_secs * 1000 {
        mcp_sessions::delete(&state.db, id).await?;
        return Ok(None);
    }
    mcp_sessions::touch(&state.db, id, now).await?;
    let owner = Owner {
        app: row.app,
        user: row.user,
    };
    OWNERS.insert(id.to_string(), owner.clone());
    Ok(Some(owner))
}

/// Records that `caller` opened session `id`, and answers how many live
/// sessions `caller` holds now; sessions unused for
/// `SLUICE_MCP_SESSION_IDLE_SECS` are forgotten meanwhile.
///
/// # Errors
/// On control-plane failure.
pub async fn opened(state: &AppState, id: &str, caller: &Caller) -> sqlx::Result<i64> {
    let now = crate::store::now_ms();
    mcp_sessions::open(
        &state.db,
        id,
        caller.app.as_deref(),
        caller.user.as_deref(),
        now,
    )
    .await?;
    let owner = Owner {
        app: caller.app.clone(),
        user: caller.user.clone(),
    };
    OWNERS.insert(id.to_string(), owner);
    let since = now - state.settings.mcp.session_idle_secs * 1000;
    mcp_sessions::delete_idle(&state.db, since).await?;
    mcp_sessions::count_of(
        &state.db,
        caller.app.as_deref(),
        caller.user.as_deref(),
        since,
    )
    .await
}

/// Forgets what this node remembers of session `id` (it was closed).
pub fn forget(id: &str) {
    OWNERS.invalidate(id);
}

/// rmcp's session store over the control plane's `mcp_sessions`.
pub struct Store {
    db: AnyPool,
    idle: Duration,
}

impl Store {
    /// A store in `db` whose sessions are forgotten after `idle_secs`
    /// unused.
    pub fn new(db: AnyPool, idle_secs: i64) -> Self {
        Self {
            db,
            idle: Duration::from_secs(u64::try_from(idle_secs).unwrap_or(86_400)),
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for Store {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let Some(row) = mcp_sessions::get(&self.db, session_id).await? else {
            return Ok(None);
        };
        let idle_ms = i64::try_from(self.idle.as_millis()).unwrap_or(i64::MAX);
        if row.seen_ms < crate::store::now_ms().saturating_sub(idle_ms) {
            return Ok(None);
        }
        match row.state {
            Some(state) => Ok(Some(serde_json::from_str(&state)?)),
            None => Ok(None),
        }
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let params = &state.initialize_params;
        let protocol = serde_json::to_value(&params.protocol_version)?;
        mcp_sessions::save_state(
            &self.db,
            session_id,
            &serde_json::to_string(state)?,
            (
                Some(params.client_info.name.as_str()),
                Some(params.client_info.version.as_str()),
                protocol.as_str(),
            ),
            crate::store::now_ms(),
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        forget(session_id);
        mcp_sessions::delete(&self.db, session_id).await?;
        Ok(())
    }
}
