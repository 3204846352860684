//! Files under the `files` connections the action is granted (WIT
//! `files`), with CSV and JSON helpers. Paths are relative to the
//! connection's root; the host refuses anything that would leave it.
//!
//! ```no_run
//! use sluice_sdk::files::Files;
//!
//! # fn run() -> Result<(), sluice_sdk::Error> {
//! let data = Files::new("reports");
//! let rows = data.read_csv("2026/sales.csv")?;        // header row as keys
//! for entry in data.list("2026")? {
//!     sluice_sdk::log::info(&format!("{} ({} bytes)", entry.name, entry.size));
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::sluice::action::files as wit;

pub use wit::{Entry, Error};

/// A granted `files` connection, by name.
#[derive(Debug, Clone)]
pub struct Files {
    connection: String,
}

impl Files {
    /// The connection called `connection` (checked on first use).
    pub fn new(connection: &str) -> Self {
        Self {
            connection: connection.to_string(),
        }
    }

    /// The bytes of the file at `path`.
    ///
    /// # Errors
    /// The host's [`Error`], e.g. [`Error::NotFound`] or [`Error::InvalidPath`].
    pub fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        wit::read(&self.connection, path)
    }

    /// The file at `path` as UTF-8 text.
    ///
    /// # Errors
    /// As [`Files::read`]; [`Error::Io`] when it is not UTF-8.
    pub fn read_to_string(&self, path: &str) -> Result<String, Error> {
        String::from_utf8(self.read(path)?)
            .map_err(|_| Error::Io(format!("{path} is not UTF-8 text")))
    }

    /// The JSON file at `path`, deserialized.
    ///
    /// # Errors
    /// As [`Files::read`]; [`Error::Io`] when it does not parse as `T`.
    pub fn read_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        serde_json::from_slice(&self.read(path)?)
            .map_err(|e| Error::Io(format!("{path} is not the JSON expected: {e}")))
    }

    /// The CSV file at `path` (RFC 4180, comma-separated, UTF-8) as one map
    /// per row, keyed by the header row's names.
    ///
    /// # Errors
    /// As [`Files::read`]; [`Error::Io`] when a row does not parse.
    pub fn read_csv(&self, path: &str) -> Result<Vec<BTreeMap<String, String>>, Error> {
        parse_csv(&self.read(path)?).map_err(|e| Error::Io(format!("{path}: {e}")))
    }

    /// Replaces or creates the file at `path` with `contents`, atomically.
    ///
    /// # Errors
    /// The host's [`Error`], e.g. [`Error::ReadOnly`].
    pub fn write(&self, path: &str, contents: &[u8]) -> Result<(), Error> {
        wit::write(&self.connection, path, contents)
    }

    /// Writes `value` as JSON to the file at `path`.
    ///
    /// # Errors
    /// As [`Files::write`].
    pub fn write_json<T: Serialize + ?Sized>(&self, path: &str, value: &T) -> Result<(), Error> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Io(e.to_string()))?;
        self.write(path, &bytes)
    }

    /// The directories and allowed files in the directory at `path` ("" is
    /// the root), sorted by name.
    ///
    /// # Errors
    /// The host's [`Error`].
    pub fn list(&self, path: &str) -> Result<Vec<Entry>, Error> {
        wit::list(&self.connection, path)
    }

    /// What is at `path`.
    ///
    /// # Errors
    /// The host's [`Error`], [`Error::NotFound`] when nothing is there.
    pub fn stat(&self, path: &str) -> Result<Entry, Error> {
        wit::stat(&self.connection, path)
    }

    /// Deletes the file at `path`; false when there was none.
    ///
    /// # Errors
    /// The host's [`Error`], e.g. [`Error::ReadOnly`].
    pub fn delete(&self, path: &str) -> Result<bool, Error> {
        wit::delete(&self.connection, path)
    }
}

/// Rows of CSV `bytes` as maps keyed by the header row.
///
/// # Errors
/// The `csv` crate's message for a malformed row.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<BTreeMap<String, String>>, csv::Error> {
    csv::Reader::from_reader(bytes).deserialize().collect()
}

impl Error {
    /// A sentence describing the error, for logs and problem details.
    pub fn message(&self) -> String {
        match self {
            Self::AccessDenied(m) => format!("access denied: {m}"),
            Self::NoSuchConnection(m) => format!("no such connection: {m}"),
            Self::InvalidPath(m) => format!("invalid path: {m}"),
            Self::NotFound(m) => format!("not found: {m}"),
            Self::ReadOnly(m) => format!("read-only: {m}"),
            Self::TooLarge(n) => format!("the file is larger than {n} bytes"),
            Self::NotAllowed(m) => format!("not allowed: {m}"),
            Self::Io(m) => format!("the file system failed: {m}"),
        }
    }
}

/// A missing file is a 404, a path the caller chose badly a 400, a refused
/// write a 403, a failing disk a 503; anything else a 500.
impl From<Error> for crate::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::NotFound(_) => Self::NotFound(error.message()),
            Error::InvalidPath(_) | Error::TooLarge(_) => Self::InvalidInput(error.message()),
            Error::NotAllowed(_) | Error::ReadOnly(_) => Self::Forbidden(error.message()),
            Error::Io(_) => Self::Unavailable(error.message()),
            Error::AccessDenied(_) | Error::NoSuchConnection(_) => Self::Internal(error.message()),
        }
    }
}
