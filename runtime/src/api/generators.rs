//! `/admin/generators`: whole APIs from what a database already has.
//! `sql-table` introspects one table and creates, in one transaction, JSON
//! Schemas for a row, a new row, a change and a page, a `builtin:sql-table`
//! action and the operations `<table>-list`, `-get`, `-create`, `-update`
//! (PATCH) and `-delete` with those contracts; `sql-database` does the same
//! for every table of the connection or a listed subset.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};

use crate::connections::pools::DbPool;
use crate::connections::registry::Backend;
use crate::connections::sql::SqlDriver;
use crate::deploy::{self, ChangeKind, DeployOptions, Kind, Project, Resources};
use crate::error::{ApiError, ApiResult};
use crate::generators::introspect;
use crate::generators::plan::{self, Unsupported};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use crate::store;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/generators/sql-table", post(generate_table))
        .route("/generators/sql-database", post(generate_database))
}

/// Body of `POST /admin/generators/sql-table`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRequest {
    /// The `sql` connection.
    pub connection: String,
    /// The table.
    pub table: String,
    /// The collection's path, e.g. `/todos`; items are at `<path>/:id`.
    pub path: String,
    /// Callable without a token (default false).
    #[serde(default)]
    pub public: bool,
    /// Scopes any one of which lets a token call them; empty: any valid token.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Body of `POST /admin/generators/sql-database`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseRequest {
    /// The `sql` connection.
    pub connection: String,
    /// Only these tables (default: every base table; those without a
    /// single-column primary key are skipped and listed).
    #[serde(default)]
    pub tables: Option<Vec<String>>,
    /// Prefix of every collection's path (default `/`): `/api` makes `/api/<table>`.
    #[serde(default = "root")]
    pub path_prefix: String,
    /// Callable without a token (default false).
    #[serde(default)]
    pub public: bool,
    /// Scopes any one of which lets a token call them.
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn root() -> String {
    "/".into()
}

/// Query of both generators.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateOptions {
    /// Work everything out and check it, then create nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// One resource a generator created (or would create).
#[derive(Debug, Serialize)]
pub struct Created {
    /// `schemas`, `actions` or `operations`.
    pub kind: Kind,
    /// Its name.
    pub name: String,
}

/// A table `sql-database` left out, and why.
#[derive(Debug, Serialize)]
pub struct Skipped {
    /// The table.
    pub table: String,
    /// Why (no primary key, a name that is not an identifier …).
    pub reason: String,
}

/// What a generator answers.
#[derive(Debug, Serialize)]
pub struct Generated {
    /// What was created (or, for a dry run, would be), in apply order.
    pub created: Vec<Created>,
    /// Columns whose type has no JSON counterpart: shown and taken as strings.
    pub unsupported: Vec<Unsupported>,
    /// Tables left out (`sql-database` without a list only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// Whether anything was created (false for a dry run).
    pub applied: bool,
}

/// The pool and driver of `connection`.
async fn pool_of(state: &AppState, connection: &str) -> ApiResult<(DbPool, SqlDriver)> {
    match state.registry.get(connection).await? {
        Some(Backend::Sql(pool)) => Ok((pool.pool, pool.config.driver)),
        Some(other) => Err(ApiError::Unprocessable(format!(
            "connection {connection:?} is a {} connection; a generator needs a sql one",
            other.class()
        ))),
        None => Err(ApiError::Unprocessable(format!(
            "there is no connection named {connection:?}"
        ))),
    }
}

fn database_error(connection: &str, e: sqlx::Error) -> ApiError {
    ApiError::Custom {
        status: StatusCode::SERVICE_UNAVAILABLE,
        slug: "connection-failed",
        title: "Connection failed",
        detail: format!("reading the tables of connection {connection:?} failed: {e}"),
        fuel_used: None,
    }
}

/// 409 listing every name the plan would create that exists already.
async fn refuse_existing(state: &AppState, resources: &Resources) -> ApiResult<()> {
    let mut taken = Vec::new();
    for (kind, entries) in resources {
        for name in entries.keys() {
            let exists = match kind {
                Kind::Schemas => store::schemas::get(&state.db, name).await?.is_some(),
                Kind::Actions => store::actions::get(&state.db, name).await?.is_some(),
                Kind::Operations => store::operations::get(&state.db, name).await?.is_some(),
                _ => false,
            };
            if exists {
                taken.push(format!("{} {name}", kind.as_str()));
            }
        }
    }
    if taken.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "these exist already, so nothing was created: {}",
            taken.join(", ")
        )))
    }
}

/// Applies `resources` in one transaction (or checks them, for a dry run).
async fn apply(
    state: &AppState,
    resources: Resources,
    unsupported: Vec<Unsupported>,
    skipped: Vec<Skipped>,
    options: &GenerateOptions,
) -> ApiResult<Response> {
    refuse_existing(state, &resources).await?;
    let outcome = deploy::deploy(
        state,
        Project::of(resources),
        DeployOptions {
            dry_run: options.dry_run,
            prune: false,
        },
    )
    .await?;
    let created = outcome
        .changes
        .into_iter()
        .filter(|c| c.change == ChangeKind::Create)
        .map(|c| Created {
            kind: c.kind,
            name: c.name,
        })
        .collect();
    let status = if outcome.applied {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Generated {
            created,
            unsupported,
            skipped,
            applied: outcome.applied,
        }),
    )
        .into_response())
}

fn check_path(path: &str) -> ApiResult<()> {
    if !path.starts_with('/') || path.contains(':') || path.contains('*') {
        return Err(ApiError::BadRequest(format!(
            "path {path:?} must start with / and have no parameters: items are at <path>/:id"
        )));
    }
    Ok(())
}

/// `POST /admin/generators/sql-table[?dry_run=true]` with [`TableRequest`]
/// → 201 `{"created": [{"kind", "name"}], "unsupported", "applied"}` (200
/// for a dry run). 409 when a name it would create exists (all listed;
/// nothing created), 422 for an unknown connection or table, a table
/// without a single-column primary key or with names that are not plain
/// identifiers, 503 when the database cannot be read.
pub async fn generate_table(
    State(state): State<AppState>,
    Query(options): Query<GenerateOptions>,
    Json(body): Json<TableRequest>,
) -> ApiResult<Response> {
    check_path(&body.path)?;
    let (pool, driver) = pool_of(&state, &body.connection).await?;
    let columns = introspect::columns(&pool, &body.table)
        .await
        .map_err(|e| database_error(&body.connection, e))?;
    let mut resources = Resources::new();
    let unsupported = plan::table(
        &plan::Request {
            connection: &body.connection,
            driver,
            table: &body.table,
            path: &body.path,
            public: body.public,
            scopes: &body.scopes,
        },
        &columns,
        &mut resources,
    )?;
    apply(&state, resources, unsupported, Vec::new(), &options).await
}

/// `POST /admin/generators/sql-database[?dry_run=true]` with
/// [`DatabaseRequest`]: [`generate_table`] for every table (paths
/// `<path_prefix>/<table>`), all in one transaction. Without `tables`,
/// tables a generator cannot serve are skipped and listed; a listed table
/// it cannot serve is a 422.
pub async fn generate_database(
    State(state): State<AppState>,
    Query(options): Query<GenerateOptions>,
    Json(body): Json<DatabaseRequest>,
) -> ApiResult<Response> {
    check_path(&body.path_prefix)?;
    let (pool, driver) = pool_of(&state, &body.connection).await?;
    let listed = body.tables.is_some();
    let tables = match body.tables {
        Some(tables) => tables,
        None => introspect::tables(&pool)
            .await
            .map_err(|e| database_error(&body.connection, e))?,
    };
    let mut resources = Resources::new();
    let mut unsupported = Vec::new();
    let mut skipped = Vec::new();
    let prefix = body.path_prefix.trim_end_matches('/');
    for table in &tables {
        let columns = introspect::columns(&pool, table)
            .await
            .map_err(|e| database_error(&body.connection, e))?;
        let path = format!("{prefix}/{table}");
        let mut one = Resources::new();
        let result = plan::table(
            &plan::Request {
                connection: &body.connection,
                driver,
                table,
                path: &path,
                public: body.public,
                scopes: &body.scopes,
            },
            &columns,
            &mut one,
        );
        match result {
            Ok(columns) => {
                unsupported.extend(columns);
                for (kind, entries) in one {
                    resources.entry(kind).or_default().extend(entries);
                }
            }
            Err(ApiError::Unprocessable(reason)) if !listed => skipped.push(Skipped {
                table: table.clone(),
                reason,
            }),
            Err(e) => return Err(e),
        }
    }
    if resources.is_empty() {
        let reasons: Vec<String> = skipped.iter().map(|s| s.reason.clone()).collect();
        return Err(ApiError::Unprocessable(format!(
            "connection {:?} has no table a generator can serve{}{}",
            body.connection,
            if reasons.is_empty() { "" } else { ": " },
            reasons.join("; ")
        )));
    }
    apply(&state, resources, unsupported, skipped, &options).await
}
