//! Apps: OAuth2 clients (RFC 6749 §2). The client secret is shown once,
//! when it is made or rotated, and kept only as an argon2id hash. The
//! admin's apps (and a deploy's) are named by the admin; a consumer's apps
//! ([`owned`]) have an owner, a label and redirect URIs, and only scopes
//! open to consumers. Both kinds share the secret, the revocation and the
//! removal here.

pub mod owned;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::error::{ApiError, ApiResult};
use crate::identity::{passwords, random_hex};
use crate::resources::effects::revoke_sessions;
use crate::resources::scopes::check_known;
use crate::resources::{Effects, check_name};
use crate::store::Json as SqlJson;
use crate::store::apps::{self, AppRow};

/// Body of `POST /admin/apps`, and a deploy file's `apps` entry.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Scopes the app may obtain.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Inactive apps cannot obtain or use tokens (default true).
    #[serde(default = "crate::resources::default_true")]
    pub active: bool,
    /// Where the authorization-code grant may send a user back (RFC 6749
    /// §3.1.2): absolute `https` URLs (`http` on a loopback host), no
    /// fragment, at most 10, compared exactly.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// Body of `PATCH /admin/apps/{name}`: fields to change. Fewer scopes or
/// deactivation revoke the app's tokens.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    /// New description.
    pub description: Option<String>,
    /// New scope list (replaces the old one).
    pub scopes: Option<Vec<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// New redirect URIs (replace the old ones).
    pub redirect_uris: Option<Vec<String>>,
}

impl AppPatch {
    /// The whole body of app `existing` with this patch's fields changed.
    pub fn over(self, existing: &AppRow) -> AppInput {
        AppInput {
            name: existing.name.clone(),
            description: self
                .description
                .unwrap_or_else(|| existing.description.clone()),
            scopes: self.scopes.unwrap_or_else(|| existing.scopes.0.clone()),
            active: self.active.unwrap_or(existing.active),
            redirect_uris: self
                .redirect_uris
                .unwrap_or_else(|| existing.redirect_uris.0.clone()),
        }
    }
}

/// An app with its client secret: the answer of create and rotate, the
/// only time the secret is shown.
#[derive(Debug, Serialize)]
pub struct AppWithSecret {
    /// The app.
    #[serde(flatten)]
    pub app: AppRow,
    /// The client secret (RFC 6749 §2.3.1), `cs_<64 hex>`.
    pub client_secret: String,
}

/// A new client secret, `cs_<64 hex>`.
fn new_secret() -> String {
    format!("cs_{}", random_hex(32))
}

/// A new app row with a fresh id, client id and secret; answers it with
/// the secret in the clear. Storing it is the caller's part.
///
/// # Errors
/// When hashing fails.
async fn fresh(
    name: String,
    description: String,
    scopes: Vec<String>,
    owner_id: Option<String>,
) -> ApiResult<AppWithSecret> {
    let secret = new_secret();
    let now = crate::store::now();
    let app = AppRow {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        description,
        client_id: format!("app_{}", random_hex(16)),
        secret_hash: passwords::hash(secret.clone()).await?,
        scopes: SqlJson(scopes),
        active: true,
        secret_rotated_at: now.clone(),
        created_at: now.clone(),
        updated_at: now,
        owner_id,
        label: String::new(),
        redirect_uris: SqlJson(Vec::new()),
        registered_at: None,
        token_endpoint_auth_method: None,
        grant_types: None,
    };
    Ok(AppWithSecret {
        app,
        client_secret: secret,
    })
}

/// Validates `input` and stores a new app with a fresh client id and secret.
///
/// # Errors
/// 400 for a bad name, 409 when the name is taken, 422 for an unknown scope.
pub async fn create_app(conn: &mut AnyConnection, input: AppInput) -> ApiResult<AppWithSecret> {
    check_name("app", &input.name)?;
    owned::check_redirect_uris(&input.redirect_uris)?;
    let scopes = check_known(&mut *conn, input.scopes).await?;
    if apps::by_name(&mut *conn, &input.name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "an app named {:?} already exists",
            input.name
        )));
    }
    let mut created = fresh(input.name, input.description, scopes, None).await?;
    created.app.active = input.active;
    created.app.redirect_uris = SqlJson(input.redirect_uris);
    apps::upsert(&mut *conn, &created.app).await.map_err(|e| {
        if crate::store::is_unique_violation(&e) {
            ApiError::Conflict("the app name was taken meanwhile".into())
        } else {
            e.into()
        }
    })?;
    Ok(created)
}

/// Stores an app that registered itself (RFC 7591) from `input`, marked
/// so that it acts only for users who approve it, with the `grant_types`
/// it named; `public` makes it a public client
/// (`token_endpoint_auth_method: none`).
///
/// # Errors
/// As [`create_app`].
pub async fn register_app(
    conn: &mut AnyConnection,
    input: AppInput,
    public: bool,
    grant_types: Vec<String>,
) -> ApiResult<AppWithSecret> {
    let mut created = create_app(&mut *conn, input).await?;
    created.app.registered_at = Some(crate::identity::unix_now());
    created.app.grant_types = Some(crate::store::Json(grant_types));
    if public {
        created.app.token_endpoint_auth_method = Some("none".into());
    }
    apps::upsert(&mut *conn, &created.app).await?;
    Ok(created)
}

/// Replaces the settings of app `existing` with `input` (its id, client id
/// and secret stay). When the app loses access (deactivated or a scope
/// taken away), its tokens are revoked after commit (`effects`).
///
/// # Errors
/// 422 for an unknown scope.
pub async fn update_app(
    conn: &mut AnyConnection,
    existing: AppRow,
    input: AppInput,
    effects: &mut Effects,
) -> ApiResult<AppRow> {
    owned::check_redirect_uris(&input.redirect_uris)?;
    let mut row = existing.clone();
    row.description = input.description;
    row.redirect_uris = SqlJson(input.redirect_uris);
    row.scopes = SqlJson(check_known(&mut *conn, input.scopes).await?);
    row.active = input.active;
    store_changed(conn, &existing, &mut row, effects).await?;
    Ok(row)
}

/// Stores `row`, the new state of `existing`, and revokes its tokens after
/// commit when it lost access (deactivated or a scope taken away).
async fn store_changed(
    conn: &mut AnyConnection,
    existing: &AppRow,
    row: &mut AppRow,
    effects: &mut Effects,
) -> ApiResult<()> {
    row.updated_at = crate::store::now();
    apps::upsert(&mut *conn, row).await?;
    let lost_access = (existing.active && !row.active)
        || existing.scopes.0.iter().any(|s| !row.scopes.0.contains(s));
    if lost_access {
        revoke_sessions(conn, None, Some(&row.id), effects).await?;
    }
    Ok(())
}

/// Gives `row` a new client secret, stored at once; answers the app with
/// the secret (shown this once). The old secret stops working at once;
/// tokens already issued stay valid until they expire.
///
/// # Errors
/// On database or hashing failure.
pub async fn rotate_secret(conn: &mut AnyConnection, mut row: AppRow) -> ApiResult<AppWithSecret> {
    let secret = new_secret();
    let now = crate::store::now();
    row.secret_hash = passwords::hash(secret.clone()).await?;
    row.secret_rotated_at = now.clone();
    row.updated_at = now;
    apps::upsert(&mut *conn, &row).await?;
    Ok(AppWithSecret {
        app: row,
        client_secret: secret,
    })
}

/// Deletes app `row` through `conn`. Its sessions are revoked in the same
/// transaction, before they go with the app, and every node hears of the
/// revocations after commit (`effects`): a token of a deleted app stops
/// working at once.
///
/// # Errors
/// On database failure.
pub async fn remove(
    conn: &mut AnyConnection,
    row: &AppRow,
    effects: &mut Effects,
) -> ApiResult<()> {
    revoke_sessions(conn, None, Some(&row.id), effects).await?;
    apps::delete(&mut *conn, &row.id).await?;
    Ok(())
}
