//! What a generator creates for one table: JSON Schemas for a row, an
//! insert, a partial update and a page of rows; a `sql-table` action; five
//! operations with those contracts — as deploy entries, so that the whole
//! set is applied in one transaction by the deploy machinery.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::introspect::{ColumnInfo, Kind};
use crate::connections::sql::SqlDriver;
use crate::deploy::{Kind as ResourceKind, Resources};
use crate::error::{ApiError, ApiResult};

/// What the caller asked for one table.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The `sql` connection.
    pub connection: &'a str,
    /// Its driver (for identifier quoting).
    pub driver: SqlDriver,
    /// The table.
    pub table: &'a str,
    /// The collection's path, e.g. `/todos`.
    pub path: &'a str,
    /// Operations callable without a token.
    pub public: bool,
    /// Scopes any one of which lets a token call them.
    pub scopes: &'a [String],
}

/// A column shown as a string because its type has no JSON counterpart.
#[derive(Debug, Clone, Serialize)]
pub struct Unsupported {
    /// The table.
    pub table: String,
    /// The column.
    pub column: String,
    /// Its type as the database names it.
    #[serde(rename = "type")]
    pub db_type: String,
}

fn identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

fn json_type(column: &ColumnInfo) -> Value {
    let base = match column.kind {
        Kind::Integer => "integer",
        Kind::Number => "number",
        Kind::String => "string",
        Kind::Boolean => "boolean",
    };
    let mut schema = Map::new();
    schema.insert(
        "type".into(),
        if column.nullable {
            json!([base, "null"])
        } else {
            json!(base)
        },
    );
    if let (Kind::String, Some(max)) = (column.kind, column.max_length) {
        schema.insert("maxLength".into(), json!(max));
    }
    if column.generated {
        schema.insert("readOnly".into(), json!(true));
    }
    schema.insert(
        "description".into(),
        json!(format!("{} ({})", column.name, column.db_type)),
    );
    Value::Object(schema)
}

fn object(properties: Map<String, Value>, required: Vec<&str>, extra: Value) -> Value {
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "required": required,
    });
    if let (Value::Object(s), Value::Object(e)) = (&mut schema, extra) {
        s.extend(e);
    }
    schema
}

/// Adds the resources for one table to `resources`; answers the columns
/// shown as strings.
///
/// # Errors
/// 422 when the table does not exist, has no single-column primary key,
/// or has a name (or column name) that is not a plain identifier.
pub fn table(
    request: &Request<'_>,
    columns: &[ColumnInfo],
    resources: &mut Resources,
) -> ApiResult<Vec<Unsupported>> {
    let table = request.table;
    if columns.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "connection {:?} has no table named {table:?}",
            request.connection
        )));
    }
    if !identifier(table) {
        return Err(ApiError::Unprocessable(format!(
            "table {table:?} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*); rename it or make a view"
        )));
    }
    if let Some(bad) = columns.iter().find(|c| !identifier(&c.name)) {
        return Err(ApiError::Unprocessable(format!(
            "column {:?} of {table} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*); make a view that renames it",
            bad.name
        )));
    }
    let keys: Vec<&ColumnInfo> = columns.iter().filter(|c| c.primary).collect();
    let key = match keys.as_slice() {
        [key] => *key,
        [] => {
            return Err(ApiError::Unprocessable(format!(
                "table {table} has no primary key: a generated API addresses rows by it; add one"
            )));
        }
        _ => {
            return Err(ApiError::Unprocessable(format!(
                "table {table} has a primary key of {} columns: a generated API needs a single-column key",
                keys.len()
            )));
        }
    };

    let mut row = Map::new();
    let mut input = Map::new();
    let mut required_input = Vec::new();
    for column in columns {
        row.insert(column.name.clone(), json_type(column));
        if !column.generated {
            input.insert(column.name.clone(), json_type(column));
            if !column.nullable && !column.has_default {
                required_input.push(column.name.as_str());
            }
        }
    }
    let all: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let names = Names::of(table);
    let schema_entry =
        |schema: Value, description: String| json!({"schema": schema, "description": description});
    let schemas = resources.entry(ResourceKind::Schemas).or_default();
    schemas.insert(
        names.row.clone(),
        schema_entry(
            object(row, all, json!({"title": format!("{table} row")})),
            format!("A row of {table} (generated from the table)"),
        ),
    );
    schemas.insert(
        names.input.clone(),
        schema_entry(
            object(
                input.clone(),
                required_input,
                json!({"title": format!("new {table} row")}),
            ),
            format!("A new row of {table}: the columns the database does not set"),
        ),
    );
    schemas.insert(
        names.patch.clone(),
        schema_entry(
            object(
                input,
                Vec::new(),
                json!({"title": format!("{table} change"), "minProperties": 1}),
            ),
            format!("Some columns of a row of {table}"),
        ),
    );
    schemas.insert(
        names.page.clone(),
        schema_entry(
            json!({
                "type": "object",
                "title": format!("a page of {table}"),
                "required": ["items", "total", "limit", "offset"],
                "properties": {
                    "items": {"type": "array", "items": {"$ref": names.row}},
                    "total": {"type": "integer", "minimum": 0},
                    "limit": {"type": "integer", "minimum": 0},
                    "offset": {"type": "integer", "minimum": 0}
                }
            }),
            format!("A page of rows of {table}"),
        ),
    );

    let dialect = match request.driver {
        SqlDriver::Sqlite => "sqlite",
        SqlDriver::Postgres => "postgres",
        SqlDriver::Mysql => "mysql",
    };
    let config_columns: Vec<Value> = columns
        .iter()
        .map(|c| {
            let mut column = json!({
                "name": c.name,
                "type": c.kind,
                "nullable": c.nullable,
                "generated": c.generated,
                "has_default": c.has_default,
            });
            if let (Some(cast), SqlDriver::Postgres) = (&c.cast, request.driver) {
                column["cast"] = json!(cast);
            }
            column
        })
        .collect();
    resources.entry(ResourceKind::Actions).or_default().insert(
        names.action.clone(),
        json!({
            "builtin": "sql-table",
            "description": format!("CRUD over table {table} of connection {} (generated)", request.connection),
            "connections": [request.connection],
            "config": {
                "connection": request.connection,
                "table": table,
                "key": key.name,
                "dialect": dialect,
                "columns": config_columns,
                "param": "id",
            }
        }),
    );

    let collection = request.path.trim_end_matches('/');
    let item = format!("{collection}/:id");
    let key_type = match key.kind {
        Kind::Integer => "integer",
        Kind::Number => "number",
        Kind::Boolean => "boolean",
        Kind::String => "string",
    };
    let id = json!({"name": "id", "in": "path", "type": key_type, "required": true,
                    "description": format!("{} of the row", key.name)});
    let mut list_parameters = vec![
        json!({"name": "limit", "in": "query", "type": "integer", "description": "Rows per page (default 20, at most 100)"}),
        json!({"name": "offset", "in": "query", "type": "integer", "description": "Rows to skip"}),
        json!({"name": "sort", "in": "query", "type": "string",
               "description": format!("Columns to sort by, comma-separated, - for descending: {}", columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "))}),
    ];
    for column in columns {
        if ["limit", "offset", "sort"].contains(&column.name.as_str()) {
            continue;
        }
        let kind = match column.kind {
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::String => "string",
        };
        list_parameters.push(json!({"name": column.name, "in": "query", "type": kind,
                                    "description": format!("Only rows whose {} equals this", column.name)}));
    }
    let base = |method: &str, path: &str, description: String| {
        json!({
            "method": method,
            "path": path,
            "action": names.action,
            "public": request.public,
            "scopes": request.scopes,
            "description": description,
        })
    };
    let mut list = base(
        "GET",
        collection,
        format!("Lists rows of {table}, sorted, filtered and paged"),
    );
    list["parameters"] = json!(list_parameters);
    list["outgoing"] = json!({"200": names.page});
    let mut get = base("GET", &item, format!("One row of {table} by {}", key.name));
    get["parameters"] = json!([id]);
    get["outgoing"] = json!({"200": names.row});
    let mut create = base("POST", collection, format!("Inserts a row into {table}"));
    create["incoming"] = json!(names.input);
    create["outgoing"] = json!({"201": names.row});
    let mut update = base(
        "PATCH",
        &item,
        format!("Changes some columns of a row of {table}"),
    );
    update["parameters"] = json!([id]);
    update["incoming"] = json!(names.patch);
    update["outgoing"] = json!({"200": names.row});
    let mut delete = base("DELETE", &item, format!("Deletes a row of {table}"));
    delete["parameters"] = json!([id]);
    let operations = resources.entry(ResourceKind::Operations).or_default();
    for (name, body) in [
        (&names.list, list),
        (&names.get, get),
        (&names.create, create),
        (&names.update, update),
        (&names.delete, delete),
    ] {
        operations.insert(name.clone(), body);
    }

    Ok(columns
        .iter()
        .filter(|c| c.unsupported)
        .map(|c| Unsupported {
            table: table.to_string(),
            column: c.name.clone(),
            db_type: c.db_type.clone(),
        })
        .collect())
}

/// The names of what a table's generator creates.
#[derive(Debug, Clone)]
pub struct Names {
    /// The `sql-table` action: the table's name.
    pub action: String,
    /// Schema of a row.
    pub row: String,
    /// Schema of a new row.
    pub input: String,
    /// Schema of a partial update.
    pub patch: String,
    /// Schema of a page of rows.
    pub page: String,
    /// `<table>-list`.
    pub list: String,
    /// `<table>-get`.
    pub get: String,
    /// `<table>-create`.
    pub create: String,
    /// `<table>-update`.
    pub update: String,
    /// `<table>-delete`.
    pub delete: String,
}

impl Names {
    /// The names for `table`.
    pub fn of(table: &str) -> Self {
        Self {
            action: table.to_string(),
            row: format!("{table}-row"),
            input: format!("{table}-input"),
            patch: format!("{table}-patch"),
            page: format!("{table}-page"),
            list: format!("{table}-list"),
            get: format!("{table}-get"),
            create: format!("{table}-create"),
            update: format!("{table}-update"),
            delete: format!("{table}-delete"),
        }
    }
}
