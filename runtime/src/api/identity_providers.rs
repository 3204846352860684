//! `/admin/identity-providers`: outside identity providers consumers or
//! administrators sign in with
//! ([`crate::resources::identity_providers`]). The client secret is
//! written, never read back.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::api::created;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::resources::identity_providers::{self as resource, ProviderInput, ProviderView};
use crate::resources::{found, taken};
use crate::state::AppState;
use crate::store::identity_providers::{self as store, ProviderRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/identity-providers",
            get(providers_list).post(providers_create),
        )
        .route(
            "/identity-providers/{name}",
            get(providers_get)
                .put(providers_update)
                .delete(providers_delete),
        )
}

async fn find(state: &AppState, name: &str) -> ApiResult<ProviderRow> {
    found(
        store::get(&state.db, name).await?,
        "identity provider",
        name,
    )
}

/// `GET /admin/identity-providers` → 200 with every provider (no secret).
pub async fn providers_list(State(state): State<AppState>) -> ApiResult<Json<Vec<ProviderView>>> {
    Ok(Json(
        store::list(&state.db)
            .await?
            .into_iter()
            .map(ProviderView::from)
            .collect(),
    ))
}

/// `GET /admin/identity-providers/{name}` → 200, or 404.
pub async fn providers_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ProviderView>> {
    Ok(Json(find(&state, &name).await?.into()))
}

/// `POST /admin/identity-providers` → 201; 400 naming a wrong field, 409
/// when the name is taken, 422 for an unknown role.
pub async fn providers_create(
    State(state): State<AppState>,
    Json(input): Json<ProviderInput>,
) -> ApiResult<Response> {
    if store::get(&state.db, &input.name).await?.is_some() {
        return Err(taken("an identity provider", &input.name));
    }
    let row = resource::check(&state.db, &state.secrets, input, None).await?;
    store::upsert(&state.db, &row).await?;
    Ok(created(
        format!("/admin/identity-providers/{}", row.name),
        ProviderView::from(row),
    ))
}

/// `PUT /admin/identity-providers/{name}` with the whole provider but its
/// name (the client secret may be left out to keep it) → 200; 404 when
/// unknown. A
/// new kind, issuer, user endpoint or id member forgets the identities
/// linked through it: they sign in again by verified email.
pub async fn providers_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<ProviderInput>,
) -> ApiResult<Json<ProviderView>> {
    let existing = find(&state, &name).await?;
    let input = ProviderInput {
        name: name.clone(),
        ..input
    };
    let row = resource::check(&state.db, &state.secrets, input, Some(&existing)).await?;
    // Only issuer and subject together name a user (OpenID Connect Core
    // §5.7): at another issuer or user endpoint, the old links could
    // name someone else.
    let elsewhere = (
        &row.kind,
        &row.issuer,
        &row.userinfo_endpoint,
        &row.subject_claim,
    ) != (
        &existing.kind,
        &existing.issuer,
        &existing.userinfo_endpoint,
        &existing.subject_claim,
    );
    let mut tx = state.db.begin().await?;
    store::upsert(&mut *tx, &row).await?;
    if elsewhere {
        store::unlink_all(&mut *tx, &name).await?;
    }
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// `DELETE /admin/identity-providers/{name}` → 204 (its links to accounts
/// go with it; the accounts stay); 404 when unknown.
pub async fn providers_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if store::delete(&state.db, &name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "there is no identity provider named {name:?}"
        )))
    }
}
