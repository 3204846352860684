//! `/admin/operations`: map `METHOD /path/:param` to an action.

use crate::cluster::Change;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::BTreeMap;

use crate::store::Json as SqlJson;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;

use crate::api::check_name;
use crate::http::extract::{Json, Path};
use crate::contract::{Contract, OutgoingValidation, Parameter, SchemaRef};
use crate::error::{ApiError, ApiResult};
use crate::gateway::cors::CorsPolicy;
use crate::gateway::routes::{self, METHODS};
use crate::state::AppState;
use crate::store::operations::OperationRow;
use crate::store::{actions, operations};

/// Stabilities an operation may have (Fusio's set).
const STABILITIES: [&str; 4] = ["experimental", "stable", "deprecated", "legacy"];

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operations", get(operations_list).post(operations_create))
        .route(
            "/operations/{name}",
            get(operations_get)
                .put(operations_replace)
                .patch(operations_update)
                .delete(operations_delete),
        )
}

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
    #[serde(default = "crate::api::default_true")]
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
    #[serde(default = "crate::api::default_true")]
    pub sandbox: bool,
    /// The operation's CORS policy (`{"origins", "methods", "headers",
    /// "expose", "credentials", "max_age"}`); absent: `SLUICE_CORS_ORIGINS`.
    #[serde(default)]
    pub cors: Option<CorsPolicy>,
}

fn default_stability() -> String {
    "experimental".into()
}

async fn find(state: &AppState, name: &str) -> ApiResult<OperationRow> {
    operations::get(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no operation named {name:?}")))
}

/// `GET /admin/operations` → 200 with every operation.
pub async fn operations_list(State(state): State<AppState>) -> ApiResult<Json<Vec<OperationRow>>> {
    Ok(Json(operations::list(&state.db).await?))
}

/// `GET /admin/operations/{name}` → 200, or 404.
pub async fn operations_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<OperationRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/operations` → 201 with the operation and its `Location`;
/// 400 for invalid fields, 409 when the name or method + path is taken,
/// 422 when the action (or pinned version) does not exist.
pub async fn operations_create(
    State(state): State<AppState>,
    Json(input): Json<OperationInput>,
) -> ApiResult<Response> {
    let row = save(&state, input, None).await?;
    let location = format!("/admin/operations/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(row),
    )
        .into_response())
}

/// `PUT /admin/operations/{name}` with a full [`OperationInput`] → 200;
/// 404 when unknown; otherwise as create.
pub async fn operations_replace(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<OperationInput>,
) -> ApiResult<Json<OperationRow>> {
    let existing = find(&state, &name).await?;
    Ok(Json(save(&state, input, Some(existing)).await?))
}

/// `PATCH /admin/operations/{name}` with a JSON merge patch (RFC 7396) of
/// [`OperationInput`] → 200; errors as create.
pub async fn operations_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<Value>,
) -> ApiResult<Json<OperationRow>> {
    let existing = find(&state, &name).await?;
    if !patch.is_object() {
        return Err(ApiError::BadRequest(
            "the patch must be a JSON object".into(),
        ));
    }
    let mut merged = serde_json::to_value(&existing).map_err(anyhow::Error::from)?;
    if let Some(fields) = merged.as_object_mut() {
        fields.remove("created_at");
        fields.remove("updated_at");
    }
    json_patch::merge(&mut merged, &patch);
    let input: OperationInput = serde_json::from_value(merged)
        .map_err(|e| ApiError::BadRequest(format!("invalid patch: {e}")))?;
    Ok(Json(save(&state, input, Some(existing)).await?))
}

/// `DELETE /admin/operations/{name}` → 204, or 404.
pub async fn operations_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if !operations::delete(&state.db, &name).await? {
        return Err(ApiError::NotFound(format!(
            "there is no operation named {name:?}"
        )));
    }
    state.changed(Change::Routes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Validates and stores `input` in one transaction, then reloads the route table.
async fn save(
    state: &AppState,
    input: OperationInput,
    existing: Option<OperationRow>,
) -> ApiResult<OperationRow> {
    let mut tx = crate::store::begin_write(&state.db).await?;
    let row = write(&mut tx, input, existing).await?;
    tx.commit().await?;
    state.changed(Change::Routes).await?;
    Ok(row)
}

/// Validates `input` against what `conn` sees and stores it, replacing
/// `existing` if given; the caller reloads the route table after commit.
///
/// # Errors
/// 400 for invalid fields, 409 when the name or method + path is taken,
/// 422 when the action, its pinned version, a schema or a scope is unknown.
pub async fn write(
    conn: &mut AnyConnection,
    input: OperationInput,
    existing: Option<OperationRow>,
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
    crate::api::schemas::check_contract(&mut *conn, &contract).await?;
    let scopes = crate::api::scopes::check_known(&mut *conn, input.scopes).await?;
    let route_key = routes::route_key(&method, &template);
    let others = operations::list(&mut *conn).await?;
    let old_name = existing.as_ref().map(|e| e.name.as_str());
    for other in others.iter().filter(|o| Some(o.name.as_str()) != old_name) {
        if other.name == input.name {
            return Err(ApiError::Conflict(format!(
                "an operation named {:?} already exists",
                input.name
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
