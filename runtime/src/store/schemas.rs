//! Named JSON Schemas.

use crate::store::Json;
use serde::Serialize;
use serde_json::Value;
use sqlx::AnyExecutor;

/// One row of `schemas`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SchemaRow {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`; referenced as `{"$ref": "<name>"}`.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The JSON Schema 2020-12 document.
    pub schema: Json<Value>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// All schemas, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<SchemaRow>> {
    sqlx::query_as("SELECT * FROM schemas ORDER BY name")
        .fetch_all(db)
        .await
}

/// The schema called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<SchemaRow>> {
    sqlx::query_as("SELECT * FROM schemas WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or replaces `row` (keeping the first `created_at`).
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &SchemaRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO schemas (name, description, schema, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description,
             schema = excluded.schema, updated_at = excluded.updated_at",
    )
    .bind(&row.name)
    .bind(&row.description)
    .bind(&row.schema)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes `name`; returns whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM schemas WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
