//! The scopes a caller may obtain, and the RFC 6749 §3.3 `scope` parameter.

use sqlx::AnyPool;

use crate::store::apps::AppRow;
use crate::store::roles;
use crate::store::users::UserRow;

/// Scopes an app and/or a user may obtain: the app's scopes, the union of
/// the user's roles' scopes (for a consumer: the scopes the admin opened
/// to consumers), or — when both take part — the scopes in both. An app a
/// consumer made keeps only the scopes still open to consumers, so closing
/// a scope takes it from every consumer's app at the next token.
///
/// # Errors
/// On database failure.
pub async fn allowed(
    db: &AnyPool,
    app: Option<&AppRow>,
    user: Option<&UserRow>,
) -> sqlx::Result<Vec<String>> {
    let user_scopes = match user {
        Some(u) if u.is_consumer() => Some(open_to_consumers(db).await?),
        Some(u) => Some(roles::scopes_of(db, &u.roles.0).await?),
        None => None,
    };
    let app_scopes = match app {
        Some(a) if a.owner_id.is_some() => {
            let open = open_to_consumers(db).await?;
            Some(
                a.scopes
                    .0
                    .iter()
                    .filter(|s| open.contains(s))
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        }
        Some(a) => Some(a.scopes.0.clone()),
        None => None,
    };
    let mut scopes = match (app_scopes, user_scopes) {
        (Some(a), Some(u)) => a.into_iter().filter(|s| u.contains(s)).collect(),
        (Some(a), None) => a,
        (None, Some(u)) => u,
        (None, None) => Vec::new(),
    };
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

/// Names of the scopes open to consumers.
async fn open_to_consumers(db: &AnyPool) -> sqlx::Result<Vec<String>> {
    Ok(crate::store::scopes::open_to_consumers(db)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect())
}

/// The scopes to grant for a request's `scope` parameter (space-separated,
/// RFC 6749 §3.3): all of `allowed` when absent or empty.
///
/// # Errors
/// The requested scopes that are not in `allowed` (→ `invalid_scope`).
pub fn choose(requested: Option<&str>, allowed: &[String]) -> Result<Vec<String>, Vec<String>> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(allowed.to_vec());
    };
    let mut wanted: Vec<String> = requested.split_whitespace().map(str::to_string).collect();
    wanted.sort();
    wanted.dedup();
    let refused: Vec<String> = wanted
        .iter()
        .filter(|s| !allowed.contains(s))
        .cloned()
        .collect();
    if refused.is_empty() {
        Ok(wanted)
    } else {
        Err(refused)
    }
}
