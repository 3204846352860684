//! JSON Schema 2020-12 handling (the `jsonschema` crate): checking a
//! schema against the meta-schema, resolving references between stored
//! schemas by name, and turning validation errors into JSON pointers.
//!
//! A stored schema called `todo` has the URI
//! `https://sluice.invalid/schemas/todo`, and every schema is compiled with
//! that prefix as its base, so `{"$ref": "todo"}` (or `"todo#/$defs/x"`)
//! in any schema refers to it. Nothing is ever fetched from the network.

use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value;
use sqlx::AnyExecutor;

use crate::contract::SchemaRef;
use crate::error::FieldError;

/// The base URI stored schemas live under.
pub const BASE_URI: &str = "https://sluice.invalid/schemas/";

/// All stored schemas by name, for resolving references.
#[derive(Debug, Clone, Default)]
pub struct SchemaSet(pub Arc<HashMap<String, Value>>);

impl SchemaSet {
    /// Every stored schema, with `extra` (a name and a document not saved
    /// yet) in place of the stored one of that name.
    ///
    /// # Errors
    /// On control-plane database failure.
    pub async fn load<'e>(
        db: impl AnyExecutor<'e>,
        extra: Option<(&str, &Value)>,
    ) -> sqlx::Result<Self> {
        let mut all: HashMap<String, Value> = crate::store::schemas::list(db)
            .await?
            .into_iter()
            .map(|row| (row.name, row.schema.0))
            .collect();
        if let Some((name, schema)) = extra {
            all.insert(name.to_string(), schema.clone());
        }
        Ok(Self(Arc::new(all)))
    }
}

impl Retrieve for SchemaSet {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = uri.as_str();
        let name = text
            .strip_prefix(BASE_URI)
            .ok_or_else(|| format!("{text} is not a stored schema; refer to schemas by name"))?;
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| format!("there is no schema named {name:?}").into())
    }
}

/// Where a reference to a stored schema points once the stored schemas
/// sit in one document under `prefix` (`#/components/schemas/` in the
/// OpenAPI document, `#/$defs/` in an MCP tool's schema): `todo` becomes
/// `{prefix}todo`, `todo#/$defs/x` `{prefix}todo/$defs/x`, and a local
/// `#/$defs/x` inside stored schema `current` `{prefix}{current}/$defs/x`.
pub fn relocate_ref(reference: &str, current: Option<&str>, prefix: &str) -> String {
    match reference.split_once('#') {
        Some(("", fragment)) => match current {
            Some(name) => format!("{prefix}{name}{fragment}"),
            None => reference.to_string(),
        },
        Some((name, fragment)) => format!("{prefix}{name}{fragment}"),
        None => format!("{prefix}{reference}"),
    }
}

/// `schema` (stored as `current`, or inline) with every `$ref` rewritten
/// by [`relocate_ref`].
pub fn relocate_refs(schema: &Value, current: Option<&str>, prefix: &str) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        (k.clone(), Value::String(relocate_ref(r, current, prefix)))
                    }
                    _ => (k.clone(), relocate_refs(v, current, prefix)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| relocate_refs(v, current, prefix))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The names of the stored schemas `schema` refers to (`$ref: todo`,
/// `todo#/...`), directly or through the schemas it refers to, found in
/// `set`; sorted.
pub fn referenced(schema: &Value, set: &SchemaSet) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => {
                            let name = r.split_once('#').map_or(r.as_str(), |(n, _)| n);
                            if !name.is_empty() {
                                out.push(name.to_string());
                            }
                        }
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    let mut queue = Vec::new();
    walk(schema, &mut queue);
    while let Some(name) = queue.pop() {
        if let Some(stored) = set.0.get(&name)
            && found.insert(name)
        {
            walk(stored, &mut queue);
        }
    }
    found.into_iter().collect()
}

/// Checks `schema` against the 2020-12 meta-schema.
///
/// # Errors
/// The first violation, with where it is.
pub fn check_meta(schema: &Value) -> Result<(), String> {
    meta_error(schema).map_or(Ok(()), |(_, text)| Err(text))
}

/// The first place where `schema` breaks the JSON Schema 2020-12
/// meta-schema: its JSON pointer within `schema` (RFC 6901) and a message
/// naming it, or `None` when `schema` is valid.
pub fn meta_error(schema: &Value) -> Option<(String, String)> {
    let e = jsonschema::draft202012::meta::validate(schema).err()?;
    let at = e.instance_path().as_str().to_string();
    let text = if at.is_empty() {
        format!("not a valid JSON Schema 2020-12: {e}")
    } else {
        format!("not a valid JSON Schema 2020-12 at {at}: {e}")
    };
    Some((at, text))
}

/// Compiles `schema` (named `name` when stored) with references resolved
/// in `set`.
///
/// # Errors
/// An unresolvable reference or an invalid keyword, as text.
pub fn compile(schema: &Value, name: Option<&str>, set: &SchemaSet) -> Result<Validator, String> {
    jsonschema::draft202012::options()
        // Linear-time matching: a consumer's input cannot make a `pattern`
        // backtrack for long (patterns needing look-around are refused).
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .with_base_uri(format!("{BASE_URI}{}", name.unwrap_or("inline")))
        .with_retriever(set.clone())
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Compiles a contract's schema reference.
///
/// # Errors
/// As [`compile`].
pub fn compile_ref(schema: &SchemaRef, set: &SchemaSet) -> Result<Validator, String> {
    match schema {
        SchemaRef::Named(name) => {
            if !set.0.contains_key(name) {
                return Err(format!("there is no schema named {name:?}"));
            }
            compile(&serde_json::json!({ "$ref": name }), None, set)
        }
        SchemaRef::Inline(value) => {
            check_meta(value)?;
            compile(value, None, set)
        }
    }
}

/// Every way `instance` breaks `validator`, as pointers under `root`
/// (e.g. `/body`).
pub fn errors(validator: &Validator, instance: &Value, root: &str) -> Vec<FieldError> {
    // The common case, a valid instance, without building any error.
    if validator.is_valid(instance) {
        return Vec::new();
    }
    validator
        .iter_errors(instance)
        .map(|e| FieldError {
            pointer: format!("{root}{}", e.instance_path().as_str()),
            message: e.to_string(),
        })
        .collect()
}
