//! The OAuth2 tokens of `http` connections and the authorization flows in
//! progress (`connection_tokens`, `oauth2_flows`); both hold sealed values.

use sqlx::AnyExecutor;

/// One row of `connection_tokens`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// The connection.
    pub connection: String,
    /// The sealed JSON of the tokens; `None` once they were given up.
    pub tokens_sealed: Option<Vec<u8>>,
    /// Unix ms when the access token expires, when known.
    pub expires_ms: Option<i64>,
    /// `authorized` or `needs_authorization`.
    pub status: String,
    /// Why it needs authorization again.
    pub error: Option<String>,
    /// Unix ms of the last change.
    pub updated_ms: i64,
}

/// The tokens of `connection`, if any were ever stored.
///
/// # Errors
/// On database failure.
pub async fn tokens<'e>(
    db: impl AnyExecutor<'e>,
    connection: &str,
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as("SELECT * FROM connection_tokens WHERE connection = $1")
        .bind(connection)
        .fetch_optional(db)
        .await
}

/// Stores `row` in place of what `connection` had.
///
/// # Errors
/// On database failure.
pub async fn save_tokens<'e>(db: impl AnyExecutor<'e>, row: &TokenRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO connection_tokens (connection, tokens_sealed, expires_ms, status, error, updated_ms)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (connection) DO UPDATE SET tokens_sealed = $2, expires_ms = $3,
             status = $4, error = $5, updated_ms = $6",
    )
    .bind(&row.connection)
    .bind(&row.tokens_sealed)
    .bind(row.expires_ms)
    .bind(&row.status)
    .bind(&row.error)
    .bind(row.updated_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets the tokens and flows of `connection` (it was deleted).
///
/// # Errors
/// On database failure.
pub async fn forget(conn: &mut sqlx::AnyConnection, connection: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM connection_tokens WHERE connection = $1")
        .bind(connection)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM oauth2_flows WHERE connection = $1")
        .bind(connection)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One row of `oauth2_flows`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlowRow {
    /// The `state` sent to the provider.
    pub state: String,
    /// The connection being authorized.
    pub connection: String,
    /// The sealed PKCE verifier.
    pub verifier_sealed: Vec<u8>,
    /// The redirect URI sent to the provider (the token request repeats it).
    pub redirect_uri: String,
    /// Unix ms when the flow started.
    pub created_ms: i64,
}

/// Records a flow, dropping flows older than `stale_before_ms`.
///
/// # Errors
/// On database failure.
pub async fn start_flow(
    db: &sqlx::AnyPool,
    row: &FlowRow,
    stale_before_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM oauth2_flows WHERE created_ms < $1")
        .bind(stale_before_ms)
        .execute(db)
        .await?;
    sqlx::query(
        "INSERT INTO oauth2_flows (state, connection, verifier_sealed, redirect_uri, created_ms)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.state)
    .bind(&row.connection)
    .bind(&row.verifier_sealed)
    .bind(&row.redirect_uri)
    .bind(row.created_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes the flow with `state` (it can be taken once), if it exists.
///
/// # Errors
/// On database failure.
pub async fn take_flow(db: &sqlx::AnyPool, state: &str) -> sqlx::Result<Option<FlowRow>> {
    let row: Option<FlowRow> = sqlx::query_as("SELECT * FROM oauth2_flows WHERE state = $1")
        .bind(state)
        .fetch_optional(db)
        .await?;
    let taken = sqlx::query("DELETE FROM oauth2_flows WHERE state = $1")
        .bind(state)
        .execute(db)
        .await?
        .rows_affected();
    // A concurrent callback with the same state took it first.
    Ok(row.filter(|_| taken == 1))
}
