//! `/consumer/apps`: OAuth2 clients (RFC 6749 §2) a consumer makes for
//! themself. Each may obtain only scopes the admin opened to consumers; its
//! client secret is shown once, at creation and at rotation. Another
//! consumer's app is a 404, as if it did not exist.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::consumer::Consumer;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::resources::Effects;
use crate::resources::apps;
use crate::resources::apps::owned::{self as resource, NewApp, OwnedAppPatch};
use crate::state::AppState;
use crate::store::apps::{self as store, AppRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps", get(list).post(create))
        .route("/apps/{id}", get(show).patch(update).delete(remove))
        .route("/apps/{id}/secret", post(rotate_secret))
}

/// An app as its consumer sees it.
#[derive(Debug, Serialize)]
pub struct ConsumerApp {
    /// UUID v7; the `{id}` of its routes.
    pub id: String,
    /// The name the consumer gave it.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The public client identifier, `app_<32 hex>`.
    pub client_id: String,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Scopes it may obtain.
    pub scopes: Vec<String>,
    /// Inactive apps (an admin stopped them) get no tokens.
    pub active: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<AppRow> for ConsumerApp {
    fn from(row: AppRow) -> Self {
        Self {
            id: row.id,
            name: row.label,
            description: row.description,
            client_id: row.client_id,
            redirect_uris: row.redirect_uris.0,
            scopes: row.scopes.0,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// An app with its client secret, shown this once.
#[derive(Debug, Serialize)]
pub struct WithSecret {
    /// The app.
    #[serde(flatten)]
    pub app: ConsumerApp,
    /// The client secret (RFC 6749 §2.3.1), `cs_<64 hex>`.
    pub client_secret: String,
}

/// The consumer's app `id`; 404 for anyone else's (or none).
async fn owned(state: &AppState, consumer: &Consumer, id: &str) -> ApiResult<AppRow> {
    let mut conn = state.db.acquire().await?;
    resource::owned(&mut conn, &consumer.user.id, id).await
}

/// `GET /consumer/apps` → 200 with the consumer's apps, newest first.
pub async fn list(
    State(state): State<AppState>,
    consumer: Consumer,
) -> ApiResult<Json<Vec<ConsumerApp>>> {
    let rows = store::owned_by(&state.db, &consumer.user.id).await?;
    Ok(Json(rows.into_iter().map(ConsumerApp::from).collect()))
}

/// `GET /consumer/apps/{id}` → 200, or 404.
pub async fn show(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<Json<ConsumerApp>> {
    Ok(Json(owned(&state, &consumer, &id).await?.into()))
}

/// `POST /consumer/apps` → 201 with `client_id` and `client_secret` (shown
/// this once); 400 with pointers for bad fields and scopes not open to
/// consumers; 409 past the portal's `max_apps_per_consumer`.
pub async fn create(
    State(state): State<AppState>,
    consumer: Consumer,
    Json(input): Json<NewApp>,
) -> ApiResult<Response> {
    let limit = crate::portal::settings::load(&state.db)
        .await?
        .max_apps_per_consumer;
    let created = resource::create(&state.db, &consumer.user.id, input, limit).await?;
    let location = format!("/consumer/apps/{}", created.app.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(WithSecret {
            app: created.app.into(),
            client_secret: created.client_secret,
        }),
    )
        .into_response())
}

/// `PATCH /consumer/apps/{id}` → 200; fewer scopes revoke the app's
/// tokens. 404 for another consumer's app.
pub async fn update(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
    Json(patch): Json<OwnedAppPatch>,
) -> ApiResult<Json<ConsumerApp>> {
    let existing = owned(&state, &consumer, &id).await?;
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::update(&mut conn, existing, patch, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(Json(row.into()))
}

/// `POST /consumer/apps/{id}/secret` → 200 with a new `client_secret`
/// (shown this once); the old one stops working at once.
pub async fn rotate_secret(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<Json<WithSecret>> {
    let row = owned(&state, &consumer, &id).await?;
    let mut conn = state.db.acquire().await?;
    let rotated = apps::rotate_secret(&mut conn, row).await?;
    Ok(Json(WithSecret {
        app: rotated.app.into(),
        client_secret: rotated.client_secret,
    }))
}

/// `DELETE /consumer/apps/{id}` → 204 and the app's tokens revoked.
pub async fn remove(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let row = owned(&state, &consumer, &id).await?;
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    apps::remove(&mut conn, &row, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(StatusCode::NO_CONTENT)
}
