//! `/admin/connections`: named links to backends. Configs are sealed at rest
//! and secrets are write-only: no response ever contains a password
//! ([`crate::resources::connections`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::created;
use crate::connections::{ConnectionConfig, redacted};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::resources::connections::{self as resource, ConnectionInput};
use crate::resources::{Effects, check_name, found};
use crate::state::AppState;
use crate::store::connections::{self, ConnectionRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/connections",
            get(connections_list).post(connections_create),
        )
        .route(
            "/connections/{name}",
            get(connections_get)
                .patch(connections_update)
                .delete(connections_delete),
        )
        .route("/connections/{name}/test", post(connections_test))
        .route(
            "/connections/{name}/authorize",
            get(super::oauth2::connections_authorize),
        )
}

/// What `POST /admin/connections/{name}/test` found.
#[derive(Debug, Serialize)]
pub struct TestOutcome {
    /// Whether the backend answered: `SELECT 1`, an HTTP `HEAD` of the
    /// base URL, an SMTP `NOOP`, a Redis `PING`.
    pub ok: bool,
    /// The backend's message when it could not be reached or refused.
    pub error: Option<String>,
    /// How long the test took, ms.
    pub duration_ms: f64,
}

/// `POST /admin/connections/{name}/test` → 200 with a [`TestOutcome`]
/// (a failing backend is a result, not an error); 404 when unknown.
pub async fn connections_test(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<TestOutcome>> {
    let row = find(&state, &name).await?;
    let config = resource::open_config(&state.secrets, &row)?;
    let started = std::time::Instant::now();
    let result = config.test(state.registry.data_dir()).await;
    Ok(Json(TestOutcome {
        ok: result.is_ok(),
        error: result.err(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    }))
}

/// A connection as the API shows it.
#[derive(Debug, Serialize)]
pub struct ConnectionView {
    /// Unique name.
    pub name: String,
    /// Class: `sql`.
    pub class: String,
    /// The config without secrets, with `password_set`.
    pub config: Value,
    /// Actions granted this connection.
    pub granted_to: Vec<String>,
    /// For an `http` connection with an OAuth2 grant: whether it is
    /// authorized and until when (never the tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<crate::connections::oauth2::Authorization>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// Query of create and update.
#[derive(Debug, Default, Deserialize)]
pub struct TestQuery {
    /// `true` stores the connection without trying it first.
    #[serde(default)]
    pub skip_test: bool,
}

async fn view(state: &AppState, row: ConnectionRow) -> ApiResult<ConnectionView> {
    let config = resource::open_config(&state.secrets, &row)?;
    let authorization = match &config {
        ConnectionConfig::Http(http) if http.auth.is_oauth2() => {
            Some(state.registry.oauth2().authorization(&row.name).await?)
        }
        _ => None,
    };
    Ok(ConnectionView {
        authorization,
        granted_to: connections::grantees(&state.db, &row.name).await?,
        config: redacted(&config),
        name: row.name,
        class: row.class,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn find(state: &AppState, name: &str) -> ApiResult<ConnectionRow> {
    found(connections::get(&state.db, name).await?, "connection", name)
}

/// `GET /admin/connections` → 200 with every connection (secrets removed).
pub async fn connections_list(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<ConnectionView>>> {
    let mut out = Vec::new();
    for row in connections::list(&state.db).await? {
        out.push(view(&state, row).await?);
    }
    Ok(Json(out))
}

/// `GET /admin/connections/{name}` → 200, or 404.
pub async fn connections_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ConnectionView>> {
    let row = find(&state, &name).await?;
    Ok(Json(view(&state, row).await?))
}

/// `POST /admin/connections[?skip_test=true]` with a [`ConnectionInput`] →
/// 201; 400 for invalid config, 409 for a taken name, 422 when the test
/// connection fails (nothing is stored then).
pub async fn connections_create(
    State(state): State<AppState>,
    Query(query): Query<TestQuery>,
    Json(input): Json<ConnectionInput>,
) -> ApiResult<Response> {
    check_name("connection", &input.name)?;
    resource::check(state.registry.data_dir(), &input.config, query.skip_test).await?;
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::write(
        &mut conn,
        &state.secrets,
        &input.name,
        &input.config,
        None,
        &mut effects,
    )
    .await?;
    drop(conn);
    state.publish(effects).await?;
    let location = format!("/admin/connections/{}", row.name);
    Ok(created(location, view(&state, row).await?))
}

/// `PATCH /admin/connections/{name}[?skip_test=true]` with a JSON merge
/// patch (RFC 7396) of `{"class", "config"}` → 200. Secrets left out are
/// kept, unless the patch changes where they are sent (host, port, URL,
/// token endpoint, a weaker TLS mode, the trusted CA): then 422 naming the
/// secret to restate, and nothing changes. Moving an OAuth2 connection
/// forgets its tokens. The pool is reopened with the new config on next
/// use.
pub async fn connections_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<TestQuery>,
    Json(patch): Json<Value>,
) -> ApiResult<Json<ConnectionView>> {
    let row = find(&state, &name).await?;
    let old = resource::open_config(&state.secrets, &row)?;
    let mut merged = old.patch_base();
    json_patch::merge(&mut merged, &patch);
    let mut config: ConnectionConfig = serde_json::from_value(merged)
        .map_err(|e| ApiError::BadRequest(format!("invalid patch: {e}")))?;
    config
        .keep_secrets_from(&old)
        .map_err(ApiError::Unprocessable)?;
    resource::check(state.registry.data_dir(), &config, query.skip_test).await?;
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    resource::write(
        &mut conn,
        &state.secrets,
        &name,
        &config,
        Some(row),
        &mut effects,
    )
    .await?;
    // OAuth2 tokens were granted for the old API and token endpoint, and
    // cannot be restated: the connection is authorized anew.
    if let (ConnectionConfig::Http(new), ConnectionConfig::Http(old)) = (&config, &old)
        && old.auth.is_oauth2()
        && new.moved_from(old).is_some()
    {
        crate::store::oauth2::forget(&mut conn, &name).await?;
    }
    drop(conn);
    state.publish(effects).await?;
    let row = find(&state, &name).await?;
    Ok(Json(view(&state, row).await?))
}

/// `DELETE /admin/connections/{name}` → 204; 404 when unknown; 409 while an
/// action is granted it. Its pool is closed.
pub async fn connections_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    find(&state, &name).await?;
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    resource::remove(&mut conn, &name, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(StatusCode::NO_CONTENT)
}
