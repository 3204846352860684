//! `/admin/cronjobs`: run an action on a schedule (cron expression in UTC,
//! optional seconds field); `GET …/runs` shows the history and
//! `POST …/run` runs one now.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;

use crate::api::created;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::resources::cronjobs::{self as resource, CronjobInput};
use crate::resources::{Effects, found, taken};
use crate::state::AppState;
use crate::store::cronjobs::{self, CronjobRow, RunRow};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cronjobs", get(cronjobs_list).post(cronjobs_create))
        .route(
            "/cronjobs/{name}",
            get(cronjobs_get)
                .put(cronjobs_replace)
                .delete(cronjobs_delete),
        )
        .route("/cronjobs/{name}/runs", get(cronjobs_runs))
        .route("/cronjobs/{name}/run", post(cronjobs_run))
}

async fn find(state: &AppState, name: &str) -> ApiResult<CronjobRow> {
    found(cronjobs::get(&state.db, name).await?, "cronjob", name)
}

async fn save(
    state: &AppState,
    input: CronjobInput,
    existing: Option<CronjobRow>,
) -> ApiResult<CronjobRow> {
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let row = resource::write(&mut conn, input, existing, &mut effects).await?;
    drop(conn);
    state.publish(effects).await?;
    Ok(row)
}

/// A cronjob as the API shows it: the stored row and when it runs next.
#[derive(Debug, Serialize)]
pub struct CronjobView {
    /// The stored cronjob.
    #[serde(flatten)]
    pub row: CronjobRow,
    /// The next 5 scheduled ticks, Unix ms (UTC); empty while inactive.
    pub next_runs_ms: Vec<i64>,
}

impl From<CronjobRow> for CronjobView {
    fn from(row: CronjobRow) -> Self {
        let next_runs_ms = match resource::parse_schedule(&row.schedule) {
            Ok(schedule) if row.active => schedule
                .upcoming(chrono::Utc)
                .take(5)
                .map(|at| at.timestamp_millis())
                .collect(),
            _ => Vec::new(),
        };
        Self { row, next_runs_ms }
    }
}

/// `GET /admin/cronjobs` → 200 with every cronjob and its next runs.
pub async fn cronjobs_list(State(state): State<AppState>) -> ApiResult<Json<Vec<CronjobView>>> {
    let rows = cronjobs::list(&state.db).await?;
    Ok(Json(rows.into_iter().map(CronjobView::from).collect()))
}

/// `GET /admin/cronjobs/{name}` → 200 with its next runs, or 404.
pub async fn cronjobs_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<CronjobView>> {
    Ok(Json(find(&state, &name).await?.into()))
}

/// `POST /admin/cronjobs` → 201; 400 for a bad expression, 409 when the
/// name exists, 422 for an unknown action.
pub async fn cronjobs_create(
    State(state): State<AppState>,
    Json(input): Json<CronjobInput>,
) -> ApiResult<Response> {
    if cronjobs::get(&state.db, &input.name).await?.is_some() {
        return Err(taken("a cronjob", &input.name));
    }
    let row = save(&state, input, None).await?;
    Ok(created(format!("/admin/cronjobs/{}", row.name), row))
}

/// `PUT /admin/cronjobs/{name}` → 200; 404 when unknown, 400 when renamed.
pub async fn cronjobs_replace(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<CronjobInput>,
) -> ApiResult<Json<CronjobRow>> {
    let existing = find(&state, &name).await?;
    if input.name != name {
        return Err(ApiError::BadRequest("cronjobs cannot be renamed".into()));
    }
    Ok(Json(save(&state, input, Some(existing)).await?))
}

/// `DELETE /admin/cronjobs/{name}` → 204 (its runs go with it), or 404.
pub async fn cronjobs_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut effects = Effects::default();
    let mut conn = state.db.acquire().await?;
    let gone = resource::remove(&mut conn, &name, &mut effects).await?;
    drop(conn);
    found(gone.then_some(()), "cronjob", &name)?;
    state.publish(effects).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/cronjobs/{name}/runs` → 200 with the latest 100 runs, newest
/// first; 404 when unknown.
pub async fn cronjobs_runs(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<RunRow>>> {
    find(&state, &name).await?;
    Ok(Json(cronjobs::runs(&state.db, &name, 100).await?))
}

/// `POST /admin/cronjobs/{name}/run` → 200 with the finished run (its
/// outcome and error, if any); 404 when unknown.
pub async fn cronjobs_run(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<RunRow>> {
    let job = find(&state, &name).await?;
    let id = cronjobs::claim(&state.db, &name, None, crate::worker::now_ms())
        .await?
        .ok_or_else(|| ApiError::Conflict("the run could not be recorded".into()))?;
    crate::worker::cron::execute(&state, &job, id).await;
    let run = cronjobs::run(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("the run was deleted meanwhile".into()))?;
    Ok(Json(run))
}
