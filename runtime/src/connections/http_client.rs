//! The client behind an `http` connection, and the rules that keep every
//! request inside the connection's base URL.
//!
//! A guest path goes through [`check_path`] (no absolute URLs, no `.`/`..`
//! segments, no `;`, no percent-encoded `.` `/` `\` `%` `;` or control
//! bytes, nothing that decodes to invalid UTF-8), is joined under the base
//! path with `Url::set_path` (so it can never be read as an authority), and
//! the result must still pass [`within`]; redirects are followed only when
//! their target passes [`within`] too, which applies the same path rules
//! to the part below the base.
//!
//! `;` is refused rather than percent-encoded: Tomcat, Jetty and Spring
//! strip a `;parameter` from each segment before resolving dot segments,
//! so `..;/admin` is `../admin` to them, and `%3B` is only safe while no
//! proxy between this host and the application decodes it back (nginx's
//! `proxy_pass` with a URI does). Paths with matrix parameters are rare in
//! APIs; a leak out of the base path is not.

use std::fmt;

use base64::Engine as _;
use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

use super::http::{HttpAuth, HttpConfig, KeyLocation};
use super::redact::Redactor;

/// A connection's ready client with its parsed settings.
#[derive(Debug, Clone)]
pub struct HttpClient {
    /// The reqwest client (keep-alive pool, timeout, redirect policy).
    pub client: reqwest::Client,
    /// The connection's config.
    pub config: HttpConfig,
    /// The parsed base URL.
    pub base: Url,
    /// The header carrying the credentials, if they travel in one.
    pub auth_header: Option<(HeaderName, HeaderValue)>,
    /// Finds the connection's secrets in what the upstream answers.
    pub redactor: Redactor,
}

/// A redirect the policy refused; reqwest hands it back as the error's source.
#[derive(Debug)]
pub struct RedirectRefused(pub String);

impl fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedirectRefused {}

impl HttpClient {
    /// Builds the client of `config`.
    ///
    /// # Errors
    /// When the base URL or the credentials are invalid, or the TLS
    /// backend cannot be set up.
    pub fn new(config: HttpConfig) -> Result<Self, String> {
        let base = config.base()?;
        let policy = if config.max_redirects == 0 {
            reqwest::redirect::Policy::none()
        } else {
            let base = base.clone();
            let max = config.max_redirects as usize;
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max {
                    let message = format!("more than {max} redirects");
                    attempt.error(RedirectRefused(message))
                } else if within(&base, attempt.url()) {
                    attempt.follow()
                } else {
                    let message = format!(
                        "the upstream redirected to {}, which is outside the connection's base URL",
                        without_query(attempt.url())
                    );
                    attempt.error(RedirectRefused(message))
                }
            })
        };
        let client = reqwest::Client::builder()
            .timeout(config.timeout())
            .redirect(policy)
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        let auth_header = auth_header(&config.auth)?;
        let redactor = Redactor::new(secrets(&config.auth, auth_header.as_ref(), None))?;
        Ok(Self {
            client,
            config,
            base,
            auth_header,
            redactor,
        })
    }

    /// The redactor for one request: the connection's, or with an OAuth2
    /// access `token` added.
    ///
    /// # Errors
    /// As [`Redactor::new`].
    pub fn redactor_with(&self, token: Option<&str>) -> Result<Redactor, String> {
        match token {
            None => Ok(self.redactor.clone()),
            Some(token) => Redactor::new(secrets(
                &self.config.auth,
                self.auth_header.as_ref(),
                Some(token),
            )),
        }
    }

    /// The URL for a guest's `path` and `query` with the API key added
    /// when it travels in the query (a guest pair of the same name is
    /// dropped, so the guest cannot replace it).
    ///
    /// # Errors
    /// Why the path is refused.
    pub fn url(&self, path: &str, query: &[(String, String)]) -> Result<Url, String> {
        let mut url = join(&self.base, path)?;
        let key = match &self.config.auth {
            HttpAuth::ApiKey {
                location: KeyLocation::Query,
                name,
                value: Some(value),
            } => Some((name.as_str(), value.as_str())),
            _ => None,
        };
        if !query.is_empty() || key.is_some() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                if key.is_none_or(|(name, _)| name != k) {
                    pairs.append_pair(k, v);
                }
            }
            if let Some((name, value)) = key {
                pairs.append_pair(name, value);
            }
        }
        Ok(url)
    }
}

/// The header that carries `auth`, marked sensitive so it is never logged.
fn auth_header(auth: &HttpAuth) -> Result<Option<(HeaderName, HeaderValue)>, String> {
    let (name, value) = match auth {
        // OAuth2 tokens are fetched per request (crate::connections::oauth2).
        HttpAuth::None
        | HttpAuth::Oauth2AuthorizationCode { .. }
        | HttpAuth::Oauth2ClientCredentials { .. }
        | HttpAuth::ApiKey {
            location: KeyLocation::Query,
            ..
        } => return Ok(None),
        HttpAuth::Bearer { token } => (
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", token.as_deref().unwrap_or_default()),
        ),
        HttpAuth::Basic { username, password } => {
            let pair = format!("{username}:{}", password.as_deref().unwrap_or_default());
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            (reqwest::header::AUTHORIZATION, format!("Basic {encoded}"))
        }
        HttpAuth::ApiKey { name, value, .. } => (
            HeaderName::try_from(name.as_str()).map_err(|e| e.to_string())?,
            value.clone().unwrap_or_default(),
        ),
    };
    let mut value =
        HeaderValue::try_from(value).map_err(|_| "the credentials are not a valid header value")?;
    value.set_sensitive(true);
    Ok(Some((name, value)))
}

/// Every form in which the host sends a secret, so that an upstream
/// echoing any of them is caught: the secret itself, the header value
/// built from it (`Bearer …`, `Basic …`), Basic's base64 credentials
/// alone, an API key as encoded in the query, and an OAuth2 access `token`
/// with its `Bearer` header value.
fn secrets(
    auth: &HttpAuth,
    header: Option<&(HeaderName, HeaderValue)>,
    token: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(secret) = auth.secret() {
        out.push(secret.to_string());
        if let HttpAuth::ApiKey {
            location: KeyLocation::Query,
            ..
        } = auth
        {
            out.push(form_urlencoded::byte_serialize(secret.as_bytes()).collect());
        }
    }
    if let Some(value) = header.and_then(|(_, value)| value.to_str().ok()) {
        out.push(value.to_string());
        if let Some(credentials) = value.strip_prefix("Basic ") {
            out.push(credentials.to_string());
        }
    }
    if let Some(token) = token {
        out.push(token.to_string());
        out.push(format!("Bearer {token}"));
    }
    out
}

/// Refuses guest paths that could leave the base URL or be read
/// differently by the upstream than by this check.
///
/// # Errors
/// What is wrong with the path, for the guest's `invalid-request`.
pub fn check_path(path: &str) -> Result<(), String> {
    if path.len() > 8192 {
        return Err("the path is longer than 8192 bytes".into());
    }
    if path.starts_with("//") || path.contains("://") {
        return Err(format!(
            "{path:?} looks like an absolute URL; give a path under the connection's base URL"
        ));
    }
    if let Some(c) = path
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '\\' | '?' | '#'))
    {
        return Err(format!(
            "the path may not contain {c:?}; pass query pairs separately and encode the rest"
        ));
    }
    if path.contains(';') {
        return Err(format!(
            "{path:?} has a ';', which Java servers read as a path parameter \
             (`..;` is `..` to them); it is refused so that no path can leave the base URL"
        ));
    }
    let bytes = path.as_bytes();
    for (i, _) in path.match_indices('%') {
        let decoded = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(|| format!("{path:?} has a '%' that does not start a percent-escape"))?;
        if matches!(decoded, b'.' | b'/' | b'\\' | b'%' | b';') || decoded < 0x20 || decoded == 0x7f
        {
            return Err(format!(
                "{path:?} percent-encodes {:?}, which could escape the base URL",
                decoded as char
            ));
        }
    }
    // Overlong forms such as `%c0%ae` (a `.` to some old decoders) are not
    // UTF-8; no API path needs them.
    if percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_err()
    {
        return Err(format!("{path:?} percent-encodes bytes that are not UTF-8"));
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return Err(format!("{path:?} has a '.' or '..' segment"));
    }
    Ok(())
}

/// `base` with `path` appended to its path, or the reason it is refused.
///
/// # Errors
/// From [`check_path`], or when the result is not [`within`] `base`.
pub fn join(base: &Url, path: &str) -> Result<Url, String> {
    check_path(path)?;
    let mut url = base.clone();
    if !path.is_empty() {
        let joined = format!(
            "{}/{}",
            base.path().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        url.set_path(&joined);
    }
    if !within(base, &url) {
        return Err(format!("{path:?} leaves the connection's base URL"));
    }
    Ok(url)
}

/// True when `url` has `base`'s scheme, host and port, no credentials, and
/// a path equal to or under `base`'s path whose part below the base passes
/// [`check_path`] (so a redirect to `/v1/..;/admin` is outside).
pub fn within(base: &Url, url: &Url) -> bool {
    let base_path = base.path().trim_end_matches('/');
    let below = if url.path() == base_path {
        Some("")
    } else {
        url.path()
            .strip_prefix(base_path)
            .filter(|rest| rest.starts_with('/'))
    };
    url.scheme() == base.scheme()
        && url.host() == base.host()
        && url.port_or_known_default() == base.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none()
        && below.is_some_and(|rest| check_path(rest).is_ok())
}

/// `url` without its query, for messages (the query may carry a key).
pub fn without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://api.example.com/v1").unwrap()
    }

    #[test]
    fn paths_under_the_base_are_joined() {
        assert_eq!(
            join(&base(), "/users/1").unwrap().as_str(),
            "https://api.example.com/v1/users/1"
        );
        assert_eq!(
            join(&base(), "").unwrap().as_str(),
            "https://api.example.com/v1"
        );
        assert_eq!(
            join(&base(), "@evil.example/x").unwrap().as_str(),
            "https://api.example.com/v1/@evil.example/x"
        );
    }

    #[test]
    fn path_parameters_and_their_encodings_are_refused() {
        for path in [
            "/..;/admin",
            "..;/admin",
            "/a/..;x=1/..;/admin",
            "/.;/admin",
            "/users;jsessionid=1",
            "/..%3b/admin",
            "/..%3B/admin",
            "/%2e%2e;/admin",
            "/%2E%2e%3B/admin",
            "/%c0%ae%c0%ae/admin",
            "/..%5c..%5cadmin",
        ] {
            assert!(join(&base(), path).is_err(), "{path:?} was joined");
        }
        // A `.` inside a name, and encoded UTF-8, are fine.
        assert_eq!(
            join(&base(), "/files/a..b/%C3%A9t%C3%A9").unwrap().path(),
            "/v1/files/a..b/%C3%A9t%C3%A9"
        );
    }

    #[test]
    fn a_redirect_below_the_base_with_a_path_parameter_is_not_within() {
        for target in [
            "https://api.example.com/v1/..;/admin",
            "https://api.example.com/v1/x/..%3B/..%3B/admin",
        ] {
            let url = Url::parse(target).unwrap();
            assert!(!within(&base(), &url), "{target}");
        }
        let fine = Url::parse("https://api.example.com/v1/landed").unwrap();
        assert!(within(&base(), &fine));
        let root = Url::parse("https://api.example.com/v1").unwrap();
        assert!(within(&base(), &root));
    }

    #[test]
    fn a_sibling_path_is_not_within_the_base() {
        let sibling = Url::parse("https://api.example.com/v10/x").unwrap();
        assert!(!within(&base(), &sibling));
    }
}
