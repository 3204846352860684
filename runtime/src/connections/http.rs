//! `http` connections: a base URL that guests send requests under, with
//! default headers and credentials that the host injects (reqwest).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

/// Where an API key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyLocation {
    /// In a request header called `name`.
    Header,
    /// In a query parameter called `name`.
    Query,
}

/// Credentials the host adds to every request. The secret fields are
/// write-only: the admin API shows `secret_set` instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HttpAuth {
    /// No credentials.
    None,
    /// `Authorization: Bearer <token>` (RFC 6750 §2.1).
    Bearer {
        /// The token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// `Authorization: Basic …` (RFC 7617).
    Basic {
        /// User name.
        username: String,
        /// Password.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
    },
    /// An API key in a header or a query parameter.
    ApiKey {
        /// `header` or `query`.
        #[serde(rename = "in")]
        location: KeyLocation,
        /// The header or parameter name, e.g. `X-Api-Key` or `appid`.
        name: String,
        /// The key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// A user's access token from the OAuth2 authorization code grant
    /// (RFC 6749 §4.1, with PKCE, RFC 7636): an admin authorizes once with
    /// `GET /admin/connections/{name}/authorize`; the host keeps the tokens
    /// sealed, refreshes them and sends `Authorization: Bearer`.
    Oauth2AuthorizationCode {
        /// The provider's authorization endpoint.
        authorize_url: String,
        /// The provider's token endpoint.
        token_url: String,
        /// This client's id at the provider.
        client_id: String,
        /// This client's secret (sent with HTTP Basic); absent for a public client.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_secret: Option<String>,
        /// The scopes asked for.
        #[serde(default)]
        scopes: Vec<String>,
    },
    /// A token for this server itself from the OAuth2 client credentials
    /// grant (RFC 6749 §4.4), fetched when needed and renewed before it
    /// expires.
    Oauth2ClientCredentials {
        /// The provider's token endpoint.
        token_url: String,
        /// This client's id at the provider.
        client_id: String,
        /// This client's secret.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_secret: Option<String>,
        /// The scopes asked for.
        #[serde(default)]
        scopes: Vec<String>,
    },
}

impl HttpAuth {
    /// The secret this auth carries, if any.
    pub fn secret(&self) -> Option<&str> {
        match self {
            Self::None => None,
            Self::Bearer { token } => token.as_deref(),
            Self::Basic { password, .. } => password.as_deref(),
            Self::ApiKey { value, .. } => value.as_deref(),
            Self::Oauth2AuthorizationCode { client_secret, .. }
            | Self::Oauth2ClientCredentials { client_secret, .. } => client_secret.as_deref(),
        }
    }

    /// The name of the member holding [`Self::secret`], if any.
    pub fn secret_field(&self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Bearer { .. } => Some("token"),
            Self::Basic { .. } => Some("password"),
            Self::ApiKey { .. } => Some("value"),
            Self::Oauth2AuthorizationCode { .. } | Self::Oauth2ClientCredentials { .. } => {
                Some("client_secret")
            }
        }
    }

    /// The OAuth2 token endpoint, for the OAuth2 types.
    pub fn token_url(&self) -> Option<&str> {
        match self {
            Self::Oauth2AuthorizationCode { token_url, .. }
            | Self::Oauth2ClientCredentials { token_url, .. } => Some(token_url),
            _ => None,
        }
    }

    /// Whether the token comes from an OAuth2 grant (fetched by the host).
    pub fn is_oauth2(&self) -> bool {
        matches!(
            self,
            Self::Oauth2AuthorizationCode { .. } | Self::Oauth2ClientCredentials { .. }
        )
    }

    fn secret_mut(&mut self) -> Option<&mut Option<String>> {
        match self {
            Self::None => None,
            Self::Bearer { token } => Some(token),
            Self::Basic { password, .. } => Some(password),
            Self::ApiKey { value, .. } => Some(value),
            Self::Oauth2AuthorizationCode { client_secret, .. }
            | Self::Oauth2ClientCredentials { client_secret, .. } => Some(client_secret),
        }
    }

    /// The header name the credentials travel in, which guests may not set.
    pub fn header_name(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::Bearer { .. }
            | Self::Basic { .. }
            | Self::Oauth2AuthorizationCode { .. }
            | Self::Oauth2ClientCredentials { .. } => Some("authorization".into()),
            Self::ApiKey {
                location: KeyLocation::Header,
                name,
                ..
            } => Some(name.to_ascii_lowercase()),
            Self::ApiKey { .. } => None,
        }
    }
}

/// Config of an `http` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// `http` or `https` URL every request goes under, e.g.
    /// `https://api.example.com/v1`; no credentials, query or fragment.
    pub base_url: String,
    /// Headers sent with every request (guests may override them, except
    /// the one carrying the credentials). Visible in the admin API: put
    /// secrets in `auth`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Credentials the host injects (default none).
    #[serde(default = "no_auth")]
    pub auth: HttpAuth,
    /// Longest a whole exchange may take, ms (default 10 000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Largest response body handed to the guest, bytes (default 10 MiB).
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: u64,
    /// Redirects followed within the base URL (default 5); 0 hands the 3xx
    /// response to the guest. A redirect that leaves the base URL is refused.
    #[serde(default = "default_max_redirects")]
    pub max_redirects: u32,
}

fn no_auth() -> HttpAuth {
    HttpAuth::None
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_max_response_bytes() -> u64 {
    10 << 20
}

fn default_max_redirects() -> u32 {
    5
}

impl HttpConfig {
    /// The parsed base URL.
    ///
    /// # Errors
    /// When `base_url` is not an absolute `http(s)` URL without
    /// credentials, query or fragment.
    pub fn base(&self) -> Result<Url, String> {
        let url = Url::parse(&self.base_url).map_err(|e| format!("base_url: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("base_url must be an http or https URL".into());
        }
        if url.host_str().is_none() {
            return Err("base_url must name a host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("base_url may not carry credentials; use auth".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(
                "base_url may not have a query or fragment; guests pass query pairs".into(),
            );
        }
        Ok(url)
    }

    /// Checks every field.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        self.base()?;
        for (name, value) in &self.headers {
            HeaderName::try_from(name.as_str())
                .map_err(|_| format!("headers: {name:?} is not a valid header name"))?;
            HeaderValue::try_from(value.as_str()).map_err(|_| {
                format!("headers: the value of {name:?} is not a valid header value")
            })?;
        }
        match &self.auth {
            HttpAuth::None => {}
            HttpAuth::Bearer { token } => require_secret(token, "auth.token")?,
            HttpAuth::Basic { password, .. } => require_secret(password, "auth.password")?,
            HttpAuth::ApiKey {
                location,
                name,
                value,
            } => {
                require_secret(value, "auth.value")?;
                if name.is_empty() {
                    return Err("auth.name must not be empty".into());
                }
                if *location == KeyLocation::Header {
                    HeaderName::try_from(name.as_str())
                        .map_err(|_| format!("auth.name {name:?} is not a valid header name"))?;
                }
            }
            HttpAuth::Oauth2AuthorizationCode {
                authorize_url,
                token_url,
                client_id,
                ..
            } => {
                endpoint(authorize_url, "auth.authorize_url")?;
                endpoint(token_url, "auth.token_url")?;
                if client_id.is_empty() {
                    return Err("auth.client_id must not be empty".into());
                }
            }
            HttpAuth::Oauth2ClientCredentials {
                token_url,
                client_id,
                client_secret,
                ..
            } => {
                endpoint(token_url, "auth.token_url")?;
                if client_id.is_empty() {
                    return Err("auth.client_id must not be empty".into());
                }
                require_secret(client_secret, "auth.client_secret")?;
            }
        }
        if !(1..=300_000).contains(&self.timeout_ms) {
            return Err("timeout_ms must be between 1 and 300000".into());
        }
        if !(1..=(1 << 30)).contains(&self.max_response_bytes) {
            return Err("max_response_bytes must be between 1 and 1073741824".into());
        }
        if self.max_redirects > 20 {
            return Err("max_redirects must be at most 20".into());
        }
        Ok(())
    }

    /// Keeps the stored secret when an update of the same auth type omits
    /// it and still sends it where `old` did (see
    /// [`super::ConnectionConfig::keep_secrets_from`]).
    ///
    /// For the OAuth2 types the secret is the client secret.
    ///
    /// # Errors
    /// When `base_url` or an OAuth2 `token_url` changed.
    pub fn keep_secrets_from(&mut self, old: &HttpConfig) -> Result<(), String> {
        let same_type = std::mem::discriminant(&self.auth) == std::mem::discriminant(&old.auth);
        let field = self.auth.secret_field();
        let moved = self.moved_from(old);
        if let (true, Some(slot), Some(secret)) =
            (same_type, self.auth.secret_mut(), old.auth.secret())
            && slot.is_none()
        {
            if let (Some(moved), Some(field)) = (moved, field) {
                return Err(super::restate(moved, &format!("config.auth.{field}")));
            }
            *slot = Some(secret.to_string());
        }
        Ok(())
    }

    /// The first field that sends the credentials (or the OAuth2 tokens)
    /// somewhere other than `old` did.
    pub fn moved_from(&self, old: &HttpConfig) -> Option<&'static str> {
        // Parsed, so `HTTP://Api.example.com:80/v1` is no move.
        let same = |a: &str, b: &str| match (Url::parse(a), Url::parse(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
        if !same(&self.base_url, &old.base_url) {
            return Some("config.base_url");
        }
        match (self.auth.token_url(), old.auth.token_url()) {
            (Some(new), Some(old)) if !same(new, old) => Some("config.auth.token_url"),
            _ => None,
        }
    }

    /// The config without its secret, with `secret_set`.
    pub fn redacted(&self) -> Value {
        let mut auth = self.auth.clone();
        if let Some(slot) = auth.secret_mut() {
            *slot = None;
        }
        let mut value = serde_json::to_value(Self {
            auth,
            ..self.clone()
        })
        .unwrap_or(Value::Null);
        if !matches!(self.auth, HttpAuth::None) {
            value["auth"]["secret_set"] = json!(self.auth.secret().is_some());
        }
        value
    }

    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Tries the base URL with a `HEAD` request: any HTTP answer counts as
    /// reachable.
    ///
    /// # Errors
    /// reqwest's message (without the URL) when no answer came.
    pub async fn test(&self) -> Result<(), String> {
        let client = reqwest::Client::builder()
            .timeout(self.timeout())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        client
            .head(self.base()?)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| e.without_url().to_string())
    }
}

fn require_secret(secret: &Option<String>, field: &str) -> Result<(), String> {
    match secret {
        Some(s) if !s.is_empty() => Ok(()),
        _ => Err(format!("{field} is required")),
    }
}

/// Checks that `url` is an absolute http(s) URL, for an OAuth2 endpoint.
fn endpoint(url: &str, field: &str) -> Result<(), String> {
    let parsed = Url::parse(url).map_err(|e| format!("{field}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("{field} must be an absolute http or https URL"));
    }
    Ok(())
}
