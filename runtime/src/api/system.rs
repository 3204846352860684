//! `/system`: health, readiness and build information without
//! authentication; the metrics to a token with the `metrics` or `admin`
//! scope.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{Value, json};

use crate::documents;
use crate::error::{ApiError, ApiResult};
use crate::gateway::surfaces::ConsoleSide;
use crate::http::extract::Json;
use crate::state::AppState;

/// `/system/*` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/system/health", get(system_health))
        .route("/system/ready", get(system_ready))
        .route("/system/about", get(system_about))
        .route("/system/openapi.json", get(system_openapi_json))
        .route("/system/openapi.yaml", get(system_openapi_yaml))
        .route("/system/admin-openapi.json", get(system_admin_openapi_json))
        .route("/system/admin-openapi.yaml", get(system_admin_openapi_yaml))
        .route("/system/deploy-schema.json", get(system_deploy_schema))
        .route(
            "/system/consumer-openapi.json",
            get(system_consumer_openapi_json),
        )
        .route("/system/metrics", get(system_metrics))
}

/// `GET /system/metrics` → the node's metrics in the Prometheus text
/// format (`text/plain; version=0.0.4`), for a scraper whose bearer token
/// holds the `metrics` or `admin` scope (a scrape config's
/// `authorization`). The outbox figures are sampled at the scrape.
///
/// # Errors
/// 401 without a valid token, 403 without either scope.
pub async fn system_metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    crate::api::auth::require_scope(
        &state,
        &headers,
        &[
            crate::store::scopes::METRICS_SCOPE,
            crate::store::scopes::ADMIN_SCOPE,
        ],
        "/system/metrics",
    )?;
    if !state.metrics.enabled() {
        return Err(ApiError::NotFound(
            "metrics are off on this node (SLUICE_METRICS=false)".into(),
        ));
    }
    crate::worker::sample_backlog(&state).await;
    let text = state.metrics.render()?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// `GET /system/admin-openapi.json` → the admin API's OpenAPI 3.1 document.
pub async fn system_admin_openapi_json() -> ApiResult<Json<Value>> {
    Ok(Json(documents::admin()?.clone()))
}

/// `GET /system/consumer-openapi.json` → the consumer API's OpenAPI 3.1
/// document (`runtime/openapi/consumer.yaml`).
pub async fn system_consumer_openapi_json() -> ApiResult<Json<Value>> {
    Ok(Json(documents::consumer()?.clone()))
}

/// `GET /system/deploy-schema.json` → the JSON Schema (2020-12) of a deploy
/// file, made from the admin API's request bodies (see
/// [`crate::deploy::schema`]); editors use it to complete and check
/// `sluice.yaml`.
pub async fn system_deploy_schema() -> ApiResult<Json<Value>> {
    Ok(Json(crate::deploy::schema::deploy_schema()?.clone()))
}

/// `GET /system/admin-openapi.yaml` → the same document as YAML.
pub async fn system_admin_openapi_yaml() -> Response {
    (
        [(header::CONTENT_TYPE, "application/yaml")],
        documents::ADMIN_YAML,
    )
        .into_response()
}

/// `GET /system/openapi.json` → the hosted API's OpenAPI 3.1 document,
/// generated from the active operations at this moment.
pub async fn system_openapi_json(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(
        crate::openapi::hosted(&state.db, &state.settings.cors_origins).await?,
    ))
}

/// `GET /system/openapi.yaml` → the same document as YAML (`application/yaml`, RFC 9512).
pub async fn system_openapi_yaml(State(state): State<AppState>) -> ApiResult<Response> {
    let document = crate::openapi::hosted(&state.db, &state.settings.cors_origins).await?;
    let text = serde_norway::to_string(&document).map_err(anyhow::Error::from)?;
    Ok(([(header::CONTENT_TYPE, "application/yaml")], text).into_response())
}

/// `GET /system/ready` → 200 `{"status":"ready"}` while the node takes
/// traffic and its control plane answers; 503 problem+json while it starts
/// or drains after SIGTERM (the load balancer's readiness probe;
/// `/system/health` stays the liveness probe).
pub async fn system_ready(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    if !state.lifecycle.is_ready() {
        return Err(ApiError::Custom {
            status: StatusCode::SERVICE_UNAVAILABLE,
            slug: "not-ready",
            title: "Not ready",
            detail: "this node is starting or draining; send requests to another node".into(),
            fuel_used: None,
        });
    }
    sqlx::query("SELECT 1").execute(&state.db).await?;
    Ok(Json(json!({ "status": "ready" })))
}

/// `GET /system/health` → 200 `{"status":"ok"}` when the control-plane
/// database answers; 500 problem+json otherwise.
pub async fn system_health(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    sqlx::query("SELECT 1").execute(&state.db).await?;
    Ok(Json(json!({ "status": "ok" })))
}

/// `GET /system/about` → name, version and the WIT world actions target;
/// on a separate admin listener (`SLUICE_ADMIN_LISTEN`) also `api_origin`,
/// the origin where this browser reaches hosted operations (the console's
/// "Try it" sends its requests there; see [`crate::gateway::surfaces`]).
pub async fn system_about(
    console: Option<Extension<ConsoleSide>>,
    headers: HeaderMap,
) -> Json<Value> {
    let mut about = json!({
        "name": "sluice",
        "version": env!("CARGO_PKG_VERSION"),
        "world": "sluice:action/action@0.1.0",
    });
    if let Some(origin) = console.and_then(|Extension(side)| side.0.api_origin(&headers)) {
        about["api_origin"] = json!(origin);
    }
    Json(about)
}
