//! Mail through the `smtp` connections the action is granted (WIT `smtp`).
//! The sender is always the connection's `from`.
//!
//! ```no_run
//! use sluice_sdk::smtp::Message;
//!
//! # fn run() -> Result<(), sluice_sdk::Error> {
//! let id = Message::new("Your digest")
//!     .to("ada@example.com")
//!     .text("Sunny, 21 °C")
//!     .send("mail")?;
//! # Ok(()) }
//! ```

use crate::bindings::sluice::action::smtp as wit;

pub use wit::Error;

/// A message under construction.
#[derive(Debug, Clone)]
pub struct Message(wit::Message);

impl Message {
    /// A message with `subject` and nothing else yet.
    pub fn new(subject: &str) -> Self {
        Self(wit::Message {
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            reply_to: None,
            subject: subject.to_string(),
            text: None,
            html: None,
        })
    }

    /// Adds a `To` recipient (`ada@example.com` or `Ada <ada@example.com>`).
    pub fn to(mut self, address: &str) -> Self {
        self.0.to.push(address.into());
        self
    }

    /// Adds a `Cc` recipient.
    pub fn cc(mut self, address: &str) -> Self {
        self.0.cc.push(address.into());
        self
    }

    /// Adds a blind recipient (envelope only, no header).
    pub fn bcc(mut self, address: &str) -> Self {
        self.0.bcc.push(address.into());
        self
    }

    /// Sets `Reply-To`.
    pub fn reply_to(mut self, address: &str) -> Self {
        self.0.reply_to = Some(address.into());
        self
    }

    /// Sets the plain-text body.
    pub fn text(mut self, body: &str) -> Self {
        self.0.text = Some(body.into());
        self
    }

    /// Sets the HTML body (with a text body too, the message is
    /// multipart/alternative).
    pub fn html(mut self, body: &str) -> Self {
        self.0.html = Some(body.into());
        self
    }

    /// Sends the message through `connection`; returns its `Message-ID`.
    ///
    /// # Errors
    /// The host's [`Error`]: not granted, bad address, rejected, timeout …
    pub fn send(&self, connection: &str) -> Result<String, Error> {
        wit::send(connection, &self.0)
    }
}

impl Error {
    /// A sentence describing the error, for logs and problem details.
    pub fn message(&self) -> String {
        match self {
            Self::AccessDenied(m) => format!("access denied: {m}"),
            Self::NoSuchConnection(m) => format!("no such connection: {m}"),
            Self::InvalidAddress(m) => format!("invalid address: {m}"),
            Self::InvalidMessage(m) => format!("invalid message: {m}"),
            Self::Rejected(m) => format!("the mail server rejected the message: {m}"),
            Self::Timeout => "the mail server did not answer in time".into(),
            Self::ConnectFailed(m) => format!("the mail server is unreachable: {m}"),
        }
    }
}

/// A bad address is the caller's fault (400); an unreachable or slow
/// server a 503; anything else a 500.
impl From<Error> for crate::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidAddress(_) => Self::InvalidInput(error.message()),
            Error::Timeout | Error::ConnectFailed(_) => Self::Unavailable(error.message()),
            other => Self::Internal(other.message()),
        }
    }
}
