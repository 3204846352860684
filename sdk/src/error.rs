use crate::bindings::sluice::action::types::ActionError;

/// An error an action returns instead of a response.
///
/// The host answers the caller with `application/problem+json` (RFC 9457):
/// the status comes from the variant, the `detail` from its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// 400 Bad Request: the input is invalid.
    InvalidInput(String),
    /// 403 Forbidden: the caller may not do this.
    Forbidden(String),
    /// 404 Not Found: the addressed resource does not exist.
    NotFound(String),
    /// 409 Conflict: the request conflicts with the current state.
    Conflict(String),
    /// 503 Service Unavailable: a backend the action needs is unavailable.
    Unavailable(String),
    /// 500 Internal Server Error: anything else.
    Internal(String),
}

impl Error {
    /// A 400 error with `message`.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
    /// A 403 error with `message`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
    /// A 404 error with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }
    /// A 409 error with `message`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }
    /// A 503 error with `message`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable(message.into())
    }
    /// A 500 error with `message`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, message) = match self {
            Self::InvalidInput(m) => ("invalid input", m),
            Self::Forbidden(m) => ("forbidden", m),
            Self::NotFound(m) => ("not found", m),
            Self::Conflict(m) => ("conflict", m),
            Self::Unavailable(m) => ("unavailable", m),
            Self::Internal(m) => ("internal error", m),
        };
        write!(f, "{kind}: {message}")
    }
}

impl std::error::Error for Error {}

impl From<Error> for ActionError {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidInput(m) => Self::InvalidInput(m),
            Error::Forbidden(m) => Self::Forbidden(m),
            Error::NotFound(m) => Self::NotFound(m),
            Error::Conflict(m) => Self::Conflict(m),
            Error::Unavailable(m) => Self::Unavailable(m),
            Error::Internal(m) => Self::Internal(m),
        }
    }
}
