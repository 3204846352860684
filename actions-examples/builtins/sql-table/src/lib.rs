//! `builtin:sql-table`: a CRUD API over one table of a `sql` connection,
//! on SQLite, PostgreSQL and MariaDB/MySQL — made without code by
//! `POST /admin/actions {"builtin": "sql-table", "config": …}` or by the
//! generator `POST /admin/generators/sql-table`.
//!
//! - `GET` without the key parameter: `{"items", "total", "limit", "offset"}`;
//!   query `limit`, `offset`, `sort=col` or `sort=-col` (comma-separated),
//!   and `col=value` filters (equality) for any column;
//! - `GET` with it: the row, or 404; `POST`: 201 with the row inserted;
//! - `PUT` (every writable column) and `PATCH` (some): the row, or 404;
//! - `DELETE`: 204, or 404.
//!
//! Table and column names come only from the config (checked identifiers);
//! every value is bound.

mod config;
mod values;

use serde_json::{Map, Value as Json};
use sluice_sdk::sql::{self, Connection, Value};
use sluice_sdk::{Error, Request, Response, log};

use config::{Column, Config, Dialect};

/// A failed statement as the caller sees it: a constraint violation is a
/// 409, anything else a 500 with the SQLSTATE; the database's own message
/// (which may quote SQL) goes to the host log only.
fn refused(error: sql::Error) -> Error {
    let sql::Error::QueryFailed(failure) = &error else {
        return error.into();
    };
    log::error(&format!("sql-table: {}", error.message()));
    let code = failure.sqlstate.clone().unwrap_or_default();
    // SQLSTATE class 23 (PostgreSQL, MySQL); SQLite's extended codes of
    // SQLITE_CONSTRAINT (19) have 19 in their low byte.
    let constraint = code.starts_with("23") || code.parse::<u32>().is_ok_and(|c| c & 0xff == 19);
    if constraint {
        Error::conflict(format!(
            "the row violates a constraint of the table (a duplicate key, a missing reference or a check; code {code})"
        ))
    } else {
        Error::internal(format!("the database refused the statement (code {code})"))
    }
}

fn rows(config: &Config, set: sql::RowSet) -> Vec<Json> {
    set.rows
        .into_iter()
        .map(|row| {
            let object: Map<String, Json> = config
                .columns
                .iter()
                .zip(row)
                .map(|(column, value)| (column.name.clone(), values::to_json(column, value)))
                .collect();
            Json::Object(object)
        })
        .collect()
}

fn key_column(config: &Config) -> &Column {
    config.column(&config.key).expect("checked by Config::load")
}

fn find(config: &Config, db: &Connection, key: &Value) -> Result<Option<Json>, Error> {
    let statement = format!(
        "SELECT {} FROM {} WHERE {} = {}",
        config.select_list(),
        config.quote(&config.table),
        config.quote(&config.key),
        config.placeholder(key_column(config)),
    );
    let set = db.query_rows(&statement, &[key.clone()]).map_err(refused)?;
    Ok(rows(config, set).into_iter().next())
}

fn not_found(config: &Config, raw: &str) -> Error {
    Error::not_found(format!(
        "there is no row of {} with {} {raw}",
        config.table, config.key
    ))
}

fn number(req: &Request, name: &str, default: u64, maximum: u64) -> Result<u64, Error> {
    match req.query(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= maximum)
            .ok_or_else(|| {
                Error::invalid_input(format!("{name} must be an integer from 0 to {maximum}"))
            }),
    }
}

fn list(config: &Config, db: &Connection, req: &Request) -> Result<Response, Error> {
    let limit = number(
        req,
        "limit",
        config.default_limit.into(),
        config.max_limit.into(),
    )?;
    let offset = number(req, "offset", 0, i64::MAX as u64)?;
    let mut filters = Vec::new();
    let mut params = Vec::new();
    let mut order = Vec::new();
    for (name, value) in req.query_pairs() {
        match name.as_str() {
            "limit" | "offset" => {}
            "sort" => {
                for part in value.split(',').filter(|p| !p.is_empty()) {
                    let (column, direction) = match part.strip_prefix('-') {
                        Some(column) => (column, "DESC"),
                        None => (part.strip_prefix('+').unwrap_or(part), "ASC"),
                    };
                    let column = config
                        .column(column)
                        .ok_or_else(|| unknown(config, column))?;
                    order.push(format!("{} {direction}", config.quote(&column.name)));
                }
            }
            other => {
                let column = config.column(other).ok_or_else(|| unknown(config, other))?;
                filters.push(format!(
                    "{} = {}",
                    config.quote(&column.name),
                    config.placeholder(column)
                ));
                params.push(values::from_text(column, value)?);
            }
        }
    }
    // The key last, so that pages are stable whatever the sort.
    order.push(format!("{} ASC", config.quote(&config.key)));
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", filters.join(" AND "))
    };
    let table = config.quote(&config.table);
    let statement = format!(
        "SELECT {} FROM {table}{filter} ORDER BY {} LIMIT ? OFFSET ?",
        config.select_list(),
        order.join(", ")
    );
    let mut page_params = params.clone();
    page_params.push(Value::Integer(limit as i64));
    page_params.push(Value::Integer(offset as i64));
    let items = rows(
        config,
        db.query_rows(&statement, &page_params).map_err(refused)?,
    );
    let counted = db
        .query_rows(&format!("SELECT COUNT(*) FROM {table}{filter}"), &params)
        .map_err(refused)?;
    let total = match counted.rows.first().and_then(|r| r.first()) {
        Some(Value::Integer(n)) => *n,
        Some(Value::Text(t)) => t.parse().unwrap_or(0),
        _ => 0,
    };
    Ok(Response::json(&serde_json::json!({
        "items": items, "total": total, "limit": limit, "offset": offset,
    })))
}

fn unknown(config: &Config, name: &str) -> Error {
    let names: Vec<&str> = config.columns.iter().map(|c| c.name.as_str()).collect();
    Error::invalid_input(format!(
        "{name:?} is not a column of {} (sort and filter by: {}; paging: limit, offset)",
        config.table,
        names.join(", ")
    ))
}

/// The body's fields as (column, value), checked: known, writable columns only.
fn fields<'c>(config: &'c Config, req: &Request) -> Result<Vec<(&'c Column, Value)>, Error> {
    let body: Json = req.json()?;
    let Json::Object(object) = body else {
        return Err(Error::invalid_input(
            "the body must be a JSON object of column values",
        ));
    };
    let mut out = Vec::new();
    for (name, value) in &object {
        let column = config.column(name).ok_or_else(|| {
            Error::invalid_input(format!("/{name}: not a column of {}", config.table))
        })?;
        if column.generated {
            return Err(Error::invalid_input(format!(
                "/{name}: is set by the database (read-only)"
            )));
        }
        out.push((column, values::from_json(column, value)?));
    }
    Ok(out)
}

fn insert(config: &Config, db: &Connection, req: &Request) -> Result<Response, Error> {
    let given = fields(config, req)?;
    if let Some(missing) = config.columns.iter().find(|c| {
        !c.generated
            && !c.nullable
            && !c.has_default
            && !given.iter().any(|(g, _)| g.name == c.name)
    }) {
        return Err(Error::invalid_input(format!(
            "/{}: is required",
            missing.name
        )));
    }
    let table = config.quote(&config.table);
    let statement = if given.is_empty() {
        match config.dialect {
            Dialect::Mysql => format!("INSERT INTO {table} () VALUES ()"),
            _ => format!("INSERT INTO {table} DEFAULT VALUES"),
        }
    } else {
        let names: Vec<String> = given.iter().map(|(c, _)| config.quote(&c.name)).collect();
        let marks: Vec<String> = given.iter().map(|(c, _)| config.placeholder(c)).collect();
        format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        )
    };
    let params: Vec<Value> = given.into_iter().map(|(_, v)| v).collect();
    let set = db
        .query_rows(
            &format!("{statement} RETURNING {}", config.select_list()),
            &params,
        )
        .map_err(refused)?;
    let row = rows(config, set)
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("the insert returned no row"))?;
    let key = match &row[&config.key] {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let location = format!("{}/{}", req.path().trim_end_matches('/'), key);
    Ok(Response::json(&row)
        .with_status(201)
        .with_header("location", location))
}

fn update(
    config: &Config,
    db: &Connection,
    req: &Request,
    raw: &str,
    full: bool,
) -> Result<Response, Error> {
    let key_col = key_column(config);
    let key = values::from_text(key_col, raw)?;
    let mut given = fields(config, req)?;
    // The key addresses the row; a body may repeat it but not change it.
    if let Some(i) = given.iter().position(|(c, _)| c.name == config.key) {
        if !values::same(&given[i].1, &key) {
            return Err(Error::invalid_input(format!(
                "/{}: cannot change the key",
                config.key
            )));
        }
        given.remove(i);
    }
    if full
        && let Some(missing) = config.columns.iter().find(|c| {
            !c.generated && c.name != config.key && !given.iter().any(|(g, _)| g.name == c.name)
        })
    {
        return Err(Error::invalid_input(format!(
            "/{}: is required (PUT replaces every column; PATCH changes some)",
            missing.name
        )));
    }
    if given.is_empty() {
        return match find(config, db, &key)? {
            Some(row) => Ok(Response::json(&row)),
            None => Err(not_found(config, raw)),
        };
    }
    let sets: Vec<String> = given
        .iter()
        .map(|(c, _)| format!("{} = {}", config.quote(&c.name), config.placeholder(c)))
        .collect();
    let mut params: Vec<Value> = given.into_iter().map(|(_, v)| v).collect();
    params.push(key.clone());
    let statement = format!(
        "UPDATE {} SET {} WHERE {} = {}",
        config.quote(&config.table),
        sets.join(", "),
        config.quote(&config.key),
        config.placeholder(key_col),
    );
    db.execute(&statement, &params).map_err(refused)?;
    // MySQL counts only rows that changed, so the row itself says whether it exists.
    match find(config, db, &key)? {
        Some(row) => Ok(Response::json(&row)),
        None => Err(not_found(config, raw)),
    }
}

fn delete(config: &Config, db: &Connection, raw: &str) -> Result<Response, Error> {
    let key_col = key_column(config);
    let key = values::from_text(key_col, raw)?;
    let statement = format!(
        "DELETE FROM {} WHERE {} = {}",
        config.quote(&config.table),
        config.quote(&config.key),
        config.placeholder(key_col),
    );
    let done = db.execute(&statement, &[key]).map_err(refused)?;
    if done.rows_affected == 0 {
        return Err(not_found(config, raw));
    }
    Ok(Response::no_content())
}

fn sql_table(req: Request) -> Result<Response, Error> {
    let config = Config::load(&req)?;
    let db = sql::open(&config.connection)?;
    let key = req.param(&config.param).map(str::to_string);
    match (req.method(), key.as_deref()) {
        ("GET", None) => list(&config, &db, &req),
        ("GET", Some(raw)) => {
            let key = values::from_text(key_column(&config), raw)?;
            find(&config, &db, &key)?
                .map(|row| Response::json(&row))
                .ok_or_else(|| not_found(&config, raw))
        }
        ("POST", None) => insert(&config, &db, &req),
        ("PUT", Some(raw)) => update(&config, &db, &req, raw, true),
        ("PATCH", Some(raw)) => update(&config, &db, &req, raw, false),
        ("DELETE", Some(raw)) => delete(&config, &db, raw),
        (method, _) => Err(Error::invalid_input(format!(
            "sql-table does not handle {method} {} (the key parameter is :{})",
            req.path(),
            config.param
        ))),
    }
}

sluice_sdk::export_action!(sql_table);
