use serde::Serialize;

use crate::bindings::sluice::action::types as wit;

/// The action's answer (WIT `response`): status, headers and body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code, 100–599; the host answers 500 for anything else.
    pub status: u16,
    /// Response headers in order; the host drops hop-by-hop headers.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// 200 with `value` as JSON and `content-type: application/json`.
    ///
    /// A value serde cannot serialize (a map with non-string keys, say)
    /// gives a 500 response whose text says why.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::bytes("application/json", body),
            Err(e) => {
                Self::text(format!("response is not serializable as JSON: {e}")).with_status(500)
            }
        }
    }

    /// 200 with `text` and `content-type: text/plain; charset=utf-8`.
    pub fn text(text: impl Into<String>) -> Self {
        Self::bytes("text/plain; charset=utf-8", text.into().into_bytes())
    }

    /// 200 with `body` and the given content type.
    pub fn bytes(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// 204 No Content.
    pub fn no_content() -> Self {
        Self::new(204)
    }

    /// The same response with `status`.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same response with one more header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl From<Response> for wit::Response {
    fn from(r: Response) -> Self {
        Self {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }
}
