//! The portal's own mail (address confirmation, password reset), sent
//! through the `smtp` connection named as the portal's mailer.

use lettre::AsyncTransport;
use lettre::message::header::ContentType;

use crate::connections::Registry;
use crate::connections::registry::Backend;

/// One message to one consumer.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// Sends `mail` through connection `mailer`; returns the Message-ID.
///
/// # Errors
/// When the connection is missing or not `smtp`, the address does not
/// parse, or the server refuses or cannot be reached.
pub async fn send(registry: &Registry, mailer: &str, mail: Mail) -> anyhow::Result<String> {
    let Some(Backend::Smtp(client)) = registry.get(mailer).await? else {
        anyhow::bail!("the portal's mailer {mailer:?} is not an smtp connection");
    };
    let id = format!(
        "{}@{}",
        uuid::Uuid::now_v7().simple(),
        client.sender.email.domain()
    );
    let message = lettre::Message::builder()
        .from(client.sender.clone())
        .to(mail.to.parse()?)
        .message_id(Some(format!("<{id}>")))
        .subject(mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(mail.text)?;
    client.transport.send(message).await?;
    Ok(id)
}
