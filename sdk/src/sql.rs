//! SQL through the connections the action is granted (WIT `sql`).
//!
//! ```no_run
//! use serde::Deserialize;
//! use sluice_sdk::sql;
//!
//! #[derive(Deserialize)]
//! struct Todo { id: i64, title: String }
//!
//! # fn run() -> Result<(), sluice_sdk::Error> {
//! let db = sql::open("todo-db")?;
//! let todos: Vec<Todo> = db.query("SELECT id, title FROM todos WHERE id > ?", &[0.into()])?;
//! let tx = db.transaction()?;
//! tx.execute("DELETE FROM todos WHERE id = ?", &[1.into()])?;
//! tx.commit()?;
//! # Ok(()) }
//! ```
//!
//! Placeholders are `?` on every database; values are always bound, never
//! spliced into the statement. Rows map into any `serde::Deserialize` type
//! by column name.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use crate::bindings::sluice::action::sql as wit;

pub use wit::{DatabaseError, Error, ExecResult, RowSet, Value};

/// Opens connection `name`.
///
/// # Errors
/// [`Error::AccessDenied`] when the action is not granted it,
/// [`Error::NoSuchConnection`] when it does not exist,
/// [`Error::TooManyConnections`] past the per-invocation limit.
pub fn open(name: &str) -> Result<Connection, Error> {
    wit::Connection::open(name).map(Connection)
}

/// An open connection; dropped at the end of the invocation at the latest.
pub struct Connection(wit::Connection);

impl Connection {
    /// Runs `statement` and maps each row into `T` by column name.
    ///
    /// # Errors
    /// The host's [`Error`]; a row that does not fit `T` gives
    /// [`Error::QueryFailed`] with serde's message.
    pub fn query<T: DeserializeOwned>(
        &self,
        statement: &str,
        params: &[Value],
    ) -> Result<Vec<T>, Error> {
        let set = self.query_rows(statement, params)?;
        set.rows
            .into_iter()
            .map(|row| {
                let object: Map<String, Json> = set
                    .columns
                    .iter()
                    .cloned()
                    .zip(row.into_iter().map(to_json))
                    .collect();
                serde_json::from_value(Json::Object(object)).map_err(|e| {
                    Error::QueryFailed(DatabaseError {
                        message: format!("a row does not fit the target type: {e}"),
                        sqlstate: None,
                    })
                })
            })
            .collect()
    }

    /// Like [`Connection::query`], for at most one row.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub fn query_one<T: DeserializeOwned>(
        &self,
        statement: &str,
        params: &[Value],
    ) -> Result<Option<T>, Error> {
        Ok(self.query(statement, params)?.into_iter().next())
    }

    /// Runs `statement` and returns the raw columns and values.
    ///
    /// # Errors
    /// The host's [`Error`].
    pub fn query_rows(&self, statement: &str, params: &[Value]) -> Result<RowSet, Error> {
        self.0.query(statement, params)
    }

    /// Runs a statement that changes rows.
    ///
    /// # Errors
    /// The host's [`Error`].
    pub fn execute(&self, statement: &str, params: &[Value]) -> Result<ExecResult, Error> {
        self.0.execute(statement, params)
    }

    /// Starts a transaction; statements on this connection run inside it
    /// until the guard is committed, rolled back, or dropped (rolled back).
    ///
    /// # Errors
    /// [`Error::InvalidState`] when one is already open.
    pub fn transaction(&self) -> Result<Transaction<'_>, Error> {
        self.0.begin()?;
        Ok(Transaction {
            connection: self,
            open: true,
        })
    }
}

/// An open transaction; rolled back on drop unless committed.
pub struct Transaction<'a> {
    connection: &'a Connection,
    open: bool,
}

impl Transaction<'_> {
    /// Commits.
    ///
    /// # Errors
    /// The host's [`Error`].
    pub fn commit(mut self) -> Result<(), Error> {
        self.open = false;
        self.connection.0.commit()
    }

    /// Rolls back.
    ///
    /// # Errors
    /// The host's [`Error`].
    pub fn rollback(mut self) -> Result<(), Error> {
        self.open = false;
        self.connection.0.rollback()
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.connection
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.connection.0.rollback();
        }
    }
}

fn to_json(value: Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Integer(i) => i.into(),
        Value::Real(f) => f.into(),
        Value::Text(s) => s.into(),
        Value::Blob(b) => b.into(),
        Value::Boolean(b) => b.into(),
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Integer(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Self::Integer(v.into())
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Self::Integer(v.into())
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Real(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Boolean(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Self::Blob(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

impl Error {
    /// A sentence describing the error, for logs and problem details.
    pub fn message(&self) -> String {
        match self {
            Self::AccessDenied(m) => format!("access denied: {m}"),
            Self::NoSuchConnection(n) => format!("no such connection: {n}"),
            Self::QueryFailed(e) => match &e.sqlstate {
                Some(code) => format!("query failed ({code}): {}", e.message),
                None => format!("query failed: {}", e.message),
            },
            Self::Timeout => "the database did not answer in time".into(),
            Self::TooManyRows(n) => format!("the query returned more than {n} rows"),
            Self::TooManyConnections(n) => format!("more than {n} open connections"),
            Self::InvalidState(m) => format!("invalid state: {m}"),
            Self::Io(m) => format!("database unreachable: {m}"),
        }
    }
}

/// A SQL failure becomes a 503 when the database is unreachable or slow,
/// and a 500 otherwise; match on [`Error`] for finer statuses.
impl From<Error> for crate::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Timeout | Error::Io(_) | Error::TooManyConnections(_) => {
                Self::Unavailable(error.message())
            }
            other => Self::Internal(other.message()),
        }
    }
}
