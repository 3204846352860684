//! Scopes: named permissions. Operations list the scopes that may call
//! them; apps and roles list the scopes they may obtain.

use crate::error::{ApiError, ApiResult};
use crate::store::scopes::{self, ADMIN_SCOPE, METRICS_SCOPE, ScopeRow};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// Body of `POST /admin/scopes`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeInput {
    /// Unique name, `[A-Za-z0-9_.:-]{1,64}` (a scope token, RFC 6749 §3.3).
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Whether consumers who sign up in the portal may ask for it
    /// (default false; never for `admin` and `metrics`).
    #[serde(default)]
    pub consumers: bool,
}

/// Body of `PUT /admin/scopes/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeUpdate {
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Whether consumers may ask for it (default false).
    #[serde(default)]
    pub consumers: bool,
}

/// Checks that a scope name is `[A-Za-z0-9_.:-]{1,64}`.
///
/// # Errors
/// [`ApiError::BadRequest`] naming the rule.
pub fn check_scope_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "scope name {name:?} must be 1-64 characters of letters, digits, '_', '-', '.' and ':'"
        )))
    }
}

/// `scopes` sorted and deduplicated, once every one is known.
///
/// # Errors
/// 422 naming the scopes that do not exist.
pub async fn check_known<'e>(
    db: impl sqlx::AnyExecutor<'e>,
    mut scopes: Vec<String>,
) -> ApiResult<Vec<String>> {
    scopes.sort();
    scopes.dedup();
    let missing = scopes::missing(db, &scopes).await?;
    if !missing.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "there is no scope named {}; create it with POST /admin/scopes",
            missing.join(", ")
        )));
    }
    Ok(scopes)
}

/// Stores `input` through `conn`, replacing `existing` (keeping its
/// creation time) when given.
///
/// # Errors
/// 400 for a bad name; database failures.
pub async fn write(
    conn: &mut AnyConnection,
    input: ScopeInput,
    existing: Option<ScopeRow>,
) -> ApiResult<ScopeRow> {
    check_scope_name(&input.name)?;
    if input.consumers && (input.name == ADMIN_SCOPE || input.name == METRICS_SCOPE) {
        return Err(ApiError::BadRequest(format!(
            "the {} scope cannot be opened to consumers: it guards the platform itself",
            input.name
        )));
    }
    let now = crate::store::now();
    let row = ScopeRow {
        name: input.name,
        description: input.description,
        consumers: input.consumers,
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    scopes::upsert(&mut *conn, &row).await?;
    Ok(row)
}

/// Deletes scope `name` through `conn`.
///
/// # Errors
/// 409 for `admin` and `metrics` or while an operation, app or role uses it.
pub async fn remove(conn: &mut AnyConnection, name: &str) -> ApiResult<()> {
    if name == ADMIN_SCOPE || name == METRICS_SCOPE {
        return Err(ApiError::Conflict(format!(
            "the {name} scope is built in (it guards {}) and cannot be deleted",
            if name == ADMIN_SCOPE {
                "the admin API"
            } else {
                "/system/metrics"
            }
        )));
    }
    let users = scopes::users_of(&mut *conn, name).await?;
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!(
            "scope {name:?} is used by {}; remove it there first",
            users.join(", ")
        )));
    }
    scopes::delete(&mut *conn, name).await?;
    Ok(())
}
