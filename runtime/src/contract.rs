//! An operation's contract (Fusio's schema role): its parameters, the
//! schema of its request body (`incoming`), of its responses by status
//! (`outgoing`) and of its errors (`throws`). The gateway enforces the
//! request side; the OpenAPI document is generated from all of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    /// A `:name` segment of the path.
    Path,
    /// A query pair.
    Query,
}

/// The JSON type a parameter's text must parse as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// Any text.
    String,
    /// A decimal 64-bit integer.
    Integer,
    /// A decimal number.
    Number,
    /// `true` or `false`.
    Boolean,
}

impl ParamType {
    /// The type's name in JSON Schema.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
        }
    }

    /// Whether `text` is a value of this type.
    pub fn accepts(self, text: &str) -> bool {
        match self {
            Self::String => true,
            Self::Integer => text.parse::<i64>().is_ok(),
            Self::Number => text.parse::<f64>().is_ok_and(f64::is_finite),
            Self::Boolean => matches!(text, "true" | "false"),
        }
    }
}

/// One documented parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Its name (for `path`, the `:name` in the operation's path).
    pub name: String,
    /// `path` or `query`.
    #[serde(rename = "in")]
    pub location: ParamLocation,
    /// The type its text must parse as (default `string`).
    #[serde(rename = "type", default = "default_type")]
    pub type_: ParamType,
    /// Whether it must be present (path parameters always are).
    #[serde(default)]
    pub required: bool,
    /// Free text for the documentation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The least value an `integer` or `number` may have (JSON Schema
    /// `minimum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<serde_json::Number>,
    /// The greatest value an `integer` or `number` may have (JSON Schema
    /// `maximum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<serde_json::Number>,
    /// The fewest characters (Unicode scalar values) a `string` may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// The most characters (Unicode scalar values) a `string` may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// A regular expression (the `regex` crate's syntax, unanchored, as
    /// JSON Schema's `pattern`) a `string` must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl Parameter {
    /// The JSON Schema of the parameter's value: its type and bounds, as
    /// the OpenAPI document shows it and the gateway checks it.
    pub fn schema(&self) -> Value {
        let mut schema = serde_json::Map::new();
        schema.insert("type".into(), self.type_.as_str().into());
        if let Some(n) = &self.minimum {
            schema.insert("minimum".into(), Value::Number(n.clone()));
        }
        if let Some(n) = &self.maximum {
            schema.insert("maximum".into(), Value::Number(n.clone()));
        }
        if let Some(n) = self.min_length {
            schema.insert("minLength".into(), n.into());
        }
        if let Some(n) = self.max_length {
            schema.insert("maxLength".into(), n.into());
        }
        if let Some(p) = &self.pattern {
            schema.insert("pattern".into(), p.clone().into());
        }
        Value::Object(schema)
    }

    /// Whether the parameter has bounds beyond its type.
    pub fn is_bounded(&self) -> bool {
        self.minimum.is_some()
            || self.maximum.is_some()
            || self.min_length.is_some()
            || self.max_length.is_some()
            || self.pattern.is_some()
    }

    /// The parameter's text as the JSON value its schema applies to;
    /// `None` when it is not of the parameter's type.
    pub fn value_of(&self, text: &str) -> Option<Value> {
        match self.type_ {
            ParamType::String => Some(Value::String(text.to_string())),
            ParamType::Integer => text.parse::<i64>().ok().map(Value::from),
            ParamType::Number => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Value::from),
            ParamType::Boolean => text.parse::<bool>().ok().map(Value::from),
        }
    }

    /// Checks that the bounds fit the type and each other.
    fn check_bounds(&self) -> Result<(), String> {
        let name = &self.name;
        let numeric = matches!(self.type_, ParamType::Integer | ParamType::Number);
        if !numeric && (self.minimum.is_some() || self.maximum.is_some()) {
            return Err(format!(
                "parameters: {name:?}: minimum and maximum apply to integer and number parameters"
            ));
        }
        if self.type_ != ParamType::String
            && (self.min_length.is_some() || self.max_length.is_some() || self.pattern.is_some())
        {
            return Err(format!(
                "parameters: {name:?}: min_length, max_length and pattern apply to string parameters"
            ));
        }
        if let (Some(lo), Some(hi)) = (&self.minimum, &self.maximum)
            && lo.as_f64() > hi.as_f64()
        {
            return Err(format!("parameters: {name:?}: minimum is above maximum"));
        }
        if let (Some(lo), Some(hi)) = (self.min_length, self.max_length)
            && lo > hi
        {
            return Err(format!(
                "parameters: {name:?}: min_length is above max_length"
            ));
        }
        if let Some(pattern) = &self.pattern
            && let Err(e) = regex::Regex::new(pattern)
        {
            return Err(format!(
                "parameters: {name:?}: pattern is not a valid regular expression: {e}"
            ));
        }
        Ok(())
    }
}

fn default_type() -> ParamType {
    ParamType::String
}

/// A schema given by the name of a stored schema or inline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SchemaRef {
    /// The name of a schema in `/admin/schemas`.
    Named(String),
    /// A JSON Schema 2020-12 document.
    Inline(Value),
}

/// What the gateway does with an action's response that contradicts its
/// `outgoing` schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutgoingValidation {
    /// Nothing (the default).
    #[default]
    Off,
    /// Logs a warning and passes the response on.
    Log,
    /// Answers 500 `invalid-response` instead.
    Enforce,
}

/// The contract of one operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    /// Path and query parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// The request body's schema; none means no body is documented or checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming: Option<SchemaRef>,
    /// Response schemas by status code (`"200"`, `"201"` …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outgoing: BTreeMap<String, SchemaRef>,
    /// Error schemas by status code (`"404"` …), for the documentation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub throws: BTreeMap<String, SchemaRef>,
    /// `off` (default), `log` or `enforce`.
    #[serde(default, skip_serializing_if = "is_off")]
    pub outgoing_validation: OutgoingValidation,
}

fn is_off(v: &OutgoingValidation) -> bool {
    *v == OutgoingValidation::Off
}

impl Contract {
    /// Every schema reference of the contract, with where it is used.
    pub fn schemas(&self) -> Vec<(String, &SchemaRef)> {
        let mut out = Vec::new();
        if let Some(s) = &self.incoming {
            out.push(("incoming".to_string(), s));
        }
        for (status, s) in &self.outgoing {
            out.push((format!("outgoing.{status}"), s));
        }
        for (status, s) in &self.throws {
            out.push((format!("throws.{status}"), s));
        }
        out
    }

    /// Names of the stored schemas the contract refers to directly.
    pub fn schema_names(&self) -> Vec<&str> {
        self.schemas()
            .into_iter()
            .filter_map(|(_, s)| match s {
                SchemaRef::Named(n) => Some(n.as_str()),
                SchemaRef::Inline(_) => None,
            })
            .collect()
    }

    /// Checks the contract against the operation's path parameters.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self, path_params: &[String]) -> Result<(), String> {
        let mut seen = Vec::new();
        for p in &self.parameters {
            if seen.contains(&(&p.name, p.location)) {
                return Err(format!("parameters: {:?} appears twice", p.name));
            }
            seen.push((&p.name, p.location));
            p.check_bounds()?;
            if p.location == ParamLocation::Path && !path_params.contains(&p.name) {
                return Err(format!(
                    "parameters: the path has no :{} segment (it has: {})",
                    p.name,
                    path_params.join(", ")
                ));
            }
        }
        for (status, _) in self.outgoing.iter().chain(&self.throws) {
            let valid = status.len() == 3
                && status
                    .parse::<u16>()
                    .is_ok_and(|s| (100..=599).contains(&s));
            if !valid {
                return Err(format!(
                    "outgoing and throws are keyed by status code (100-599); {status:?} is not one"
                ));
            }
        }
        Ok(())
    }
}
