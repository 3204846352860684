//! The JSON Schema (2020-12) of a deploy file, made from the admin API's
//! own OpenAPI document: each kind's entry is the request body that
//! creates that resource, without `name` (the entry's key), and `portal`
//! is the body of `PUT /admin/portal`, so the file and the API cannot
//! drift apart. Actions add `source` and `build`; connections add
//! `skip_test`. Served at `/system/deploy-schema.json` and
//! shipped as `docs/sluice.schema.json`.

use serde_json::{Map, Value, json};

use super::Kind;

/// The admin route whose request body an entry of `kind` is, and the method.
fn body_route(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Actions => ("/actions/{name}", "patch"),
        other => (
            match other {
                Kind::Scopes => "/scopes",
                Kind::Roles => "/roles",
                Kind::Schemas => "/schemas",
                Kind::Connections => "/connections",
                Kind::Events => "/events",
                Kind::Operations => "/operations",
                Kind::Triggers => "/triggers",
                Kind::Webhooks => "/webhooks",
                Kind::Cronjobs => "/cronjobs",
                Kind::Apps => "/apps",
                Kind::Prompts => "/prompts",
                _ => "/rate-limits",
            },
            "post",
        ),
    }
}

/// The request body schema of `kind`'s route in `document`, references to
/// components resolved.
fn body_schema(document: &Value, kind: Kind) -> anyhow::Result<Value> {
    let (path, method) = body_route(kind);
    let schema =
        &document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &document["components"]["schemas"][name]
        }
        None => schema,
    };
    anyhow::ensure!(
        schema.is_object(),
        "admin.yaml has no request body for {method} {path}"
    );
    Ok(schema.clone())
}

/// One entry of `kind`: the body without `name`, closed to unknown members.
fn entry_schema(document: &Value, kind: Kind) -> anyhow::Result<Value> {
    let mut schema = body_schema(document, kind)?;
    let object = schema
        .as_object_mut()
        .ok_or_else(|| anyhow::anyhow!("{} body is not an object schema", kind.as_str()))?;
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        properties.remove("name");
    }
    if let Some(Value::Array(required)) = object.get_mut("required") {
        required.retain(|r| r != "name");
    }
    object.insert("additionalProperties".into(), json!(false));
    let properties = object
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| anyhow::anyhow!("properties is not an object"))?;
    match kind {
        Kind::Actions => {
            properties.insert(
                "source".into(),
                json!({"type": "string", "description": "Path to the action's .wasm component, relative to this file."}),
            );
            properties.insert(
                "build".into(),
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["command"],
                    "description": "What `sluice build` runs to make `source` (no shell: the command is split into words).",
                    "properties": {
                        "command": {"type": ["string", "array"], "items": {"type": "string"}},
                        "workdir": {"type": "string", "description": "Where the command runs, relative to this file (default: its directory)."},
                        "output": {"type": "string", "description": "The file the command makes, copied to `source` when they differ."}
                    }
                }),
            );
            let builtins: Vec<&str> = crate::builtins::BUILTINS.iter().map(|b| b.name).collect();
            properties.insert(
                "builtin".into(),
                json!({"enum": builtins, "description": "The built-in action it runs instead of a source (its config is checked against the built-in's config schema)."}),
            );
            object.insert(
                "oneOf".into(),
                json!([{"required": ["source"]}, {"required": ["builtin"]}]),
            );
        }
        Kind::Connections => {
            properties.insert(
                "skip_test".into(),
                json!({"type": "boolean", "description": "Store it without trying the backend first."}),
            );
        }
        _ => {}
    }
    Ok(schema)
}

/// The deploy file's schema.
///
/// # Errors
/// When the admin OpenAPI document lacks a request body (a build defect).
pub fn deploy_schema() -> anyhow::Result<&'static Value> {
    static SCHEMA: std::sync::LazyLock<Result<Value, String>> =
        std::sync::LazyLock::new(|| build().map_err(|e| e.to_string()));
    SCHEMA.as_ref().map_err(|e| anyhow::anyhow!("{e}"))
}

fn build() -> anyhow::Result<Value> {
    let document = crate::documents::admin()?;
    let mut properties = Map::new();
    properties.insert(
        "include".into(),
        json!({
            "type": "array",
            "items": {"type": "string"},
            "description": "Further deploy files, relative to this one; their resources join this file's."
        }),
    );
    let mut defs = Map::new();
    for kind in Kind::ALL {
        let def = format!("{}_entry", kind.as_str());
        defs.insert(def.clone(), entry_schema(document, kind)?);
        properties.insert(
            kind.as_str().into(),
            json!({
                "type": "object",
                "description": format!("{} by name; each entry is the body of the admin API's {} route without `name`.", kind.as_str(), kind.path()),
                "propertyNames": {"pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
                "additionalProperties": {"$ref": format!("#/$defs/{def}")}
            }),
        );
    }
    // The portal's settings are `PUT /admin/portal`'s body.
    properties.insert(
        "portal".into(),
        json!({
            "description": "The portal's settings, stated whole as PUT /admin/portal takes them (absent members take their defaults). Without this key a deploy leaves the stored settings as they are.",
            "$ref": "#/components/schemas/PortalSettings"
        }),
    );
    // The entries refer to the admin document's shared components
    // (`ResourceName`, `OperationParameter`, `PortalSettings` …): they come
    // along, under the file's own `$defs`.
    let mut wanted = Vec::new();
    for schema in defs.values_mut().chain(properties.values_mut()) {
        relocate_refs(schema, &mut wanted);
    }
    while let Some(name) = wanted.pop() {
        if defs.contains_key(&name) {
            continue;
        }
        let mut component = document["components"]["schemas"][&name].clone();
        anyhow::ensure!(
            component.is_object(),
            "admin.yaml refers to a component {name:?} it does not have"
        );
        relocate_refs(&mut component, &mut wanted);
        defs.insert(name, component);
    }
    Ok(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://sluice.invalid/deploy-schema.json",
        "title": "Sluice project (sluice.yaml)",
        "description": "Everything `sluice deploy` applies. Strings may use ${VAR} and ${VAR:-default}; secrets must. Any object {\"$file\": \"path\"} is replaced by that JSON or YAML file.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "$defs": defs,
    }))
}

/// Points every `#/components/schemas/<name>` reference in `value` at
/// `#/$defs/<name>` and adds each such name to `wanted`.
fn relocate_refs(value: &mut Value, wanted: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(name) = reference.strip_prefix("#/components/schemas/")
            {
                wanted.push(name.to_string());
                *reference = format!("#/$defs/{name}");
            }
            for v in map.values_mut() {
                relocate_refs(v, wanted);
            }
        }
        Value::Array(items) => {
            for v in items {
                relocate_refs(v, wanted);
            }
        }
        _ => {}
    }
}
