//! Key-value storage through the `kv` connections the action is granted
//! (WIT `kv`), with JSON helpers.
//!
//! ```no_run
//! use sluice_sdk::kv::Store;
//!
//! # fn run() -> Result<(), sluice_sdk::Error> {
//! let cache = Store::new("cache");
//! if cache.get_json::<serde_json::Value>("weather:berlin")?.is_none() {
//!     cache.set_json("weather:berlin", &serde_json::json!({"t": 21}), Some(600))?;
//! }
//! let hits = cache.increment("hits", 1)?;
//! # Ok(()) }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::sluice::action::kv as wit;

pub use wit::Error;

/// A granted `kv` connection, by name.
#[derive(Debug, Clone)]
pub struct Store {
    connection: String,
}

impl Store {
    /// The connection called `connection` (checked on first use).
    pub fn new(connection: &str) -> Self {
        Self {
            connection: connection.to_string(),
        }
    }

    /// The bytes under `key`, or `None` when absent or expired.
    ///
    /// # Errors
    /// The host's [`Error`].
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        wit::get(&self.connection, key)
    }

    /// Stores `value`; `ttl_seconds` `None` takes the connection's default,
    /// `Some(0)` never expires.
    ///
    /// # Errors
    /// The host's [`Error`], e.g. [`Error::ValueTooLarge`].
    pub fn set(&self, key: &str, value: &[u8], ttl_seconds: Option<u32>) -> Result<(), Error> {
        wit::set(&self.connection, key, value, ttl_seconds)
    }

    /// Removes `key`; true when it existed.
    ///
    /// # Errors
    /// The host's [`Error`].
    pub fn delete(&self, key: &str) -> Result<bool, Error> {
        wit::delete(&self.connection, key)
    }

    /// True when `key` holds a live value.
    ///
    /// # Errors
    /// The host's [`Error`].
    pub fn exists(&self, key: &str) -> Result<bool, Error> {
        wit::exists(&self.connection, key)
    }

    /// Adds `delta` to the counter under `key` and returns the sum.
    ///
    /// # Errors
    /// [`Error::NotAnInteger`] when the value is not a decimal integer.
    pub fn increment(&self, key: &str, delta: i64) -> Result<i64, Error> {
        wit::increment(&self.connection, key, delta)
    }

    /// The JSON value under `key` parsed into `T`.
    ///
    /// # Errors
    /// The host's [`Error`]; [`Error::Io`] with serde's message when the
    /// stored bytes do not fit `T`.
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        self.get(key)?
            .map(|bytes| {
                serde_json::from_slice(&bytes)
                    .map_err(|e| Error::Io(format!("the value under {key:?} does not fit: {e}")))
            })
            .transpose()
    }

    /// Stores `value` as JSON.
    ///
    /// # Errors
    /// As [`Store::set`].
    pub fn set_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl_seconds: Option<u32>,
    ) -> Result<(), Error> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::Io(e.to_string()))?;
        self.set(key, &bytes, ttl_seconds)
    }
}

impl Error {
    /// A sentence describing the error, for logs and problem details.
    pub fn message(&self) -> String {
        match self {
            Self::AccessDenied(m) => format!("access denied: {m}"),
            Self::NoSuchConnection(m) => format!("no such connection: {m}"),
            Self::InvalidKey(m) => format!("invalid key: {m}"),
            Self::ValueTooLarge(n) => format!("the value is larger than {n} bytes"),
            Self::NotAnInteger(m) => format!("not an integer: {m}"),
            Self::Io(m) => format!("the store failed: {m}"),
        }
    }
}

/// An unreachable store is a 503; anything else a 500.
impl From<Error> for crate::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Io(_) => Self::Unavailable(error.message()),
            other => Self::Internal(other.message()),
        }
    }
}
