//! Programs behind the `command` connections the action is granted (WIT
//! `command`). The admin fixed the program and its argument template; the
//! action fills named slots.
//!
//! ```no_run
//! use sluice_sdk::command::Command;
//!
//! # fn run() -> Result<(), sluice_sdk::Error> {
//! let out = Command::new("weather-cli").slot("city", "Berlin").run()?;
//! let data: serde_json::Value = out.json()?;
//! # Ok(()) }
//! ```

use serde::de::DeserializeOwned;

use crate::bindings::sluice::action::command as wit;

pub use wit::Error;

/// One run of a `command` connection's program, being prepared.
#[derive(Debug, Clone)]
pub struct Command {
    connection: String,
    slots: Vec<(String, String)>,
    stdin: Vec<u8>,
}

/// What the program left.
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit status; `None` when a signal ended it.
    pub status: Option<i32>,
    /// What it wrote to stdout.
    pub stdout: Vec<u8>,
    /// What it wrote to stderr.
    pub stderr: Vec<u8>,
}

impl Command {
    /// A run of the program of connection `connection`.
    pub fn new(connection: &str) -> Self {
        Self {
            connection: connection.to_string(),
            slots: Vec::new(),
            stdin: Vec::new(),
        }
    }

    /// Fills slot `name` of the argument template with `value` (checked by
    /// the host against the slot's pattern).
    #[must_use]
    pub fn slot(mut self, name: &str, value: &str) -> Self {
        self.slots.push((name.to_string(), value.to_string()));
        self
    }

    /// Sends `bytes` to the program's stdin (at most 1 MiB).
    #[must_use]
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }

    /// Runs the program and waits for it.
    ///
    /// # Errors
    /// The host's [`Error`], e.g. [`Error::InvalidArgument`] or [`Error::Timeout`].
    pub fn run(&self) -> Result<Output, Error> {
        let out = wit::run(&self.connection, &self.slots, &self.stdin)?;
        Ok(Output {
            status: out.status,
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

impl Output {
    /// Whether the program exited with status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    /// stdout as UTF-8 text (invalid sequences replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stdout parsed as JSON, when the program succeeded.
    ///
    /// # Errors
    /// [`Error::Io`] with stderr when the status is not 0, or with the
    /// parser's message when stdout is not the JSON expected.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        if !self.success() {
            return Err(Error::Io(format!(
                "the program exited with {:?}: {}",
                self.status,
                String::from_utf8_lossy(&self.stderr).trim()
            )));
        }
        serde_json::from_slice(&self.stdout).map_err(|e| {
            Error::Io(format!(
                "the program's output is not the JSON expected: {e}"
            ))
        })
    }
}

impl Error {
    /// A sentence describing the error, for logs and problem details.
    pub fn message(&self) -> String {
        match self {
            Self::AccessDenied(m) => format!("access denied: {m}"),
            Self::NoSuchConnection(m) => format!("no such connection: {m}"),
            Self::InvalidArgument(m) => format!("invalid argument: {m}"),
            Self::Timeout => "the program ran too long and was stopped".into(),
            Self::OutputTooLarge(n) => format!("the program wrote more than {n} bytes"),
            Self::SpawnFailed(m) => format!("the program could not start: {m}"),
            Self::Io(m) => format!("the program failed: {m}"),
        }
    }
}

/// A value the caller chose badly is a 400, a slow or failing program a
/// 503; anything else a 500.
impl From<Error> for crate::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(_) => Self::InvalidInput(error.message()),
            Error::Timeout | Error::Io(_) | Error::SpawnFailed(_) => {
                Self::Unavailable(error.message())
            }
            Error::OutputTooLarge(_) | Error::AccessDenied(_) | Error::NoSuchConnection(_) => {
                Self::Internal(error.message())
            }
        }
    }
}
