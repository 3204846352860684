//! Key/value settings the platform keeps for itself, e.g. the SHA-256 of a
//! generated admin token.

use sqlx::AnyExecutor;

/// Reads setting `key`.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(db)
        .await
}

/// Writes setting `key`, replacing any previous value.
///
/// # Errors
/// On database failure.
pub async fn set<'e>(db: impl AnyExecutor<'e>, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(db)
        .await?;
    Ok(())
}

/// Writes setting `key` unless it has a value; answers the value it has
/// afterwards — `value`, or the one a concurrent writer stored first.
///
/// # Errors
/// On database failure.
pub async fn set_if_absent(db: &sqlx::AnyPool, key: &str, value: &str) -> sqlx::Result<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(db)
        .await?;
    Ok(get(db, key).await?.unwrap_or_else(|| value.to_string()))
}
