//! Password and client-secret hashing with argon2id (RFC 9106) and the
//! `argon2` crate's default parameters (19 MiB, 2 passes). Hashing runs on
//! the blocking pool so it never stalls request tasks.
//!
//! Checks that anyone may ask for (the token endpoint's passwords and
//! client secrets) pass through a [`HashLimiter`]: each costs 19 MiB and
//! tens of ms of a core, so without a bound 400 parallel guesses would take
//! 8 GB and starve compilation and file work before any ban applies.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

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

/// Settings of the [`HashLimiter`].
#[derive(Debug, Clone, Copy)]
pub struct HashSettings {
    /// Checks that run at once (`SLUICE_HASH_CONCURRENCY`, default: the
    /// number of cores).
    pub concurrency: usize,
    /// Checks that may wait for a turn (`SLUICE_HASH_QUEUE`, default 4 per
    /// concurrent check); one more is refused with [`Busy`].
    pub queue: usize,
}

impl Default for HashSettings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            concurrency: cores,
            queue: 4 * cores,
        }
    }
}

/// All password checks are busy and the queue is full: the caller answers
/// 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks are running; retry in a second")]
pub struct Busy;

/// Bounds the password checks running at once, with a short queue.
#[derive(Debug)]
pub struct HashLimiter {
    running: Semaphore,
    /// Checks holding or waiting for a permit.
    admitted: AtomicUsize,
    /// Most checks admitted: running plus queued.
    capacity: usize,
}

impl HashLimiter {
    /// A limiter with `settings` (each at least 1 running, 0 queued).
    pub fn new(settings: HashSettings) -> Self {
        let concurrency = settings.concurrency.max(1);
        Self {
            running: Semaphore::new(concurrency),
            admitted: AtomicUsize::new(0),
            capacity: concurrency + settings.queue,
        }
    }

    /// [`verify`] once a turn is free.
    ///
    /// # Errors
    /// [`Busy`] at once when `concurrency + queue` checks are already
    /// admitted.
    pub async fn verify(&self, secret: String, phc: Option<String>) -> Result<bool, Busy> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let _admitted = Admitted(&self.admitted);
        // The semaphore is never closed, so acquiring only waits.
        let _permit = self.running.acquire().await.map_err(|_| Busy)?;
        Ok(verify(secret, phc).await)
    }
}

/// Releases an admission on every exit path, a cancelled request included.
struct Admitted<'a>(&'a AtomicUsize);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether `secret` matches the PHC string `phc`. With `None` (no such
/// user or app) a hash is still computed, so the answer takes as long
/// whether or not the name exists. Unbounded: requests from outside go
/// through [`HashLimiter::verify`].
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
