//! `todo`: a CRUD API over a `todos` table in a SQL connection. The same
//! component runs on SQLite, PostgreSQL and MariaDB: the statements use `?`
//! placeholders and portable types, and the host binds every value.
//!
//! Map it to `GET /todos`, `GET /todos/:id`, `POST /todos`, `PUT /todos/:id`
//! and `DELETE /todos/:id`, and grant it the connection named in its config
//! (`{"connection": "..."}`, default `todo-db`).
//!
//! - `GET /todos?limit=20&offset=0` → `{"items": [...], "total", "limit", "offset"}`
//! - `GET /todos/:id` → the item, or 404
//! - `POST /todos` `{"title", "done"?, "id"?}` → 201 with the item; 409 when `id` is taken
//! - `PUT /todos/:id` `{"title", "done"}` → the item, or 404
//! - `DELETE /todos/:id` → 204, or 404

use serde::{Deserialize, Serialize};
use sluice_sdk::sql::{self, Connection};
use sluice_sdk::{Error, Request, Response};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS todos (
    id BIGINT PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
)";

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_connection")]
    connection: String,
}

fn default_connection() -> String {
    "todo-db".into()
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    title: String,
    done: i64,
}

#[derive(Serialize)]
struct Todo {
    id: i64,
    title: String,
    done: bool,
}

impl From<Row> for Todo {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            title: row.title,
            done: row.done != 0,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTodo {
    #[serde(default, deserialize_with = "integral")]
    id: Option<i64>,
    title: String,
    #[serde(default)]
    done: bool,
}

/// An id as JSON Schema's `integer` has it: `41` or `41.0` (a number
/// with a zero fraction is an integer there, and the contract checked it).
fn integral<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(n) = number.as_i64() {
        return Ok(Some(n));
    }
    match number.as_f64() {
        // Exactly representable: below 2^53 every integral f64 is.
        Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom("id must be an integer")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TodoUpdate {
    title: String,
    done: bool,
}

#[derive(Deserialize)]
struct Total {
    total: i64,
}

fn todo(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config()?;
    let db = sql::open(&config.connection)?;
    // A probe that fails only while the table is missing keeps the DDL off
    // the hot path.
    if db
        .query_rows("SELECT 1 FROM todos WHERE 1 = 0", &[])
        .is_err()
    {
        db.execute(SCHEMA, &[])?;
    }
    let id = req.param("id").map(parse_id).transpose()?;
    match (req.method(), id) {
        ("GET", None) => list(&db, &req),
        ("GET", Some(id)) => find(&db, id)?
            .map(|t| Response::json(&t))
            .ok_or_else(|| not_found(id)),
        ("POST", None) => create(&db, req.json()?),
        ("PUT", Some(id)) => update(&db, id, req.json()?),
        ("DELETE", Some(id)) => delete(&db, id),
        (method, _) => Err(Error::invalid_input(format!(
            "todo does not handle {method} {}",
            req.path()
        ))),
    }
}

fn parse_id(raw: &str) -> Result<i64, Error> {
    raw.parse()
        .ok()
        .filter(|id: &i64| *id > 0)
        .ok_or_else(|| Error::invalid_input(format!("id {raw:?} must be a positive integer")))
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("there is no todo {id}"))
}

fn query_number(req: &Request, name: &str, default: i64, max: i64) -> Result<i64, Error> {
    match req.query(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .ok_or_else(|| {
                Error::invalid_input(format!("{name} must be an integer from 0 to {max}"))
            }),
    }
}

/// JSON's whitespace (RFC 8259 §2): the one set the operation's schema
/// (`pattern: "[^ \t\n\r]"`) and all three todo actions agree on.
fn blank(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

fn validate_title(title: &str) -> Result<(), Error> {
    if blank(title) || title.chars().count() > 200 {
        return Err(Error::invalid_input("title must be 1 to 200 characters"));
    }
    Ok(())
}

fn find(db: &Connection, id: i64) -> Result<Option<Todo>, Error> {
    let row: Option<Row> = db.query_one(
        "SELECT id, title, done FROM todos WHERE id = ?",
        &[id.into()],
    )?;
    Ok(row.map(Todo::from))
}

fn list(db: &Connection, req: &Request) -> Result<Response, Error> {
    let limit = query_number(req, "limit", 20, 100)?;
    let offset = query_number(req, "offset", 0, i64::MAX)?;
    let rows: Vec<Row> = db.query(
        "SELECT id, title, done FROM todos ORDER BY id LIMIT ? OFFSET ?",
        &[limit.into(), offset.into()],
    )?;
    let total: Total = db
        .query_one("SELECT COUNT(*) AS total FROM todos", &[])?
        .unwrap_or(Total { total: 0 });
    let items: Vec<Todo> = rows.into_iter().map(Todo::from).collect();
    Ok(Response::json(&serde_json::json!({
        "items": items,
        "total": total.total,
        "limit": limit,
        "offset": offset,
    })))
}

fn create(db: &Connection, new: NewTodo) -> Result<Response, Error> {
    validate_title(&new.title)?;
    let tx = db.transaction()?;
    let id = match new.id {
        Some(id) => parse_id(&id.to_string())?,
        None => {
            let next: Total = tx
                .query_one("SELECT COALESCE(MAX(id), 0) + 1 AS total FROM todos", &[])?
                .unwrap_or(Total { total: 1 });
            next.total
        }
    };
    match tx.execute(
        "INSERT INTO todos (id, title, done) VALUES (?, ?, ?)",
        &[
            id.into(),
            new.title.as_str().into(),
            i64::from(new.done).into(),
        ],
    ) {
        Ok(_) => {}
        Err(sql::Error::QueryFailed(e)) if new.id.is_some() => {
            return Err(Error::conflict(format!(
                "todo {id} exists already ({})",
                e.message
            )));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit()?;
    let todo = Todo {
        id,
        title: new.title,
        done: new.done,
    };
    // Triggers and webhooks hear of it when an admin defined the event.
    let payload = serde_json::to_vec(&todo).map_err(|e| Error::internal(e.to_string()))?;
    match sluice_sdk::events::dispatch_raw("todo_created", &payload) {
        Ok(()) | Err(sluice_sdk::events::DispatchError::NoSuchEvent(_)) => {}
        Err(e) => return Err(Error::internal(format!("dispatching todo_created: {e:?}"))),
    }
    Ok(Response::json(&todo)
        .with_status(201)
        .with_header("location", format!("/todos/{id}")))
}

fn update(db: &Connection, id: i64, change: TodoUpdate) -> Result<Response, Error> {
    validate_title(&change.title)?;
    let done = db.execute(
        "UPDATE todos SET title = ?, done = ? WHERE id = ?",
        &[
            change.title.as_str().into(),
            i64::from(change.done).into(),
            id.into(),
        ],
    )?;
    if done.rows_affected == 0 && find(db, id)?.is_none() {
        return Err(not_found(id));
    }
    Ok(Response::json(&Todo {
        id,
        title: change.title,
        done: change.done,
    }))
}

fn delete(db: &Connection, id: i64) -> Result<Response, Error> {
    let done = db.execute("DELETE FROM todos WHERE id = ?", &[id.into()])?;
    if done.rows_affected == 0 {
        return Err(not_found(id));
    }
    Ok(Response::no_content())
}

sluice_sdk::export_action!(todo);
