//! Apps: OAuth2 clients (RFC 6749 §2) holding a client id, a secret (kept
//! only as an argon2id hash) and the scopes they may obtain.

use crate::store::Json;
use serde::Serialize;
use sqlx::AnyExecutor;

/// One row of `apps`; `secret_hash` is never serialised.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AppRow {
    /// UUID v7.
    pub id: String,
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The public client identifier, `app_<32 hex>`.
    pub client_id: String,
    /// argon2id PHC string of the client secret.
    #[serde(skip)]
    pub secret_hash: String,
    /// The scopes the app may obtain.
    pub scopes: Json<Vec<String>>,
    /// Inactive apps cannot obtain or use tokens.
    #[sqlx(try_from = "crate::store::Flag")]
    pub active: bool,
    /// RFC 3339 time the current secret was issued.
    pub secret_rotated_at: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// The consumer (a `users.id`) who made the app in the portal; `None`
    /// for apps the admin manages.
    #[serde(skip)]
    #[sqlx(default)]
    pub owner_id: Option<String>,
    /// The name the consumer gave the app (free text, up to 100 characters).
    #[serde(skip)]
    #[sqlx(default)]
    pub label: String,
    /// Redirect URIs (RFC 6749 §3.1.2) registered for the app: where the
    /// authorization-code grant may send a user back, compared exactly.
    #[sqlx(default)]
    pub redirect_uris: Json<Vec<String>>,
    /// When the app registered itself (RFC 7591), Unix seconds; `None` for
    /// apps an admin, a deploy or a consumer made.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[sqlx(default)]
    pub registered_at: Option<i64>,
    /// `none` for a public client (no secret: it names itself by client id
    /// and proves a code with PKCE); `None` for a confidential one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[sqlx(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// The grant types a self-registered app named (RFC 7591 §2); `None`
    /// for the others, whose grants follow from how they authenticate.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[sqlx(default)]
    pub grant_types: Option<Json<Vec<String>>>,
}

impl AppRow {
    /// Whether the app is a public client (RFC 6749 §2.1), which cannot
    /// keep a secret.
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method.as_deref() == Some("none")
    }

    /// The name a user sees: the consumer's label, else the app's name.
    pub fn display_name(&self) -> &str {
        if self.label.is_empty() {
            &self.name
        } else {
            &self.label
        }
    }

    /// Whether the app may use `grant_type` by what it registered: any
    /// grant for an app that registered none.
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types
            .as_ref()
            .is_none_or(|g| g.0.iter().any(|t| t == grant_type))
    }
}

/// All apps the admin manages (not those consumers made), by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<AppRow>> {
    sqlx::query_as("SELECT * FROM apps WHERE owner_id IS NULL ORDER BY name")
        .fetch_all(db)
        .await
}

/// The app called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn by_name<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<AppRow>> {
    sqlx::query_as("SELECT * FROM apps WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// The app whose client id is `client_id`, if any.
///
/// # Errors
/// On database failure.
pub async fn by_client_id<'e>(
    db: impl AnyExecutor<'e>,
    client_id: &str,
) -> sqlx::Result<Option<AppRow>> {
    sqlx::query_as("SELECT * FROM apps WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(db)
        .await
}

/// The app with id `id`, if any.
///
/// # Errors
/// On database failure.
pub async fn by_id<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<Option<AppRow>> {
    sqlx::query_as("SELECT * FROM apps WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Inserts `row`, or updates the row with its id.
///
/// # Errors
/// On database failure; a unique violation means the name is taken.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &AppRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO apps (id, name, description, client_id, secret_hash, scopes, active,
                           secret_rotated_at, created_at, updated_at, owner_id, label,
                           redirect_uris, registered_at, token_endpoint_auth_method, grant_types)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name,
             description = excluded.description, secret_hash = excluded.secret_hash,
             scopes = excluded.scopes, active = excluded.active,
             secret_rotated_at = excluded.secret_rotated_at, updated_at = excluded.updated_at,
             label = excluded.label, redirect_uris = excluded.redirect_uris,
             registered_at = excluded.registered_at,
             token_endpoint_auth_method = excluded.token_endpoint_auth_method,
             grant_types = excluded.grant_types",
    )
    .bind(&row.id)
    .bind(&row.name)
    .bind(&row.description)
    .bind(&row.client_id)
    .bind(&row.secret_hash)
    .bind(&row.scopes)
    .bind(row.active)
    .bind(&row.secret_rotated_at)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .bind(&row.owner_id)
    .bind(&row.label)
    .bind(&row.redirect_uris)
    .bind(row.registered_at)
    .bind(&row.token_endpoint_auth_method)
    .bind(&row.grant_types)
    .execute(db)
    .await?;
    Ok(())
}

/// The apps consumer `owner_id` made, newest first.
///
/// # Errors
/// On database failure.
pub async fn owned_by<'e>(db: impl AnyExecutor<'e>, owner_id: &str) -> sqlx::Result<Vec<AppRow>> {
    sqlx::query_as("SELECT * FROM apps WHERE owner_id = $1 ORDER BY created_at DESC, id DESC")
        .bind(owner_id)
        .fetch_all(db)
        .await
}

/// Deletes the app `id`; returns whether it existed. Its sessions go with
/// it (foreign key cascade).
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM apps WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
