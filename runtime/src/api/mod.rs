//! The admin REST API under `/admin` (bearer token) and the system routes
//! under `/system` (public).

pub mod actions;
pub mod apps;
pub mod auth;
pub mod authorization;
pub mod authorize;
pub mod body_schema;
pub mod code_exchange;
pub mod components;
pub mod connections;
pub mod console;
pub mod consumers;
pub mod cronjobs;
pub mod deploy;
pub mod developer_portal;
pub mod device;
pub mod docs;
pub mod events;
pub mod federation;
pub mod generators;
pub mod identity_providers;
pub mod introspect;
pub mod ip_rules;
pub mod logs;
pub mod mcp;
pub mod metadata;
pub mod oauth2;
pub mod oauth_form;
pub mod operations;
pub mod portal;
pub mod prompts;
pub mod rate_limits;
pub mod register;
pub mod roles;
pub mod schemas;
pub mod scopes;
pub mod signing_keys;
pub mod spa;
pub mod statistics;
pub mod system;
pub mod triggers;
pub mod userinfo;
pub mod users;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;

use crate::error::ApiError;
use crate::state::AppState;

/// The routes nested under `/admin`; every one requires the admin bearer
/// token.
pub fn admin_router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(actions::router())
        .merge(operations::router())
        .merge(connections::router())
        .merge(schemas::router())
        .merge(scopes::router())
        .merge(roles::router())
        .merge(users::router())
        .merge(apps::router())
        .merge(consumers::router())
        .merge(portal::router())
        .merge(ip_rules::router())
        .merge(signing_keys::router())
        .merge(identity_providers::router())
        .merge(rate_limits::router())
        .merge(logs::router())
        .merge(mcp::router())
        .merge(prompts::router())
        .merge(statistics::router())
        .merge(events::router())
        .merge(triggers::router())
        .merge(webhooks::router())
        .merge(cronjobs::router())
        .merge(components::router())
        .merge(deploy::router())
        .merge(generators::router())
        .fallback(admin_not_found)
        .method_not_allowed_fallback(admin_method_not_allowed)
        .route_layer(middleware::from_fn_with_state(
            state.settings.max_upload_bytes,
            body_schema::check,
        ))
        .layer(DefaultBodyLimit::max(state.settings.max_upload_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ))
}

async fn admin_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no admin route at {}", uri.path()))
}

// axum adds the `Allow` header to what this returns.
async fn admin_method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::Custom {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        slug: "method-not-allowed",
        title: "Method not allowed",
        detail: format!("method {method} is not allowed on this admin route; see the Allow header"),
        fuel_used: None,
    }
}

/// 201 Created with `Location: location` and `body`: how every create of
/// the admin API answers.
pub fn created<T: serde::Serialize>(location: String, body: T) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        axum::Json(body),
    )
        .into_response()
}
