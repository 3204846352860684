//! Roles: named sets of scopes given to users.

use crate::error::{ApiError, ApiResult};
use crate::resources::effects::revoke_sessions;
use crate::resources::scopes::check_known;
use crate::resources::{Effects, check_name};
use crate::store::Json as SqlJson;
use crate::store::roles::{self, ADMIN_ROLE, RoleRow};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// Body of `POST /admin/roles`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Scopes users with this role may obtain.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Body of `PATCH /admin/roles/{name}`: fields to change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    /// New description.
    pub description: Option<String>,
    /// New scope list (replaces the old one). Tokens already issued keep
    /// their scopes until they expire.
    pub scopes: Option<Vec<String>>,
}

impl RolePatch {
    /// The whole body of role `existing` with this patch's fields changed.
    pub fn over(self, existing: &RoleRow) -> RoleInput {
        RoleInput {
            name: existing.name.clone(),
            description: self
                .description
                .unwrap_or_else(|| existing.description.clone()),
            scopes: self.scopes.unwrap_or_else(|| existing.scopes.0.clone()),
        }
    }
}

/// Stores `input` through `conn`, replacing `existing` (keeping its
/// creation time) when given. When the change takes a scope away, the
/// sessions of every user holding the role are revoked after commit
/// (`effects`), so no token outlives the scopes it was issued for.
///
/// # Errors
/// 400 for a bad name, 422 for an unknown scope, 409 when it would take
/// `admin` from the `admin` role.
pub async fn write(
    conn: &mut AnyConnection,
    input: RoleInput,
    existing: Option<RoleRow>,
    effects: &mut Effects,
) -> ApiResult<RoleRow> {
    check_name("role", &input.name)?;
    let scopes = check_known(&mut *conn, input.scopes).await?;
    if input.name == ADMIN_ROLE && !scopes.iter().any(|s| s == ADMIN_ROLE) {
        return Err(ApiError::Conflict(
            "the admin role must keep the admin scope".into(),
        ));
    }
    let narrowed = existing
        .as_ref()
        .is_some_and(|e| e.scopes.0.iter().any(|s| !scopes.contains(s)));
    let now = crate::store::now();
    let row = RoleRow {
        name: input.name,
        description: input.description,
        scopes: SqlJson(scopes),
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    roles::upsert(&mut *conn, &row).await?;
    if narrowed {
        for holder in roles::holders(&mut *conn, &row.name).await? {
            if let Some(user) = crate::store::users::by_name(&mut *conn, &holder).await? {
                revoke_sessions(conn, Some(&user.id), None, effects).await?;
            }
        }
    }
    Ok(row)
}

/// Deletes role `name` through `conn`.
///
/// # Errors
/// 409 for `admin` or while users hold it.
pub async fn remove(conn: &mut AnyConnection, name: &str) -> ApiResult<()> {
    if name == ADMIN_ROLE {
        return Err(ApiError::Conflict(
            "the admin role cannot be deleted".into(),
        ));
    }
    let holders = roles::holders(&mut *conn, name).await?;
    if !holders.is_empty() {
        return Err(ApiError::Conflict(format!(
            "role {name:?} is held by users {}; take it from them first",
            holders.join(", ")
        )));
    }
    roles::delete(&mut *conn, name).await?;
    Ok(())
}
