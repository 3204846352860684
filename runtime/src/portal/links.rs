//! One-time links mailed to consumers (address confirmation, password
//! reset): 32 random bytes as hex, kept only as SHA-256, each valid once
//! and until it expires. Issuing a new link of a purpose voids the older.

use sha2::{Digest, Sha256};

use crate::identity::{random_hex, unix_now};
use crate::store::consumers;

/// How long an address-confirmation link works: 24 hours.
pub const ACTIVATE_TTL_SECS: i64 = 24 * 3600;
/// How long a password-reset link works: 1 hour.
pub const RESET_TTL_SECS: i64 = 3600;

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues a link token of `purpose` for consumer `user_id`, valid `ttl_secs`.
///
/// # Errors
/// On database failure.
pub async fn issue(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    purpose: &str,
    ttl_secs: i64,
) -> sqlx::Result<String> {
    let token = random_hex(32);
    consumers::add_link(
        conn,
        &digest(&token),
        user_id,
        purpose,
        unix_now() + ttl_secs,
    )
    .await?;
    Ok(token)
}

/// Spends `token` for `purpose`; the consumer's id when it was valid.
/// Unknown, spent, expired and wrong-purpose tokens are alike: `None`.
///
/// # Errors
/// On database failure.
pub async fn spend<'e>(
    db: impl sqlx::AnyExecutor<'e>,
    token: &str,
    purpose: &str,
) -> sqlx::Result<Option<String>> {
    // A token is 64 hex characters; anything else cannot match and is not
    // worth a query.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    consumers::spend_link(db, &digest(token), purpose, unix_now()).await
}
