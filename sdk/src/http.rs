//! Outbound HTTP through the `http` connections the action is granted (WIT
//! `http`). The host joins the path to the connection's base URL and adds
//! its headers and credentials; the action never sees them.
//!
//! ```no_run
//! use serde::Deserialize;
//! use sluice_sdk::http;
//!
//! #[derive(Deserialize)]
//! struct User { login: String }
//!
//! # fn run() -> Result<(), sluice_sdk::Error> {
//! let user: User = http::get("github", "/users/octocat")
//!     .header("accept", "application/json")
//!     .send()?
//!     .json()?;
//! let created = http::post("api", "/items").json(&serde_json::json!({"a": 1}))?.send()?;
//! assert!(created.is_success());
//! # Ok(()) }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::sluice::action::http as wit;

pub use wit::Error;

/// A request under construction for connection `connection`.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    connection: String,
    request: wit::Request,
}

/// Starts a request with `method` to `path` (relative to the base URL).
pub fn request(connection: &str, method: &str, path: &str) -> RequestBuilder {
    RequestBuilder {
        connection: connection.to_string(),
        request: wit::Request {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
        },
    }
}

/// A `GET` to `path` through `connection`.
pub fn get(connection: &str, path: &str) -> RequestBuilder {
    request(connection, "GET", path)
}

/// A `POST` to `path` through `connection`.
pub fn post(connection: &str, path: &str) -> RequestBuilder {
    request(connection, "POST", path)
}

/// A `PUT` to `path` through `connection`.
pub fn put(connection: &str, path: &str) -> RequestBuilder {
    request(connection, "PUT", path)
}

/// A `DELETE` of `path` through `connection`.
pub fn delete(connection: &str, path: &str) -> RequestBuilder {
    request(connection, "DELETE", path)
}

impl RequestBuilder {
    /// Adds a query pair (encoded by the host).
    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.request.query.push((key.into(), value.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.request.body = body.into();
        self
    }

    /// Sets a JSON body and `content-type: application/json`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `value` does not serialize.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, Error> {
        let body = serde_json::to_vec(value).map_err(|e| Error::InvalidRequest(e.to_string()))?;
        Ok(self.header("content-type", "application/json").body(body))
    }

    /// Sends the request.
    ///
    /// # Errors
    /// The host's [`Error`]: not granted, refused path, timeout, too large …
    pub fn send(self) -> Result<Response, Error> {
        wit::send(&self.connection, &self.request).map(Response)
    }
}

/// What the upstream answered.
#[derive(Debug, Clone)]
pub struct Response(pub wit::Response);

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.0.status)
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers, lower-case names.
    pub fn headers(&self) -> &[(String, String)] {
        &self.0.headers
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// The body parsed as JSON into `T`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] with serde's message when it does not fit.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.0.body)
            .map_err(|e| Error::InvalidRequest(format!("the upstream's JSON does not fit: {e}")))
    }

    /// The raw response.
    pub fn into_inner(self) -> wit::Response {
        self.0
    }
}

impl Error {
    /// A sentence describing the error, for logs and problem details.
    pub fn message(&self) -> String {
        match self {
            Self::AccessDenied(m) => format!("access denied: {m}"),
            Self::NoSuchConnection(m) => format!("no such connection: {m}"),
            Self::Timeout => "the upstream did not answer in time".into(),
            Self::ResponseTooLarge(n) => format!("the upstream's answer is larger than {n} bytes"),
            Self::ConnectFailed(m) => format!("the upstream is unreachable: {m}"),
            Self::InvalidRequest(m) => format!("invalid request: {m}"),
        }
    }
}

/// An upstream that is slow, unreachable or too large becomes a 503 (the
/// action's dependency is unavailable); anything else a 500.
impl From<Error> for crate::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Timeout | Error::ConnectFailed(_) | Error::ResponseTooLarge(_) => {
                Self::Unavailable(error.message())
            }
            other => Self::Internal(other.message()),
        }
    }
}
