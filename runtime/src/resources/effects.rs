//! What a committed change asks of the nodes: caches to reload, connection
//! pools to close, revocations to hear of. Writes record it here instead of
//! acting at once, because in a transaction (a deploy) nothing may happen
//! before the commit, and a rolled-back change must leave no trace.
//! Revocations themselves are rows written in the transaction
//! ([`revoke_sessions`]); what waits for the commit is only telling the
//! nodes to read them.

use sqlx::AnyConnection;

use crate::cluster::Change;
use crate::error::ApiResult;

/// The effects of one or more writes, published together once they are
/// committed (`AppState::publish`).
#[derive(Debug, Default)]
pub struct Effects {
    /// What every node applies, each once, in the order first asked.
    pub changes: Vec<Change>,
    /// Sessions revoked in the transaction, by id: their revocations are
    /// stamped with the commit's time when published, so that nodes
    /// reading the revocations of the last seconds find them however long
    /// the transaction took.
    pub revoked: Vec<String>,
}

impl Effects {
    /// Asks for `change` once.
    pub fn change(&mut self, change: Change) {
        if !self.changes.contains(&change) {
            self.changes.push(change);
        }
    }
}

/// Revokes every live session of user `user_id` or app `app_id` through
/// `conn`, and asks the nodes to hear of it after commit. Done before a
/// delete, since sessions go with their user or app.
///
/// # Errors
/// On database failure.
pub async fn revoke_sessions(
    conn: &mut AnyConnection,
    user_id: Option<&str>,
    app_id: Option<&str>,
    effects: &mut Effects,
) -> ApiResult<()> {
    let ids = crate::store::sessions::revoke_all_of(
        &mut *conn,
        user_id,
        app_id,
        crate::identity::unix_now(),
    )
    .await?;
    effects.revoked.extend(ids);
    effects.change(Change::Revocations);
    Ok(())
}
