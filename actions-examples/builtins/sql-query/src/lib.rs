//! `builtin:sql-query`: one configured, parameterised statement whose
//! parameters come from the request — named path parameters, query
//! parameters or body fields — answering its rows, a single row (404 when
//! there is none) or what it changed.
//!
//! Config: `{"connection", "statement", "params"?, "result"?}`; each of
//! `params` is a source (`"path.id"`, `"query.q"`, `"body.title"`) or
//! `{"from", "type"?, "default"?, "required"?}` with `type` one of
//! `string` (the default), `integer`, `number`, `boolean`. `result` is
//! `rows` (the default: a JSON array), `row` or `execute`
//! (`{"rows_affected", "last_insert_id"}`). Values are always bound.

use serde::Deserialize;
use serde_json::{Map, Value as Json};
use sluice_sdk::sql::{self, Value};
use sluice_sdk::{Error, Request, Response, log};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    connection: String,
    statement: String,
    #[serde(default)]
    params: Vec<Param>,
    #[serde(default)]
    result: Shape,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Shape {
    #[default]
    Rows,
    Row,
    Execute,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Param {
    Source(String),
    Full(FullParam),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FullParam {
    from: String,
    #[serde(rename = "type", default)]
    kind: Kind,
    #[serde(default)]
    default: Option<Json>,
    #[serde(default = "yes")]
    required: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Kind {
    #[default]
    String,
    Integer,
    Number,
    Boolean,
}

impl Param {
    fn full(&self) -> FullParam {
        match self {
            Param::Source(from) => FullParam {
                from: from.clone(),
                kind: Kind::String,
                default: None,
                required: true,
            },
            Param::Full(p) => FullParam {
                from: p.from.clone(),
                kind: p.kind,
                default: p.default.clone(),
                required: p.required,
            },
        }
    }
}

/// Where a parameter is read, as the caller should be told.
fn describe(from: &str) -> String {
    match from.split_once('.') {
        Some(("path", name)) => format!("path parameter {name}"),
        Some(("query", name)) => format!("query parameter {name}"),
        Some(("body", name)) => format!("body field /{name}"),
        _ => from.to_string(),
    }
}

/// The raw input of `from`: text from the path or query, JSON from the body.
fn read(req: &Request, body: &mut Option<Json>, from: &str) -> Result<Option<Json>, Error> {
    match from.split_once('.') {
        Some(("path", name)) => Ok(req.param(name).map(|v| Json::String(v.into()))),
        Some(("query", name)) => Ok(req.query(name).map(|v| Json::String(v.into()))),
        Some(("body", name)) => {
            if body.is_none() {
                *body = Some(if req.body().is_empty() {
                    Json::Null
                } else {
                    req.json()?
                });
            }
            Ok(body.as_ref().and_then(|b| b.get(name)).cloned())
        }
        _ => Err(Error::internal(format!(
            "sql-query config: parameter source {from:?} must be path.NAME, query.NAME or body.FIELD"
        ))),
    }
}

fn convert(kind: Kind, value: Json, from: &str) -> Result<Value, Error> {
    let wrong =
        |expected: &str| Error::invalid_input(format!("{}: expected {expected}", describe(from)));
    Ok(match (kind, value) {
        (_, Json::Null) => Value::Null,
        (Kind::String, Json::String(s)) => Value::Text(s),
        (Kind::String, other) => Value::Text(other.to_string()),
        (Kind::Integer, Json::Number(n)) => {
            Value::Integer(n.as_i64().ok_or_else(|| wrong("an integer"))?)
        }
        (Kind::Integer, Json::String(s)) => {
            Value::Integer(s.parse().map_err(|_| wrong("an integer"))?)
        }
        (Kind::Number, Json::Number(n)) => {
            Value::Real(n.as_f64().ok_or_else(|| wrong("a number"))?)
        }
        (Kind::Number, Json::String(s)) => Value::Real(
            s.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| wrong("a number"))?,
        ),
        (Kind::Boolean, Json::Bool(b)) => Value::Boolean(b),
        (Kind::Boolean, Json::String(s)) if s == "true" || s == "1" => Value::Boolean(true),
        (Kind::Boolean, Json::String(s)) if s == "false" || s == "0" => Value::Boolean(false),
        (Kind::Integer, _) => return Err(wrong("an integer")),
        (Kind::Number, _) => return Err(wrong("a number")),
        (Kind::Boolean, _) => return Err(wrong("true or false")),
    })
}

fn to_json(value: Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Integer(i) => i.into(),
        Value::Real(f) => f.into(),
        Value::Text(t) => t.into(),
        Value::Blob(b) => String::from_utf8_lossy(&b).into_owned().into(),
        Value::Boolean(b) => b.into(),
    }
}

/// A failed statement: the database's message goes to the host log only.
fn refused(error: sql::Error) -> Error {
    let sql::Error::QueryFailed(failure) = &error else {
        return error.into();
    };
    log::error(&format!("sql-query: {}", error.message()));
    let code = failure.sqlstate.clone().unwrap_or_default();
    let constraint = code.starts_with("23") || code.parse::<u32>().is_ok_and(|c| c & 0xff == 19);
    if constraint {
        Error::conflict(format!("the statement violates a constraint (code {code})"))
    } else {
        Error::internal(format!("the database refused the statement (code {code})"))
    }
}

fn sql_query(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let mut body = None;
    let mut params = Vec::with_capacity(config.params.len());
    for param in &config.params {
        let param = param.full();
        let value = match read(&req, &mut body, &param.from)? {
            Some(v) => v,
            None => match (param.default, param.required) {
                (Some(default), _) => default,
                (None, false) => Json::Null,
                (None, true) => {
                    return Err(Error::invalid_input(format!(
                        "{} is required",
                        describe(&param.from)
                    )));
                }
            },
        };
        params.push(convert(param.kind, value, &param.from)?);
    }
    let db = sql::open(&config.connection)?;
    if let Shape::Execute = config.result {
        let done = db.execute(&config.statement, &params).map_err(refused)?;
        return Ok(Response::json(&serde_json::json!({
            "rows_affected": done.rows_affected,
            "last_insert_id": done.last_insert_id,
        })));
    }
    let set = db.query_rows(&config.statement, &params).map_err(refused)?;
    let mut rows = set.rows.into_iter().map(|row| {
        let object: Map<String, Json> = set
            .columns
            .iter()
            .cloned()
            .zip(row.into_iter().map(to_json))
            .collect();
        Json::Object(object)
    });
    match config.result {
        Shape::Row => rows
            .next()
            .map(|row| Response::json(&row))
            .ok_or_else(|| Error::not_found("no row matches")),
        _ => Ok(Response::json(&rows.collect::<Vec<_>>())),
    }
}

sluice_sdk::export_action!(sql_query);
