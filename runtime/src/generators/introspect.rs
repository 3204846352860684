//! What a table looks like, read from the database itself: SQLite's
//! `pragma_table_info`, `information_schema` on PostgreSQL and MySQL/MariaDB
//! (table names are bound as parameters, never spliced).

use serde::Serialize;
use sqlx::Row;

use crate::connections::pools::DbPool;

/// The JSON type a column is shown as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A 64-bit integer.
    Integer,
    /// A float (also NUMERIC/DECIMAL).
    Number,
    /// Text, and every type without a JSON counterpart.
    String,
    /// A boolean.
    Boolean,
}

/// One column as the database describes it.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnInfo {
    /// Its name.
    pub name: String,
    /// Its type as the database names it (`character varying`, `INTEGER` …).
    pub db_type: String,
    /// The JSON type it maps to.
    pub kind: Kind,
    /// Whether its type has no JSON counterpart and is shown as a string.
    pub unsupported: bool,
    /// May be null.
    pub nullable: bool,
    /// Part of the primary key.
    pub primary: bool,
    /// Set by the database (auto-increment, identity, generated).
    pub generated: bool,
    /// Has a default, so an insert may leave it out.
    pub has_default: bool,
    /// Maximum length of a character column, characters.
    pub max_length: Option<u32>,
    /// PostgreSQL type a bound text must be cast to (`timestamp`, `uuid` …).
    pub cast: Option<String>,
}

/// Maps a type name to its JSON type; `(kind, unsupported)`.
fn kind_of(db_type: &str) -> (Kind, bool) {
    let t = db_type.to_ascii_lowercase();
    let t = t.trim();
    if t == "bool" || t == "boolean" || t == "tinyint(1)" {
        return (Kind::Boolean, false);
    }
    if (t.contains("int") && !t.contains("interval") && !t.contains("point"))
        || t.ends_with("serial")
    {
        return (Kind::Integer, false);
    }
    if ["real", "double", "float", "numeric", "decimal"]
        .iter()
        .any(|n| t.contains(n))
    {
        return (Kind::Number, false);
    }
    if ["char", "text", "clob", "enum", "set", "name"]
        .iter()
        .any(|n| t.contains(n))
    {
        return (Kind::String, false);
    }
    (Kind::String, true)
}

/// `n` of `VARCHAR(n)` in a declared type.
fn declared_length(db_type: &str) -> Option<u32> {
    let lower = db_type.to_ascii_lowercase();
    if !lower.contains("char") {
        return None;
    }
    let inner = lower.split_once('(')?.1.split_once(')')?.0;
    inner.trim().parse().ok()
}

/// The columns of `table` in order, or an empty list when there is no such
/// table (or view).
///
/// # Errors
/// When the database cannot be read.
pub async fn columns(pool: &DbPool, table: &str) -> sqlx::Result<Vec<ColumnInfo>> {
    match pool {
        DbPool::Sqlite(p) => {
            let rows = sqlx::query(
                "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid",
            )
            .bind(table)
            .fetch_all(p)
            .await?;
            let keys = rows.iter().filter(|r| r.get::<i64, _>("pk") > 0).count();
            Ok(rows
                .iter()
                .map(|r| {
                    let db_type: String = r.get("type");
                    let (kind, unsupported) = kind_of(&db_type);
                    let primary = r.get::<i64, _>("pk") > 0;
                    // A sole INTEGER PRIMARY KEY is the rowid: SQLite assigns it.
                    let generated = primary && keys == 1 && db_type.eq_ignore_ascii_case("integer");
                    ColumnInfo {
                        name: r.get("name"),
                        max_length: declared_length(&db_type),
                        db_type,
                        kind,
                        unsupported,
                        nullable: r.get::<i64, _>("notnull") == 0 && !primary,
                        primary,
                        generated,
                        has_default: r.get::<Option<String>, _>("dflt_value").is_some(),
                        cast: None,
                    }
                })
                .collect())
        }
        DbPool::Postgres(p) => {
            let keys: Vec<String> = sqlx::query_scalar(
                "SELECT kcu.column_name::text FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name \
                 AND tc.table_schema = kcu.table_schema AND tc.table_name = kcu.table_name \
                 WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() \
                 AND tc.table_name = $1",
            )
            .bind(table)
            .fetch_all(p)
            .await?;
            let rows = sqlx::query(
                "SELECT column_name::text AS name, data_type::text AS data_type, udt_name::text AS udt, \
                 is_nullable::text = 'YES' AS nullable, column_default::text AS dflt, \
                 character_maximum_length::int8 AS max_length, \
                 (is_identity::text = 'YES' OR is_generated::text = 'ALWAYS' \
                  OR coalesce(column_default::text, '') LIKE 'nextval(%') AS generated \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(p)
            .await?;
            Ok(rows
                .iter()
                .map(|r| {
                    let data_type: String = r.get("data_type");
                    let udt: String = r.get("udt");
                    let db_type = if data_type == "USER-DEFINED" || data_type == "ARRAY" {
                        udt.clone()
                    } else {
                        data_type
                    };
                    let (kind, unsupported) = kind_of(&db_type);
                    let name: String = r.get("name");
                    ColumnInfo {
                        primary: keys.contains(&name),
                        name,
                        max_length: r
                            .get::<Option<i64>, _>("max_length")
                            .and_then(|n| u32::try_from(n).ok()),
                        cast: unsupported.then(|| udt.clone()),
                        db_type,
                        kind,
                        unsupported,
                        nullable: r.get("nullable"),
                        generated: r.get("generated"),
                        has_default: r.get::<Option<String>, _>("dflt").is_some(),
                    }
                })
                .collect())
        }
        DbPool::MySql(p) => {
            let rows = sqlx::query(
                "SELECT CAST(COLUMN_NAME AS CHAR) AS name, CAST(COLUMN_TYPE AS CHAR) AS column_type, \
                 IS_NULLABLE = 'YES' AS nullable, COLUMN_DEFAULT IS NOT NULL AS has_default, \
                 CAST(CHARACTER_MAXIMUM_LENGTH AS SIGNED) AS max_length, COLUMN_KEY = 'PRI' AS pk, \
                 (EXTRA LIKE '%auto_increment%' OR EXTRA LIKE '%GENERATED%') AS generated \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
                 ORDER BY ORDINAL_POSITION",
            )
            .bind(table)
            .fetch_all(p)
            .await?;
            Ok(rows
                .iter()
                .map(|r| {
                    let db_type: String = r.get("column_type");
                    let (kind, unsupported) = kind_of(&db_type);
                    ColumnInfo {
                        name: r.get("name"),
                        max_length: r
                            .get::<Option<i64>, _>("max_length")
                            .and_then(|n| u32::try_from(n).ok()),
                        db_type,
                        kind,
                        unsupported,
                        nullable: r.get::<i64, _>("nullable") != 0,
                        primary: r.get::<i64, _>("pk") != 0,
                        generated: r.get::<i64, _>("generated") != 0,
                        has_default: r.get::<i64, _>("has_default") != 0,
                        cast: None,
                    }
                })
                .collect())
        }
    }
}

/// The base tables of the connection's database (its current schema), by name.
///
/// # Errors
/// When the database cannot be read.
pub async fn tables(pool: &DbPool) -> sqlx::Result<Vec<String>> {
    match pool {
        DbPool::Sqlite(p) => {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(p)
            .await
        }
        DbPool::Postgres(p) => {
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            )
            .fetch_all(p)
            .await
        }
        DbPool::MySql(p) => {
            sqlx::query_scalar(
                "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
            )
            .fetch_all(p)
            .await
        }
    }
}
