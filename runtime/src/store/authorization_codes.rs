//! Authorization codes (RFC 6749 §4.1.2) and the consents behind them.

use sqlx::AnyExecutor;

use crate::store::Json;

/// One row of `authorization_codes`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CodeRow {
    /// SHA-256 (hex) of the code handed to the client.
    pub code_sha256: String,
    /// The app (`apps.id`) the code was issued to.
    pub app_id: String,
    /// The user (`users.id`) who approved it.
    pub user_id: String,
    /// The redirect URI the code went to; the token request must repeat it.
    pub redirect_uri: String,
    /// The scopes granted.
    pub scopes: Json<Vec<String>>,
    /// The PKCE `S256` challenge (RFC 7636 §4.2): base64url SHA-256 of the
    /// verifier.
    pub code_challenge: String,
    /// The OpenID Connect `nonce` to put in the ID token, if one was sent.
    pub nonce: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds after which the code is refused.
    pub expires_at: i64,
    /// When it was exchanged, Unix seconds; `None` until then.
    pub used_at: Option<i64>,
    /// The session its exchange opened.
    pub session_id: Option<String>,
    /// The RFC 8707 resource the request named; `None` for the whole API.
    pub resource: Option<String>,
    /// When the approving user signed in (OpenID Connect `auth_time`).
    pub auth_time: Option<i64>,
}

/// Stores a new code.
///
/// # Errors
/// On database failure.
pub async fn insert<'e>(db: impl AnyExecutor<'e>, row: &CodeRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO authorization_codes (code_sha256, app_id, user_id, redirect_uri, scopes,
             code_challenge, nonce, created_at, expires_at, used_at, session_id, resource,
             auth_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $11)",
    )
    .bind(&row.code_sha256)
    .bind(&row.app_id)
    .bind(&row.user_id)
    .bind(&row.redirect_uri)
    .bind(&row.scopes)
    .bind(&row.code_challenge)
    .bind(&row.nonce)
    .bind(row.created_at)
    .bind(row.expires_at)
    .bind(&row.resource)
    .bind(row.auth_time)
    .execute(db)
    .await?;
    Ok(())
}

/// The code whose SHA-256 is `hash`, used or not.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, hash: &str) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as("SELECT * FROM authorization_codes WHERE code_sha256 = $1")
        .bind(hash)
        .fetch_optional(db)
        .await
}

/// Marks the code spent at `now`, if it was not: whether this call spent
/// it (of two concurrent exchanges, one wins).
///
/// # Errors
/// On database failure.
pub async fn spend<'e>(db: impl AnyExecutor<'e>, hash: &str, now: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE authorization_codes SET used_at = $1 WHERE code_sha256 = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(hash)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Records the session a spent code opened.
///
/// # Errors
/// On database failure.
pub async fn set_session<'e>(
    db: impl AnyExecutor<'e>,
    hash: &str,
    session_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE authorization_codes SET session_id = $1 WHERE code_sha256 = $2")
        .bind(session_id)
        .bind(hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Adds `scopes` to what user `user_id` let app `app_id` have (the consent
/// is created when there is none).
///
/// # Errors
/// On database failure.
pub async fn remember(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    app_id: &str,
    scopes: Vec<String>,
    now: i64,
) -> sqlx::Result<()> {
    let mut remembered = consent(&mut *conn, user_id, app_id)
        .await?
        .map(|c| c.scopes.0)
        .unwrap_or_default();
    remembered.extend(scopes);
    remembered.sort();
    remembered.dedup();
    grant(&mut *conn, user_id, app_id, &remembered, now).await
}

/// Deletes codes that expired before `before` (kept a while past expiry,
/// so that a replay is still recognised and its session revoked).
///
/// # Errors
/// On database failure.
pub async fn purge<'e>(db: impl AnyExecutor<'e>, before: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM authorization_codes WHERE expires_at < $1")
            .bind(before)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// One row of `consents`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsentRow {
    /// The user (`users.id`).
    pub user_id: String,
    /// The app (`apps.id`).
    pub app_id: String,
    /// The scopes the user let the app have.
    pub scopes: Json<Vec<String>>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last widening.
    pub updated_at: i64,
}

/// The consent of `user_id` for `app_id`, if any.
///
/// # Errors
/// On database failure.
pub async fn consent<'e>(
    db: impl AnyExecutor<'e>,
    user_id: &str,
    app_id: &str,
) -> sqlx::Result<Option<ConsentRow>> {
    sqlx::query_as("SELECT * FROM consents WHERE user_id = $1 AND app_id = $2")
        .bind(user_id)
        .bind(app_id)
        .fetch_optional(db)
        .await
}

/// Records that `user_id` lets `app_id` have `scopes` (replacing what it
/// had: the page shows the union of the old and the asked scopes).
///
/// # Errors
/// On database failure.
pub async fn grant<'e>(
    db: impl AnyExecutor<'e>,
    user_id: &str,
    app_id: &str,
    scopes: &[String],
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO consents (user_id, app_id, scopes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (user_id, app_id) DO UPDATE SET scopes = excluded.scopes,
             updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(app_id)
    .bind(Json(scopes.to_vec()))
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Every consent `user_id` gave, newest first.
///
/// # Errors
/// On database failure.
pub async fn consents_of<'e>(
    db: impl AnyExecutor<'e>,
    user_id: &str,
) -> sqlx::Result<Vec<ConsentRow>> {
    sqlx::query_as("SELECT * FROM consents WHERE user_id = $1 ORDER BY updated_at DESC")
        .bind(user_id)
        .fetch_all(db)
        .await
}

/// Withdraws the consent of `user_id` for `app_id`; whether there was one.
///
/// # Errors
/// On database failure.
pub async fn withdraw<'e>(
    db: impl AnyExecutor<'e>,
    user_id: &str,
    app_id: &str,
) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM consents WHERE user_id = $1 AND app_id = $2")
            .bind(user_id)
            .bind(app_id)
            .execute(db)
            .await?
            .rows_affected()
            > 0,
    )
}
