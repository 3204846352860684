//! The OpenAPI 3.1 document of the hosted API, generated live from the
//! active operations and the stored schemas (OpenAPI 3.1 uses JSON Schema
//! 2020-12, so schemas go in as they are, with references by name rewritten
//! to `#/components/schemas/<name>`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sqlx::AnyPool;

use crate::contract::{ParamLocation, Parameter, SchemaRef};
use crate::path_template::parse_template;
use crate::store::{operations, schemas, scopes};

/// The security requirement of an operation (OpenAPI 3.1 §4.8.30): none
/// for a public one; for a private one, one alternative per scope (any
/// one suffices), or a token with any scope when it lists none.
fn security(public: bool, scopes: &[String]) -> Value {
    if public {
        json!([])
    } else if scopes.is_empty() {
        json!([{"oauth2": []}])
    } else {
        Value::Array(scopes.iter().map(|s| json!({"oauth2": [s]})).collect())
    }
}

/// Where `#/components/schemas/<name>` puts a stored schema.
const COMPONENTS: &str = "#/components/schemas/";

fn component_ref(reference: &str, current: Option<&str>) -> String {
    crate::schemas::relocate_ref(reference, current, COMPONENTS)
}

fn rewrite(schema: &Value, current: Option<&str>) -> Value {
    crate::schemas::relocate_refs(schema, current, COMPONENTS)
}

fn schema_of(reference: &SchemaRef) -> Value {
    match reference {
        SchemaRef::Named(name) => json!({ "$ref": component_ref(name, None) }),
        SchemaRef::Inline(schema) => rewrite(schema, None),
    }
}

/// RFC 9457 problem details as every platform error is shaped.
fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "Problem details (RFC 9457).",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "request_id": {"type": "string"},
            "fuel_used": {"type": "integer"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["pointer", "message"],
                    "properties": {"pointer": {"type": "string"}, "message": {"type": "string"}}
                }
            }
        }
    })
}

fn parameter(p: &Parameter) -> Value {
    let mut out = json!({
        "name": p.name,
        "in": match p.location { ParamLocation::Path => "path", ParamLocation::Query => "query" },
        "required": p.required || p.location == ParamLocation::Path,
        "schema": p.schema(),
    });
    if !p.description.is_empty() {
        out["description"] = json!(p.description);
    }
    out
}

/// The OpenAPI 3.1 document of every active operation; `cors_origins`
/// (`SLUICE_CORS_ORIGINS`) resolves the `x-cors` extension of each.
///
/// # Errors
/// On control-plane database failure.
pub async fn hosted(db: &AnyPool, cors_origins: &[String]) -> anyhow::Result<Value> {
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut tags = std::collections::BTreeSet::new();
    for op in operations::list(db).await? {
        if !op.active {
            continue;
        }
        let Ok(template) = parse_template(&op.path) else {
            continue;
        };
        let path = op
            .path
            .split('/')
            .map(
                |s| match s.strip_prefix(':').or_else(|| s.strip_prefix('*')) {
                    Some(name) => format!("{{{name}}}"),
                    None => s.to_string(),
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        let contract = &op.contract.0;
        let mut params: Vec<Value> = template
            .params
            .iter()
            .map(|name| {
                contract
                    .parameters
                    .iter()
                    .find(|p| p.location == ParamLocation::Path && &p.name == name)
                    .map_or_else(
                        || json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}),
                        parameter,
                    )
            })
            .collect();
        params.extend(
            contract
                .parameters
                .iter()
                .filter(|p| p.location == ParamLocation::Query)
                .map(parameter),
        );
        let mut responses = Map::new();
        for (status, schema) in &contract.outgoing {
            responses.insert(
                status.clone(),
                json!({"description": format!("{status} response"),
                       "content": {"application/json": {"schema": schema_of(schema)}}}),
            );
        }
        for (status, schema) in &contract.throws {
            responses.insert(
                status.clone(),
                json!({"description": format!("{status} error"),
                       "content": {"application/problem+json": {"schema": schema_of(schema)}}}),
            );
        }
        if contract.outgoing.is_empty() {
            // Nothing declared: the usual successes, with whatever body the
            // action gives (tools do not all honour the `2XX` range).
            for status in ["200", "201", "202", "204"] {
                responses.insert(
                    status.into(),
                    json!({"description": "The action's response (not documented)."}),
                );
            }
        }
        responses.insert(
            "default".into(),
            json!({"description": "A problem (RFC 9457): invalid input, a failing action, a limit reached …",
                   "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}),
        );
        tags.insert(op.action.clone());
        let mut operation = json!({
            "operationId": op.name,
            "tags": [op.action],
            "parameters": params,
            "responses": responses,
            "security": security(op.public, &op.scopes.0),
        });
        if !op.description.is_empty() {
            operation["description"] = json!(op.description);
            operation["summary"] = json!(op.description.lines().next().unwrap_or_default());
        }
        // OpenAPI has no CORS object; an extension (OpenAPI 3.1 section
        // 4.9) tells a client generator which origins may call it.
        if let Some(cors) =
            crate::gateway::cors::describe(op.cors.as_deref(), cors_origins, &op.method, op.public)
        {
            operation["x-cors"] = cors;
        }
        if matches!(op.stability.as_str(), "deprecated" | "legacy") {
            operation["deprecated"] = json!(true);
        }
        if let Some(incoming) = &contract.incoming {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": schema_of(incoming)}}
            });
        }
        let method = op.method.to_ascii_lowercase();
        paths.entry(path).or_default().insert(method, operation);
    }
    let mut components = Map::new();
    for row in schemas::list(db).await? {
        components.insert(row.name.clone(), rewrite(&row.schema.0, Some(&row.name)));
    }
    components.insert("Problem".into(), problem_schema());
    let scope_map: Map<String, Value> = scopes::list(db)
        .await?
        .into_iter()
        .map(|s| (s.name, json!(s.description)))
        .collect();
    Ok(json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Sluice hosted API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every operation deployed on this Sluice server, generated from its operations and schemas.",
        },
        "servers": [{"url": "/"}],
        "tags": tags.into_iter().map(|t| json!({"name": t, "description": format!("Operations of action {t}")})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "description": "Access tokens from POST /authorization/token (RFC 6749), sent as `Authorization: Bearer <token>` (RFC 6750).",
                    "flows": {
                        "clientCredentials": {"tokenUrl": "/authorization/token", "scopes": scope_map},
                        "password": {"tokenUrl": "/authorization/token", "refreshUrl": "/authorization/token", "scopes": scope_map}
                    }
                },
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
    }))
}
