//! Device codes of the device authorization grant (RFC 8628), kept as the
//! SHA-256 of the device code and of the user code. Times are Unix seconds.

use sqlx::AnyExecutor;

use crate::store::Json;

/// The states of a device code.
pub mod status {
    /// Waiting for the user.
    pub const PENDING: &str = "pending";
    /// The user approved; the next poll gets the tokens.
    pub const APPROVED: &str = "approved";
    /// The user denied; polls get `access_denied`.
    pub const DENIED: &str = "denied";
    /// Tokens were issued; the code is done.
    pub const SPENT: &str = "spent";
}

/// One row of `device_codes`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceCodeRow {
    /// SHA-256 (hex) of the device code the client polls with.
    pub device_code_sha256: String,
    /// SHA-256 (hex) of the normalised user code the user types.
    pub user_code_sha256: String,
    /// The app that asked (`apps.id`); `None` for Sluice's own CLI.
    pub app_id: Option<String>,
    /// The `scope` parameter as sent; `None` for everything allowed.
    pub scope: Option<String>,
    /// The RFC 8707 resource the tokens are for; `None` for the whole API.
    pub resource: Option<String>,
    /// The client address that asked, shown on the approval page.
    pub requested_from: String,
    /// One of [`status`].
    pub status: String,
    /// Who approved or denied.
    pub user_id: Option<String>,
    /// The scopes granted at approval.
    pub scopes: Option<Json<Vec<String>>>,
    /// When the code was issued.
    pub created_at: i64,
    /// When it stops working.
    pub expires_at: i64,
    /// Seconds the client must wait between polls.
    pub interval_secs: i64,
    /// The last poll.
    pub polled_at: Option<i64>,
}

/// Stores a new device code.
///
/// # Errors
/// On database failure (a user code taken: the caller draws another).
pub async fn insert<'e>(db: impl AnyExecutor<'e>, row: &DeviceCodeRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO device_codes (device_code_sha256, user_code_sha256, app_id, scope, resource,
             requested_from, status, user_id, scopes, created_at, expires_at, interval_secs,
             polled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9, $10, NULL)",
    )
    .bind(&row.device_code_sha256)
    .bind(&row.user_code_sha256)
    .bind(&row.app_id)
    .bind(&row.scope)
    .bind(&row.resource)
    .bind(&row.requested_from)
    .bind(&row.status)
    .bind(row.created_at)
    .bind(row.expires_at)
    .bind(row.interval_secs)
    .execute(db)
    .await?;
    Ok(())
}

/// The code whose device code hashes to `hash`.
///
/// # Errors
/// On database failure.
pub async fn by_device_code<'e>(
    db: impl AnyExecutor<'e>,
    hash: &str,
) -> sqlx::Result<Option<DeviceCodeRow>> {
    sqlx::query_as("SELECT * FROM device_codes WHERE device_code_sha256 = $1")
        .bind(hash)
        .fetch_optional(db)
        .await
}

/// The code whose user code hashes to `hash`.
///
/// # Errors
/// On database failure.
pub async fn by_user_code<'e>(
    db: impl AnyExecutor<'e>,
    hash: &str,
) -> sqlx::Result<Option<DeviceCodeRow>> {
    sqlx::query_as("SELECT * FROM device_codes WHERE user_code_sha256 = $1")
        .bind(hash)
        .fetch_optional(db)
        .await
}

/// Records a poll at `now` with the interval the client must keep from now
/// on.
///
/// # Errors
/// On database failure.
pub async fn polled<'e>(
    db: impl AnyExecutor<'e>,
    hash: &str,
    now: i64,
    interval_secs: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE device_codes SET polled_at = $1, interval_secs = $2 WHERE device_code_sha256 = $3",
    )
    .bind(now)
    .bind(interval_secs)
    .bind(hash)
    .execute(db)
    .await?;
    Ok(())
}

/// Records the user's decision on a pending, unexpired code: `approved`
/// with the scopes granted, or `denied`. Whether this call decided it (a
/// code is decided once).
///
/// # Errors
/// On database failure.
pub async fn decide<'e>(
    db: impl AnyExecutor<'e>,
    user_code_hash: &str,
    user_id: &str,
    decision: &str,
    scopes: &[String],
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE device_codes SET status = $1, user_id = $2, scopes = $3
         WHERE user_code_sha256 = $4 AND status = $5 AND expires_at > $6",
    )
    .bind(decision)
    .bind(user_id)
    .bind(Json(scopes.to_vec()))
    .bind(user_code_hash)
    .bind(status::PENDING)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Marks an approved code spent: whether this call spent it (of two
/// concurrent polls, one gets the tokens).
///
/// # Errors
/// On database failure.
pub async fn spend<'e>(db: impl AnyExecutor<'e>, hash: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE device_codes SET status = $1 WHERE device_code_sha256 = $2 AND status = $3",
    )
    .bind(status::SPENT)
    .bind(hash)
    .bind(status::APPROVED)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Deletes codes that expired before `before`.
///
/// # Errors
/// On database failure.
pub async fn purge<'e>(db: impl AnyExecutor<'e>, before: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM device_codes WHERE expires_at < $1")
            .bind(before)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
