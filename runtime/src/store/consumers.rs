//! Consumers: users of kind `consumer` who signed up in the portal, the
//! one-time links mailed to them, and their personal access tokens (named
//! sessions).

use serde::Serialize;
use sqlx::AnyExecutor;

use crate::store::Json;
use crate::store::users::{CONSUMER, UserRow};

/// A consumer's lifecycle (`users.status`).
pub mod status {
    /// Signed up; the address is not confirmed yet.
    pub const UNVERIFIED: &str = "unverified";
    /// Confirmed; waits for an admin (registration mode `approval`).
    pub const AWAITING_APPROVAL: &str = "awaiting_approval";
    /// May sign in and call the API.
    pub const ACTIVE: &str = "active";
    /// Stopped by an admin.
    pub const DEACTIVATED: &str = "deactivated";
}

/// One consumer as the portal and the admin see them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ConsumerRow {
    /// UUID v7 (`users.id`), the `sub` of their tokens.
    pub id: String,
    /// The name they gave (`users.display_name`).
    #[sqlx(rename = "display_name")]
    pub name: String,
    /// Their address, lower-cased.
    pub email: Option<String>,
    /// One of [`status`].
    pub status: String,
    /// RFC 3339 time the address was confirmed.
    pub verified_at: Option<String>,
    /// RFC 3339 sign-up time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// The consumer with address `email` (already lower-cased), if any.
///
/// # Errors
/// On database failure.
pub async fn user_by_email<'e>(
    db: impl AnyExecutor<'e>,
    email: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE kind = 'consumer' AND email = $1")
        .bind(email)
        .fetch_optional(db)
        .await
}

/// The consumer with id `id`, if any, as a user row.
///
/// # Errors
/// On database failure.
pub async fn user_by_id<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE kind = 'consumer' AND id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The consumer with id `id`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<Option<ConsumerRow>> {
    sqlx::query_as("SELECT * FROM users WHERE kind = 'consumer' AND id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Consumers whose name or address contains `q` (any case) and whose
/// status is `status`, newest first, at most `limit`.
///
/// # Errors
/// On database failure.
pub async fn search<'e>(
    db: impl AnyExecutor<'e>,
    q: Option<&str>,
    status: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<ConsumerRow>> {
    let pattern = q.map(|q| {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    sqlx::query_as(
        "SELECT * FROM users WHERE kind = 'consumer'
           AND ($1 IS NULL OR lower(display_name) LIKE $1 ESCAPE '\\' OR email LIKE $1 ESCAPE '\\')
           AND ($2 IS NULL OR status = $2)
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(pattern)
    .bind(status)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// A new consumer to insert.
#[derive(Debug, Clone)]
pub struct NewConsumer {
    /// UUID v7.
    pub id: String,
    /// The name they gave.
    pub display_name: String,
    /// Lower-cased address.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// Inserts `c` as an unverified consumer whose login name is `c-<id hex>`.
///
/// # Errors
/// On database failure; a unique violation means the address is taken.
pub async fn insert<'e>(db: impl AnyExecutor<'e>, c: &NewConsumer) -> sqlx::Result<()> {
    let now = crate::store::now();
    sqlx::query(
        "INSERT INTO users (id, name, email, password_hash, roles, active, created_at,
                            updated_at, kind, display_name, status)
         VALUES ($1, $2, $3, $4, '[]', FALSE, $5, $5, $6, $7, $8)",
    )
    .bind(&c.id)
    .bind(login_name(&c.id))
    .bind(&c.email)
    .bind(&c.password_hash)
    .bind(&now)
    .bind(CONSUMER)
    .bind(&c.display_name)
    .bind(status::UNVERIFIED)
    .execute(db)
    .await?;
    Ok(())
}

/// The login name (`users.name`, the `user` of tokens and log rows) of
/// consumer `id`: `c-` and the id's hex digits, which tell no one anything.
pub fn login_name(id: &str) -> String {
    format!("c-{}", id.replace('-', ""))
}

/// Sets the status of consumer `id` (and the `active` flag with it: only
/// `active` consumers may hold tokens); marks the address verified when
/// `verified`. Returns whether the consumer exists.
///
/// # Errors
/// On database failure.
pub async fn set_status<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    new_status: &str,
    verified: bool,
) -> sqlx::Result<bool> {
    let now = crate::store::now();
    let done = sqlx::query(
        "UPDATE users SET status = $2, active = $3, updated_at = $4,
             verified_at = CASE WHEN $5 THEN COALESCE(verified_at, $4) ELSE verified_at END
         WHERE id = $1 AND kind = 'consumer'",
    )
    .bind(id)
    .bind(new_status)
    .bind(new_status == status::ACTIVE)
    .bind(&now)
    .bind(verified)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Changes consumer `id`'s name and/or password hash.
///
/// # Errors
/// On database failure.
pub async fn update_profile<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    display_name: Option<&str>,
    password_hash: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET display_name = COALESCE($2, display_name),
             password_hash = COALESCE($3, password_hash), updated_at = $4
         WHERE id = $1 AND kind = 'consumer'",
    )
    .bind(id)
    .bind(display_name)
    .bind(password_hash)
    .bind(crate::store::now())
    .execute(db)
    .await?;
    Ok(())
}

/// Erases consumer `id`: its apps, webhooks, links and sessions go with the
/// row (foreign keys); its request-log rows keep only what is not personal
/// (the client IP is blanked, the login name replaced by `deleted`).
///
/// # Errors
/// On database failure.
pub async fn erase(conn: &mut sqlx::AnyConnection, id: &str) -> sqlx::Result<()> {
    let apps: Vec<String> = sqlx::query_scalar("SELECT name FROM apps WHERE owner_id = $1")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    sqlx::query("UPDATE request_log SET \"user\" = 'deleted', ip = '' WHERE \"user\" = $1")
        .bind(login_name(id))
        .execute(&mut *conn)
        .await?;
    for app in apps {
        sqlx::query("UPDATE request_log SET app = 'deleted', ip = '' WHERE app = $1")
            .bind(app)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM webhooks WHERE owner_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM apps WHERE owner_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM users WHERE id = $1 AND kind = 'consumer'")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many apps consumer `id` has.
///
/// # Errors
/// On database failure.
pub async fn app_count<'e>(db: impl AnyExecutor<'e>, id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM apps WHERE owner_id = $1")
        .bind(id)
        .fetch_one(db)
        .await
}

/// What a one-time link is for.
pub mod purpose {
    /// Confirms the address after sign-up.
    pub const ACTIVATE: &str = "activate";
    /// Sets a new password.
    pub const RESET: &str = "reset";
}

/// Stores a one-time link by its SHA-256 (hex), valid until `expires_at`
/// (Unix seconds); earlier unused links of the same purpose stop working.
///
/// # Errors
/// On database failure.
pub async fn add_link(
    conn: &mut sqlx::AnyConnection,
    token_sha256: &str,
    user_id: &str,
    link_purpose: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM consumer_links WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(link_purpose)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO consumer_links (token_sha256, user_id, purpose, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_sha256)
    .bind(user_id)
    .bind(link_purpose)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Spends the link with SHA-256 `token_sha256` for `link_purpose`: returns
/// its consumer's id when it exists, is unused and has not expired at
/// `now`; it never works again.
///
/// # Errors
/// On database failure.
pub async fn spend_link<'e>(
    db: impl AnyExecutor<'e>,
    token_sha256: &str,
    link_purpose: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE consumer_links SET used_at = $3
         WHERE token_sha256 = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING user_id",
    )
    .bind(token_sha256)
    .bind(link_purpose)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// A personal access token as listed (its session; the token itself is
/// shown once).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonalToken {
    /// The session id.
    pub id: String,
    /// The name the consumer gave it.
    pub name: String,
    /// Granted scopes.
    pub scopes: Json<Vec<String>>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Names session `id` as a personal access token.
///
/// # Errors
/// On database failure.
pub async fn name_session<'e>(db: impl AnyExecutor<'e>, id: &str, name: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET name = $2 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// Consumer `user_id`'s live personal access tokens at `now`, newest first.
///
/// # Errors
/// On database failure.
pub async fn personal_tokens<'e>(
    db: impl AnyExecutor<'e>,
    user_id: &str,
    now: i64,
) -> sqlx::Result<Vec<PersonalToken>> {
    sqlx::query_as(
        "SELECT id, name, scopes, created_at, expires_at FROM sessions
         WHERE user_id = $1 AND name IS NOT NULL AND expires_at > $2
           AND id NOT IN (SELECT id FROM token_revocations)
         ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Sessions of consumer `user_id` other than `keep` that are live at `now`
/// (to revoke after a password change).
///
/// # Errors
/// On database failure.
pub async fn other_sessions<'e>(
    db: impl AnyExecutor<'e>,
    user_id: &str,
    keep: &str,
    now: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT id, expires_at FROM sessions
         WHERE user_id = $1 AND id <> $2 AND expires_at > $3 AND name IS NULL
           AND id NOT IN (SELECT id FROM token_revocations)",
    )
    .bind(user_id)
    .bind(keep)
    .bind(now)
    .fetch_all(db)
    .await
}

/// One request-log row as its consumer sees it (no IP, no other party's
/// data).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ConsumerLogRow {
    /// Increasing id; `before` of the next page.
    pub id: i64,
    /// Unix milliseconds.
    pub at_ms: i64,
    /// The request id (`x-request-id`).
    pub request_id: String,
    /// The operation it was routed to.
    pub operation: Option<String>,
    /// The app's admin-side name, when an app's token was used.
    pub app: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Response status.
    pub status: i64,
    /// Time to the response, microseconds.
    pub duration_us: i64,
}

/// The condition "the row is consumer `$1`'s (their login name) or one of
/// their apps' (owner `$2`)".
const MINE: &str = "(\"user\" = $1 OR app IN (SELECT name FROM apps WHERE owner_id = $2))";

/// Consumer `id`'s newest request-log rows with `id < before`, at most
/// `limit`.
///
/// # Errors
/// On database failure.
pub async fn log_rows<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    before: i64,
    limit: i64,
) -> sqlx::Result<Vec<ConsumerLogRow>> {
    sqlx::query_as(&format!(
        "SELECT id, at_ms, request_id, operation, app, method, path, status, duration_us
         FROM request_log WHERE {MINE} AND id < $3 ORDER BY id DESC LIMIT $4"
    ))
    .bind(login_name(id))
    .bind(id)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// What a usage report reads of one row: `(at_ms, operation, status,
/// duration_us, weight)`.
pub type UsageSample = (i64, Option<String>, i64, i64, i64);

/// Consumer `id`'s rows in `[from_ms, to_ms)`, newest first, optionally only
/// those of app `app` (admin-side name); reads at most `cap + 1` rows so
/// the caller can tell the range held more.
///
/// # Errors
/// On database failure.
pub async fn usage_samples<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    from_ms: i64,
    to_ms: i64,
    app: Option<&str>,
    cap: i64,
) -> sqlx::Result<Vec<UsageSample>> {
    sqlx::query_as(&format!(
        "SELECT at_ms, operation, status, duration_us, weight FROM request_log
         WHERE {MINE} AND at_ms >= $3 AND at_ms < $4 AND ($5 IS NULL OR app = $5)
         ORDER BY id DESC LIMIT $6"
    ))
    .bind(login_name(id))
    .bind(id)
    .bind(from_ms)
    .bind(to_ms)
    .bind(app)
    .bind(cap + 1)
    .fetch_all(db)
    .await
}
