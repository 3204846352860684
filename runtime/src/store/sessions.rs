//! Token sessions, refresh tokens and revocations. Every grant opens a
//! session whose id is the `sid` claim of its access tokens; revoking a
//! session (or one token's `jti`) inserts a row into `token_revocations`,
//! which every node polls. Times are Unix seconds.

use crate::store::Json;
use sqlx::{AnyExecutor, AnyPool};

/// One row of `sessions`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// UUID v7; the `sid` claim.
    pub id: String,
    /// The app the tokens were issued to, if any.
    pub app_id: Option<String>,
    /// The user the tokens act for, if any.
    pub user_id: Option<String>,
    /// Scopes granted.
    pub scopes: Json<Vec<String>>,
    /// The RFC 8707 resource its tokens are bound to (their `aud`); `None`
    /// for the whole API.
    pub audience: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds after which no token of the session is valid.
    pub expires_at: i64,
}

/// Inserts `row`.
///
/// # Errors
/// On database failure.
pub async fn insert<'e>(db: impl AnyExecutor<'e>, row: &SessionRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, app_id, user_id, scopes, created_at, expires_at, audience)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(&row.app_id)
    .bind(&row.user_id)
    .bind(&row.scopes)
    .bind(row.created_at)
    .bind(row.expires_at)
    .bind(&row.audience)
    .execute(db)
    .await?;
    Ok(())
}

/// The session called `id`, if it is stored.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as("SELECT * FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Stores a refresh token of `session` by its SHA-256 (hex).
///
/// # Errors
/// On database failure.
pub async fn add_refresh<'e>(
    db: impl AnyExecutor<'e>,
    token_sha256: &str,
    session: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_sha256, session_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_sha256)
    .bind(session)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The session of refresh token `token_sha256` while the token is live:
/// unused, unexpired, its session not revoked (for introspection).
///
/// # Errors
/// On database failure.
pub async fn live_refresh<'e>(
    db: impl AnyExecutor<'e>,
    token_sha256: &str,
    now: i64,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT s.* FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
         WHERE r.token_sha256 = $1 AND r.used_at IS NULL AND r.expires_at > $2
           AND s.id NOT IN (SELECT id FROM token_revocations)",
    )
    .bind(token_sha256)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Marks the refresh token used and returns its session, only if it was
/// unused, unexpired and its session is not revoked; a token can be spent
/// once (RFC 9700 §4.14.2, rotation).
///
/// # Errors
/// On database failure.
pub async fn spend_refresh(
    pool: &AnyPool,
    token_sha256: &str,
    now: i64,
) -> sqlx::Result<Option<SessionRow>> {
    let mut tx = pool.begin().await?;
    let session: Option<String> = sqlx::query_scalar(
        "UPDATE refresh_tokens SET used_at = $2
         WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2
           AND session_id NOT IN (SELECT id FROM token_revocations)
         RETURNING session_id",
    )
    .bind(token_sha256)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let row = match session {
        Some(id) => {
            sqlx::query_as("SELECT * FROM sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
        }
        None => None,
    };
    tx.commit().await?;
    Ok(row)
}

/// The session a refresh token belongs to (used or not), for revocation.
///
/// # Errors
/// On database failure.
pub async fn session_of_refresh<'e>(
    db: impl AnyExecutor<'e>,
    token_sha256: &str,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT s.* FROM sessions s JOIN refresh_tokens r ON r.session_id = s.id
         WHERE r.token_sha256 = $1",
    )
    .bind(token_sha256)
    .fetch_optional(db)
    .await
}

/// Records that token or session `id` is revoked until `expires_at`.
///
/// # Errors
/// On database failure.
pub async fn revoke<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    expires_at: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO token_revocations (id, expires_at, revoked_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(expires_at)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes every live session of the user `user_id` or the app `app_id`;
/// returns the revoked session ids.
///
/// # Errors
/// On database failure.
pub async fn revoke_all_of<'e>(
    db: impl AnyExecutor<'e>,
    user_id: Option<&str>,
    app_id: Option<&str>,
    now: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "INSERT INTO token_revocations (id, expires_at, revoked_at)
         SELECT id, expires_at, $3 FROM sessions
         WHERE (user_id = $1 OR app_id = $2) AND expires_at > $3
         ON CONFLICT (id) DO NOTHING
         RETURNING id",
    )
    .bind(user_id)
    .bind(app_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Revokes every live session `app_id` holds for `user_id` (a consent
/// withdrawn); answers their ids.
///
/// # Errors
/// On database failure.
pub async fn revoke_of_user_and_app<'e>(
    db: impl AnyExecutor<'e>,
    user_id: &str,
    app_id: &str,
    now: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "INSERT INTO token_revocations (id, expires_at, revoked_at)
         SELECT id, expires_at, $3 FROM sessions
         WHERE user_id = $1 AND app_id = $2 AND expires_at > $3
         ON CONFLICT (id) DO NOTHING
         RETURNING id",
    )
    .bind(user_id)
    .bind(app_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Stamps the revocations of sessions `ids` with `now`, once the
/// transaction that made them has committed: readers of the latest
/// revocations then find them, however long that transaction took.
///
/// # Errors
/// On database failure.
pub async fn restamp_revocations(db: &AnyPool, ids: &[String], now: i64) -> sqlx::Result<()> {
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "UPDATE token_revocations SET revoked_at = $1 WHERE id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(now);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(db).await?;
    }
    Ok(())
}

/// Revocations recorded at or after `since` that have not expired:
/// `(id, expires_at)`.
///
/// # Errors
/// On database failure.
pub async fn revocations_since<'e>(
    db: impl AnyExecutor<'e>,
    since: i64,
    now: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT id, expires_at FROM token_revocations WHERE revoked_at >= $1 AND expires_at > $2",
    )
    .bind(since)
    .bind(now)
    .fetch_all(db)
    .await
}

/// When session `id` began (Unix seconds) and whether it is a sign-in —
/// a session with a refresh token (the password, device or code grant)
/// and no name — rather than a personal access token or a token minted by
/// `sluice token`; `None` when it is gone.
///
/// # Errors
/// On database failure.
pub async fn sign_in_of<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
) -> sqlx::Result<Option<(i64, bool)>> {
    let row: Option<(i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT s.created_at, s.name,
                (SELECT COUNT(*) FROM refresh_tokens r WHERE r.session_id = s.id)
         FROM sessions s WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(at, name, refresh)| (at, name.is_none() && refresh > 0)))
}

/// Deletes sessions, refresh tokens and revocations past their expiry.
///
/// # Errors
/// On database failure.
pub async fn purge_expired(pool: &AnyPool, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM token_revocations WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}
