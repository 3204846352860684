//! A built-in's config checked against what it names: the connection it
//! uses must be granted, and `sql-table`'s table and columns must exist in
//! that database — so a config never names a column the table lacks.

use serde_json::Value;

use super::introspect;
use crate::connections::registry::Backend;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Checks the config of an action made from `builtin` (its name without
/// the prefix) against its `granted` connections and, for `sql-table`, the
/// table itself. A connection that cannot be opened now (one a deploy
/// creates in the same transaction, a database that is down) is not
/// checked further: the action reports it when it runs.
///
/// # Errors
/// 422 for a connection not granted, a connection of another class, a
/// table the database does not have, or a column the table does not have
/// (naming it and the table's columns).
pub async fn builtin_config(
    state: &AppState,
    builtin: &str,
    config: &Value,
    granted: &[String],
) -> ApiResult<()> {
    let Some(connection) = config.get("connection").and_then(Value::as_str) else {
        return Ok(());
    };
    if !granted.iter().any(|g| g == connection) {
        return Err(ApiError::Unprocessable(format!(
            "the config uses connection {connection:?}, which the action is not granted; \
             add it to \"connections\""
        )));
    }
    if builtin != "sql-table" {
        return Ok(());
    }
    let pool = match state.registry.get(connection).await {
        Ok(Some(Backend::Sql(pool))) => pool.pool,
        Ok(Some(other)) => {
            return Err(ApiError::Unprocessable(format!(
                "connection {connection:?} is a {} connection; sql-table needs a sql one",
                other.class()
            )));
        }
        Ok(None) => return Ok(()),
        Err(e) => {
            tracing::warn!(%connection, error = %e, "cannot open the connection to check a sql-table config");
            return Ok(());
        }
    };
    let table = config["table"].as_str().unwrap_or_default();
    let columns = match introspect::columns(&pool, table).await {
        Ok(columns) => columns,
        Err(e) => {
            tracing::warn!(%connection, error = %e, "cannot read the table to check a sql-table config");
            return Ok(());
        }
    };
    if columns.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "connection {connection:?} has no table named {table:?}"
        )));
    }
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let configured = config["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .chain(config["key"].as_str());
    for column in configured {
        if !names.contains(&column) {
            return Err(ApiError::Unprocessable(format!(
                "table {table} has no column {column:?} (its columns: {})",
                names.join(", ")
            )));
        }
    }
    Ok(())
}
