//! An operation seen as a Model Context Protocol tool (MCP specification,
//! "Server features: Tools"): its `inputSchema` combines the path and
//! query parameters with the body's schema, its `outputSchema` is the
//! success response's schema, and its annotations follow from the method
//! (RFC 9110 §9.2: safe and idempotent methods).
//!
//! The arguments of a call map back onto an HTTP request: each parameter
//! by its name, and the body either as the remaining arguments (when the
//! body's schema is a plain object whose properties do not clash with a
//! parameter: "flattened") or as the argument `body`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::contract::{Contract, ParamLocation, SchemaRef};
use crate::schemas::{self, SchemaSet};
use crate::store::operations::OperationRow;

/// Where the stored schemas a tool's schema refers to are put.
const DEFS: &str = "#/$defs/";

/// An operation's `mcp` field: whether it is a tool and under what name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exposure {
    /// Whether MCP clients see the operation as a tool.
    pub enabled: bool,
    /// The tool's name (default: the operation's), `[A-Za-z0-9_.-]{1,64}`,
    /// unique among tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the tool does, for the model (default: the operation's
    /// description).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The tool name of operation `operation` with exposure `exposure`.
pub fn tool_name<'a>(operation: &'a str, exposure: Option<&'a Exposure>) -> &'a str {
    exposure
        .and_then(|e| e.name.as_deref())
        .unwrap_or(operation)
}

/// Where a call's body comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyArguments {
    /// The operation takes no body: every argument is a parameter.
    None,
    /// The arguments other than the parameters make the body object.
    Flattened,
    /// The argument `body` is the body.
    Nested,
}

/// An operation's tool, made once per route table.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// The tool's name.
    pub name: String,
    /// The operation's method, upper-case.
    pub method: String,
    /// Its description.
    pub description: String,
    /// JSON Schema 2020-12 of the arguments, self-contained (`$defs`).
    pub input_schema: Arc<Map<String, Value>>,
    /// JSON Schema of `structuredContent`, when the operation declares its
    /// success response; always `type: object` as MCP requires.
    pub output_schema: Option<Arc<Map<String, Value>>>,
    /// Whether the response body is put under `result` in
    /// `structuredContent` (its schema is not an object's).
    pub wrapped_output: bool,
    /// The status `output_schema` describes; answers of other statuses
    /// are text only.
    pub output_status: Option<u16>,
    /// `readOnlyHint`: GET, HEAD, OPTIONS.
    pub read_only: bool,
    /// `destructiveHint`: PUT, PATCH, DELETE.
    pub destructive: bool,
    /// `idempotentHint`: every method but POST and PATCH.
    pub idempotent: bool,
    /// The parameters by name and where they go.
    pub params: Vec<(String, ParamLocation)>,
    /// Where the body comes from.
    pub body: BodyArguments,
}

/// The tool of operation `op`, or `None` when it is not one (its `mcp`
/// says so, or says nothing and `default_enabled` is false).
///
/// `path_params` are the names in the operation's path, in order.
///
/// # Errors
/// A schema reference that cannot be resolved in `set`.
pub fn describe(
    op: &OperationRow,
    path_params: &[String],
    default_enabled: bool,
    set: &SchemaSet,
) -> Result<Option<ToolSpec>, String> {
    let exposure = op.mcp.as_ref().map(|m| &m.0);
    let contract = &op.contract.0;
    if !exposure.map_or(default_enabled, |e| e.enabled) {
        return Ok(None);
    }
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut params = Vec::new();
    for name in path_params {
        let declared = contract
            .parameters
            .iter()
            .find(|p| p.location == ParamLocation::Path && &p.name == name);
        let mut schema = declared.map_or_else(|| json!({"type": "string"}), |p| p.schema());
        if let Some(p) = declared.filter(|p| !p.description.is_empty()) {
            schema["description"] = p.description.clone().into();
        }
        properties.insert(name.clone(), schema);
        required.push(Value::String(name.clone()));
        params.push((name.clone(), ParamLocation::Path));
    }
    for p in contract
        .parameters
        .iter()
        .filter(|p| p.location == ParamLocation::Query)
    {
        let mut schema = p.schema();
        if !p.description.is_empty() {
            schema["description"] = p.description.clone().into();
        }
        properties.insert(p.name.clone(), schema);
        if p.required {
            required.push(Value::String(p.name.clone()));
        }
        params.push((p.name.clone(), ParamLocation::Query));
    }
    let mut input = Map::new();
    input.insert("type".into(), "object".into());
    let mut refs = Vec::new();
    let body = match &contract.incoming {
        None => {
            input.insert("additionalProperties".into(), false.into());
            BodyArguments::None
        }
        Some(incoming) => {
            let schema = reference(incoming);
            refs.extend(schemas::referenced(&schema, set));
            let (resolved, current) = resolve(&schema, set)?;
            match flattenable(&resolved, &params) {
                Some(object) => {
                    for (k, v) in object
                        .get("properties")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        properties.insert(k.clone(), schemas::relocate_refs(v, current, DEFS));
                    }
                    if let Some(Value::Array(names)) = object.get("required") {
                        required.extend(names.iter().cloned());
                    }
                    if let Some(extra) = object.get("additionalProperties") {
                        input.insert(
                            "additionalProperties".into(),
                            schemas::relocate_refs(extra, current, DEFS),
                        );
                    }
                    BodyArguments::Flattened
                }
                None => {
                    properties.insert("body".into(), schemas::relocate_refs(&schema, None, DEFS));
                    required.push("body".into());
                    input.insert("additionalProperties".into(), false.into());
                    BodyArguments::Nested
                }
            }
        }
    };
    input.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        input.insert("required".into(), Value::Array(required));
    }
    put_defs(&mut input, &refs, set);
    let (output_schema, wrapped_output, output_status) = output(contract, set)?;
    let method = op.method.to_ascii_uppercase();
    let read_only = matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS");
    let described = exposure
        .and_then(|e| e.description.as_deref())
        .filter(|d| !d.is_empty())
        .unwrap_or(&op.description);
    Ok(Some(ToolSpec {
        name: tool_name(&op.name, exposure).to_string(),
        method: method.clone(),
        description: if described.is_empty() {
            format!("{method} {}", op.path)
        } else {
            described.to_string()
        },
        input_schema: Arc::new(input),
        output_schema: output_schema.map(Arc::new),
        wrapped_output,
        output_status,
        read_only,
        destructive: matches!(method.as_str(), "PUT" | "PATCH" | "DELETE"),
        idempotent: !matches!(method.as_str(), "POST" | "PATCH"),
        params,
        body,
    }))
}

/// A contract's schema as a JSON Schema: a stored one by reference.
fn reference(schema: &SchemaRef) -> Value {
    match schema {
        SchemaRef::Named(name) => json!({ "$ref": name }),
        SchemaRef::Inline(value) => value.clone(),
    }
}

/// `schema` with top-level references to stored schemas followed, and the
/// stored schema it ended in (for its local references).
fn resolve<'a>(schema: &Value, set: &'a SchemaSet) -> Result<(Value, Option<&'a str>), String> {
    let mut current: Option<&'a str> = None;
    let mut value = schema.clone();
    // A chain of references longer than this is a loop.
    for _ in 0..16 {
        let Some(Value::String(target)) = value.get("$ref") else {
            return Ok((value, current));
        };
        if value.as_object().is_some_and(|o| o.len() > 1) || target.contains('#') {
            return Ok((value, current));
        }
        let Some((name, stored)) = set.0.get_key_value(target.as_str()) else {
            return Err(format!("there is no schema named {target:?}"));
        };
        current = Some(name.as_str());
        value = stored.clone();
    }
    Err("schema references loop".into())
}

/// Keywords a body schema may have and still be spread over the arguments.
const PLAIN_OBJECT: [&str; 9] = [
    "type",
    "properties",
    "required",
    "additionalProperties",
    "description",
    "title",
    "$schema",
    "$comment",
    "examples",
];

/// The body's schema when it is a plain object whose properties do not
/// clash with a parameter.
fn flattenable<'a>(
    schema: &'a Value,
    params: &[(String, ParamLocation)],
) -> Option<&'a Map<String, Value>> {
    let object = schema.as_object()?;
    if object.get("type") != Some(&Value::String("object".into()))
        || !object.keys().all(|k| PLAIN_OBJECT.contains(&k.as_str()))
    {
        return None;
    }
    let properties = object.get("properties")?.as_object()?;
    (!properties
        .keys()
        .any(|k| params.iter().any(|(name, _)| name == k)))
    .then_some(object)
}

/// Adds the stored schemas named in `refs` under `$defs`.
fn put_defs(schema: &mut Map<String, Value>, refs: &[String], set: &SchemaSet) {
    let defs: Map<String, Value> = refs
        .iter()
        .filter_map(|name| {
            set.0
                .get(name)
                .map(|s| (name.clone(), schemas::relocate_refs(s, Some(name), DEFS)))
        })
        .collect();
    if !defs.is_empty() {
        schema.insert("$defs".into(), Value::Object(defs));
    }
}

/// The output schema (from the lowest 2xx status with a schema), whether
/// the body goes under `result`, and that status.
type Output = (Option<Map<String, Value>>, bool, Option<u16>);

fn output(contract: &Contract, set: &SchemaSet) -> Result<Output, String> {
    let Some((status, schema)) = contract
        .outgoing
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .min_by(|a, b| a.0.cmp(b.0))
        .map(|(status, s)| (status.parse::<u16>().ok(), reference(s)))
    else {
        return Ok((None, false, None));
    };
    let refs = schemas::referenced(&schema, set);
    let (resolved, current) = resolve(&schema, set)?;
    let (mut out, wrapped) = match resolved.as_object() {
        Some(object) if object.get("type") == Some(&Value::String("object".into())) => {
            let Value::Object(map) = schemas::relocate_refs(&resolved, current, DEFS) else {
                return Ok((None, false, None));
            };
            (map, false)
        }
        _ => {
            let mut map = Map::new();
            map.insert("type".into(), "object".into());
            map.insert(
                "properties".into(),
                json!({ "result": schemas::relocate_refs(&schema, None, DEFS) }),
            );
            map.insert("required".into(), json!(["result"]));
            (map, true)
        }
    };
    // A stored schema's own `$defs` are reached through its entry in the
    // tool's `$defs` (its local references were relocated there).
    out.remove("$defs");
    put_defs(&mut out, &refs, set);
    Ok((Some(out), wrapped, status))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use serde_json::json;

    use super::{BodyArguments, describe};
    use crate::contract::Contract;
    use crate::schemas::SchemaSet;
    use crate::store::Json;
    use crate::store::operations::OperationRow;

    fn operation(method: &str, path: &str, contract: serde_json::Value) -> OperationRow {
        OperationRow {
            name: "op".into(),
            method: method.into(),
            path: path.into(),
            route_key: String::new(),
            action: "a".into(),
            action_version: None,
            description: String::new(),
            stability: "stable".into(),
            active: true,
            public: true,
            scopes: Json(Vec::new()),
            sandbox: true,
            cors: None,
            mcp: Some(Json(super::Exposure {
                enabled: true,
                name: None,
                description: None,
            })),
            contract: Json(serde_json::from_value::<Contract>(contract).unwrap()),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn set() -> SchemaSet {
        SchemaSet(Arc::new(HashMap::from([
            (
                "item".to_string(),
                json!({"type": "object", "required": ["id"],
                       "properties": {"id": {"type": "integer"}, "tag": {"$ref": "tag"}}}),
            ),
            ("tag".to_string(), json!({"type": "string", "maxLength": 8})),
        ])))
    }

    #[test]
    fn a_body_that_is_no_plain_object_is_the_argument_body_and_a_list_answer_is_wrapped() {
        let op = operation(
            "POST",
            "/lists/:id",
            json!({"incoming": {"type": "array", "items": {"$ref": "item"}},
                   "outgoing": {"200": {"type": "array", "items": {"$ref": "item"}}}}),
        );
        let tool = describe(&op, &["id".into()], false, &set())
            .unwrap()
            .unwrap();
        assert_eq!(tool.body, BodyArguments::Nested);
        let input = serde_json::Value::Object((*tool.input_schema).clone());
        assert_eq!(input["required"], json!(["id", "body"]));
        assert_eq!(input["properties"]["body"]["items"]["$ref"], "#/$defs/item");
        assert_eq!(
            input["$defs"]["item"]["properties"]["tag"]["$ref"],
            "#/$defs/tag"
        );
        assert_eq!(input["$defs"]["tag"]["maxLength"], 8);
        assert!(tool.wrapped_output);
        let output = serde_json::Value::Object((*tool.output_schema.unwrap()).clone());
        assert_eq!(output["type"], "object");
        assert_eq!(output["required"], json!(["result"]));
        assert!(!tool.read_only && !tool.destructive && !tool.idempotent);
    }

    #[test]
    fn a_body_property_named_like_a_parameter_keeps_the_body_whole() {
        let op = operation("PUT", "/items/:id", json!({"incoming": "item"}));
        let tool = describe(&op, &["id".into()], false, &set())
            .unwrap()
            .unwrap();
        assert_eq!(tool.body, BodyArguments::Nested);
        assert!(tool.destructive && tool.idempotent && !tool.read_only);
        let flat = operation("PUT", "/things/:key", json!({"incoming": "item"}));
        let tool = describe(&flat, &["key".into()], false, &set())
            .unwrap()
            .unwrap();
        assert_eq!(tool.body, BodyArguments::Flattened);
        let input = serde_json::Value::Object((*tool.input_schema).clone());
        assert_eq!(input["required"], json!(["key", "id"]));
        assert_eq!(input["properties"]["tag"]["$ref"], "#/$defs/tag");
    }

    #[test]
    fn an_operation_without_mcp_follows_the_default_and_one_that_opts_out_is_no_tool() {
        let mut op = operation("GET", "/x", json!({}));
        op.mcp = None;
        assert!(describe(&op, &[], false, &set()).unwrap().is_none());
        assert!(describe(&op, &[], true, &set()).unwrap().is_some());
        op.mcp = Some(Json(super::Exposure {
            enabled: false,
            name: None,
            description: None,
        }));
        assert!(describe(&op, &[], true, &set()).unwrap().is_none());
    }
}
