//! `/admin/prompts`: the prompts the MCP server offers
//! ([`crate::resources::prompts`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::prompts::{self as resource, PromptInput, PromptUpdate};
use crate::resources::{found, taken};
use crate::state::AppState;
use crate::store::prompts::{self, PromptRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/prompts", get(prompts_list).post(prompts_create))
        .route(
            "/prompts/{name}",
            get(prompts_get).put(prompts_update).delete(prompts_delete),
        )
}

async fn find(state: &AppState, name: &str) -> ApiResult<PromptRow> {
    found(prompts::get(&state.db, name).await?, "prompt", name)
}

/// `GET /admin/prompts` → 200 with every prompt, by name.
pub async fn prompts_list(State(state): State<AppState>) -> ApiResult<Json<Vec<PromptRow>>> {
    Ok(Json(prompts::list(&state.db).await?))
}

/// `GET /admin/prompts/{name}` → 200, or 404.
pub async fn prompts_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<PromptRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/prompts` → 201; 400 for a bad name, argument or template,
/// 409 when the name is taken.
pub async fn prompts_create(
    State(state): State<AppState>,
    Json(input): Json<PromptInput>,
) -> ApiResult<Response> {
    if prompts::get(&state.db, &input.name).await?.is_some() {
        return Err(taken("a prompt", &input.name));
    }
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, None).await?;
    Ok(created(format!("/admin/prompts/{}", row.name), row))
}

/// `PUT /admin/prompts/{name}` → 200; 404 when unknown, 400 as for a new one.
pub async fn prompts_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<PromptUpdate>,
) -> ApiResult<Json<PromptRow>> {
    let existing = find(&state, &name).await?;
    let input = PromptInput {
        name,
        description: input.description,
        arguments: input.arguments,
        template: input.template,
    };
    let mut conn = state.db.acquire().await?;
    Ok(Json(
        resource::write(&mut conn, input, Some(existing)).await?,
    ))
}

/// `DELETE /admin/prompts/{name}` → 204; 404 when unknown.
pub async fn prompts_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut conn = state.db.acquire().await?;
    resource::remove(&mut conn, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
