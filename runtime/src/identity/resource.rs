//! Resource indicators (RFC 8707): a client names the resource it wants a
//! token for, and the token's audience (`aud`) is bound to it, so that a
//! token obtained for one API (an MCP server, `/v1/billing`) is refused by
//! the others.
//!
//! The resources Sluice protects are the issuer itself (the whole API:
//! what tokens without a `resource` are for) and any URL under it: a
//! token bound to `https://api.example/v1/billing` works on the hosted
//! operations under `/v1/billing` and nowhere else — not on the admin or
//! consumer API, nor at userinfo.

/// Why a `resource` parameter is refused: RFC 8707 §2's `invalid_target`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// Not an absolute URI, or one with a fragment or a query (§2: "MUST
    /// NOT include a fragment", "SHOULD NOT include a query").
    #[error("resource must be an absolute URI without a query or fragment (RFC 8707 §2)")]
    Malformed,
    /// A URI outside this server.
    #[error("resource {0:?} is not served here: name the issuer ({1}) or a URL under it")]
    Foreign(String, String),
}

/// The audience a token for `resource` gets: `None` for the issuer itself
/// (or no `resource`), `Some(url)` without a trailing `/` for a URL under
/// it.
///
/// # Errors
/// [`ResourceError`] for a malformed URI or one outside the issuer.
pub fn audience(resource: Option<&str>, issuer: &str) -> Result<Option<String>, ResourceError> {
    let Some(resource) = resource else {
        return Ok(None);
    };
    let url = url::Url::parse(resource).map_err(|_| ResourceError::Malformed)?;
    if url.fragment().is_some() || url.query().is_some() || url.cannot_be_a_base() {
        return Err(ResourceError::Malformed);
    }
    let normal = url.as_str().trim_end_matches('/');
    let issuer = normal_issuer(issuer);
    let issuer = issuer.as_str();
    if normal == issuer {
        return Ok(None);
    }
    match normal.strip_prefix(issuer) {
        Some(rest) if rest.starts_with('/') && !rest.contains("/../") => {
            Ok(Some(normal.to_string()))
        }
        _ => Err(ResourceError::Foreign(
            resource.to_string(),
            issuer.to_string(),
        )),
    }
}

/// Whether a token bound to `audience` (a URL under `issuer`) may be used
/// on request path `path`: the path is the audience's path or below it,
/// at a segment boundary.
pub fn covers(audience: &str, issuer: &str, path: &str) -> bool {
    let Some(prefix) = audience.strip_prefix(normal_issuer(issuer).as_str()) else {
        return false;
    };
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `issuer` as the `url` crate writes it (lower-case host, no default
/// port), without a trailing `/`, so that resources parsed the same way
/// compare with it.
fn normal_issuer(issuer: &str) -> String {
    url::Url::parse(issuer)
        .map(|u| u.as_str().trim_end_matches('/').to_string())
        .unwrap_or_else(|_| issuer.trim_end_matches('/').to_string())
}

/// Whether `narrower` (a token request's audience) is `wider` (what the
/// grant allowed) or lies under it; `None` is the whole API.
pub fn within(narrower: Option<&str>, wider: Option<&str>) -> bool {
    match (narrower, wider) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(n), Some(w)) => n == w || n.strip_prefix(w).is_some_and(|rest| rest.starts_with('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://api.example";

    #[test]
    fn the_issuer_and_urls_under_it_are_resources_and_nothing_else_is() {
        assert_eq!(audience(None, ISSUER), Ok(None));
        assert_eq!(audience(Some("https://api.example/"), ISSUER), Ok(None));
        assert_eq!(
            audience(Some("https://api.example/v1/billing/"), ISSUER),
            Ok(Some("https://api.example/v1/billing".into()))
        );
        assert!(matches!(
            audience(Some("https://api.example.evil/v1"), ISSUER),
            Err(ResourceError::Foreign(..))
        ));
        assert!(matches!(
            audience(Some("https://api.examplex"), ISSUER),
            Err(ResourceError::Foreign(..))
        ));
        assert_eq!(
            audience(Some("https://api.example/v1#x"), ISSUER),
            Err(ResourceError::Malformed)
        );
        assert_eq!(
            audience(Some("https://api.example/v1?x=1"), ISSUER),
            Err(ResourceError::Malformed)
        );
        assert_eq!(audience(Some("/v1"), ISSUER), Err(ResourceError::Malformed));
        assert_eq!(
            audience(Some("https://api.example/v1"), "https://API.example:443/"),
            Ok(Some("https://api.example/v1".into())),
            "the issuer is compared as a URL"
        );
    }

    #[test]
    fn a_bound_token_covers_its_path_and_below_at_segment_boundaries() {
        let aud = "https://api.example/v1/billing";
        assert!(covers(aud, ISSUER, "/v1/billing"));
        assert!(covers(aud, ISSUER, "/v1/billing/invoices"));
        assert!(!covers(aud, ISSUER, "/v1/billing-admin"));
        assert!(!covers(aud, ISSUER, "/v1/orders"));
        assert!(within(Some(aud), None));
        assert!(within(Some("https://api.example/v1/billing/x"), Some(aud)));
        assert!(!within(None, Some(aud)));
        assert!(!within(Some("https://api.example/v1/billingx"), Some(aud)));
    }
}
