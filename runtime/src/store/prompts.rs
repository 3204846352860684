//! Prompts of the MCP server (`prompts/list`, `prompts/get`).

use serde::{Deserialize, Serialize};
use sqlx::AnyExecutor;

use crate::store::Json;

/// One argument a prompt takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptArgument {
    /// Its name, `[A-Za-z_][A-Za-z0-9_]{0,63}`: the template's variable.
    pub name: String,
    /// What the client should put in it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether `prompts/get` needs it (default false).
    #[serde(default)]
    pub required: bool,
}

/// One row of `prompts`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PromptRow {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// What the prompt is for.
    pub description: String,
    /// The arguments it takes, in order.
    pub arguments: Json<Vec<PromptArgument>>,
    /// The template (MiniJinja syntax: `{{ topic }}`), filled with the
    /// arguments into the prompt's one user message.
    pub template: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// All prompts, by name.
///
/// # Errors
/// On database failure.
pub async fn list<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<Vec<PromptRow>> {
    sqlx::query_as("SELECT * FROM prompts ORDER BY name")
        .fetch_all(db)
        .await
}

/// The prompt called `name`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, name: &str) -> sqlx::Result<Option<PromptRow>> {
    sqlx::query_as("SELECT * FROM prompts WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Inserts or replaces `row` (keeping the first `created_at`).
///
/// # Errors
/// On database failure.
pub async fn upsert<'e>(db: impl AnyExecutor<'e>, row: &PromptRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO prompts (name, description, arguments, template, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description,
             arguments = excluded.arguments, template = excluded.template,
             updated_at = excluded.updated_at",
    )
    .bind(&row.name)
    .bind(&row.description)
    .bind(&row.arguments)
    .bind(&row.template)
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
    let done = sqlx::query("DELETE FROM prompts WHERE name = $1")
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
