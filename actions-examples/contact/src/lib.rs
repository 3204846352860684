//! `contact`: `POST /contact` with `{"name", "email", "message", "subject"?}`
//! validates the form and mails it through an `smtp` connection to the
//! address in the config; the sender's address becomes `Reply-To`.
//!
//! Config: `{"connection": "mail", "to": "team@example.com",
//! "subject_prefix": "[contact]"}` (`to` is required). Answers 202 with
//! `{"status": "sent", "message_id"}`; 400 naming the field for invalid
//! input (an address the mail library does not accept included), 503 when
//! the mail server is unreachable.

use serde::Deserialize;
use serde_json::json;
use sluice_sdk::smtp::{self, Message};
use sluice_sdk::{Error, Request, Response};

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_connection")]
    connection: String,
    to: String,
    #[serde(default = "default_prefix")]
    subject_prefix: String,
}

fn default_connection() -> String {
    "mail".into()
}

fn default_prefix() -> String {
    "[contact]".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Form {
    name: String,
    email: String,
    message: String,
    #[serde(default)]
    subject: Option<String>,
}

/// The rules of the operation's schema (`contact-form`): 1 to `max`
/// characters, not only JSON whitespace (RFC 8259 §2), one line but for the
/// message.
fn check(field: &str, value: &str, max: usize) -> Result<(), Error> {
    let blank = value.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    if blank || value.chars().count() > max {
        return Err(Error::invalid_input(format!(
            "{field} must be 1 to {max} characters"
        )));
    }
    if field != "message" && value.contains(['\r', '\n']) {
        return Err(Error::invalid_input(format!("{field} must be one line")));
    }
    Ok(())
}

fn contact(req: Request) -> Result<Response, Error> {
    let config: Config = req.context().config().map_err(|_| {
        Error::internal("the contact action needs a config with \"to\": the address to mail")
    })?;
    let form: Form = req.json()?;
    check("name", &form.name, 100)?;
    check("email", &form.email, 254)?;
    check("message", &form.message, 5000)?;
    let topic = form.subject.as_deref().unwrap_or("a message");
    check("subject", topic, 150)?;
    if !form.email.contains('@') {
        return Err(Error::invalid_input("email must be a mail address"));
    }
    let text = format!(
        "{} <{}> wrote:\n\n{}\n",
        form.name.trim(),
        form.email.trim(),
        form.message.trim()
    );
    let sent = Message::new(&format!("{} {}", config.subject_prefix, topic.trim()))
        .to(&config.to)
        .reply_to(form.email.trim())
        .text(&text)
        .send(&config.connection);
    let id = match sent {
        Ok(id) => id,
        Err(smtp::Error::InvalidAddress(m)) => {
            return Err(Error::invalid_input(format!("email is not accepted: {m}")));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Response::json(&json!({ "status": "sent", "message_id": id })).with_status(202))
}

sluice_sdk::export_action!(contact);
