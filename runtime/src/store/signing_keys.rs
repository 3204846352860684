//! Token signing keys (`signing_keys`): the sealed Ed25519 seeds, their
//! public halves and their lifecycle. `crate::identity::keys` turns them
//! into signers, verifiers and the JWKS.

use sqlx::AnyExecutor;

/// One row of `signing_keys`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SigningKeyRow {
    /// The key id (`kid`): the RFC 7638 JWK thumbprint of the public key.
    pub kid: String,
    /// The JWS algorithm (RFC 7518 §3.1; RFC 8037 §3.1): `EdDSA`.
    pub algorithm: String,
    /// The 32-byte Ed25519 seed, sealed with the platform key under the
    /// context `signing-key:<kid>` (see `crate::secrets`).
    pub seed_sealed: Vec<u8>,
    /// The public key, base64url without padding (the JWK's `x`).
    pub public_key: String,
    /// When it was made, Unix seconds.
    pub created_at: i64,
    /// When it stopped signing, Unix seconds; `None` while it signs.
    pub retired_at: Option<i64>,
    /// When it stops verifying and is deleted, Unix seconds; `None` while
    /// it signs.
    pub expires_at: Option<i64>,
}

/// Keys that still verify at `now` (not past `expires_at`), oldest first.
///
/// # Errors
/// On database failure.
pub async fn live<'e>(db: impl AnyExecutor<'e>, now: i64) -> sqlx::Result<Vec<SigningKeyRow>> {
    sqlx::query_as(
        "SELECT * FROM signing_keys WHERE expires_at IS NULL OR expires_at > $1
         ORDER BY created_at, kid",
    )
    .bind(now)
    .fetch_all(db)
    .await
}

/// The key called `kid`, if any.
///
/// # Errors
/// On database failure.
pub async fn get<'e>(db: impl AnyExecutor<'e>, kid: &str) -> sqlx::Result<Option<SigningKeyRow>> {
    sqlx::query_as("SELECT * FROM signing_keys WHERE kid = $1")
        .bind(kid)
        .fetch_optional(db)
        .await
}

/// Adds `row`.
///
/// # Errors
/// On database failure (a duplicate `kid` among them).
pub async fn insert<'e>(db: impl AnyExecutor<'e>, row: &SigningKeyRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO signing_keys
            (kid, algorithm, seed_sealed, public_key, created_at, retired_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.kid)
    .bind(&row.algorithm)
    .bind(&row.seed_sealed)
    .bind(&row.public_key)
    .bind(row.created_at)
    .bind(row.retired_at)
    .bind(row.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Retires every key that still signs, except `keep`: each stops signing
/// at `now` and verifies until `expires_at`. Returns how many it retired.
///
/// # Errors
/// On database failure.
pub async fn retire_signing<'e>(
    db: impl AnyExecutor<'e>,
    keep: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE signing_keys SET retired_at = $1, expires_at = $2
         WHERE retired_at IS NULL AND kid <> $3",
    )
    .bind(now)
    .bind(expires_at)
    .bind(keep)
    .execute(db)
    .await?
    .rows_affected())
}

/// Deletes `kid`; whether it existed.
///
/// # Errors
/// On database failure.
pub async fn delete<'e>(db: impl AnyExecutor<'e>, kid: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM signing_keys WHERE kid = $1")
        .bind(kid)
        .execute(db)
        .await?
        .rows_affected()
        > 0)
}

/// Deletes the keys past their `expires_at`; how many went.
///
/// # Errors
/// On database failure.
pub async fn delete_expired<'e>(db: impl AnyExecutor<'e>, now: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
