//! Consumer accounts as the admin and the consumer themself end them:
//! deactivation and erasure. Both take every token the consumer and their
//! apps hold, recorded in the caller's transaction before anything goes
//! (sessions go with their app or user), and heard by every node after
//! commit (`effects`).

use sqlx::AnyConnection;

use crate::error::ApiResult;
use crate::resources::Effects;
use crate::resources::effects::revoke_sessions;
use crate::store::consumers::{self, status};

/// Revokes every live session of consumer `id` and of each of their apps.
async fn revoke_everything(
    conn: &mut AnyConnection,
    id: &str,
    effects: &mut Effects,
) -> ApiResult<()> {
    revoke_sessions(conn, Some(id), None, effects).await?;
    for app in crate::store::apps::owned_by(&mut *conn, id).await? {
        revoke_sessions(conn, None, Some(&app.id), effects).await?;
    }
    Ok(())
}

/// Deactivates consumer `id`: they and their apps get no more tokens, and
/// every token they hold stops working.
///
/// # Errors
/// On database failure.
pub async fn deactivate(
    conn: &mut AnyConnection,
    id: &str,
    effects: &mut Effects,
) -> ApiResult<()> {
    consumers::set_status(&mut *conn, id, status::DEACTIVATED, false).await?;
    revoke_everything(conn, id, effects).await
}

/// Erases consumer `id`: their tokens are revoked, their apps and webhooks
/// deleted and their personal data removed; their request-log rows stay,
/// anonymised.
///
/// # Errors
/// On database failure.
pub async fn erase(conn: &mut AnyConnection, id: &str, effects: &mut Effects) -> ApiResult<()> {
    revoke_everything(conn, id, effects).await?;
    consumers::erase(conn, id).await?;
    Ok(())
}
