//! `/admin/ip-rules`: allow and deny lists by client address, globally or
//! per operation, with an optional expiry; the token endpoint's
//! brute-force bans appear here too and are lifted by deleting them.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::created;
use crate::cluster::Change;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};
use crate::resources::{check_name, found, taken};
use crate::state::AppState;
use crate::store::ip_rules::{self, IpRuleRow};
use crate::store::operations;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ip-rules", get(ip_rules_list).post(ip_rules_create))
        .route(
            "/ip-rules/{name}",
            get(ip_rules_get)
                .put(ip_rules_replace)
                .delete(ip_rules_delete),
        )
}

/// Body of `POST /admin/ip-rules` and `PUT /admin/ip-rules/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpRuleInput {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// A network in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`) or
    /// one address.
    pub cidr: String,
    /// `allow` or `deny`.
    pub effect: String,
    /// Only requests to this operation; absent: every request but `/system`.
    #[serde(default)]
    pub operation: Option<String>,
    /// RFC 3339 time after which the rule stops applying; absent: never.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

async fn find(state: &AppState, name: &str) -> ApiResult<IpRuleRow> {
    found(ip_rules::get(&state.db, name).await?, "IP rule", name)
}

/// `GET /admin/ip-rules` → 200 with every rule, bans included.
pub async fn ip_rules_list(State(state): State<AppState>) -> ApiResult<Json<Vec<IpRuleRow>>> {
    Ok(Json(ip_rules::list(&state.db).await?))
}

/// `GET /admin/ip-rules/{name}` → 200, or 404.
pub async fn ip_rules_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<IpRuleRow>> {
    Ok(Json(find(&state, &name).await?))
}

/// `POST /admin/ip-rules` → 201; 400 for a bad network, effect or time,
/// 409 when the name exists, 422 when the operation does not exist.
pub async fn ip_rules_create(
    State(state): State<AppState>,
    Json(input): Json<IpRuleInput>,
) -> ApiResult<Response> {
    if ip_rules::get(&state.db, &input.name).await?.is_some() {
        return Err(taken("an IP rule", &input.name));
    }
    let row = save(&state, input, None).await?;
    Ok(created(format!("/admin/ip-rules/{}", row.name), row))
}

/// `PUT /admin/ip-rules/{name}` → 200; 404 when unknown; 400 when the body
/// renames it; otherwise as create.
pub async fn ip_rules_replace(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(input): Json<IpRuleInput>,
) -> ApiResult<Json<IpRuleRow>> {
    let existing = find(&state, &name).await?;
    if input.name != name {
        return Err(ApiError::BadRequest(format!(
            "the body names {:?} but the path {name:?}; IP rules cannot be renamed",
            input.name
        )));
    }
    Ok(Json(save(&state, input, Some(existing)).await?))
}

/// `DELETE /admin/ip-rules/{name}` → 204 (a ban is lifted at once), or 404.
pub async fn ip_rules_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let gone = ip_rules::delete(&state.db, &name).await?;
    found(gone.then_some(()), "IP rule", &name)?;
    state.changed(Change::IpRules).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn save(
    state: &AppState,
    input: IpRuleInput,
    existing: Option<IpRuleRow>,
) -> ApiResult<IpRuleRow> {
    check_name("IP rule", &input.name)?;
    let net = crate::edge::client::parse_network(&input.cidr).map_err(ApiError::BadRequest)?;
    if !matches!(input.effect.as_str(), "allow" | "deny") {
        return Err(ApiError::BadRequest(format!(
            "effect {:?} must be \"allow\" or \"deny\"",
            input.effect
        )));
    }
    let expires_ms = input
        .expires_at
        .as_deref()
        .map(|at| {
            OffsetDateTime::parse(at, &Rfc3339)
                .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
                .map_err(|e| {
                    ApiError::BadRequest(format!(
                        "expires_at {at:?} is not an RFC 3339 time (2026-12-01T00:00:00Z): {e}"
                    ))
                })
        })
        .transpose()?;
    if let Some(op) = &input.operation
        && operations::get(&state.db, op).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "there is no operation named {op:?}"
        )));
    }
    let now = crate::store::now();
    let row = IpRuleRow {
        name: input.name,
        cidr: net.to_string(),
        effect: input.effect,
        operation: input.operation,
        expires_ms,
        source: "admin".into(),
        description: input.description,
        created_at: existing
            .as_ref()
            .map_or_else(|| now.clone(), |e| e.created_at.clone()),
        updated_at: now,
    };
    ip_rules::upsert(&state.db, &row).await?;
    state.changed(Change::IpRules).await?;
    Ok(row)
}
