//! JSON and query-string values to SQL values by the column's type, and
//! back: the only path by which a caller's input reaches the database, and
//! always as a bound parameter.

use serde_json::Value as Json;
use sluice_sdk::Error;
use sluice_sdk::sql::Value;

use crate::config::{Column, Kind};

/// A JSON value from a body, for `column`.
///
/// # Errors
/// 400 naming the column when the value has the wrong type.
pub fn from_json(column: &Column, value: &Json) -> Result<Value, Error> {
    let wrong = |expected: &str| {
        Err(Error::invalid_input(format!(
            "/{}: expected {expected}, got {}",
            column.name,
            kind_of(value)
        )))
    };
    match (column.kind, value) {
        (_, Json::Null) if column.nullable => Ok(Value::Null),
        (_, Json::Null) => Err(Error::invalid_input(format!(
            "/{}: must not be null",
            column.name
        ))),
        (Kind::Integer, Json::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Value::Integer(i)),
            None => wrong("a 64-bit integer"),
        },
        (Kind::Integer, _) => wrong("an integer"),
        (Kind::Number, Json::Number(n)) => Ok(n.as_f64().map_or(Value::Null, Value::Real)),
        (Kind::Number, _) => wrong("a number"),
        (Kind::Boolean, Json::Bool(b)) => Ok(Value::Boolean(*b)),
        (Kind::Boolean, _) => wrong("a boolean"),
        (Kind::String, Json::String(s)) => Ok(Value::Text(s.clone())),
        (Kind::String, _) => wrong("a string"),
    }
}

/// A query-string value (a filter, or the key from the path), for `column`.
///
/// # Errors
/// 400 naming the column when the text does not parse as its type.
pub fn from_text(column: &Column, text: &str) -> Result<Value, Error> {
    let wrong = |expected: &str| {
        Err(Error::invalid_input(format!(
            "{}: {text:?} is not {expected}",
            column.name
        )))
    };
    match column.kind {
        Kind::Integer => text
            .parse()
            .map_or_else(|_| wrong("an integer"), |i| Ok(Value::Integer(i))),
        Kind::Number => match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Real(f)),
            _ => wrong("a number"),
        },
        Kind::Boolean => match text {
            "true" | "1" => Ok(Value::Boolean(true)),
            "false" | "0" => Ok(Value::Boolean(false)),
            _ => wrong("true or false"),
        },
        Kind::String => Ok(Value::Text(text.to_string())),
    }
}

/// A value read from `column`, as JSON of the column's type.
pub fn to_json(column: &Column, value: Value) -> Json {
    match (column.kind, value) {
        (_, Value::Null) => Json::Null,
        (Kind::Boolean, Value::Integer(i)) => Json::Bool(i != 0),
        (Kind::Boolean, Value::Text(t)) => Json::Bool(matches!(t.as_str(), "1" | "t" | "true")),
        (Kind::Number, Value::Text(t)) => t.parse::<f64>().map_or(Json::String(t), Json::from),
        (Kind::String, Value::Integer(i)) => Json::String(i.to_string()),
        (Kind::String, Value::Real(f)) => Json::String(f.to_string()),
        (Kind::String, Value::Boolean(b)) => Json::String(b.to_string()),
        (_, Value::Integer(i)) => i.into(),
        (_, Value::Real(f)) => f.into(),
        (_, Value::Boolean(b)) => b.into(),
        (_, Value::Text(t)) => t.into(),
        (_, Value::Blob(b)) => String::from_utf8_lossy(&b).into_owned().into(),
    }
}

fn kind_of(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Whether two values are equal (the generated `Value` has no `PartialEq`).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::Real(x), Value::Real(y)) => x == y,
        (Value::Text(x), Value::Text(y)) => x == y,
        (Value::Blob(x), Value::Blob(y)) => x == y,
        (Value::Boolean(x), Value::Boolean(y)) => x == y,
        _ => false,
    }
}
