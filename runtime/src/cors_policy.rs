//! An operation's CORS policy (the Fetch standard's CORS protocol) as it
//! is stored and checked: its fields, their defaults and the rules between
//! them. The gateway (`gateway/cors.rs`) turns a policy into the
//! `tower-http` layer that answers preflights.

use axum::http::header::HeaderName;
use serde::{Deserialize, Serialize};

/// Response headers a browser script may read unless an operation lists
/// its own: the rate-limit fields, `Retry-After`, `Location` and the
/// request id.
pub const DEFAULT_EXPOSE: [&str; 6] = [
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "retry-after",
    "location",
    "x-request-id",
];

/// How long a browser may cache a preflight's answer unless the policy
/// says otherwise, seconds.
pub const DEFAULT_MAX_AGE_SECS: u64 = 600;

/// Longest `max_age` accepted, seconds (a day; browsers cap lower).
const MAX_MAX_AGE_SECS: u64 = 86_400;

/// An operation's `cors` field; absent fields take the defaults shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsPolicy {
    /// Allowed origins, each a serialized origin (`https://app.example`,
    /// scheme, host and port only) or `*` (public operations only);
    /// absent: the global `SLUICE_CORS_ORIGINS`; empty: no CORS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origins: Option<Vec<String>>,
    /// Methods a preflight may ask for; empty (default): the operation's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    /// Request headers a preflight may ask for, or `*`; empty (default):
    /// whichever it asks for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    /// Response headers exposed to the script, or `*`; absent:
    /// [`DEFAULT_EXPOSE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expose: Option<Vec<String>>,
    /// Whether requests with credentials (cookies, TLS client
    /// certificates) are allowed; not with any `*` (Fetch standard, CORS
    /// protocol and credentials).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub credentials: bool,
    /// How long a preflight's answer may be cached, seconds (default 600,
    /// at most 86 400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
}

impl CorsPolicy {
    /// Checks the policy of an operation (`public` or not).
    ///
    /// # Errors
    /// A message naming the field at fault: an origin that is not a
    /// serialized origin, `*` on a private operation or beside
    /// `credentials`, a bad method or header name, a `max_age` over a day.
    pub fn check(&self, public: bool) -> Result<(), String> {
        for origin in self.origins.iter().flatten() {
            if origin == "*" {
                if !public {
                    return Err("cors.origins may hold \"*\" only on a public operation; \
                                list the origins that may call it"
                        .into());
                }
            } else {
                check_origin(origin).map_err(|e| format!("cors.origins: {e}"))?;
            }
        }
        for method in &self.methods {
            if method != "*" && !crate::path_template::METHODS.contains(&method.as_str()) {
                return Err(format!(
                    "cors.methods: {method:?} must be one of {} (upper case) or \"*\"",
                    crate::path_template::METHODS.join(", ")
                ));
            }
        }
        for (field, names) in [
            ("headers", &self.headers),
            ("expose", self.expose.as_ref().unwrap_or(&Vec::new())),
        ] {
            for name in names.iter().filter(|n| *n != "*") {
                HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| format!("cors.{field}: {name:?} is not a header name"))?;
            }
        }
        if self.credentials {
            let star = |v: &[String]| v.iter().any(|s| s == "*");
            if self.origins.as_deref().is_some_and(star)
                || star(&self.methods)
                || star(&self.headers)
                || self.expose.as_deref().is_some_and(star)
            {
                return Err("cors.credentials cannot be true beside a \"*\": \
                            browsers refuse wildcards on requests with credentials"
                    .into());
            }
        }
        if self.max_age.is_some_and(|s| s > MAX_MAX_AGE_SECS) {
            return Err(format!(
                "cors.max_age must be at most {MAX_MAX_AGE_SECS} seconds"
            ));
        }
        Ok(())
    }
}

/// Checks that `origin` is a serialized origin: `scheme://host[:port]`,
/// lower case, nothing after the authority (RFC 6454 section 6.2).
///
/// # Errors
/// What is wrong with it.
pub fn check_origin(origin: &str) -> Result<(), String> {
    let url = url::Url::parse(origin).map_err(|e| format!("{origin:?} is not an origin: {e}"))?;
    let serialized = url.origin().ascii_serialization();
    if !matches!(url.scheme(), "http" | "https") || serialized != origin {
        return Err(format!(
            "{origin:?} is not a serialized origin; write scheme://host[:port] with nothing \
             after it, e.g. {serialized:?}"
        ));
    }
    Ok(())
}

/// Parses `SLUICE_CORS_ORIGINS`: comma-separated origins or `*`.
///
/// # Errors
/// The first entry that is not an origin.
pub fn parse_global(list: &str) -> Result<Vec<String>, String> {
    let origins: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    for origin in origins.iter().filter(|o| *o != "*") {
        check_origin(origin).map_err(|e| format!("SLUICE_CORS_ORIGINS: {e}"))?;
    }
    Ok(origins)
}
