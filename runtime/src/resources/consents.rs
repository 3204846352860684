//! Consents: what a user let an app do on the consent page of the
//! authorization-code grant. Listed for the user (portal) and the admin
//! (console); withdrawing one also revokes every session the app holds for
//! the user, so that its tokens stop working at once.

use serde::Serialize;
use sqlx::AnyPool;

use crate::error::{ApiError, ApiResult};
use crate::identity::Tokens;
use crate::store::apps;
use crate::store::authorization_codes as store;

/// A consent as the portal and the console show it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    /// The app's client id.
    pub client_id: String,
    /// The app's name (its label, for a consumer's app).
    pub app: String,
    /// The scopes the user let it have.
    pub scopes: Vec<String>,
    /// RFC 3339 time of the first consent.
    pub created_at: String,
    /// RFC 3339 time it last widened.
    pub updated_at: String,
}

fn rfc3339(secs: i64) -> String {
    crate::store::ms_to_rfc3339(secs * 1000)
}

/// Every consent of user `user_id`, newest first.
///
/// # Errors
/// On database failure.
pub async fn list(db: &AnyPool, user_id: &str) -> ApiResult<Vec<ConsentView>> {
    let mut out = Vec::new();
    for consent in store::consents_of(db, user_id).await? {
        // An app deleted since takes its consents with it (cascade).
        if let Some(app) = apps::by_id(db, &consent.app_id).await? {
            out.push(ConsentView {
                app: app.display_name().to_string(),
                client_id: app.client_id,
                scopes: consent.scopes.0,
                created_at: rfc3339(consent.created_at),
                updated_at: rfc3339(consent.updated_at),
            });
        }
    }
    Ok(out)
}

/// Withdraws the consent user `user_id` gave the app with `client_id`, and
/// revokes the app's sessions for the user on every node.
///
/// # Errors
/// 404 when the user gave that app no consent; database failures.
pub async fn withdraw(
    db: &AnyPool,
    tokens: &Tokens,
    user_id: &str,
    client_id: &str,
) -> ApiResult<()> {
    let missing = || ApiError::NotFound(format!("there is no consent for client {client_id:?}"));
    let app = apps::by_client_id(db, client_id)
        .await?
        .ok_or_else(missing)?;
    if !store::withdraw(db, user_id, &app.id).await? {
        return Err(missing());
    }
    tokens.revoke_user_app(user_id, &app.id).await?;
    Ok(())
}
