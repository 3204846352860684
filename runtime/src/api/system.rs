//! `/system`: health and build information, no authentication.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::api::extract::Json;
use crate::error::ApiResult;
use crate::startup::AppState;

/// `/system/*` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/system/health", get(system_health))
        .route("/system/about", get(system_about))
}

/// `GET /system/health` → 200 `{"status":"ok"}` when the control-plane
/// database answers; 500 problem+json otherwise.
pub async fn system_health(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    sqlx::query("SELECT 1").execute(&state.db).await?;
    Ok(Json(json!({ "status": "ok" })))
}

/// `GET /system/about` → name, version and the WIT world actions target.
pub async fn system_about() -> Json<Value> {
    Json(json!({
        "name": "sluice",
        "version": env!("CARGO_PKG_VERSION"),
        "world": "sluice:action/action@0.1.0",
    }))
}
