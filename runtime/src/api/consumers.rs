//! `/admin/consumers`: the people who signed up in the portal — find them,
//! approve them (registration mode `approval`), deactivate and reactivate
//! them, see their apps and usage.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::store::apps::AppRow;
use crate::store::consumers::{self, ConsumerRow, status};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consumers", get(list))
        .route("/consumers/{id}", get(show))
        .route("/consumers/{id}/approve", post(approve))
        .route("/consumers/{id}/activate", post(activate))
        .route("/consumers/{id}/deactivate", post(deactivate))
        .route("/consumers/{id}/usage", get(usage))
        .route("/consumers/{id}/consents", get(consents_list))
        .route(
            "/consumers/{id}/consents/{client_id}",
            axum::routing::delete(consents_withdraw),
        )
}

/// Query of `GET /admin/consumers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerQuery {
    /// Part of the name or address (any case).
    pub q: Option<String>,
    /// `unverified`, `awaiting_approval`, `active` or `deactivated`.
    pub status: Option<String>,
    /// At most this many (1–1,000, default 200).
    pub limit: Option<i64>,
}

/// A consumer in the list.
#[derive(Debug, Serialize)]
pub struct Listed {
    /// The consumer.
    #[serde(flatten)]
    pub consumer: ConsumerRow,
    /// How many apps they made.
    pub apps: i64,
}

/// One consumer with their apps.
#[derive(Debug, Serialize)]
pub struct Detail {
    /// The consumer.
    #[serde(flatten)]
    pub consumer: ConsumerRow,
    /// Their apps (admin-side names; secrets never shown).
    pub apps: Vec<ConsumerAppView>,
}

/// A consumer's app as the admin sees it.
#[derive(Debug, Serialize)]
pub struct ConsumerAppView {
    /// The app (its admin-side `name` is what the request log shows).
    #[serde(flatten)]
    pub app: AppRow,
    /// The name the consumer gave it.
    pub label: String,
}

const STATUSES: [&str; 4] = [
    status::UNVERIFIED,
    status::AWAITING_APPROVAL,
    status::ACTIVE,
    status::DEACTIVATED,
];

/// `GET /admin/consumers?q=&status=&limit=` → 200, newest first.
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ConsumerQuery>,
) -> ApiResult<Json<Vec<Listed>>> {
    if let Some(s) = &query.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::BadRequest(format!(
            "status must be one of {}",
            STATUSES.join(", ")
        )));
    }
    let limit = query.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit is 1 to 1000".into()));
    }
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let rows = consumers::search(&state.db, q, query.status.as_deref(), limit).await?;
    let mut listed = Vec::with_capacity(rows.len());
    for consumer in rows {
        let apps = consumers::app_count(&state.db, &consumer.id).await?;
        listed.push(Listed { consumer, apps });
    }
    Ok(Json(listed))
}

async fn find(state: &AppState, id: &str) -> ApiResult<ConsumerRow> {
    consumers::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no consumer with id {id:?}")))
}

async fn detail(state: &AppState, id: &str) -> ApiResult<Detail> {
    let consumer = find(state, id).await?;
    let apps = crate::store::apps::owned_by(&state.db, id)
        .await?
        .into_iter()
        .map(|app| ConsumerAppView {
            label: app.label.clone(),
            app,
        })
        .collect();
    Ok(Detail { consumer, apps })
}

/// `GET /admin/consumers/{id}` → 200 with the consumer and their apps; 404.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Detail>> {
    Ok(Json(detail(&state, &id).await?))
}

/// The consumer called `id`, or 404.
async fn known(state: &AppState, id: &str) -> ApiResult<ConsumerRow> {
    consumers::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no consumer with id {id:?}")))
}

/// `GET /admin/consumers/{id}/consents` → 200 with the apps the consumer
/// let act for them on the consent page, newest first; 404.
pub async fn consents_list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<crate::resources::consents::ConsentView>>> {
    known(&state, &id).await?;
    Ok(Json(
        crate::resources::consents::list(&state.db, &id).await?,
    ))
}

/// `DELETE /admin/consumers/{id}/consents/{client_id}` → 204: the consent
/// goes and the app's tokens for the consumer stop working at once; 404
/// for an unknown consumer or no such consent.
pub async fn consents_withdraw(
    State(state): State<AppState>,
    Path((id, client_id)): Path<(String, String)>,
) -> ApiResult<axum::http::StatusCode> {
    known(&state, &id).await?;
    crate::resources::consents::withdraw(&state.db, &state.tokens, &id, &client_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `POST /admin/consumers/{id}/approve` → 200: an account awaiting approval
/// becomes active; 409 for an account in another state.
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Detail>> {
    let consumer = find(&state, &id).await?;
    if consumer.status != status::AWAITING_APPROVAL {
        return Err(ApiError::Conflict(format!(
            "the consumer is {}, not awaiting approval",
            consumer.status
        )));
    }
    consumers::set_status(&state.db, &id, status::ACTIVE, false).await?;
    Ok(Json(detail(&state, &id).await?))
}

/// `POST /admin/consumers/{id}/activate` → 200: a deactivated account works
/// again (an unconfirmed address stays unconfirmed: 409).
pub async fn activate(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Detail>> {
    let consumer = find(&state, &id).await?;
    if consumer.status == status::UNVERIFIED {
        return Err(ApiError::Conflict(
            "the consumer has not confirmed their address yet".into(),
        ));
    }
    consumers::set_status(&state.db, &id, status::ACTIVE, false).await?;
    Ok(Json(detail(&state, &id).await?))
}

/// `POST /admin/consumers/{id}/deactivate` → 200: the consumer and their
/// apps get no more tokens, and every token they hold is revoked.
pub async fn deactivate(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Detail>> {
    find(&state, &id).await?;
    let mut effects = crate::resources::Effects::default();
    let mut tx = crate::store::begin_write(&state.db).await?;
    crate::resources::consumers::deactivate(&mut tx, &id, &mut effects).await?;
    tx.commit().await?;
    state.publish(effects).await?;
    Ok(Json(detail(&state, &id).await?))
}

/// `GET /admin/consumers/{id}/usage?from=&to=&app=` → 200 with the
/// consumer's usage, as they see it at `GET /consumer/usage`; 404.
pub async fn usage(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<crate::portal::usage::UsageQuery>,
) -> ApiResult<Json<crate::portal::usage::Usage>> {
    find(&state, &id).await?;
    Ok(Json(
        crate::portal::usage::report(&state.db, &id, &query).await?,
    ))
}
