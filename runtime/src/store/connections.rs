//! Connections (sealed configs) and the grants that let actions use them.

use sqlx::{AnyConnection, AnyExecutor, Connection};

/// One row of `connections`; the config is sealed (see `crate::secrets`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    /// Unique name.
    pub name: String,
    /// Class (`sql`).
    pub class: String,
    /// Nonce ‖ ciphertext ‖ tag of the JSON config.
    pub config_sealed: Vec<u8>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// All connections, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<ConnectionRow>> {
    sqlx::query_as("SELECT * FROM connections ORDER BY name")
        .fetch_all(db)
        .await
}

/// The connection called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<ConnectionRow>> {
    sqlx::query_as("SELECT * FROM connections WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts a new connection.
///
/// # Errors
/// On database failure; a unique violation when the name is taken.
pub async fn insert<'e>(db: impl AnyExecutor<'e>, row: &ConnectionRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO connections (name, class, config_sealed, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.name)
    .bind(&row.class)
    .bind(&row.config_sealed)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces the class and sealed config of `name`.
///
/// # Errors
/// On database failure.
pub async fn update<'e>(
    db: impl AnyExecutor<'e>,
    name: &str,
    class: &str,
    sealed: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE connections SET class = $1, config_sealed = $2, updated_at = $3 WHERE name = $4",
    )
    .bind(class)
    .bind(sealed)
    .bind(super::now())
    .bind(name)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes `name`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM connections WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Connections granted to `action`, by name.
///
/// # Errors
/// On database failure.
pub async fn granted_to<'e>(db: impl AnyExecutor<'e>, action: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT connection FROM action_grants WHERE action = $1 ORDER BY connection")
        .bind(action)
        .fetch_all(db)
        .await
}

/// Actions that are granted `connection`, by name.
///
/// # Errors
/// On database failure.
pub async fn grantees<'e>(db: impl AnyExecutor<'e>, connection: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT action FROM action_grants WHERE connection = $1 ORDER BY action")
        .bind(connection)
        .fetch_all(db)
        .await
}

/// Replaces the grants of `action` with `connections`.
///
/// # Errors
/// On database failure, including a foreign-key violation for an unknown
/// connection.
pub async fn set_grants(
    conn: &mut AnyConnection,
    action: &str,
    connections: &[String],
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM action_grants WHERE action = $1")
        .bind(action)
        .execute(&mut *tx)
        .await?;
    for connection in connections {
        sqlx::query(
            "INSERT INTO action_grants (action, connection) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(action)
        .bind(connection)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
