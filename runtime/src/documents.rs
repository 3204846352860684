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

/// The admin API's document, parsed once, with the built-ins
/// ([`crate::builtins::declare_in`]) and the operation merge patch declared.
///
/// # Errors
/// When the embedded YAML does not parse (a build defect).
pub fn admin() -> anyhow::Result<&'static Value> {
    static DOCUMENT: LazyLock<Result<Value, String>> = LazyLock::new(|| {
        let mut document: Value = serde_norway::from_str(ADMIN_YAML).map_err(|e| e.to_string())?;
        // What the YAML cannot state by hand without repeating itself: the
        // built-ins' config schemas and the operation merge patch.
        crate::builtins::declare_in(&mut document);
        declare_operation_patch(&mut document);
        Ok(document)
    });
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

/// `PATCH /operations/{name}` takes a JSON merge patch (RFC 7396) of an
/// operation: each member of `OperationInput` with its own schema, or
/// `null` to go back to its default; none required, no others.
fn declare_operation_patch(document: &mut Value) {
    let input = &document["components"]["schemas"]["OperationInput"]["properties"];
    let Some(members) = input.as_object() else {
        return;
    };
    let properties: serde_json::Map<String, Value> = members
        .iter()
        .map(|(name, schema)| {
            let nullable = serde_json::json!({"anyOf": [schema, {"type": "null"}]});
            (name.clone(), nullable)
        })
        .collect();
    let body = &mut document["paths"]["/operations/{name}"]["patch"]["requestBody"]["content"]["application/json"]
        ["schema"];
    if body.is_object() {
        *body = serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "properties": properties,
        });
    }
}
