//! The action's config: which table, its key and its columns. Written by an
//! admin or by `POST /admin/generators/sql-table`, checked by the host when
//! the action is made (builtins/sql-table/config.schema.json) and again here,
//! since column and table names are the only text this action puts into SQL.

use serde::Deserialize;
use sluice_sdk::Error;

/// `{"connection", "table", "key", "columns", "dialect"?, "default_limit"?, "max_limit"?, "param"?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `sql` connection (granted to the action).
    pub connection: String,
    /// The table's name: an identifier, `[A-Za-z_][A-Za-z0-9_]*`.
    pub table: String,
    /// The primary key column.
    pub key: String,
    /// Every column the API shows and writes, in order.
    pub columns: Vec<Column>,
    /// How identifiers are quoted: `sqlite`, `postgres` (`"name"`) or `mysql` (`` `name` ``).
    #[serde(default)]
    pub dialect: Dialect,
    /// Rows per page without `limit`.
    #[serde(default = "default_limit")]
    pub default_limit: u32,
    /// The largest `limit` a caller may ask for.
    #[serde(default = "max_limit")]
    pub max_limit: u32,
    /// The path parameter that carries the key (`/todos/:id` → `id`).
    #[serde(default = "param")]
    pub param: String,
}

fn default_limit() -> u32 {
    20
}
fn max_limit() -> u32 {
    100
}
fn param() -> String {
    "id".into()
}

/// One column.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The column's name: an identifier.
    pub name: String,
    /// Its JSON type.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Whether it may be null.
    #[serde(default)]
    pub nullable: bool,
    /// Set by the database (an auto-increment key, a default the API does
    /// not write): read-only through the API.
    #[serde(default)]
    pub generated: bool,
    /// The database has a default for it: an insert may leave it out.
    #[serde(default)]
    pub has_default: bool,
    /// A SQL type the bound text is cast to on PostgreSQL (`timestamp`,
    /// `uuid`, `numeric` …), for columns shown as strings.
    #[serde(default)]
    pub cast: Option<String>,
}

/// The JSON type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A 64-bit integer.
    Integer,
    /// A float.
    Number,
    /// Text (and every type without a JSON counterpart).
    String,
    /// `true`/`false` (0/1 where the database has no boolean type).
    Boolean,
}

/// The database's identifier quoting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// SQLite: `"name"`.
    #[default]
    Sqlite,
    /// PostgreSQL: `"name"`.
    Postgres,
    /// MySQL and MariaDB: `` `name` ``.
    Mysql,
}

/// Whether `name` is a plain identifier, the only names put into SQL.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

/// Whether `cast` is a SQL type name such as `timestamp with time zone` or `numeric(10, 2)`.
fn is_type_name(cast: &str) -> bool {
    let (name, args) = cast.split_once('(').unwrap_or((cast, ""));
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ')
        && (args.is_empty()
            || args.strip_suffix(')').is_some_and(|a| {
                a.chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
            }))
}

impl Config {
    /// Reads and checks the config.
    ///
    /// # Errors
    /// 500 saying what is wrong: the config is the admin's, not the caller's.
    pub fn load(req: &sluice_sdk::Request) -> Result<Self, Error> {
        let config: Self = req.context().config()?;
        let bad = |m: String| Err(Error::internal(format!("sql-table config: {m}")));
        if !is_identifier(&config.table) {
            return bad(format!("table {:?} is not an identifier", config.table));
        }
        for column in &config.columns {
            if !is_identifier(&column.name) {
                return bad(format!("column {:?} is not an identifier", column.name));
            }
            if let Some(cast) = &column.cast
                && !is_type_name(cast)
            {
                return bad(format!(
                    "cast {cast:?} of {} is not a type name",
                    column.name
                ));
            }
        }
        if config.column(&config.key).is_none() {
            return bad(format!("the key {:?} is not among the columns", config.key));
        }
        if config.max_limit == 0 || config.default_limit > config.max_limit {
            return bad("default_limit must be at most max_limit, which must be positive".into());
        }
        Ok(config)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// `name` quoted for the dialect (only ever a checked identifier).
    pub fn quote(&self, name: &str) -> String {
        match self.dialect {
            Dialect::Mysql => format!("`{name}`"),
            Dialect::Sqlite | Dialect::Postgres => format!("\"{name}\""),
        }
    }

    /// The placeholder of `column`: `?`, or `CAST(? AS type)` on PostgreSQL.
    pub fn placeholder(&self, column: &Column) -> String {
        match (&column.cast, self.dialect) {
            (Some(cast), Dialect::Postgres) => format!("CAST(? AS {cast})"),
            _ => "?".into(),
        }
    }

    /// The column list of every `SELECT`.
    pub fn select_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| self.quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
