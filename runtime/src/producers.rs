//! What made a component: the `producers` custom sections (the WebAssembly
//! tool-conventions "Producers Section": fields `language`, `processed-by`
//! and `sdk`, each a list of names with versions) of the component and of
//! the core modules inside it, shown with each action version.

use serde::{Deserialize, Serialize};
use wasmparser::{KnownCustom, Parser, Payload};

/// One entry of a producers section.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Producer {
    /// `language`, `processed-by` or `sdk`.
    pub field: String,
    /// e.g. `Rust`, `Python`, `componentize-py`, `wit-component`.
    pub name: String,
    /// The version as the tool wrote it (may be empty).
    pub version: String,
}

/// Every distinct producer named in `wasm`, sorted; empty when the bytes
/// carry none or do not parse (an upload is checked elsewhere).
pub fn of(wasm: &[u8]) -> Vec<Producer> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CustomSection(section)) = payload else {
            continue;
        };
        let KnownCustom::Producers(reader) = section.as_known() else {
            continue;
        };
        for field in reader.into_iter().flatten() {
            for value in field.values.into_iter().flatten() {
                out.push(Producer {
                    field: field.name.to_string(),
                    name: value.name.to_string(),
                    version: value.version.to_string(),
                });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
