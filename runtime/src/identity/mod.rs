//! Who is calling: OAuth2 tokens (RFC 6749) as signed JWTs (RFC 9068
//! profile), passwords and client secrets as argon2id hashes, and the
//! scopes a caller may obtain. Shared by the token endpoint, the gateway,
//! the admin API and the CLI.

pub mod passwords;
pub mod scopes;
pub mod tokens;

pub use tokens::{Caller, Issued, TokenError, TokenSettings, Tokens};

/// Current Unix time in seconds.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut buf);
    hex::encode(buf)
}
