//! Operations: the hosted API's routes, each a method and path bound to an
//! action with its contract, scopes and CORS policy.

use crate::cluster::Change;
use crate::contract::{Contract, OutgoingValidation, Parameter, SchemaRef};
use crate::cors_policy::CorsPolicy;
use crate::error::{ApiError, ApiResult};
use crate::path_template::{self as routes, METHODS};
use crate::resources::{Effects, check_name};
use crate::store::Json as SqlJson;
use crate::store::operations::OperationRow;
use crate::store::{actions, operations};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Stabilities an operation may have (Fusio's set).
const STABILITIES: [&str; 4] = ["experimental", "stable", "deprecated", "legacy"];

/// Body of `POST /admin/operations` and `PUT /admin/operations/{name}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperationInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.
    pub method: String,
    /// Path template with `:param` segments, e.g. `/hello/:name`; not under
    /// `/admin`, `/system` or `/authorization`.
    pub path: String,
    /// The action to invoke.
    pub action: String,
    /// Pin a version of the action; `null` or absent runs the latest.
    #[serde(default)]
    pub action_version: Option<i64>,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// `experimental` (default), `stable`, `deprecated` or `legacy`.
    #[serde(default = "default_stability")]
    pub stability: String,
    /// Whether the gateway routes it (default true).
    #[serde(default = "crate::resources::default_true")]
    pub active: bool,
    /// Callable without a token (default false: a bearer token is needed).
    #[serde(default)]
    pub public: bool,
    /// Scopes (created with `POST /admin/scopes`) any one of which lets a
    /// token call it; empty: any valid token.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Path and query parameters: `[{"name", "in": "path"|"query", "type":
    /// "string"|"integer"|"number"|"boolean", "required", "description"}]`.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// The request body's schema: a schema name or an inline schema.
    #[serde(default)]
    pub incoming: Option<SchemaRef>,
    /// Response schemas by status code.
    #[serde(default)]
    pub outgoing: BTreeMap<String, SchemaRef>,
    /// Error schemas by status code.
    #[serde(default)]
    pub throws: BTreeMap<String, SchemaRef>,
    /// `off` (default), `log` or `enforce`.
    #[serde(default)]
    pub outgoing_validation: OutgoingValidation,
    /// Whether the action's answers carry `Content-Security-Policy:
    /// sandbox` (default true): a page built from a consumer's input then
    /// runs in an opaque origin and can reach neither the console's session
    /// nor anything else of this origin. `false` for an operation that
    /// serves a real web page (scripts, forms, same-origin requests).
    #[serde(default = "crate::resources::default_true")]
    pub sandbox: bool,
    /// The operation's CORS policy (`{"origins", "methods", "headers",
    /// "expose", "credentials", "max_age"}`); absent: `SLUICE_CORS_ORIGINS`.
    #[serde(default)]
    pub cors: Option<CorsPolicy>,
    /// Its exposure as an MCP tool (`{"enabled", "name", "description"}`);
    /// absent: the project's default (`SLUICE_MCP_TOOLS_BY_DEFAULT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<crate::tool::Exposure>,
}

fn default_stability() -> String {
    "experimental".into()
}

/// Validates `input` against what `conn` sees and stores it, replacing
/// `existing` if given; the route table is reloaded after commit
/// (`effects`).
///
/// # Errors
/// 400 for invalid fields, 409 when the name or method + path is taken,
/// 422 when the action, its pinned version, a schema or a scope is unknown.
pub async fn write(
    conn: &mut AnyConnection,
    input: OperationInput,
    existing: Option<OperationRow>,
    effects: &mut Effects,
) -> ApiResult<OperationRow> {
    check_name("operation", &input.name)?;
    let method = input.method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "method {:?} must be one of {}",
            input.method,
            METHODS.join(", ")
        )));
    }
    if !STABILITIES.contains(&input.stability.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "stability {:?} must be one of {}",
            input.stability,
            STABILITIES.join(", ")
        )));
    }
    let template = routes::parse_template(&input.path).map_err(ApiError::BadRequest)?;
    if let Some(cors) = &input.cors {
        cors.check(input.public).map_err(ApiError::BadRequest)?;
    }
    if actions::get(&mut *conn, &input.action).await?.is_none() {
        return Err(ApiError::Unprocessable(format!(
            "there is no action named {:?}; upload it first with PUT /admin/actions/{}",
            input.action, input.action
        )));
    }
    if let Some(v) = input.action_version
        && actions::version(&mut *conn, &input.action, v)
            .await?
            .is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "action {:?} has no version {v}",
            input.action
        )));
    }
    let contract = Contract {
        parameters: input.parameters,
        incoming: input.incoming,
        outgoing: input.outgoing,
        throws: input.throws,
        outgoing_validation: input.outgoing_validation,
    };
    contract
        .validate(&template.params)
        .map_err(ApiError::BadRequest)?;
    crate::resources::schemas::check_contract(&mut *conn, &contract).await?;
    let scopes = crate::resources::scopes::check_known(&mut *conn, input.scopes).await?;
    if let Some(mcp) = &input.mcp {
        if let Some(name) = &mcp.name {
            check_name("mcp.name", name)?;
        }
        if mcp
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 4096)
        {
            return Err(ApiError::BadRequest(
                "mcp.description: at most 4096 characters".into(),
            ));
        }
    }
    let route_key = routes::route_key(&method, &template);
    let others = operations::list(&mut *conn).await?;
    let old_name = existing.as_ref().map(|e| e.name.as_str());
    let tool = crate::tool::tool_name(&input.name, input.mcp.as_ref());
    for other in others.iter().filter(|o| Some(o.name.as_str()) != old_name) {
        if other.name == input.name {
            return Err(ApiError::Conflict(format!(
                "an operation named {:?} already exists",
                input.name
            )));
        }
        if crate::tool::tool_name(&other.name, other.mcp.as_ref().map(|m| &m.0)) == tool {
            return Err(ApiError::Conflict(format!(
                "operation {:?} already has the MCP tool name {tool:?}; give this one \
                 another mcp.name",
                other.name
            )));
        }
        if other.route_key == route_key {
            return Err(ApiError::Conflict(format!(
                "operation {:?} already serves {method} {}",
                other.name, other.path
            )));
        }
    }
    check_shapes(&others, old_name, &template).map_err(ApiError::Conflict)?;
    let now = crate::store::now();
    let row = OperationRow {
        name: input.name,
        method,
        path: input.path,
        route_key,
        action: input.action,
        action_version: input.action_version,
        description: input.description,
        stability: input.stability,
        active: input.active,
        public: input.public,
        sandbox: input.sandbox,
        scopes: SqlJson(scopes),
        contract: SqlJson(contract),
        cors: input.cors.map(SqlJson),
        mcp: input.mcp.map(SqlJson),
        created_at: existing
            .as_ref()
            .map_or_else(|| now.clone(), |e| e.created_at.clone()),
        updated_at: now,
    };
    operations::save(conn, &row, old_name).await.map_err(|e| {
        if crate::store::is_unique_violation(&e) {
            ApiError::Conflict("the name or method + path was taken meanwhile; retry".into())
        } else {
            e.into()
        }
    })?;
    effects.change(Change::Routes);
    Ok(row)
}

/// Checks that the new path's shape can sit in the router beside the others.
fn check_shapes(
    others: &[OperationRow],
    skip: Option<&str>,
    template: &routes::PathTemplate,
) -> Result<(), String> {
    let shapes: Vec<String> = others
        .iter()
        .filter(|o| Some(o.name.as_str()) != skip)
        .filter_map(|o| routes::parse_template(&o.path).ok().map(|t| t.shape))
        .collect();
    routes::check_shapes(
        shapes
            .iter()
            .map(String::as_str)
            .chain([template.shape.as_str()]),
    )
}

/// Deletes operation `name` through `conn`; false when there is none.
///
/// # Errors
/// On database failure.
pub async fn remove(
    conn: &mut AnyConnection,
    name: &str,
    effects: &mut Effects,
) -> ApiResult<bool> {
    let gone = operations::delete(&mut *conn, name).await?;
    effects.change(Change::Routes);
    Ok(gone)
}
