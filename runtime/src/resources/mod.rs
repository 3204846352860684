//! The resource logic every surface shares: the admin API, the deploy, the
//! generators and the consumer API are thin layers over it. One module per
//! resource kind holds the bodies it takes (input and patch types) and its
//! checks, writes and removals, all through a connection the caller hands
//! in (a transaction in a deploy), so one set of rules holds everywhere.
//! What a change asks of the nodes afterwards (reloading a cache, closing
//! a pool, revoking tokens) is collected in [`Effects`], which the caller
//! publishes once the change is committed.
//!
//! Nothing here knows the HTTP layer, the deploy or the shared state.

pub mod actions;
pub mod apps;
pub mod connections;
pub mod consents;
pub mod consumers;
pub mod cronjobs;
pub mod effects;
pub mod events;
pub mod identity_providers;
pub mod operations;
pub mod prompts;
pub mod rate_limits;
pub mod roles;
pub mod schemas;
pub mod scopes;
pub mod tokens;
pub mod triggers;
pub mod users;
pub mod webhooks;

pub use effects::Effects;

use crate::error::ApiError;

/// `true`, the serde default of the `active` flags of resources.
pub fn default_true() -> bool {
    true
}

/// Checks that a resource name is `[A-Za-z0-9_.-]{1,64}`.
///
/// # Errors
/// [`ApiError::BadRequest`] naming the rule.
pub fn check_name(kind: &str, name: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "{kind} name {name:?} must be 1-64 characters of letters, digits, '_', '-' and '.'"
        )))
    }
}

/// `row`, or 404 `there is no <kind> named "<name>"`: how every resource
/// looked up by name answers when it does not exist.
///
/// # Errors
/// [`ApiError::NotFound`] when `row` is `None`.
pub fn found<T>(row: Option<T>, kind: &str, name: &str) -> Result<T, ApiError> {
    row.ok_or_else(|| ApiError::NotFound(format!("there is no {kind} named {name:?}")))
}

/// 409 `<a kind> named "<name>" already exists`, for a create whose name is
/// taken; `a_kind` carries its article (`a scope`, `an app`).
pub fn taken(a_kind: &str, name: &str) -> ApiError {
    ApiError::Conflict(format!("{a_kind} named {name:?} already exists"))
}
