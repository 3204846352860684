//! `/consumer/consents`: the apps a consumer let act for them on the
//! consent page ([`crate::resources::consents`]), and withdrawing one.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};

use crate::consumer::Consumer;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::consents::{self as resource, ConsentView};
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consents", get(list))
        .route("/consents/{client_id}", delete(withdraw))
}

/// `GET /consumer/consents` → 200 with the consents, newest first.
pub async fn list(
    State(state): State<AppState>,
    consumer: Consumer,
) -> ApiResult<Json<Vec<ConsentView>>> {
    Ok(Json(resource::list(&state.db, &consumer.user.id).await?))
}

/// `DELETE /consumer/consents/{client_id}` → 204: the consent goes and the
/// app's tokens for the consumer stop working at once; 404 when there is
/// none for that app.
pub async fn withdraw(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(client_id): Path<String>,
) -> ApiResult<StatusCode> {
    resource::withdraw(&state.db, &state.tokens, &consumer.user.id, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
