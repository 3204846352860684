//! `/consumer/tokens`: personal access tokens
//! ([`crate::resources::tokens`]) — bearer tokens a consumer makes for
//! their own scripts, shown once, revocable one by one.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};

use crate::consumer::Consumer;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::tokens::{self as resource, NewToken, TokenView};
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(create))
        .route("/tokens/{id}", delete(remove))
}

/// `GET /consumer/tokens` → 200 with the live tokens (never their values).
pub async fn list(
    State(state): State<AppState>,
    consumer: Consumer,
) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(resource::list(&state.db, &consumer.user.id).await?))
}

/// `POST /consumer/tokens` → 201 with the token (shown this once); 400
/// with a pointer for a bad name, expiry or a scope not open to consumers;
/// 409 past 50 live tokens.
pub async fn create(
    State(state): State<AppState>,
    consumer: Consumer,
    Json(input): Json<NewToken>,
) -> ApiResult<Response> {
    let created = resource::create(&state.db, &state.tokens, &consumer.user, input).await?;
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

/// `DELETE /consumer/tokens/{id}` → 204: the token stops working at once.
/// 404 for a token that is not the consumer's or no longer live.
pub async fn remove(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    resource::revoke(&state.db, &state.tokens, &consumer.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
