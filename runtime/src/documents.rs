//! The OpenAPI 3.1 documents written by hand beside the handlers and
//! embedded in the binary: the admin API's (`runtime/openapi/admin.yaml`)
//! and the consumer API's (`runtime/openapi/consumer.yaml`). Both are
//! checked against the live server by schemathesis in the tests; the
//! deploy file's schema is made from the admin one, which is why they live
//! below every HTTP surface.

use std::sync::LazyLock;

use serde_json::Value;

/// The admin API's document, as YAML text.
pub const ADMIN_YAML: &str = include_str!("../openapi/admin.yaml");

/// The consumer API's document, as YAML text.
const CONSUMER_YAML: &str = include_str!("../openapi/consumer.yaml");

/// The admin API's document, parsed once.
///
/// # Errors
/// When the embedded YAML does not parse (a build defect).
pub fn admin() -> anyhow::Result<&'static Value> {
    static DOCUMENT: LazyLock<Result<Value, String>> =
        LazyLock::new(|| serde_norway::from_str(ADMIN_YAML).map_err(|e| e.to_string()));
    DOCUMENT
        .as_ref()
        .map_err(|e| anyhow::anyhow!("admin.yaml: {e}"))
}

/// The consumer API's document, parsed once.
///
/// # Errors
/// When the embedded YAML does not parse (a build defect).
pub fn consumer() -> anyhow::Result<&'static Value> {
    static DOCUMENT: LazyLock<Result<Value, String>> =
        LazyLock::new(|| serde_norway::from_str(CONSUMER_YAML).map_err(|e| e.to_string()));
    DOCUMENT
        .as_ref()
        .map_err(|e| anyhow::anyhow!("consumer.yaml: {e}"))
}
