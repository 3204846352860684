//! One error type for the whole HTTP surface: [`ApiError`] renders as
//! `application/problem+json` (RFC 9457) with the right status code. Bodies
//! of 500s never show internals; the log keeps them.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Media type of problem details, RFC 9457 §3.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem details document (RFC 9457 §3.1) plus Sluice's extension
/// members.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI naming the problem type, `urn:sluice:problem:<slug>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence and what to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request id, when one was assigned (same as `x-request-id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The W3C trace id of the request (32 hex digits), when it has a
    /// trace: traces are exported, or the client sent a `traceparent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Fuel consumed by the action before it failed, where relevant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel_used: Option<u64>,
    /// For `validation-failed`: each offending value and what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// One invalid value in a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// Where the value is: a JSON pointer (RFC 6901) rooted at the request,
    /// `/path/<param>`, `/query/<param>` or `/body/...`.
    pub pointer: String,
    /// What is wrong with it.
    pub message: String,
}

/// Every error the admin API and the gateway answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed; the text says how.
    #[error("{0}")]
    BadRequest(String),
    /// 400 with a specific problem type, e.g. `invalid-component`.
    #[error("{detail}")]
    Invalid {
        /// Problem type slug.
        slug: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// 400: a value in the request body is wrong; `errors` points at it
    /// (JSON pointers from the body's root) so a form can show the message
    /// at its field.
    #[error("{detail}")]
    InvalidAt {
        /// What is wrong, as one sentence.
        detail: String,
        /// Each offending value.
        errors: Vec<FieldError>,
    },
    /// 400: the request does not match the operation's parameters or
    /// `incoming` schema; each error names its JSON pointer.
    #[error("the request is invalid in {} place(s); see errors", .0.len())]
    ValidationFailed(Vec<FieldError>),
    /// 401: no bearer token where one is needed (RFC 6750 §3).
    #[error("{0}")]
    Unauthorized(String),
    /// 401: the bearer token is malformed, forged, expired or revoked
    /// (RFC 6750 §3.1 `invalid_token`).
    #[error("{0}")]
    InvalidToken(String),
    /// 403: the token lacks the scope the resource needs (RFC 6750 §3.1
    /// `insufficient_scope`); `scopes` lists the ones that would do.
    #[error("{detail}")]
    InsufficientScope {
        /// Scopes any one of which grants access.
        scopes: Vec<String>,
        /// What is missing.
        detail: String,
    },
    /// 403: the caller may not do this for another reason.
    #[error("{0}")]
    Forbidden(String),
    /// 429: the caller's rate limit is used up; `retry_after_secs` says when
    /// to come back (`Retry-After`).
    #[error("the rate limit of {limit} requests is used up; retry in {retry_after_secs} s")]
    RateLimited {
        /// Requests per window.
        limit: u32,
        /// Seconds until a request would be admitted.
        retry_after_secs: u64,
    },
    /// 404: nothing at this path or with this name.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists with other methods (listed in `Allow`).
    #[error("method {method} is not allowed here; allowed: {}", allow.join(", "))]
    MethodNotAllowed {
        /// The method the caller used.
        method: String,
        /// The methods the path supports.
        allow: Vec<String>,
    },
    /// 409: the change conflicts with existing state.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than `limit` bytes.
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415: the body has a media type this route does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the request is well-formed but refers to something that is not there.
    #[error("{0}")]
    Unprocessable(String),
    /// Any status with an explicit problem type: action failures use this.
    #[error("{detail}")]
    Custom {
        /// HTTP status.
        status: StatusCode,
        /// Problem type slug.
        slug: &'static str,
        /// Problem title.
        title: &'static str,
        /// What went wrong.
        detail: String,
        /// Fuel consumed, when an action ran.
        fuel_used: Option<u64>,
    },
    /// 500: a bug or a failing dependency; the cause is logged, not shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl ApiError {
    /// 400 about one value of the request: `errors` holds `pointer` (a JSON
    /// pointer, RFC 6901) with `message`, and the detail reads
    /// `<pointer>: <message>`.
    pub fn at(pointer: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::InvalidAt {
            detail: format!("{pointer}: {message}"),
            errors: vec![FieldError {
                pointer: pointer.into(),
                message,
            }],
        }
    }

    /// 400 with one entry per broken rule, each with its JSON pointer; the
    /// detail joins them.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Self::InvalidAt {
            detail: errors
                .iter()
                .map(|e| format!("{}: {}", e.pointer, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            errors,
        }
    }

    /// The status code this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_)
            | Self::Invalid { .. }
            | Self::InvalidAt { .. }
            | Self::ValidationFailed(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope { .. } | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Custom { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (slug, title): (&str, &str) = match self {
            Self::BadRequest(_) | Self::InvalidAt { .. } => ("bad-request", "Bad request"),
            Self::Invalid { slug, .. } => (slug, "Invalid input"),
            Self::ValidationFailed(_) => ("validation-failed", "Request validation failed"),
            Self::Unauthorized(_) => ("unauthorized", "Unauthorized"),
            Self::InvalidToken(_) => ("invalid-token", "Invalid token"),
            Self::InsufficientScope { .. } => ("insufficient-scope", "Insufficient scope"),
            Self::Forbidden(_) => ("forbidden", "Forbidden"),
            Self::RateLimited { .. } => ("rate-limited", "Too many requests"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::Unprocessable(_) => ("unprocessable", "Unprocessable request"),
            Self::Custom { slug, title, .. } => (slug, title),
            Self::Internal(_) => ("internal", "Internal server error"),
        };
        let detail = match self {
            Self::Internal(_) => {
                "an internal error occurred; the server log has the details under this request id"
                    .to_string()
            }
            other => other.to_string(),
        };
        Problem {
            type_: format!("urn:sluice:problem:{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: Some(detail),
            request_id: current_request_id(),
            trace_id: current_trace_id(),
            fuel_used: match self {
                Self::Custom { fuel_used, .. } => *fuel_used,
                _ => None,
            },
            errors: match self {
                Self::ValidationFailed(errors) | Self::InvalidAt { errors, .. } => {
                    Some(errors.clone())
                }
                _ => None,
            },
        }
    }
}

tokio::task_local! {
    /// The id of the request being served; set by the request-id middleware.
    pub static REQUEST_ID: String;
    /// The trace id of the request being served, when it has one.
    pub static TRACE_ID: Option<String>;
}

/// The current request's id, if this task serves a request.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// The current request's trace id, if it has one.
pub fn current_trace_id() -> Option<String> {
    TRACE_ID.try_with(Clone::clone).ok().flatten()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // A node that is starting or draining answers every readiness probe
        // so, several times a second: a state, not a failure.
        let expected = matches!(
            self,
            Self::Custom {
                slug: "not-ready",
                ..
            }
        );
        if status.is_server_error() && !expected {
            tracing::error!(error = ?self, "request failed");
        } else {
            tracing::debug!(error = %self, "request rejected");
        }
        let mut response = (status, Json(self.problem())).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            Self::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"sluice\""),
                );
            }
            Self::InvalidToken(detail) => {
                let value = format!(
                    "Bearer realm=\"sluice\", error=\"invalid_token\", error_description=\"{}\"",
                    quoted(detail)
                );
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            Self::InsufficientScope { scopes, .. } => {
                let value = format!(
                    "Bearer realm=\"sluice\", error=\"insufficient_scope\", scope=\"{}\"",
                    quoted(&scopes.join(" "))
                );
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            Self::RateLimited {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::MethodNotAllowed { allow, .. } => {
                if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                    headers.insert(header::ALLOW, v);
                }
            }
            _ => {}
        }
        response
    }
}

/// `text` made safe inside a quoted-string (RFC 9110 §5.6.4): quotes and
/// backslashes dropped, non-visible ASCII replaced.
fn quoted(text: &str) -> String {
    text.chars()
        .filter(|c| *c != '"' && *c != '\\')
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
