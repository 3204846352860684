//! Stored JSON Schemas (2020-12) that operations and events refer to by
//! name, and that may refer to one another.

use crate::cluster::Change;
use crate::contract::{Contract, SchemaRef};
use crate::error::{ApiError, ApiResult};
use crate::resources::{Effects, check_name};
use crate::schemas::{self as compile, SchemaSet};
use crate::store::Json as SqlJson;
use crate::store::operations;
use crate::store::schemas::{self, SchemaRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;

/// Body of `POST /admin/schemas`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// The JSON Schema 2020-12 document.
    pub schema: Value,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// Body of `PUT /admin/schemas/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaUpdate {
    /// The new document.
    pub schema: Value,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// Checks that every schema of `contract` exists or is valid inline.
///
/// # Errors
/// 422 for an unknown schema name, 400 for an invalid inline schema.
pub async fn check_contract<'e>(
    db: impl sqlx::AnyExecutor<'e>,
    contract: &Contract,
) -> ApiResult<()> {
    let set = SchemaSet::load(db, None).await?;
    for (field, schema) in contract.schemas() {
        check_ref(&set, &format!("{field}: "), schema)?;
    }
    Ok(())
}

/// Checks that a named schema exists in `set` and that `schema` compiles;
/// errors start with `prefix`.
///
/// # Errors
/// 422 for an unknown schema name, 400 for a schema that does not compile.
pub fn check_ref(set: &SchemaSet, prefix: &str, schema: &SchemaRef) -> ApiResult<()> {
    if let SchemaRef::Named(name) = schema
        && !set.0.contains_key(name)
    {
        return Err(ApiError::Unprocessable(format!(
            "{prefix}there is no schema named {name:?}; create it with POST /admin/schemas"
        )));
    }
    compile::compile_ref(schema, set).map_err(|e| ApiError::BadRequest(format!("{prefix}{e}")))?;
    Ok(())
}

/// The `$ref` values anywhere in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Validates `schema` as the stored schema `name`.
async fn check(conn: &mut AnyConnection, name: &str, schema: &Value) -> ApiResult<()> {
    if let Some((at, text)) = compile::meta_error(schema) {
        return Err(ApiError::InvalidAt {
            errors: vec![crate::error::FieldError {
                pointer: format!("/schema{at}"),
                message: text.clone(),
            }],
            detail: text,
        });
    }
    let set = SchemaSet::load(&mut *conn, Some((name, schema))).await?;
    compile::compile(schema, Some(name), &set).map_err(ApiError::BadRequest)?;
    Ok(())
}

/// Checks `input` against the schemas `conn` sees and stores it, replacing
/// `existing` (keeping its creation time) when given.
///
/// # Errors
/// 400 when the document is not a valid 2020-12 schema or refers to an
/// unknown schema.
pub async fn write(
    conn: &mut AnyConnection,
    input: SchemaInput,
    existing: Option<SchemaRow>,
    effects: &mut Effects,
) -> ApiResult<SchemaRow> {
    check_name("schema", &input.name)?;
    check(conn, &input.name, &input.schema).await?;
    let now = crate::store::now();
    let row = SchemaRow {
        name: input.name,
        description: input.description,
        schema: SqlJson(input.schema),
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    schemas::upsert(&mut *conn, &row).await?;
    // Operations and events compile their contracts against the schemas.
    effects.change(Change::Routes);
    effects.change(Change::Events);
    Ok(row)
}

/// Deletes schema `name` through `conn`.
///
/// # Errors
/// 409 while an operation or another schema refers to it.
pub async fn remove(conn: &mut AnyConnection, name: &str, effects: &mut Effects) -> ApiResult<()> {
    let name = name.to_string();
    let users: Vec<String> = operations::list(&mut *conn)
        .await?
        .into_iter()
        .filter(|op| op.contract.schema_names().contains(&name.as_str()))
        .map(|op| op.name)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!(
            "schema {name:?} is used by operations {}; change them first",
            users.join(", ")
        )));
    }
    let referrers: Vec<String> = schemas::list(&mut *conn)
        .await?
        .into_iter()
        .filter(|row| row.name != name)
        .filter(|row| {
            let mut found = Vec::new();
            refs(&row.schema.0, &mut found);
            found
                .iter()
                .any(|r| r == &name || r.starts_with(&format!("{name}#")))
        })
        .map(|row| row.name)
        .collect();
    if !referrers.is_empty() {
        return Err(ApiError::Conflict(format!(
            "schema {name:?} is referred to by schemas {}; change them first",
            referrers.join(", ")
        )));
    }
    schemas::delete(&mut *conn, &name).await?;
    effects.change(Change::Events);
    Ok(())
}
