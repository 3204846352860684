//! Password and client-secret hashing with argon2id (RFC 9106) and the
//! `argon2` crate's default parameters (19 MiB, 2 passes). Hashing runs on
//! the blocking pool so it never stalls request tasks.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest password a user may have, characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The PHC string (`$argon2id$v=19$...`) of `secret` with a fresh salt.
///
/// # Errors
/// Only if hashing fails, which argon2 does not for inputs under 4 GiB.
pub async fn hash(secret: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Whether `secret` matches the PHC string `phc`. With `None` (no such
/// user or app) a hash is still computed, so the answer takes as long
/// whether or not the name exists.
pub async fn verify(secret: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let Some(phc) = phc else {
            let salt = SaltString::generate(&mut OsRng);
            let _ = Argon2::default().hash_password(secret.as_bytes(), &salt);
            return false;
        };
        PasswordHash::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(secret.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Checks a new password against [`MIN_PASSWORD_CHARS`].
///
/// # Errors
/// A message saying what the rule is.
pub fn check_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    Ok(())
}
