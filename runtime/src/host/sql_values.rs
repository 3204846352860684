//! Row decoding per driver for the WIT `sql` interface: each column becomes
//! a WIT `value` by the database's type. Types WIT has no variant for are
//! sent as text: timestamps as RFC 3339 (ISO 8601 without offset when the
//! column has none), dates `YYYY-MM-DD`, times `HH:MM:SS`, JSON as its text,
//! NUMERIC/DECIMAL in decimal notation, UUIDs hyphenated.

use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Decode, Row, Type, TypeInfo, ValueRef};
use time::format_description::well_known::Rfc3339;

use crate::bindings::sluice::action::sql::{DatabaseError, Error, Value};

fn get<'r, R, T>(row: &'r R, i: usize) -> Result<T, Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(i).map_err(decode_error)
}

fn decode_error(e: sqlx::Error) -> Error {
    Error::QueryFailed(DatabaseError {
        message: format!("cannot decode a column: {e}"),
        sqlstate: None,
    })
}

fn unsupported(type_name: &str) -> Error {
    Error::QueryFailed(DatabaseError {
        message: format!(
            "columns of type {type_name} cannot be returned yet; cast the column to text in the query"
        ),
        sqlstate: None,
    })
}

fn type_name<R: Row>(row: &R, i: usize) -> Result<Option<String>, Error>
where
    usize: sqlx::ColumnIndex<R>,
{
    let raw = row.try_get_raw(i).map_err(decode_error)?;
    if raw.is_null() {
        return Ok(None);
    }
    Ok(Some(
        <<R::Database as Database>::ValueRef<'_> as ValueRef>::type_info(&raw)
            .name()
            .to_string(),
    ))
}

fn rfc3339(t: time::OffsetDateTime) -> Result<Value, Error> {
    t.format(&Rfc3339)
        .map(Value::Text)
        .map_err(|e| unsupported(&e.to_string()))
}

fn iso8601(t: time::PrimitiveDateTime) -> Result<Value, Error> {
    let whole = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let fraction = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"
    );
    let format = if t.nanosecond() == 0 { whole } else { fraction };
    t.format(format)
        .map(Value::Text)
        .map_err(|e| unsupported(&e.to_string()))
}

/// A PostgreSQL row as WIT values.
///
/// # Errors
/// `query-failed` for a column type with no mapping (named in the message).
pub fn pg_row(row: &PgRow) -> Result<Vec<Value>, Error> {
    (0..row.len())
        .map(|i| {
            let Some(name) = type_name(row, i)? else {
                return Ok(Value::Null);
            };
            Ok(match name.as_str() {
                "BOOL" => Value::Boolean(get(row, i)?),
                "INT2" => Value::Integer(get::<_, i16>(row, i)?.into()),
                "INT4" => Value::Integer(get::<_, i32>(row, i)?.into()),
                "INT8" => Value::Integer(get(row, i)?),
                "FLOAT4" => Value::Real(get::<_, f32>(row, i)?.into()),
                "FLOAT8" => Value::Real(get(row, i)?),
                "NUMERIC" => Value::Text(get::<_, rust_decimal::Decimal>(row, i)?.to_string()),
                "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Value::Text(get(row, i)?),
                "BYTEA" => Value::Blob(get(row, i)?),
                "JSON" | "JSONB" => Value::Text(get::<_, serde_json::Value>(row, i)?.to_string()),
                "TIMESTAMPTZ" => rfc3339(get(row, i)?)?,
                "TIMESTAMP" => iso8601(get(row, i)?)?,
                "DATE" => Value::Text(get::<_, time::Date>(row, i)?.to_string()),
                "TIME" => Value::Text(time_text(get(row, i)?)),
                "UUID" => Value::Text(get::<_, uuid::Uuid>(row, i)?.to_string()),
                other => return Err(unsupported(other)),
            })
        })
        .collect()
}

/// A MySQL/MariaDB row as WIT values.
///
/// # Errors
/// `query-failed` for a column type with no mapping (named in the message).
pub fn mysql_row(row: &MySqlRow) -> Result<Vec<Value>, Error> {
    (0..row.len())
        .map(|i| {
            let Some(name) = type_name(row, i)? else {
                return Ok(Value::Null);
            };
            Ok(match name.as_str() {
                "BOOLEAN" => Value::Boolean(get(row, i)?),
                n if n.ends_with("INT UNSIGNED") => {
                    let v: u64 = get(row, i)?;
                    i64::try_from(v).map_or(Value::Real(v as f64), Value::Integer)
                }
                "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" => {
                    Value::Integer(get(row, i)?)
                }
                "FLOAT" => Value::Real(get::<_, f32>(row, i)?.into()),
                "DOUBLE" => Value::Real(get(row, i)?),
                "DECIMAL" => Value::Text(get::<_, rust_decimal::Decimal>(row, i)?.to_string()),
                "VARCHAR" | "CHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM"
                | "SET" => Value::Text(get(row, i)?),
                "JSON" => Value::Text(get::<_, serde_json::Value>(row, i)?.to_string()),
                "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "BINARY" | "VARBINARY" => {
                    Value::Blob(get(row, i)?)
                }
                "TIMESTAMP" => rfc3339(get(row, i)?)?,
                "DATETIME" => iso8601(get(row, i)?)?,
                "DATE" => Value::Text(get::<_, time::Date>(row, i)?.to_string()),
                "TIME" => Value::Text(time_text(get(row, i)?)),
                other => return Err(unsupported(other)),
            })
        })
        .collect()
}

/// A SQLite row as WIT values, by each value's storage class (SQLite
/// columns are dynamically typed; dates are whatever text the app stored).
///
/// # Errors
/// `query-failed` when a value cannot be read.
pub fn sqlite_row(row: &SqliteRow) -> Result<Vec<Value>, Error> {
    (0..row.len())
        .map(|i| {
            let Some(name) = type_name(row, i)? else {
                return Ok(Value::Null);
            };
            let unchecked = |e| decode_error(e);
            Ok(match name.as_str() {
                "INTEGER" | "BOOLEAN" => {
                    Value::Integer(row.try_get_unchecked(i).map_err(unchecked)?)
                }
                "REAL" | "NUMERIC" => Value::Real(row.try_get_unchecked(i).map_err(unchecked)?),
                "BLOB" => Value::Blob(row.try_get_unchecked(i).map_err(unchecked)?),
                _ => Value::Text(row.try_get_unchecked(i).map_err(unchecked)?),
            })
        })
        .collect()
}

fn time_text(t: time::Time) -> String {
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}
