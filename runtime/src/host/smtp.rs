//! The WIT `smtp` interface: a guest sends a message through a granted
//! `smtp` connection; the sender is always the connection's `from`.

use lettre::AsyncTransport;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};

use crate::bindings::sluice::action::smtp::{Error, Host, Message};
use crate::connections::registry::{Backend, SmtpClient};
use crate::host::lend::Refusal;
use crate::host::{HostState, error_chain};

/// Most recipients (to, cc and bcc together) one message may have.
pub const MAX_RECIPIENTS: usize = 100;

impl Host for HostState {
    #[tracing::instrument(target = "sluice::trace", name = "smtp send", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn send(&mut self, connection: String, message: Message) -> Result<String, Error> {
        self.calls.count();
        let client = match self.lender.lend(&connection, "smtp").await {
            Ok(Backend::Smtp(client)) => client,
            Ok(_) => return Err(Error::NoSuchConnection(connection)),
            Err(Refusal::NoSuchConnection(m)) => return Err(Error::NoSuchConnection(m)),
            Err(Refusal::AccessDenied(m)) => return Err(Error::AccessDenied(m)),
            Err(Refusal::Unavailable(m)) => return Err(Error::ConnectFailed(m)),
        };
        send(&client, message).await
    }
}

fn mailbox(address: &str) -> Result<Mailbox, Error> {
    address
        .parse()
        .map_err(|e| Error::InvalidAddress(format!("{address:?}: {e}")))
}

/// Builds `message` from the connection's sender and sends it; returns the
/// `Message-ID` (`<uuid>@<sender's domain>`, without angle brackets).
///
/// # Errors
/// `invalid-address`, `invalid-message`, `rejected` (the server's reply),
/// `timeout`, `connect-failed`.
pub async fn send(client: &SmtpClient, message: Message) -> Result<String, Error> {
    let recipients = message.to.len() + message.cc.len() + message.bcc.len();
    if recipients == 0 {
        return Err(Error::InvalidMessage(
            "a message needs at least one recipient in to, cc or bcc".into(),
        ));
    }
    if recipients > MAX_RECIPIENTS {
        return Err(Error::InvalidMessage(format!(
            "a message may have at most {MAX_RECIPIENTS} recipients"
        )));
    }
    let id = format!(
        "{}@{}",
        uuid::Uuid::now_v7().simple(),
        client.sender.email.domain()
    );
    let mut builder = lettre::Message::builder()
        .from(client.sender.clone())
        .message_id(Some(format!("<{id}>")))
        .subject(message.subject);
    for address in &message.to {
        builder = builder.to(mailbox(address)?);
    }
    for address in &message.cc {
        builder = builder.cc(mailbox(address)?);
    }
    for address in &message.bcc {
        builder = builder.bcc(mailbox(address)?);
    }
    if let Some(address) = &message.reply_to {
        builder = builder.reply_to(mailbox(address)?);
    }
    let email = match (message.text, message.html) {
        (Some(text), Some(html)) => {
            builder.multipart(MultiPart::alternative_plain_html(text, html))
        }
        (Some(text), None) => builder.header(ContentType::TEXT_PLAIN).body(text),
        (None, Some(html)) => builder.header(ContentType::TEXT_HTML).body(html),
        (None, None) => {
            return Err(Error::InvalidMessage(
                "a message needs a text or html body".into(),
            ));
        }
    }
    .map_err(|e| Error::InvalidMessage(e.to_string()))?;
    client.transport.send(email).await.map_err(map_error)?;
    Ok(id)
}

fn map_error(error: lettre::transport::smtp::Error) -> Error {
    if error.is_timeout() {
        return Error::Timeout;
    }
    if error.is_permanent() || error.is_transient() {
        return Error::Rejected(error.to_string());
    }
    Error::ConnectFailed(error_chain(&error))
}
