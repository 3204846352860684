//! `/admin/components/{sha256}`: content-addressed component uploads. A
//! deploy names actions by the SHA-256 of their component; the CLI asks
//! which ones the server lacks and uploads only those. Uploading the same
//! bytes twice is a no-op.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::body::read_limited;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::state::AppState;
use crate::store::actions;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/components/{sha256}",
        get(components_get)
            .head(components_head)
            .put(components_upload),
    )
}

/// What the routes answer about a component.
#[derive(Debug, Serialize)]
pub struct ComponentView {
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Whether this request stored the bytes (false: they were there).
    pub created: bool,
}

fn check_sha(sha256: &str) -> ApiResult<String> {
    let lower = sha256.to_ascii_lowercase();
    if lower.len() == 64 && lower.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(lower)
    } else {
        Err(ApiError::BadRequest(format!(
            "{sha256:?} is not a SHA-256: 64 hexadecimal characters"
        )))
    }
}

/// `GET /admin/components/{sha256}` → 200 with the bytes
/// (`application/wasm`) when the server holds them, staged or as an action
/// version; 404 when not. `HEAD` answers the same without the body.
pub async fn components_get(
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> ApiResult<Response> {
    let sha256 = check_sha(&sha256)?;
    let mut conn = state.db.acquire().await?;
    match actions::component_bytes(&mut conn, &sha256).await? {
        Some(bytes) => Ok(([(header::CONTENT_TYPE, "application/wasm")], bytes).into_response()),
        None => Err(ApiError::NotFound(format!(
            "no component with SHA-256 {sha256}; PUT its bytes here"
        ))),
    }
}

/// `HEAD /admin/components/{sha256}` → 200 when the server holds these
/// bytes, 404 when not; what the CLI asks before uploading.
pub async fn components_head(
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> ApiResult<StatusCode> {
    let sha256 = check_sha(&sha256)?;
    if actions::has_component(&state.db, &sha256).await? {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::NotFound(format!(
            "no component with SHA-256 {sha256}"
        )))
    }
}

/// `PUT /admin/components/{sha256}` with an `application/wasm` body → 201
/// when stored, 200 when already held; 400 `sha256-mismatch` when the bytes
/// hash differently, 400 `invalid-component` when they are not a component
/// of the world `sluice:action/action`, 413 over `max_upload_bytes`. The
/// component is compiled now, so the first request does not wait for it.
pub async fn components_upload(
    State(state): State<AppState>,
    Path(sha256): Path<String>,
    request: Request,
) -> ApiResult<(StatusCode, Json<ComponentView>)> {
    let sha256 = check_sha(&sha256)?;
    let (parts, body) = request.into_parts();
    let wasm = read_limited(&parts.headers, body, state.settings.max_upload_bytes).await?;
    let actual = hex::encode(Sha256::digest(&wasm));
    if actual != sha256 {
        return Err(ApiError::Invalid {
            slug: "sha256-mismatch",
            detail: format!("the body's SHA-256 is {actual}, not {sha256}"),
        });
    }
    if actions::has_component(&state.db, &sha256).await? {
        return Ok((
            StatusCode::OK,
            Json(ComponentView {
                sha256,
                created: false,
            }),
        ));
    }
    crate::api::actions::compile_into_cache(&state, &sha256, &wasm).await?;
    actions::stage_component(&state.db, &sha256, &wasm).await?;
    drop(wasm);
    state.engine.release_freed_memory().await;
    Ok((
        StatusCode::CREATED,
        Json(ComponentView {
            sha256,
            created: true,
        }),
    ))
}
