//! `smtp` connections: a mail server, its TLS mode and credentials, and the
//! sender every message goes out as (lettre).

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (only for servers on a trusted network, e.g. loopback).
    None,
    /// Plain connection upgraded with `STARTTLS` (RFC 3207); refused
    /// without it. Default port 587.
    Starttls,
    /// TLS from the first byte ("implicit TLS", RFC 8314). Default port 465.
    Tls,
}

/// Config of an `smtp` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Server host name or address.
    pub host: String,
    /// Server port (default 25 for `none`, 587 for `starttls`, 465 for `tls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    #[serde(default = "default_tls")]
    pub tls: SmtpTls,
    /// User name for SMTP AUTH, if the server requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password: write-only, never shown by the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The sender of every message, e.g. `Sluice <noreply@example.com>`.
    pub from: String,
    /// A PEM certificate to trust besides the public roots, for a server
    /// whose certificate a private CA signed (or a self-signed one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// Longest the server may take to answer one command, ms (default 10 000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_tls() -> SmtpTls {
    SmtpTls::Starttls
}

fn default_timeout_ms() -> u64 {
    10_000
}

impl SmtpConfig {
    /// The sender as a parsed mailbox.
    ///
    /// # Errors
    /// When `from` is not an RFC 5322 mailbox.
    pub fn sender(&self) -> Result<Mailbox, String> {
        self.from
            .parse()
            .map_err(|e| format!("from {:?} is not a mail address: {e}", self.from))
    }

    /// Checks every field.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("host must not be empty".into());
        }
        self.sender()?;
        if self.username.is_some() != self.password.is_some() {
            return Err("username and password go together".into());
        }
        if !(1..=300_000).contains(&self.timeout_ms) {
            return Err("timeout_ms must be between 1 and 300000".into());
        }
        if let Some(pem) = &self.ca_cert {
            Certificate::from_pem(pem.as_bytes())
                .map_err(|e| format!("ca_cert is not a PEM certificate: {e}"))?;
        }
        Ok(())
    }

    /// Keeps the stored password when an update omits it and still sends
    /// it where `old` did (see
    /// [`super::ConnectionConfig::keep_secrets_from`]).
    ///
    /// # Errors
    /// When the host, port, TLS (to none) or the trusted CA moved the
    /// password.
    pub fn keep_secrets_from(&mut self, old: &SmtpConfig) -> Result<(), String> {
        if self.password.is_some() || self.username.is_none() || old.password.is_none() {
            return Ok(());
        }
        let moved = if self.host != old.host {
            Some("config.host")
        } else if self.port_or_default() != old.port_or_default() {
            Some("config.port")
        } else if self.tls == SmtpTls::None && old.tls != SmtpTls::None {
            Some("config.tls")
        } else if self.ca_cert.is_some() && self.ca_cert != old.ca_cert {
            // A new trusted CA lets its holder answer for the same host.
            Some("config.ca_cert")
        } else {
            None
        };
        if let Some(moved) = moved {
            return Err(super::restate(moved, "config.password"));
        }
        self.password.clone_from(&old.password);
        Ok(())
    }

    fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }

    /// The config without its password, with `password_set`.
    pub fn redacted(&self) -> Value {
        let mut value = serde_json::to_value(Self {
            password: None,
            ..self.clone()
        })
        .unwrap_or(Value::Null);
        value["password_set"] = json!(self.password.is_some());
        value
    }

    /// A pooled transport for this server.
    ///
    /// # Errors
    /// When the TLS parameters cannot be built for `host`.
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = match self.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls | SmtpTls::Tls => {
                let mut params = TlsParameters::builder(self.host.clone());
                if let Some(pem) = &self.ca_cert {
                    let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build().map_err(|e| e.to_string())?;
                if self.tls == SmtpTls::Starttls {
                    Tls::Required(params)
                } else {
                    Tls::Wrapper(params)
                }
            }
        };
        let port = self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        });
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_millis(self.timeout_ms)));
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }

    /// Connects and says hello (and STARTTLS / AUTH where configured).
    ///
    /// # Errors
    /// lettre's message when the server cannot be reached or refuses.
    pub async fn test(&self) -> Result<(), String> {
        match self.transport()?.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the server did not answer NOOP".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}
