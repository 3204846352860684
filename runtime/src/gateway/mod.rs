//! The gateway: every path that is not `/admin`, `/system` (or later
//! `/authorization`) is routed to its operation, whose action runs in a
//! fresh instance.

pub mod invoke;
pub mod routes;
pub mod validate;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

use crate::bindings::types::{Context, InvocationKind};
use crate::body::read_limited;
use crate::error::{ApiError, ApiResult, current_request_id};
use crate::startup::AppState;
use routes::Lookup;

/// Axum fallback that serves hosted operations.
#[tracing::instrument(name = "gateway", skip_all, fields(operation))]
pub async fn gateway_handle(State(state): State<AppState>, request: Request) -> Response {
    match serve(&state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn serve(state: &AppState, request: Request) -> ApiResult<Response> {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let (route, raw_params) = {
        let table = state.routes.load();
        match table.lookup(&method, &path) {
            Lookup::Found(route, params) => (route, params),
            Lookup::MethodNotAllowed(allow) => {
                return Err(ApiError::MethodNotAllowed { method, allow });
            }
            Lookup::NotFound => {
                return Err(ApiError::NotFound(format!(
                    "no operation matches {method} {path}"
                )));
            }
        }
    };
    tracing::Span::current().record("operation", route.operation.as_str());
    let mut params = Vec::with_capacity(raw_params.len());
    for (name, raw) in route.params.iter().zip(raw_params) {
        let value = percent_decode_str(&raw).decode_utf8().map_err(|_| {
            ApiError::BadRequest(format!("path parameter :{name} is not UTF-8 once decoded"))
        })?;
        params.push((name.clone(), value.into_owned()));
    }
    let query = parts
        .uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let body = read_limited(&parts.headers, body, state.settings.max_request_bytes).await?;
    if let Some(contract) = &route.contract {
        validate::check_request(contract, &params, &query, &parts.headers, &body)?;
    }
    let request = crate::bindings::types::Request {
        method,
        path,
        params,
        query,
        headers: invoke::header_pairs(&parts.headers),
        body: body.to_vec(),
        context: Context {
            kind: InvocationKind::Http,
            operation: route.operation.clone(),
            request_id: current_request_id().unwrap_or_default(),
            config: route.config.clone(),
        },
    };
    let (response, outcome) = invoke::run(
        state,
        &route.action,
        &route.sha256,
        route.limits,
        route.grants.clone(),
        request,
    )
    .await?;
    if let (Some(contract), Ok(answer)) = (&route.contract, &outcome.result) {
        validate::check_response(contract, &route.operation, answer.status, &answer.body)?;
    }
    Ok(response)
}
