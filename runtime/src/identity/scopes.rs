//! The scopes a caller may obtain, and the RFC 6749 §3.3 `scope` parameter.

use sqlx::AnyPool;

use crate::store::apps::AppRow;
use crate::store::roles;
use crate::store::users::UserRow;

/// Scopes an app and/or a user may obtain: the app's scopes, the union of
/// the user's roles' scopes, or — when both take part — the scopes in both.
///
/// # Errors
/// On database failure.
pub async fn allowed(
    db: &AnyPool,
    app: Option<&AppRow>,
    user: Option<&UserRow>,
) -> sqlx::Result<Vec<String>> {
    let user_scopes = match user {
        Some(u) => Some(roles::scopes_of(db, &u.roles.0).await?),
        None => None,
    };
    let mut scopes = match (app, user_scopes) {
        (Some(a), Some(u)) => a
            .scopes
            .0
            .iter()
            .filter(|s| u.contains(s))
            .cloned()
            .collect(),
        (Some(a), None) => a.scopes.0.clone(),
        (None, Some(u)) => u,
        (None, None) => Vec::new(),
    };
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
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
