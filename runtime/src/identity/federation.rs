//! Signing in through an outside identity provider: the authorization
//! request Sluice sends the browser to, and what the provider's answer
//! says about the user.
//!
//! - `oidc`: any OpenID Connect provider by its issuer — its discovery
//!   document (OpenID Connect Discovery §4), the authorization-code flow
//!   with PKCE `S256` and a nonce, and an ID token verified against the
//!   provider's JWKS (Core §3.1.3.7) by the `openidconnect` crate; the
//!   email comes from the ID token, else from the userinfo endpoint.
//! - `oauth2`: a provider with explicit endpoints and a user endpoint that
//!   answers JSON (GitHub-style, RFC 6749 with PKCE) via the `oauth2`
//!   crate; which members hold the id, email and name is configured.

use anyhow::{Context, bail};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

use crate::store::identity_providers::ProviderRow;

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's stable id of the user (`sub`, or the configured
    /// member).
    pub subject: String,
    /// The user's email address, lower-cased, if the provider gave one.
    pub email: Option<String>,
    /// Whether the provider vouches for the address.
    pub email_verified: bool,
    /// The display name, if any.
    pub name: Option<String>,
}

/// An authorization request to send the browser to.
#[derive(Debug)]
pub struct Started {
    /// The provider's authorization URL with every parameter.
    pub url: String,
    /// The PKCE verifier to keep for the answer.
    pub verifier: String,
}

/// Discovery documents read in the last five minutes, by issuer: a
/// sign-in needs the document twice (start and callback), and a burst of
/// sign-ins should not fetch it for each.
static DISCOVERED: std::sync::LazyLock<moka::future::Cache<String, CoreProviderMetadata>> =
    std::sync::LazyLock::new(|| {
        moka::future::Cache::builder()
            .max_capacity(256)
            .time_to_live(std::time::Duration::from_secs(300))
            .build()
    });

/// The most bytes Sluice reads of a user endpoint's answer.
const MAX_USER_BYTES: usize = 1 << 20;

/// Whether `url` may be an endpoint of a provider: `https`, or `http` on
/// a loopback host.
fn allowed_url(url: &url::Url) -> bool {
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    url.scheme() == "https" || url.scheme() == "http" && loopback
}

/// The client Sluice talks to providers with: no redirects followed (the
/// crates' advice against SSRF), 10 s per request.
///
/// # Errors
/// When the TLS backend cannot start.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

async fn oidc_client(
    http: &reqwest::Client,
    provider: &ProviderRow,
    secret: &str,
    redirect_uri: &str,
) -> anyhow::Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
> {
    let issuer = provider
        .issuer
        .clone()
        .context("the provider has no issuer")?;
    let metadata = match DISCOVERED.get(&issuer).await {
        Some(metadata) => metadata,
        None => {
            let metadata =
                CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone())?, http)
                    .await
                    .with_context(|| {
                        format!("the discovery document of {issuer} could not be read")
                    })?;
            // The endpoints it names are held to the rule of configured
            // ones: https, or http on a loopback host.
            let named = [
                Some(metadata.authorization_endpoint().url()),
                metadata.token_endpoint().map(|u| u.url()),
                metadata.userinfo_endpoint().map(|u| u.url()),
                Some(metadata.jwks_uri().url()),
            ];
            if let Some(bad) = named.into_iter().flatten().find(|u| !allowed_url(u)) {
                bail!("the discovery document of {issuer} names {bad}, which is not https");
            }
            DISCOVERED.insert(issuer.clone(), metadata.clone()).await;
            metadata
        }
    };
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret.to_string())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string())?))
}

fn oauth2_client(
    provider: &ProviderRow,
    secret: &str,
    redirect_uri: &str,
) -> anyhow::Result<
    oauth2::basic::BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
> {
    let endpoint = |e: &Option<String>, what: &str| {
        e.clone()
            .with_context(|| format!("the provider has no {what} endpoint"))
    };
    Ok(
        oauth2::basic::BasicClient::new(oauth2::ClientId::new(provider.client_id.clone()))
            .set_client_secret(oauth2::ClientSecret::new(secret.to_string()))
            .set_auth_uri(oauth2::AuthUrl::new(endpoint(
                &provider.authorization_endpoint,
                "authorization",
            )?)?)
            .set_token_uri(oauth2::TokenUrl::new(endpoint(
                &provider.token_endpoint,
                "token",
            )?)?)
            .set_redirect_uri(oauth2::RedirectUrl::new(redirect_uri.to_string())?),
    )
}

/// The authorization request for `provider` (its client secret `secret`)
/// that comes back to `redirect_uri` with `state`; OpenID Connect
/// providers also get `nonce`.
///
/// # Errors
/// When the provider's discovery document cannot be read or a configured
/// URL is malformed.
pub async fn start(
    http: &reqwest::Client,
    provider: &ProviderRow,
    secret: &str,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
) -> anyhow::Result<Started> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_string();
    let url = match provider.kind.as_str() {
        "oidc" => {
            let client = oidc_client(http, provider, secret, redirect_uri).await?;
            let nonce = nonce.to_string();
            let mut request = client.authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            );
            for scope in provider.scopes.0.iter().filter(|s| *s != "openid") {
                request = request.add_scope(Scope::new(scope.clone()));
            }
            request.set_pkce_challenge(challenge).url().0
        }
        _ => {
            let client = oauth2_client(provider, secret, redirect_uri)?;
            let mut request = client.authorize_url(move || oauth2::CsrfToken::new(state));
            for scope in &provider.scopes.0 {
                request = request.add_scope(oauth2::Scope::new(scope.clone()));
            }
            let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
                &oauth2::PkceCodeVerifier::new(verifier.secret().clone()),
            );
            request.set_pkce_challenge(challenge).url().0
        }
    };
    Ok(Started {
        url: url.to_string(),
        verifier: verifier.secret().clone(),
    })
}

/// Exchanges the provider's `code` (with the PKCE `verifier`) and reads
/// who signed in; an ID token must be signed by the provider, for this
/// client, with `nonce`.
///
/// # Errors
/// When the provider refuses the code, the ID token does not verify, or
/// the answer names no user.
pub async fn finish(
    http: &reqwest::Client,
    provider: &ProviderRow,
    secret: &str,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
    nonce: &str,
) -> anyhow::Result<ExternalIdentity> {
    if provider.kind == "oidc" {
        let client = oidc_client(http, provider, secret, redirect_uri).await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(http)
            .await
            .context("the provider refused the code")?;
        let id_token = tokens.id_token().context("the provider sent no ID token")?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_string()))
            .context("the provider's ID token does not verify")?;
        let mut identity = ExternalIdentity {
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_lowercase()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
        };
        if identity.email.is_none()
            && let Ok(request) = client.user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )
        {
            let info: CoreUserInfoClaims = request
                .request_async(http)
                .await
                .context("the provider's userinfo endpoint failed")?;
            identity.email = info.email().map(|e| e.to_lowercase());
            identity.email_verified = info.email_verified().unwrap_or(false);
        }
        return Ok(identity);
    }
    let client = oauth2_client(provider, secret, redirect_uri)?;
    let tokens = client
        .exchange_code(oauth2::AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(oauth2::PkceCodeVerifier::new(verifier.to_string()))
        .request_async(http)
        .await
        .context("the provider refused the code")?;
    let endpoint = provider
        .userinfo_endpoint
        .as_deref()
        .context("the provider has no user endpoint")?;
    let mut answer = http
        .get(endpoint)
        .bearer_auth(oauth2::TokenResponse::access_token(&tokens).secret())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .context("the provider's user endpoint could not be reached")?;
    if !answer.status().is_success() {
        bail!("the provider's user endpoint answered {}", answer.status());
    }
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await? {
        if body.len() + chunk.len() > MAX_USER_BYTES {
            bail!("the provider's user endpoint answered more than {MAX_USER_BYTES} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    let user: Value =
        serde_json::from_slice(&body).context("the provider's user endpoint sent no JSON")?;
    user_from_json(provider, &user)
}

/// Reads the configured members of a user endpoint's answer.
fn user_from_json(provider: &ProviderRow, user: &Value) -> anyhow::Result<ExternalIdentity> {
    let text = |name: &str| match &user[name] {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let subject = text(&provider.subject_claim).with_context(|| {
        format!(
            "the user endpoint's answer has no {:?}",
            provider.subject_claim
        )
    })?;
    let email = text(&provider.email_claim).map(|e| e.to_lowercase());
    let email_verified = match &user["email_verified"] {
        Value::Bool(b) => *b,
        _ => provider.trust_email,
    };
    Ok(ExternalIdentity {
        subject,
        email,
        email_verified,
        name: text(&provider.name_claim),
    })
}
