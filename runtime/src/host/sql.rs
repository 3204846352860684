//! The WIT `sql` interface: guests open granted `sql` connections by name
//! and run statements with bound parameters through each driver's sqlx pool
//! (rows decoded by `sql_values`).
//!
//! Connections are lent by [`crate::host::lend`]; then at most
//! [`MAX_CONNECTIONS`] may be open at once (`too-many-connections`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::mysql::MySql;
use sqlx::postgres::Postgres;
use sqlx::query::Query;
use sqlx::sqlite::Sqlite;
use sqlx::{Column, Database, Encode, Row, Transaction, Type};
use wasmtime::component::Resource;

use crate::bindings::sluice::action::sql::{
    DatabaseError, Error, ExecResult, Host, HostConnection, RowSet, Value,
};
use crate::connections::pools::DbPool;
use crate::connections::registry::Backend;
use crate::host::HostState;
use crate::host::lend::Refusal;
use crate::host::placeholders::numbered_placeholders;
use crate::host::sql_values;
use crate::telemetry::metrics::Metrics;

/// Connections one invocation may hold at once.
pub const MAX_CONNECTIONS: u32 = 4;
/// Rows one query may return.
pub const MAX_ROWS: u32 = 10_000;

/// An open transaction of one driver.
enum DbTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
    MySql(Transaction<'static, MySql>),
}

impl DbTx {
    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(tx) => tx.commit().await,
            Self::Postgres(tx) => tx.commit().await,
            Self::MySql(tx) => tx.commit().await,
        }
    }

    async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(tx) => tx.rollback().await,
            Self::Postgres(tx) => tx.rollback().await,
            Self::MySql(tx) => tx.rollback().await,
        }
    }
}

/// An open connection handed to the guest as a resource.
pub struct SqlConnection {
    pool: DbPool,
    timeout: Duration,
    /// The connection's `max_result_bytes`.
    max_result_bytes: usize,
    tx: Option<DbTx>,
    /// The connection's name, for metrics.
    name: String,
    metrics: Option<Arc<Metrics>>,
}

/// A pooled connection lent for one statement, closed rather than
/// returned to the pool unless the statement ran to its end.
///
/// A result abandoned half read (past `max_result_bytes` or [`MAX_ROWS`],
/// or at the deadline) is still on its way from the server: returned to
/// the pool, the connection would first be pinged, which reads and throws
/// away the rest — gigabytes, for as long as the server keeps producing
/// them (MySQL/MariaDB without a time limit), holding one of the pool's
/// few slots meanwhile. Closed, its socket goes at once and the server
/// stops at its next write.
struct Lease<DB: Database> {
    connection: sqlx::pool::PoolConnection<DB>,
    /// Set when the statement's answer was read to its end.
    finished: bool,
}

impl<DB: Database> Drop for Lease<DB> {
    fn drop(&mut self) {
        if !self.finished {
            self.connection.close_on_drop();
        }
    }
}

/// A pooled connection of `pool`, the wait reported to `metrics`.
async fn acquire<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    name: &str,
    metrics: Option<&Metrics>,
) -> Result<Lease<DB>, Error> {
    let started = std::time::Instant::now();
    let connection = pool.acquire().await.map_err(map_error)?;
    if let Some(metrics) = metrics {
        metrics.sql_acquired(name, started.elapsed().as_secs_f64());
    }
    Ok(Lease {
        connection,
        finished: false,
    })
}

/// `db.system.name` of a pool (OpenTelemetry database semantic conventions).
fn system_name(pool: &DbPool) -> &'static str {
    match pool {
        DbPool::Sqlite(_) => "sqlite",
        DbPool::Postgres(_) => "postgresql",
        DbPool::MySql(_) => "mysql",
    }
}

/// A database's message, with what Sluice's own refusals on a guest's
/// SQLite connection mean (`sluice_guard::sqlite`).
fn explain(message: &str) -> String {
    // SQLite's words for an authorizer's refusal, by where it struck.
    let denied = message.starts_with(sluice_guard::sqlite::DENIED_MESSAGE)
        || message == "authorization denied"
        || (message.starts_with("access to ") && message.ends_with(" is prohibited"));
    if denied {
        format!(
            "{message}: a guest's SQLite connection may not attach or detach databases, \
             load extensions, or use the pragmas that reveal host paths or loosen the \
             schema's safety (docs/security.md)"
        )
    } else if message.starts_with("too many attached databases") {
        format!(
            "{message}: a guest's SQLite connection may not ATTACH or VACUUM (docs/security.md)"
        )
    } else if message == "string or blob too big" {
        format!("{message}: a value or row is larger than this connection's max_result_bytes")
    } else {
        message.to_string()
    }
}

/// Picks the WIT error for a sqlx error, logging internals.
fn map_error(error: sqlx::Error) -> Error {
    match error {
        sqlx::Error::Database(db) => Error::QueryFailed(DatabaseError {
            message: explain(db.message()),
            sqlstate: db.code().map(|c| c.into_owned()),
        }),
        sqlx::Error::PoolTimedOut => Error::Timeout,
        sqlx::Error::Io(e) => Error::Io(e.to_string()),
        sqlx::Error::Tls(e) => Error::Io(format!("TLS: {e}")),
        sqlx::Error::PoolClosed => Error::Io("the connection was changed or deleted".into()),
        other => {
            tracing::debug!(error = %other, "sql call failed");
            Error::QueryFailed(DatabaseError {
                message: other.to_string(),
                sqlstate: None,
            })
        }
    }
}

fn bind_all<'q, DB>(
    mut query: Query<'q, DB, <DB as Database>::Arguments<'q>>,
    params: Vec<Value>,
) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    Vec<u8>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
{
    for param in params {
        query = match param {
            Value::Null => query.bind(Option::<i64>::None),
            Value::Integer(i) => query.bind(i),
            Value::Real(f) => query.bind(f),
            Value::Text(s) => query.bind(s),
            Value::Blob(b) => query.bind(b),
            Value::Boolean(b) => query.bind(b),
        };
    }
    query
}

/// The bytes a value takes in a result: its text or blob, 8 for a number.
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::Text(t) => t.len(),
        Value::Blob(b) => b.len(),
        Value::Null | Value::Boolean(_) => 1,
        Value::Integer(_) | Value::Real(_) => 8,
    }
}

/// The guest's error for a result past the connection's `max_result_bytes`
/// (SQLSTATE 54000, "program limit exceeded", as PostgreSQL names it).
fn result_too_large(max: usize) -> Error {
    Error::QueryFailed(DatabaseError {
        message: format!(
            "the result is larger than {max} bytes, this connection's max_result_bytes; \
             select fewer rows or columns (LIMIT/OFFSET) or raise config.max_result_bytes"
        ),
        sqlstate: Some("54000".into()),
    })
}

/// Runs `$statement` with `$params` on `$executor`, decoding rows with
/// `$decode` one at a time as the driver streams them (sqlx `fetch`, one
/// row held at a time) and counting their bytes against `$max_bytes`, so a
/// result past the cap stops at the row that crosses it and the stream is
/// dropped with the rest unread. `$finished` is set when the driver's
/// answer was read to its end (all rows, or the database's error).
macro_rules! fetch_rows {
    ($executor:expr, $statement:expr, $params:expr, $decode:path, $max_bytes:expr,
     $finished:expr) => {{
        let mut stream = bind_all(sqlx::query($statement), $params).fetch($executor);
        let mut set = RowSet {
            columns: Vec::new(),
            rows: Vec::new(),
        };
        let mut bytes: usize = 0;
        loop {
            let row = match stream.try_next().await {
                Ok(Some(row)) => row,
                Ok(None) => {
                    $finished = true;
                    break Ok(set);
                }
                Err(e) => {
                    $finished = true;
                    break Err(map_error(e));
                }
            };
            if set.columns.is_empty() {
                set.columns = row.columns().iter().map(|c| c.name().to_string()).collect();
                bytes = set.columns.iter().map(String::len).sum();
            }
            if set.rows.len() as u32 >= MAX_ROWS {
                break Err(Error::TooManyRows(MAX_ROWS));
            }
            let values = match $decode(&row) {
                Ok(values) => values,
                Err(e) => break Err(e),
            };
            bytes = bytes.saturating_add(values.iter().map(value_bytes).sum::<usize>());
            if bytes > $max_bytes {
                break Err(result_too_large($max_bytes));
            }
            set.rows.push(values);
        }
    }};
}

/// Runs `$statement` with `$params` on `$executor`; `$id` reads the last
/// insert id from the driver's result. Evaluates to the driver's answer,
/// read to its end (a deadline drops it unfinished).
macro_rules! run_statement {
    ($executor:expr, $statement:expr, $params:expr, $id:expr) => {{
        bind_all(sqlx::query($statement), $params)
            .execute($executor)
            .await
            .map(|done| ExecResult {
                rows_affected: done.rows_affected(),
                last_insert_id: $id(&done),
            })
            .map_err(map_error)
    }};
}

impl SqlConnection {
    fn statement(&self, statement: &str) -> String {
        match self.pool {
            DbPool::Postgres(_) => numbered_placeholders(statement),
            _ => statement.to_string(),
        }
    }

    async fn query(&mut self, statement: String, params: Vec<Value>) -> Result<RowSet, Error> {
        let statement = self.statement(&statement);
        let timeout = self.timeout;
        let max_bytes = self.max_result_bytes;
        let (name, metrics) = (self.name.as_str(), self.metrics.as_deref());
        let run = async {
            let sql = statement.as_str();
            // In a transaction the connection stays the guest's: what a
            // capped result left unread is read before its next statement.
            let mut _in_transaction = false;
            match (&self.pool, self.tx.as_mut()) {
                (_, Some(DbTx::Sqlite(tx))) => {
                    let decode = sql_values::sqlite_row;
                    fetch_rows!(&mut **tx, sql, params, decode, max_bytes, _in_transaction)
                }
                (_, Some(DbTx::Postgres(tx))) => {
                    let decode = sql_values::pg_row;
                    fetch_rows!(&mut **tx, sql, params, decode, max_bytes, _in_transaction)
                }
                (_, Some(DbTx::MySql(tx))) => {
                    let decode = sql_values::mysql_row;
                    fetch_rows!(&mut **tx, sql, params, decode, max_bytes, _in_transaction)
                }
                (DbPool::Sqlite(p), None) => {
                    let mut lease = acquire(p, name, metrics).await?;
                    let Lease {
                        connection,
                        finished,
                    } = &mut lease;
                    let decode = sql_values::sqlite_row;
                    fetch_rows!(&mut **connection, sql, params, decode, max_bytes, *finished)
                }
                (DbPool::Postgres(p), None) => {
                    let mut lease = acquire(p, name, metrics).await?;
                    let Lease {
                        connection,
                        finished,
                    } = &mut lease;
                    let decode = sql_values::pg_row;
                    fetch_rows!(&mut **connection, sql, params, decode, max_bytes, *finished)
                }
                (DbPool::MySql(p), None) => {
                    let mut lease = acquire(p, name, metrics).await?;
                    let Lease {
                        connection,
                        finished,
                    } = &mut lease;
                    let decode = sql_values::mysql_row;
                    fetch_rows!(&mut **connection, sql, params, decode, max_bytes, *finished)
                }
            }
        };
        tokio::time::timeout(timeout, run)
            .await
            .unwrap_or(Err(Error::Timeout))
    }

    async fn execute(
        &mut self,
        statement: String,
        params: Vec<Value>,
    ) -> Result<ExecResult, Error> {
        let statement = self.statement(&statement);
        let timeout = self.timeout;
        let sqlite_id = |d: &sqlx::sqlite::SqliteQueryResult| Some(d.last_insert_rowid());
        let pg_id = |_: &sqlx::postgres::PgQueryResult| None;
        let mysql_id = |d: &sqlx::mysql::MySqlQueryResult| i64::try_from(d.last_insert_id()).ok();
        let (name, metrics) = (self.name.as_str(), self.metrics.as_deref());
        let run = async {
            let sql = statement.as_str();
            match (&self.pool, self.tx.as_mut()) {
                (_, Some(DbTx::Sqlite(tx))) => run_statement!(&mut **tx, sql, params, sqlite_id),
                (_, Some(DbTx::Postgres(tx))) => run_statement!(&mut **tx, sql, params, pg_id),
                (_, Some(DbTx::MySql(tx))) => run_statement!(&mut **tx, sql, params, mysql_id),
                (DbPool::Sqlite(p), None) => {
                    let mut c = acquire(p, name, metrics).await?;
                    let done = run_statement!(&mut *c.connection, sql, params, sqlite_id);
                    c.finished = true;
                    done
                }
                (DbPool::Postgres(p), None) => {
                    let mut c = acquire(p, name, metrics).await?;
                    let done = run_statement!(&mut *c.connection, sql, params, pg_id);
                    c.finished = true;
                    done
                }
                (DbPool::MySql(p), None) => {
                    let mut c = acquire(p, name, metrics).await?;
                    let done = run_statement!(&mut *c.connection, sql, params, mysql_id);
                    c.finished = true;
                    done
                }
            }
        };
        tokio::time::timeout(timeout, run)
            .await
            .unwrap_or(Err(Error::Timeout))
    }

    async fn begin(&mut self) -> Result<(), Error> {
        if self.tx.is_some() {
            return Err(Error::InvalidState("a transaction is already open".into()));
        }
        let begin = async {
            Ok::<_, sqlx::Error>(match &self.pool {
                // IMMEDIATE takes the write lock at once: a deferred
                // transaction that reads and then writes fails with "database
                // is locked" when another writer got in between, without
                // waiting out the busy timeout.
                DbPool::Sqlite(p) => DbTx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
                DbPool::Postgres(p) => DbTx::Postgres(p.begin().await?),
                DbPool::MySql(p) => DbTx::MySql(p.begin().await?),
            })
        };
        let tx = tokio::time::timeout(self.timeout, begin)
            .await
            .map_err(|_| Error::Timeout)?
            .map_err(map_error)?;
        self.tx = Some(tx);
        Ok(())
    }
}

impl Host for HostState {}

impl HostState {
    /// The guest's connection behind handle `r`.
    /// Every call on an open connection comes through here, so it counts
    /// the call against the invocation's cap.
    fn connection(&mut self, r: &Resource<SqlConnection>) -> Result<&mut SqlConnection, Error> {
        self.calls.count();
        self.table
            .get_mut(r)
            .map_err(|e| Error::InvalidState(e.to_string()))
    }
}

impl HostConnection for HostState {
    #[tracing::instrument(level = "debug", skip(self), fields(request_id = %self.request_id))]
    async fn open(&mut self, name: String) -> Result<Resource<SqlConnection>, Error> {
        self.calls.count();
        let found = match self.lender.lend(&name, "sql").await {
            Ok(Backend::Sql(pool)) => pool,
            Ok(_) => return Err(Error::NoSuchConnection(name)),
            Err(Refusal::NoSuchConnection(m)) => return Err(Error::NoSuchConnection(m)),
            Err(Refusal::AccessDenied(m)) => return Err(Error::AccessDenied(m)),
            Err(Refusal::Unavailable(m)) => return Err(Error::Io(m)),
        };
        if self.sql_open >= MAX_CONNECTIONS {
            return Err(Error::TooManyConnections(MAX_CONNECTIONS));
        }
        self.sql_open += 1;
        let connection = SqlConnection {
            pool: found.pool,
            timeout: Duration::from_millis(found.config.statement_timeout_ms),
            max_result_bytes: usize::try_from(found.config.max_result_bytes).unwrap_or(usize::MAX),
            tx: None,
            name,
            metrics: self.metrics.clone(),
        };
        self.table
            .push(connection)
            .map_err(|e| Error::Io(format!("resource table: {e}")))
    }

    // A client span per statement (OpenTelemetry database conventions):
    // the statement as the guest wrote it, never the values bound to it.
    #[tracing::instrument(target = "sluice::trace", name = "sql query", skip_all,
        fields(otel.kind = "client", db.system.name = tracing::field::Empty,
               db.query.text = %statement, db.response.returned_rows = tracing::field::Empty))]
    async fn query(
        &mut self,
        connection: Resource<SqlConnection>,
        statement: String,
        params: Vec<Value>,
    ) -> Result<RowSet, Error> {
        let connection = self.connection(&connection)?;
        let span = tracing::Span::current();
        span.record("db.system.name", system_name(&connection.pool));
        let rows = connection.query(statement, params).await;
        if let Ok(rows) = &rows {
            span.record("db.response.returned_rows", rows.rows.len());
        }
        rows
    }

    #[tracing::instrument(target = "sluice::trace", name = "sql execute", skip_all,
        fields(otel.kind = "client", db.system.name = tracing::field::Empty,
               db.query.text = %statement))]
    async fn execute(
        &mut self,
        connection: Resource<SqlConnection>,
        statement: String,
        params: Vec<Value>,
    ) -> Result<ExecResult, Error> {
        let connection = self.connection(&connection)?;
        tracing::Span::current().record("db.system.name", system_name(&connection.pool));
        connection.execute(statement, params).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(request_id = %self.request_id))]
    async fn begin(&mut self, connection: Resource<SqlConnection>) -> Result<(), Error> {
        self.connection(&connection)?.begin().await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(request_id = %self.request_id))]
    async fn commit(&mut self, connection: Resource<SqlConnection>) -> Result<(), Error> {
        let connection = self.connection(&connection)?;
        let tx = connection
            .tx
            .take()
            .ok_or_else(|| Error::InvalidState("commit without begin".into()))?;
        tx.commit().await.map_err(map_error)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(request_id = %self.request_id))]
    async fn rollback(&mut self, connection: Resource<SqlConnection>) -> Result<(), Error> {
        let connection = self.connection(&connection)?;
        let tx = connection
            .tx
            .take()
            .ok_or_else(|| Error::InvalidState("rollback without begin".into()))?;
        tx.rollback().await.map_err(map_error)
    }

    async fn drop(&mut self, connection: Resource<SqlConnection>) -> wasmtime::Result<()> {
        let connection = self.table.delete(connection)?;
        self.sql_open = self.sql_open.saturating_sub(1);
        if let Some(tx) = connection.tx {
            // Not committed: roll back now rather than when the pool next
            // hands the connection out.
            if let Err(e) = tx.rollback().await {
                tracing::warn!(error = %e, "rolling back an abandoned transaction failed");
            }
        }
        Ok(())
    }
}
