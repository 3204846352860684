//! OAuth2 access tokens for `http` connections whose `auth` is
//! `oauth2_authorization_code` or `oauth2_client_credentials`, with the
//! `oauth2` crate doing the protocol (RFC 6749, PKCE per RFC 7636).
//!
//! - The authorization code grant starts at
//!   `GET /admin/connections/{name}/authorize` ([`OAuth2Tokens::start`]):
//!   a random `state` and PKCE verifier are stored (the verifier sealed)
//!   and the admin is sent to the provider, which sends them back to
//!   `/system/connections/callback` ([`OAuth2Tokens::finish`]), where the
//!   code becomes tokens.
//! - Tokens are stored sealed in the control plane (never in the admin
//!   API) and cached in memory; an access token within a minute of expiry
//!   is refreshed first, and one the upstream answers 401 to is refreshed
//!   once ([`OAuth2Tokens::after_unauthorized`]). One refresh runs at a
//!   time per connection on a node; other nodes read the stored result.
//! - A refresh token the provider refuses (`invalid_grant`: revoked or
//!   expired) marks the connection `needs_authorization` with the
//!   provider's words, and requests fail until an admin authorizes again.
//! - The client credentials grant asks for a new token whenever the
//!   stored one is missing or expiring.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardErrorResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use super::http::HttpAuth;
use crate::secrets::SecretBox;
use crate::store::oauth2::{self as store, FlowRow, TokenRow};

/// Refresh an access token this long before it expires, ms.
const REFRESH_EARLY_MS: i64 = 60_000;

/// How long an authorization flow may take, ms.
const FLOW_TTL_MS: i64 = 10 * 60_000;

/// What is stored (sealed) per connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tokens {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// Whether a connection can call its API, as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Authorization {
    /// `authorized`, `needs_authorization` or `not_authorized` (never was).
    pub status: &'static str,
    /// When the current access token expires (RFC 3339), when known.
    pub expires_at: Option<String>,
    /// Why it needs authorization again.
    pub error: Option<String>,
}

type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The access tokens of every OAuth2 connection.
pub struct OAuth2Tokens {
    db: AnyPool,
    secrets: SecretBox,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, (String, Option<i64>)>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for OAuth2Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Tokens").finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    crate::store::now_ms()
}

fn context(connection: &str) -> String {
    format!("oauth2-tokens:{connection}")
}

/// A token-endpoint client for `auth`.
fn token_client(auth: &HttpAuth) -> Result<TokenClient, String> {
    let (token_url, client_id, client_secret) = match auth {
        HttpAuth::Oauth2AuthorizationCode {
            token_url,
            client_id,
            client_secret,
            ..
        }
        | HttpAuth::Oauth2ClientCredentials {
            token_url,
            client_id,
            client_secret,
            ..
        } => (token_url, client_id, client_secret),
        _ => return Err("the connection's auth is not an OAuth2 grant".into()),
    };
    let mut client = BasicClient::new(ClientId::new(client_id.clone())).set_token_uri(
        TokenUrl::new(token_url.clone()).map_err(|e| format!("auth.token_url: {e}"))?,
    );
    if let Some(secret) = client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.clone()));
    }
    Ok(client)
}

fn scopes(auth: &HttpAuth) -> Vec<Scope> {
    match auth {
        HttpAuth::Oauth2AuthorizationCode { scopes, .. }
        | HttpAuth::Oauth2ClientCredentials { scopes, .. } => {
            scopes.iter().cloned().map(Scope::new).collect()
        }
        _ => Vec::new(),
    }
}

/// Why a token request failed, with whether the grant itself was refused.
fn describe<E: std::error::Error>(
    error: &RequestTokenError<E, StandardErrorResponse<BasicErrorResponseType>>,
) -> (bool, String) {
    match error {
        RequestTokenError::ServerResponse(answer) => {
            let refused = matches!(
                answer.error(),
                BasicErrorResponseType::InvalidGrant | BasicErrorResponseType::UnauthorizedClient
            );
            let text = match answer.error_description() {
                Some(d) => format!("{}: {d}", answer.error()),
                None => answer.error().to_string(),
            };
            (refused, format!("the provider refused: {text}"))
        }
        RequestTokenError::Request(e) => (
            false,
            format!("the token endpoint could not be reached: {e}"),
        ),
        RequestTokenError::Parse(e, _) => (
            false,
            format!("the token endpoint's answer is not a token: {e}"),
        ),
        RequestTokenError::Other(e) => (false, e.clone()),
    }
}

impl OAuth2Tokens {
    /// Tokens kept in `db`, sealed with `secrets`.
    pub fn new(db: AnyPool, secrets: SecretBox) -> Self {
        // Token requests follow no redirects (the oauth2 crate's advice:
        // a redirect could send credentials elsewhere).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            db,
            secrets,
            http,
            cache: Mutex::default(),
            locks: Mutex::default(),
        }
    }

    fn lock_of(&self, connection: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(connection.to_string())
            .or_default()
            .clone()
    }

    fn cached(&self, connection: &str) -> Option<String> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let (token, expires) = cache.get(connection)?;
        let fresh = expires.is_none_or(|at| at - REFRESH_EARLY_MS > now_ms());
        fresh.then(|| token.clone())
    }

    fn remember(&self, connection: &str, token: &str, expires_ms: Option<i64>) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(connection.to_string(), (token.to_string(), expires_ms));
    }

    /// Drops the cached access token of `connection` (changed or deleted):
    /// the next call reads the stored tokens again.
    pub fn drop_cached(&self, connection: &str) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(connection);
    }

    /// The provider URL that starts authorizing `connection`, whose callback
    /// is `redirect_uri`.
    ///
    /// # Errors
    /// When the auth is not the authorization code grant or a URL is invalid.
    pub async fn start(
        &self,
        connection: &str,
        auth: &HttpAuth,
        redirect_uri: &str,
    ) -> anyhow::Result<String> {
        let HttpAuth::Oauth2AuthorizationCode { authorize_url, .. } = auth else {
            anyhow::bail!(
                "connection {connection:?} does not use the OAuth2 authorization code grant"
            );
        };
        let client = token_client(auth)
            .map_err(anyhow::Error::msg)?
            .set_auth_uri(AuthUrl::new(authorize_url.clone())?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string())?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes(auth))
            .set_pkce_challenge(challenge)
            .url();
        let now = now_ms();
        let row = FlowRow {
            state: state.secret().clone(),
            connection: connection.to_string(),
            verifier_sealed: self.secrets.seal(
                &format!("oauth2-flow:{}", state.secret()),
                verifier.secret().as_bytes(),
            )?,
            redirect_uri: redirect_uri.to_string(),
            created_ms: now,
        };
        store::start_flow(&self.db, &row, now - FLOW_TTL_MS).await?;
        Ok(url.to_string())
    }

    /// The connection a callback's `state` belongs to, and its flow (taken:
    /// a state works once, for 10 minutes).
    ///
    /// # Errors
    /// On database failure.
    pub async fn take_flow(&self, state: &str) -> anyhow::Result<Option<FlowRow>> {
        let flow = store::take_flow(&self.db, state).await?;
        Ok(flow.filter(|f| f.created_ms >= now_ms() - FLOW_TTL_MS))
    }

    /// Exchanges `code` from the provider for tokens and stores them.
    ///
    /// # Errors
    /// The provider's refusal or an unreachable token endpoint, as text.
    pub async fn finish(&self, flow: &FlowRow, auth: &HttpAuth, code: &str) -> Result<(), String> {
        let verifier = self
            .secrets
            .open(
                &format!("oauth2-flow:{}", flow.state),
                &flow.verifier_sealed,
            )
            .map_err(|e| e.to_string())?;
        let client = token_client(auth)?.set_redirect_uri(
            RedirectUrl::new(flow.redirect_uri.clone()).map_err(|e| e.to_string())?,
        );
        let answer = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                String::from_utf8_lossy(&verifier).into_owned(),
            ))
            .request_async(&self.http)
            .await
            .map_err(|e| describe(&e).1)?;
        let tokens = Tokens {
            access_token: answer.access_token().secret().clone(),
            refresh_token: answer.refresh_token().map(|t| t.secret().clone()),
        };
        let expires = answer.expires_in().map(|d| now_ms() + d.as_millis() as i64);
        self.store(&flow.connection, &tokens, expires).await
    }

    async fn store(
        &self,
        connection: &str,
        tokens: &Tokens,
        expires_ms: Option<i64>,
    ) -> Result<(), String> {
        let plain = serde_json::to_vec(tokens).map_err(|e| e.to_string())?;
        let sealed = self
            .secrets
            .seal(&context(connection), &plain)
            .map_err(|e| e.to_string())?;
        store::save_tokens(
            &self.db,
            &TokenRow {
                connection: connection.to_string(),
                tokens_sealed: Some(sealed),
                expires_ms,
                status: "authorized".into(),
                error: None,
                updated_ms: now_ms(),
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        self.remember(connection, &tokens.access_token, expires_ms);
        Ok(())
    }

    async fn give_up(&self, connection: &str, why: &str) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(connection);
        let row = TokenRow {
            connection: connection.to_string(),
            tokens_sealed: None,
            expires_ms: None,
            status: "needs_authorization".into(),
            error: Some(why.to_string()),
            updated_ms: now_ms(),
        };
        if let Err(e) = store::save_tokens(&self.db, &row).await {
            tracing::error!(error = %e, connection, "cannot record that the connection needs authorization");
        }
        tracing::warn!(
            connection,
            reason = why,
            "OAuth2 connection needs authorization again"
        );
    }

    /// A valid access token for `connection`: the cached one, the stored
    /// one, or a fresh one from a refresh (or a client credentials grant).
    ///
    /// # Errors
    /// Why there is none: not authorized yet, authorization lost, or the
    /// token endpoint failed — a sentence for the guest's error.
    pub async fn access_token(&self, connection: &str, auth: &HttpAuth) -> Result<String, String> {
        if let Some(token) = self.cached(connection) {
            return Ok(token);
        }
        self.renew(connection, auth, None).await
    }

    /// A token after the upstream answered 401 to `rejected`: a refreshed
    /// one, unless another request refreshed it meanwhile.
    ///
    /// # Errors
    /// As [`Self::access_token`].
    pub async fn after_unauthorized(
        &self,
        connection: &str,
        auth: &HttpAuth,
        rejected: &str,
    ) -> Result<String, String> {
        self.renew(connection, auth, Some(rejected)).await
    }

    async fn renew(
        &self,
        connection: &str,
        auth: &HttpAuth,
        rejected: Option<&str>,
    ) -> Result<String, String> {
        let lock = self.lock_of(connection);
        let _one_at_a_time = lock.lock().await;
        let row = store::tokens(&self.db, connection)
            .await
            .map_err(|e| format!("the stored tokens cannot be read: {e}"))?;
        let stored = match &row {
            Some(TokenRow {
                tokens_sealed: Some(sealed),
                ..
            }) => {
                let plain = self
                    .secrets
                    .open(&context(connection), sealed)
                    .map_err(|e| format!("the stored tokens cannot be opened: {e}"))?;
                Some(serde_json::from_slice::<Tokens>(&plain).map_err(|e| e.to_string())?)
            }
            _ => None,
        };
        let expires = row.as_ref().and_then(|r| r.expires_ms);
        if let Some(tokens) = &stored {
            let fresh = expires.is_none_or(|at| at - REFRESH_EARLY_MS > now_ms());
            if fresh && rejected != Some(tokens.access_token.as_str()) {
                self.remember(connection, &tokens.access_token, expires);
                return Ok(tokens.access_token.clone());
            }
        }
        let client = token_client(auth)?;
        let answer = match auth {
            HttpAuth::Oauth2ClientCredentials { .. } => {
                client
                    .exchange_client_credentials()
                    .add_scopes(scopes(auth))
                    .request_async(&self.http)
                    .await
            }
            _ => {
                let Some(refresh) = stored.as_ref().and_then(|t| t.refresh_token.clone()) else {
                    let why = match row.as_ref().and_then(|r| r.error.clone()) {
                        Some(error) => format!("it lost its authorization ({error})"),
                        None if stored.is_some() => {
                            "its access token expired and the provider gave no refresh token".into()
                        }
                        None => "it was never authorized".into(),
                    };
                    return Err(format!(
                        "connection {connection:?} needs an admin to authorize it: {why}; \
                         open GET /admin/connections/{connection}/authorize"
                    ));
                };
                client
                    .exchange_refresh_token(&RefreshToken::new(refresh))
                    .request_async(&self.http)
                    .await
            }
        };
        match answer {
            Ok(answer) => {
                let tokens = Tokens {
                    access_token: answer.access_token().secret().clone(),
                    // A provider that does not rotate keeps the old one valid.
                    refresh_token: answer
                        .refresh_token()
                        .map(|t| t.secret().clone())
                        .or_else(|| stored.and_then(|t| t.refresh_token)),
                };
                let expires = answer.expires_in().map(|d| now_ms() + d.as_millis() as i64);
                self.store(connection, &tokens, expires).await?;
                Ok(tokens.access_token)
            }
            Err(e) => {
                let (refused, why) = describe(&e);
                if refused && !matches!(auth, HttpAuth::Oauth2ClientCredentials { .. }) {
                    self.give_up(connection, &why).await;
                    return Err(format!(
                        "connection {connection:?} needs an admin to authorize it again ({why}); \
                         open GET /admin/connections/{connection}/authorize"
                    ));
                }
                Err(format!(
                    "connection {connection:?} has no access token: {why}"
                ))
            }
        }
    }

    /// Whether `connection` is authorized and until when.
    ///
    /// # Errors
    /// On database failure.
    pub async fn authorization(&self, connection: &str) -> anyhow::Result<Authorization> {
        let row = store::tokens(&self.db, connection).await?;
        let expires_at = |ms: i64| {
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
        };
        Ok(match row {
            None => Authorization {
                status: "not_authorized",
                expires_at: None,
                error: None,
            },
            Some(row) if row.tokens_sealed.is_none() => Authorization {
                status: "needs_authorization",
                expires_at: None,
                error: row.error,
            },
            Some(row) => Authorization {
                status: "authorized",
                expires_at: row.expires_ms.and_then(expires_at),
                error: None,
            },
        })
    }
}
