//! The consumer side's resource logic, below the consumer API, the admin
//! API and the deploy alike: the portal's settings, the password policy,
//! one-time links, the portal's mail and the sign-up allowances. Nothing
//! here knows the HTTP layer or the shared state.

pub mod guards;
pub mod links;
pub mod mail;
pub mod password_policy;
pub mod settings;
pub mod usage;

pub use guards::{Guards, PortalLimits};
pub use settings::{PortalSettings, Registration};

/// `email` trimmed and lower-cased, when it looks like an address
/// (`local@domain`, at most 254 characters, RFC 5321 §4.5.3.1.3) that
/// lettre can send to.
pub fn normalise_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && email.parse::<lettre::Address>().is_ok();
    ok.then_some(email)
}
