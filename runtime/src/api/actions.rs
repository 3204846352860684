//! `/admin/actions`: upload, list, inspect, configure, delete and execute
//! actions. An action is a named, versioned component; each upload of new
//! bytes is a new version, identified by its SHA-256.

use crate::cluster::Change;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::bindings::types::{Context, InvocationKind};
use crate::body::read_limited;
use crate::builtins;
use crate::engine::Limits;
use crate::error::{ApiError, ApiResult, current_request_id};
use crate::gateway::invoke;
use crate::http::extract::{Json, Path, Query};
use crate::media;
use crate::resources;
use crate::resources::actions::{ActionPatch, LimitsPatch, Source, builtin_named, configure};
use crate::resources::{Effects, check_name};
use crate::state::AppState;
use crate::store::{
    actions, actions::ActionRow, actions::Upload, actions::VersionRow, connections, operations,
};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actions", get(actions_list).post(actions_create))
        .route(
            "/actions/{name}",
            get(actions_get)
                .put(actions_upload)
                .patch(actions_update)
                .delete(actions_delete),
        )
        .route("/actions/{name}/versions", get(actions_versions))
        .route(
            "/actions/{name}/versions/{version}",
            get(actions_version_get),
        )
        .route("/actions/{name}/execute", post(actions_execute))
}

/// An action as the API shows it.
#[derive(Debug, Serialize)]
pub struct ActionView {
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Limits per invocation.
    pub limits: Limits,
    /// JSON object handed to the guest as `context.config`.
    pub config: Value,
    /// The newest version (what unpinned operations run).
    pub latest_version: Option<VersionRow>,
    /// Operations that invoke this action.
    pub operations: Vec<String>,
    /// Connections the action is granted (the only ones it may open).
    pub connections: Vec<String>,
    /// The built-in it runs (`sql-table` …), or null for an uploaded
    /// component; `builtin:<name>` actions are the built-ins themselves.
    pub builtin: Option<String>,
    /// Whether the action is one of the read-only `builtin:` actions.
    pub read_only: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

async fn view(state: &AppState, row: ActionRow) -> ApiResult<ActionView> {
    Ok(ActionView {
        latest_version: actions::latest_version(&state.db, &row.name).await?,
        operations: operations::names_using(&state.db, &row.name).await?,
        connections: connections::granted_to(&state.db, &row.name).await?,
        limits: row.limits(),
        config: serde_json::from_str(&row.config).unwrap_or(Value::Null),
        read_only: builtins::is_builtin_name(&row.name),
        builtin: row.builtin,
        name: row.name,
        description: row.description,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn find(state: &AppState, name: &str) -> ApiResult<ActionRow> {
    actions::get(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no action named {name:?}")))
}

/// Query of `GET /admin/actions`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `true`: only the read-only `builtin:` actions; `false`: only the others.
    pub builtin: Option<bool>,
}

/// `GET /admin/actions[?builtin=true|false]` → 200 with every action.
pub async fn actions_list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<ActionView>>> {
    let mut out = Vec::new();
    for row in actions::list(&state.db).await? {
        if query
            .builtin
            .is_some_and(|b| b != builtins::is_builtin_name(&row.name))
        {
            continue;
        }
        out.push(view(&state, row).await?);
    }
    Ok(Json(out))
}

/// Body of `POST /admin/actions`: an action made from a built-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateFromBuiltin {
    /// The new action's name.
    pub name: String,
    /// The built-in it runs, with or without the `builtin:` prefix.
    pub builtin: String,
    /// Its config, checked against the built-in's config schema.
    #[serde(default = "empty_object")]
    pub config: Value,
    /// Connections it may open.
    #[serde(default)]
    pub connections: Vec<String>,
    /// Free text (default: the built-in's description).
    #[serde(default)]
    pub description: Option<String>,
    /// Limits; omitted members take the defaults.
    #[serde(default)]
    pub limits: Option<LimitsPatch>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// `POST /admin/actions` with [`CreateFromBuiltin`] → 201 with the action;
/// 400 for a config that fails the built-in's config schema (pointers
/// under `/config`), 409 when the name is taken, 422 for an unknown
/// built-in or connection.
pub async fn actions_create(
    State(state): State<AppState>,
    Json(body): Json<CreateFromBuiltin>,
) -> ApiResult<Response> {
    check_name("action", &body.name)?;
    let name = body.name.clone();
    let mut tx = crate::store::begin_write(&state.db).await?;
    if actions::get(&mut *tx, &name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "there is an action named {name:?} already"
        )));
    }
    let mut effects = Effects::default();
    create_from_builtin(&mut tx, &state, body, &mut effects).await?;
    tx.commit().await?;
    state.publish(effects).await?;
    let row = find(&state, &name).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/admin/actions/{name}"))],
        Json(view(&state, row).await?),
    )
        .into_response())
}

/// Creates the action `body.name` made from a built-in (checked against
/// its config schema and the tables it names), through `conn`; the caller
/// commits and publishes `effects`.
///
/// # Errors
/// As [`actions_create`].
pub async fn create_from_builtin(
    conn: &mut AnyConnection,
    state: &AppState,
    body: CreateFromBuiltin,
    effects: &mut Effects,
) -> ApiResult<()> {
    let builtin = builtin_named(&body.builtin)?;
    builtin.check_config(&body.config)?;
    crate::generators::check::builtin_config(state, builtin.name, &body.config, &body.connections)
        .await?;
    let patch = ActionPatch {
        description: Some(
            body.description
                .unwrap_or_else(|| builtin.description.to_string()),
        ),
        limits: body.limits,
        config: Some(body.config),
        connections: Some(body.connections),
    };
    resources::actions::put(
        conn,
        &body.name,
        Source::Builtin(builtin),
        patch,
        state.engine.settings(),
        effects,
    )
    .await
}

/// 403 for the read-only `builtin:` actions.
fn refuse_builtin(name: &str, what: &str) -> ApiResult<()> {
    if builtins::is_builtin_name(name) {
        return Err(ApiError::Forbidden(format!(
            "{name} is a built-in action and cannot be {what}; make an action from it with \
             POST /admin/actions {{\"name\": …, \"builtin\": \"{}\", \"config\": …}}",
            &name[builtins::PREFIX.len()..]
        )));
    }
    Ok(())
}

/// `GET /admin/actions/{name}` → 200, or 404.
pub async fn actions_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ActionView>> {
    let row = find(&state, &name).await?;
    Ok(Json(view(&state, row).await?))
}

/// What an upload answers.
#[derive(Debug, Serialize)]
pub struct UploadView {
    /// The action's name.
    pub action: String,
    /// Whether a new version was created (201) or the bytes equal the latest (200).
    pub created: bool,
    /// The version the bytes are stored as.
    #[serde(flatten)]
    pub version: VersionRow,
}

/// `PUT /admin/actions/{name}` with an `application/wasm` body, or
/// `multipart/form-data` with the component in a file field (`wasm` or
/// `file`, else the first field).
///
/// Answers 201 with the new version, 200 when the bytes equal the latest
/// version, 400 `invalid-component` when the bytes are not a component for
/// the world `sluice:action/action@0.1.0` (with the missing export or
/// unknown import), 413 over `max_upload_bytes`, 415 for other media types.
pub async fn actions_upload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    refuse_builtin(&name, "replaced")?;
    check_name("action", &name)?;
    if let Some(made) = actions::get(&state.db, &name)
        .await?
        .and_then(|r| r.builtin)
    {
        return Err(ApiError::Conflict(format!(
            "{name} is made from builtin:{made} and runs the component of this binary; \
             delete it to upload a component under that name"
        )));
    }
    let wasm = upload_bytes(&state, request).await?;
    let sha256 = hex::encode(Sha256::digest(&wasm));
    compile_into_cache(&state, &sha256, &wasm).await?;
    let defaults = state.engine.settings().default_limits;
    let mut conn = state.db.acquire().await?;
    let upload = actions::upload(&mut conn, &name, &sha256, &wasm, defaults)
        .await
        .map_err(|e| {
            if crate::store::is_unique_violation(&e) {
                ApiError::Conflict(format!(
                    "another upload of {name:?} happened at the same time; retry"
                ))
            } else {
                e.into()
            }
        })?;
    let (status, created, version) = match upload {
        Upload::Created(v) => (StatusCode::CREATED, true, v),
        Upload::Unchanged(v) => (StatusCode::OK, false, v),
    };
    drop((conn, wasm));
    state.engine.release_freed_memory().await;
    if created {
        state.changed(Change::Routes).await?;
        tracing::info!(action = %name, version = version.version, %sha256, "action version uploaded");
    }
    let location = format!("/admin/actions/{name}/versions/{}", version.version);
    Ok((
        status,
        [(header::LOCATION, location)],
        Json(UploadView {
            action: name,
            created,
            version,
        }),
    )
        .into_response())
}

/// Compiles `wasm` (whose SHA-256 is `sha256`) into the engine's cache, so
/// the first request does not wait for it.
///
/// # Errors
/// 400 `invalid-component` when the bytes are not a component for the
/// world `sluice:action/action@0.1.0` (with the missing export or unknown import).
pub async fn compile_into_cache(state: &AppState, sha256: &str, wasm: &[u8]) -> ApiResult<()> {
    let prepared = state
        .engine
        .prepare_async(wasm.to_vec())
        .await
        .map_err(|e| ApiError::Invalid {
            slug: "invalid-component",
            detail: e.to_string(),
        })?;
    state.engine.cache_insert(sha256, prepared).await;
    Ok(())
}

async fn upload_bytes(state: &AppState, request: Request) -> ApiResult<Bytes> {
    let limit = state.settings.max_upload_bytes;
    let refused = |why: String| {
        ApiError::UnsupportedMediaType(format!(
            "{why}: upload the component with Content-Type: application/wasm, or as \
             multipart/form-data with a file field named `wasm`"
        ))
    };
    let content_type = media::content_type(request.headers())
        .map_err(refused)?
        .ok_or_else(|| refused("the request has no Content-Type".into()))?;
    if media::is(&content_type, "application/wasm")
        || media::is(&content_type, "application/octet-stream")
    {
        let (parts, body) = request.into_parts();
        return read_limited(&parts.headers, body, limit).await;
    }
    if !media::is(&content_type, "multipart/form-data") {
        return Err(refused(format!(
            "{} is not a component upload",
            content_type.essence_str()
        )));
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut first = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(multipart_error(limit))?
    {
        let named = matches!(field.name(), Some("wasm" | "file"));
        let bytes = field.bytes().await.map_err(multipart_error(limit))?;
        if named {
            return Ok(bytes);
        }
        first.get_or_insert(bytes);
    }
    first.ok_or_else(|| {
        ApiError::BadRequest("the multipart body has no field with the component".into())
    })
}

fn multipart_error(limit: usize) -> impl Fn(axum::extract::multipart::MultipartError) -> ApiError {
    move |e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::BadRequest(format!("invalid multipart body: {}", e.body_text()))
        }
    }
}

/// `PATCH /admin/actions/{name}` with [`ActionPatch`] → 200 with the action;
/// 400 when a value is out of range, 404 for an unknown action.
pub async fn actions_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(patch): Json<ActionPatch>,
) -> ApiResult<Json<ActionView>> {
    refuse_builtin(&name, "changed")?;
    let mut row = find(&state, &name).await?;
    if let Some(made) = &row.builtin
        && (patch.config.is_some() || patch.connections.is_some())
    {
        let builtin = builtin_named(made)?;
        let config = match &patch.config {
            Some(config) => config.clone(),
            None => serde_json::from_str(&row.config).unwrap_or(Value::Null),
        };
        let granted = match &patch.connections {
            Some(granted) => granted.clone(),
            None => connections::granted_to(&state.db, &name).await?,
        };
        builtin.check_config(&config)?;
        crate::generators::check::builtin_config(&state, builtin.name, &config, &granted).await?;
    }
    let max_memory = state.engine.settings().max_memory_bytes;
    let mut effects = Effects::default();
    let mut tx = crate::store::begin_write(&state.db).await?;
    configure(&mut tx, &mut row, patch, max_memory, &mut effects).await?;
    tx.commit().await?;
    state.publish(effects).await?;
    let row = find(&state, &name).await?;
    Ok(Json(view(&state, row).await?))
}

/// `DELETE /admin/actions/{name}` → 204; 404 when unknown; 409 while an
/// operation still uses it (the operations are named).
pub async fn actions_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    refuse_builtin(&name, "deleted")?;
    find(&state, &name).await?;
    let users = operations::names_using(&state.db, &name).await?;
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!(
            "action {name:?} is used by operations {}; delete or repoint them first",
            users.join(", ")
        )));
    }
    actions::delete(&state.db, &name).await?;
    state.changed(Change::Routes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/actions/{name}/versions` → 200 with every version, oldest first.
pub async fn actions_versions(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<VersionRow>>> {
    find(&state, &name).await?;
    Ok(Json(actions::versions(&state.db, &name).await?))
}

/// `GET /admin/actions/{name}/versions/{version}` → 200, or 404.
pub async fn actions_version_get(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, i64)>,
) -> ApiResult<Json<VersionRow>> {
    actions::version(&state.db, &name, version)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("action {name:?} has no version {version}")))
}

/// Body of `POST /admin/actions/{name}/execute`: a test request.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecuteRequest {
    /// HTTP method (default `GET`).
    pub method: Option<String>,
    /// Request path (default `/`).
    pub path: Option<String>,
    /// Path parameters.
    pub params: std::collections::BTreeMap<String, String>,
    /// Query pairs.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body: a string is sent as its UTF-8 bytes, anything else as JSON.
    pub body: Option<Value>,
    /// Version to run (default the latest).
    pub version: Option<i64>,
}

/// What `execute` answers: what a consumer would have received.
#[derive(Debug, Serialize)]
pub struct ExecuteView {
    /// The version that ran.
    pub version: i64,
    /// HTTP status the consumer would get.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The body: text when UTF-8, else base64 (see `body_encoding`).
    pub body: String,
    /// `utf-8` or `base64`.
    pub body_encoding: &'static str,
    /// The body parsed, when it is JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// Fuel consumed.
    pub fuel_used: Option<u64>,
    /// Wall-clock ms of instantiate + call.
    pub duration_ms: Option<f64>,
    /// What the guest logged (`log.write`) and printed (stdout, stderr),
    /// oldest first; at most 500 records of at most 8 KiB each.
    pub logs: Vec<crate::host::log::GuestLog>,
    /// Records the guest wrote beyond the 500 kept.
    pub logs_dropped: usize,
}

/// `POST /admin/actions/{name}/execute` with an [`ExecuteRequest`] → 200
/// with an [`ExecuteView`]: the guest's response, or the problem+json a
/// consumer would get for its error, trap or limit breach. Runs with
/// invocation kind `execute`. 404 for an unknown action or version.
pub async fn actions_execute(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<ExecuteRequest>,
) -> ApiResult<Json<ExecuteView>> {
    let row = find(&state, &name).await?;
    let version = match input.version {
        Some(v) => actions::version(&state.db, &name, v).await?,
        None => actions::latest_version(&state.db, &name).await?,
    }
    .ok_or_else(|| ApiError::NotFound(format!("action {name:?} has no such version")))?;
    let body = match input.body {
        None => Vec::new(),
        Some(Value::String(s)) => s.into_bytes(),
        Some(other) => other.to_string().into_bytes(),
    };
    let request = crate::bindings::types::Request {
        method: input
            .method
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase(),
        path: input.path.unwrap_or_else(|| "/".into()),
        params: input.params.into_iter().collect(),
        query: input.query,
        headers: input
            .headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        body,
        context: Context {
            kind: InvocationKind::Execute,
            operation: String::new(),
            request_id: current_request_id().unwrap_or_default(),
            config: row.config.clone(),
            app: None,
            user: None,
            scopes: Vec::new(),
        },
    };
    let grants = connections::granted_to(&state.db, &name).await?.into();
    let capture = crate::host::log::LogCapture::default();
    let (response, fuel_used, duration_ms) = match invoke::run(
        &state,
        &std::sync::Arc::from(name.as_str()),
        version.sha256.as_str().into(),
        row.limits(),
        grants,
        request,
        invoke::GuestLog {
            capture: Some(capture.clone()),
            dropped: &mut crate::host::log::LogDropped::default(),
        },
    )
    .await
    {
        Ok((response, outcome)) => (
            response,
            Some(outcome.fuel_used),
            Some(outcome.duration.as_secs_f64() * 1000.0),
        ),
        Err(ApiError::Internal(e)) => return Err(ApiError::Internal(e)),
        Err(error) => {
            let fuel = error.problem().fuel_used;
            (error.into_response(), fuel, None)
        }
    };
    let (logs, logs_dropped) = capture.take();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let (body, body_encoding) = match std::str::from_utf8(&bytes) {
        Ok(text) => (text.to_string(), "utf-8"),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(&bytes),
            "base64",
        ),
    };
    Ok(Json(ExecuteView {
        version: version.version,
        status: parts.status.as_u16(),
        headers: invoke::header_pairs(&parts.headers),
        json: serde_json::from_slice(&bytes).ok(),
        body,
        body_encoding,
        fuel_used,
        duration_ms,
        logs,
        logs_dropped,
    }))
}
