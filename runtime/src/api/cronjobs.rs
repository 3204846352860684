//! `/admin/cronjobs`: run an action on a schedule (cron expression in UTC,
//! optional seconds field); `GET …/runs` shows the history and
//! `POST …/run` runs one now.

use crate::cluster::Change;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::api::check_name;
use crate::http::extract::{Json, Path};
use crate::error::{ApiError, ApiResult};
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

/// Body of `POST /admin/cronjobs` and `PUT /admin/cronjobs/{name}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CronjobInput {
    /// Unique name.
    pub name: String,
    /// Cron expression in UTC: `min hour day month weekday`, or with a
    /// seconds field first (and an optional year last), e.g. `0 7 * * *`.
    pub schedule: String,
    /// The action to run.
    pub action: String,
    /// Default true.
    #[serde(default = "crate::api::default_true")]
    pub active: bool,
    /// Ticks missed while no scheduler ran: `run_once` (default) or `skip`.
    #[serde(default = "default_missed")]
    pub missed: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

fn default_missed() -> String {
    "run_once".into()
}

async fn find(state: &AppState, name: &str) -> ApiResult<CronjobRow> {
    cronjobs::get(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no cronjob named {name:?}")))
}

async fn save(
    state: &AppState,
    input: CronjobInput,
    existing: Option<CronjobRow>,
) -> ApiResult<CronjobRow> {
    let mut conn = state.db.acquire().await?;
    let row = write(&mut conn, input, existing).await?;
    state.changed(Change::Cronjobs).await?;
    Ok(row)
}

/// Checks `input` against what `conn` sees and stores it, replacing
/// `existing` (keeping its creation time and last tick) when given. The
/// caller wakes the scheduler.
///
/// # Errors
/// 400 for a bad name, expression or missed policy, 422 for an unknown action.
pub async fn write(
    conn: &mut AnyConnection,
    input: CronjobInput,
    existing: Option<CronjobRow>,
) -> ApiResult<CronjobRow> {
    check_name("cronjob", &input.name)?;
    crate::worker::cron::parse(&input.schedule).map_err(ApiError::BadRequest)?;
    if !matches!(input.missed.as_str(), "run_once" | "skip") {
        return Err(ApiError::BadRequest(
            "missed must be run_once or skip".into(),
        ));
    }
    if crate::store::actions::get(&mut *conn, &input.action)
        .await?
        .is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no action named {:?}",
            input.action
        )));
    }
    let now = crate::store::now();
    let row = CronjobRow {
        name: input.name,
        schedule: input.schedule,
        action: input.action,
        active: input.active,
        missed: input.missed,
        description: input.description,
        last_tick_ms: existing.as_ref().and_then(|e| e.last_tick_ms),
        created_at: existing.map_or_else(|| now.clone(), |e| e.created_at),
        updated_at: now,
    };
    cronjobs::upsert(&mut *conn, &row).await?;
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
        let next_runs_ms = match crate::worker::cron::parse(&row.schedule) {
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
        return Err(ApiError::Conflict(format!(
            "a cronjob named {:?} already exists",
            input.name
        )));
    }
    let row = save(&state, input, None).await?;
    let location = format!("/admin/cronjobs/{}", row.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(row),
    )
        .into_response())
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
    if !cronjobs::delete(&state.db, &name).await? {
        return Err(ApiError::NotFound(format!(
            "there is no cronjob named {name:?}"
        )));
    }
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
