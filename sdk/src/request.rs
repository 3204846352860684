use serde::de::DeserializeOwned;

use crate::Error;
use crate::bindings::sluice::action::types as wit;

/// How the action was invoked (WIT `invocation-kind`).
pub use wit::InvocationKind;

/// Who invoked the action and with what settings (WIT `context`).
#[derive(Debug, Clone)]
pub struct Context {
    /// How the action was invoked.
    pub kind: InvocationKind,
    /// The operation, cronjob or trigger that invoked it; empty for `execute`.
    pub operation: String,
    /// The request id the host logs with every line of this invocation.
    pub request_id: String,
    /// The app whose bearer token made the request, if any.
    pub app: Option<String>,
    /// The user the bearer token acts for, if any.
    pub user: Option<String>,
    /// The scopes the bearer token holds (sorted); empty without a token.
    pub scopes: Vec<String>,
    config: String,
}

impl Context {
    /// Whether the caller's token holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

impl Context {
    /// The action's config (set by an admin with `PATCH /admin/actions/{name}`)
    /// deserialized into `T`.
    ///
    /// # Errors
    /// [`Error::Internal`] when the config does not fit `T`.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.config)
            .map_err(|e| Error::internal(format!("action config does not fit: {e}")))
    }

    /// The action's config as raw JSON text (`{}` when unset).
    pub fn config_json(&self) -> &str {
        &self.config
    }
}

/// One invocation's request (WIT `request`).
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    path: String,
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    context: Context,
}

impl Request {
    /// The HTTP method in upper case, e.g. `GET`.
    pub fn method(&self) -> &str {
        &self.method
    }
    /// The request path without the query string, e.g. `/hello/ada`.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The path parameter `name` from the operation's `:name` segment.
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)
    }
    /// All path parameters in path order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
    /// The first query value for `name`, percent-decoded.
    pub fn query(&self, name: &str) -> Option<&str> {
        find(&self.query, name)
    }
    /// Every query value for `name`, in order.
    pub fn query_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.query
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// All query pairs in order of appearance.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }
    /// The first value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// All headers, names in lower case.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
    /// The client's address as the host resolved it: the TCP peer, or the
    /// address trusted proxies recorded (`SLUICE_TRUSTED_PROXIES`). The host
    /// sets the `sluice-client-ip` header on every HTTP invocation and drops
    /// any the client sent; `None` for cronjob, trigger and execute runs.
    pub fn client_ip(&self) -> Option<&str> {
        self.header("sluice-client-ip")
    }
    /// The raw body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
    /// The body as UTF-8 text.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the body is not UTF-8.
    pub fn text(&self) -> Result<&str, Error> {
        std::str::from_utf8(&self.body)
            .map_err(|e| Error::invalid_input(format!("body is not UTF-8: {e}")))
    }
    /// The body parsed as JSON into `T`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (400) with serde's message when the body is not
    /// JSON or does not fit `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::invalid_input(format!("invalid JSON body: {e}")))
    }
    /// The invocation context: kind, operation, request id, config.
    pub fn context(&self) -> &Context {
        &self.context
    }
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl From<wit::Request> for Request {
    fn from(r: wit::Request) -> Self {
        Self {
            method: r.method,
            path: r.path,
            params: r.params,
            query: r.query,
            headers: r.headers,
            body: r.body,
            context: Context {
                kind: r.context.kind,
                operation: r.context.operation,
                request_id: r.context.request_id,
                app: r.context.app,
                user: r.context.user,
                scopes: r.context.scopes,
                config: r.context.config,
            },
        }
    }
}
