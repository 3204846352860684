//! The built-in actions: ordinary components written with the Rust SDK
//! (`actions-examples/builtins/*`), embedded in the binary and installed at
//! start as read-only actions named `builtin:<name>`. An admin makes an
//! action from one with a config (`POST /admin/actions {"builtin": …}`);
//! such an action runs the built-in component of the running binary — a new
//! binary brings a new version of each — in the same sandbox, with the
//! same limits and grants as any other.

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::engine::Limits;
use crate::error::FieldError;
use crate::error::{ApiError, ApiResult};
use crate::store;

/// The prefix of a built-in action's name.
pub const PREFIX: &str = "builtin:";

/// One built-in action.
#[derive(Debug)]
pub struct Builtin {
    /// Its name without [`PREFIX`], e.g. `sql-table`.
    pub name: &'static str,
    /// One line on what it does (the action's description).
    pub description: &'static str,
    /// The component.
    pub wasm: &'static [u8],
    /// JSON Schema (2020-12) of the config of an action made from it.
    pub config_schema: &'static str,
}

macro_rules! builtin {
    ($name:literal, $description:literal) => {
        Builtin {
            name: $name,
            description: $description,
            wasm: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../actions-examples/dist/builtin-",
                $name,
                ".wasm"
            )),
            config_schema: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../actions-examples/builtins/",
                $name,
                "/config.schema.json"
            )),
        }
    };
}

/// Every built-in action.
pub static BUILTINS: &[Builtin] = &[
    builtin!(
        "sql-table",
        "List, get, insert, update and delete rows of one table of a sql connection"
    ),
    builtin!(
        "sql-query",
        "One configured, parameterised statement; parameters from the path, query or body"
    ),
    builtin!(
        "http-processor",
        "Forwards the request to an http connection, with optional path, query and header mapping"
    ),
    builtin!("static-response", "A configured status, headers and body"),
    builtin!(
        "redirect",
        "A redirect whose Location is built from path and query parameters"
    ),
];

/// The built-in called `name` (without the prefix).
pub fn get(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// Whether `action` is one of the read-only `builtin:` actions.
pub fn is_builtin_name(action: &str) -> bool {
    action.starts_with(PREFIX)
}

impl Builtin {
    /// Hex SHA-256 of the component.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.wasm))
    }

    /// Checks `config` against the built-in's config schema.
    ///
    /// # Errors
    /// 400 `validation-failed` with a pointer under `/config` per problem.
    pub fn check_config(&self, config: &Value) -> ApiResult<()> {
        let errors = self.config_errors(config);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::ValidationFailed(errors))
        }
    }

    /// Every way `config` breaks the built-in's config schema, as pointers
    /// under `/config`.
    pub fn config_errors(&self, config: &Value) -> Vec<FieldError> {
        let schema: Value =
            serde_json::from_str(self.config_schema).expect("built-in config schemas are JSON");
        let validator = jsonschema::draft202012::options()
            .build(&schema)
            .expect("built-in config schemas are valid");
        crate::schemas::errors(&validator, config, "/config")
    }
}

/// Installs every built-in as `builtin:<name>` (a new version when the
/// binary's component differs from the stored one) and moves every action
/// made from a built-in to the binary's component, so that nodes and
/// restarts agree on what a built-in is.
///
/// # Errors
/// On database failure. Two nodes starting at once may race for a version
/// number: the loser finds the winner's version on its next start, so a
/// unique violation is not an error.
pub async fn install(conn: &mut AnyConnection, defaults: Limits) -> anyhow::Result<()> {
    for builtin in BUILTINS {
        let name = format!("{PREFIX}{}", builtin.name);
        upload(conn, &name, builtin, defaults).await?;
        sqlx::query("UPDATE actions SET builtin = $1, description = $2 WHERE name = $3")
            .bind(builtin.name)
            .bind(builtin.description)
            .bind(&name)
            .execute(&mut *conn)
            .await?;
    }
    let made: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, builtin FROM actions WHERE builtin IS NOT NULL AND name NOT LIKE 'builtin:%'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (name, from) in made {
        match get(&from) {
            Some(builtin) => upload(conn, &name, builtin, defaults).await?,
            None => tracing::warn!(
                action = %name,
                builtin = %from,
                "the action is made from a built-in this binary does not have; it keeps its last version"
            ),
        }
    }
    Ok(())
}

/// Stores `builtin`'s component as the next version of `name` if it differs.
///
/// # Errors
/// On database failure other than a lost race for the version number.
pub async fn upload(
    conn: &mut AnyConnection,
    name: &str,
    builtin: &Builtin,
    defaults: Limits,
) -> sqlx::Result<()> {
    match store::actions::upload(conn, name, &builtin.sha256(), builtin.wasm, defaults).await {
        Err(e) if store::is_unique_violation(&e) => Ok(()),
        other => other.map(drop),
    }
}

/// Declares the built-ins in the admin document's `actions-create` body
/// (`document` is the parsed `admin.yaml`): `builtin` becomes the list of
/// names, and each built-in's config schema applies to `config` when that
/// built-in is named (its `$defs` moved to the document's components as
/// `builtin-<name>-<def>`), so the document says what
/// [`Builtin::check_config`] enforces.
pub fn declare_in(document: &mut Value) {
    let mut names: Vec<Value> = Vec::new();
    let mut cases = Vec::new();
    for builtin in BUILTINS {
        let Ok(mut schema) = serde_json::from_str::<Value>(builtin.config_schema) else {
            continue;
        };
        let prefix = format!("builtin-{}-", builtin.name);
        if let Some(Value::Object(defs)) = schema.as_object_mut().and_then(|s| s.remove("$defs")) {
            for (name, mut def) in defs {
                rebase_refs(&mut def, &prefix);
                document["components"]["schemas"][format!("{prefix}{name}")] = def;
            }
        }
        rebase_refs(&mut schema, &prefix);
        if let Some(object) = schema.as_object_mut() {
            object.remove("$schema");
            object.remove("$id");
        }
        // An absent config is `{}`: required only when `{}` is refused.
        let empty_passes = builtin.config_errors(&serde_json::json!({})).is_empty();
        let mut then = serde_json::json!({"properties": {"config": schema}});
        if !empty_passes {
            then["required"] = serde_json::json!(["config"]);
        }
        let names_of = [
            builtin.name.to_string(),
            format!("{PREFIX}{}", builtin.name),
        ];
        names.extend(names_of.iter().cloned().map(Value::from));
        cases.push(serde_json::json!({
            "if": {"properties": {"builtin": {"enum": names_of}}},
            "then": then,
        }));
    }
    let body = &mut document["paths"]["/actions"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    if body.is_object() {
        body["properties"]["builtin"]["enum"] = Value::Array(names);
        body["allOf"] = Value::Array(cases);
    }
}

/// Points `#/$defs/<name>` references at `#/components/schemas/<prefix><name>`.
fn rebase_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(name) = reference.strip_prefix("#/$defs/")
            {
                *reference = format!("#/components/schemas/{prefix}{name}");
            }
            map.values_mut().for_each(|v| rebase_refs(v, prefix));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rebase_refs(v, prefix)),
        _ => {}
    }
}
