//! `/admin/portal`: the portal's settings — who may sign up, the mailer,
//! branding and pages ([`crate::portal::settings`]).

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::error::ApiResult;
use crate::http::extract::Json;
use crate::portal::PortalSettings;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/portal", get(show).put(replace))
}

/// `GET /admin/portal` → 200 with the settings (defaults until set).
pub async fn show(State(state): State<AppState>) -> ApiResult<Json<PortalSettings>> {
    Ok(Json(crate::portal::settings::load(&state.db).await?))
}

/// `PUT /admin/portal` → 200 with the new settings; 400 with a pointer per
/// broken rule; 422 when the mailer is not an `smtp` connection.
pub async fn replace(
    State(state): State<AppState>,
    Json(new): Json<PortalSettings>,
) -> ApiResult<Json<PortalSettings>> {
    let mut conn = state.db.acquire().await?;
    crate::portal::settings::save(&mut conn, &new).await?;
    Ok(Json(new))
}
