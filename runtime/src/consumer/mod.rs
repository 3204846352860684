//! The consumer API under `/consumer`: what a consumer does for themself
//! in the portal (or from a script) — sign up, confirm the address, reset
//! the password, manage the account, their apps, personal access tokens
//! and webhooks, and read their usage. A thin HTTP layer over `portal/`,
//! `identity/` and the stores; its document is
//! `runtime/openapi/consumer.yaml` (`GET /system/consumer-openapi.json`).

pub mod account;
pub mod apps;
pub mod auth;
pub mod catalog;
pub mod consents;
pub mod signup;
pub mod tokens;
pub mod usage;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::AppState;

pub use auth::Consumer;

/// Largest body the consumer API reads: 64 KiB (its requests are small
/// JSON objects).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The routes nested under `/consumer`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(catalog::portal))
        .route("/register", post(signup::register))
        .route("/activate", post(signup::activate))
        .route("/password-reset", post(signup::reset_request))
        .route("/password-reset/confirm", post(signup::reset_confirm))
        .route(
            "/account",
            get(account::show)
                .patch(account::update)
                .delete(account::remove),
        )
        .route("/scopes", get(catalog::scopes))
        .route("/events", get(catalog::events))
        .merge(apps::router())
        .merge(tokens::router())
        .merge(consents::router())
        .merge(usage::router())
        .merge(webhooks::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no consumer route at {}; see /system/consumer-openapi.json",
        uri.path()
    ))
}

// axum adds the `Allow` header to what this returns.
async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::Custom {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        slug: "method-not-allowed",
        title: "Method not allowed",
        detail: format!("method {method} is not allowed on this route; see the Allow header"),
        fuel_used: None,
    }
}
