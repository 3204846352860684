//! OpenID Connect on top of the authorization-code grant (OpenID Connect
//! Core 1.0): the `openid`, `profile` and `email` scopes, the claims they
//! release about a user (§5.1, §5.4), and the ID token (§2, §3.1.3.6).

use serde_json::{Map, Value, json};
use sqlx::AnyPool;

use crate::store::users::UserRow;

/// The scopes OpenID Connect defines that Sluice supports (Core §5.4):
/// they need no admin-defined scope of that name.
pub const SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// Whether `scope` is one of [`SCOPES`].
pub fn is_oidc_scope(scope: &str) -> bool {
    SCOPES.contains(&scope)
}

/// The claims this server can release (Core §5.1), for the discovery
/// document.
pub const CLAIMS: [&str; 12] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "name",
    "preferred_username",
    "email",
    "email_verified",
];

/// `requested` (a `scope` parameter) split into its OpenID Connect scopes
/// and the rest, the API's scopes, space-separated again (`None` when
/// none was asked).
pub fn split(requested: Option<&str>) -> (Vec<String>, Option<String>) {
    let Some(requested) = requested else {
        return (Vec::new(), None);
    };
    let (oidc, api): (Vec<&str>, Vec<&str>) =
        requested.split_whitespace().partition(|s| is_oidc_scope(s));
    let mut oidc: Vec<String> = oidc.into_iter().map(str::to_string).collect();
    oidc.sort();
    oidc.dedup();
    // `profile` and `email` mean something only beside `openid`.
    if !oidc.iter().any(|s| s == "openid") {
        oidc.clear();
    }
    let api = (!api.is_empty()).then(|| api.join(" "));
    (oidc, api)
}

/// [`split`] for an authorization or device request, whose API part is
/// what [`crate::identity::scopes::choose`] reads: a `scope` of only
/// OpenID Connect scopes (`scope=openid`) asks for no API scope
/// (`Some("")`), not for all of them (`None`, no `scope` at all).
pub fn split_request(requested: Option<&str>) -> (Vec<String>, Option<String>) {
    let (oidc, api) = split(requested);
    let api = match (requested, api) {
        (Some(_), None) => Some(String::new()),
        (_, api) => api,
    };
    (oidc, api)
}

/// The claims about `user` that `scopes` release (Core §5.4): always
/// `sub`; with `profile` the name (a consumer's own, else the login name)
/// and `preferred_username`; with `email` the address and whether it was
/// confirmed (only a consumer's address is: an admin-entered contact
/// address is not).
///
/// # Errors
/// On database failure.
pub async fn user_claims(
    db: &AnyPool,
    user: &UserRow,
    scopes: &[String],
) -> sqlx::Result<Map<String, Value>> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id));
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let consumer = if user.is_consumer() {
        crate::store::consumers::get(db, &user.id).await?
    } else {
        None
    };
    if has("profile") {
        let name = consumer
            .as_ref()
            .map_or(user.name.clone(), |c| c.name.clone());
        claims.insert("name".into(), json!(name));
        claims.insert("preferred_username".into(), json!(user.name));
    }
    if has("email") {
        let email = consumer
            .as_ref()
            .and_then(|c| c.email.clone())
            .or_else(|| user.email.clone());
        if let Some(email) = email {
            claims.insert("email".into(), json!(email));
            let verified = consumer.as_ref().is_some_and(|c| c.verified_at.is_some());
            claims.insert("email_verified".into(), json!(verified));
        }
    }
    Ok(claims)
}

/// What an ID token says besides the user's claims.
#[derive(Debug, Clone)]
pub struct IdTokenFacts<'a> {
    /// The issuer identifier.
    pub issuer: &'a str,
    /// The app's client id: `aud` and `azp`.
    pub client_id: &'a str,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// When the user approved the request, Unix seconds.
    pub auth_time: i64,
    /// The request's `nonce`, echoed (Core §3.1.2.1).
    pub nonce: Option<&'a str>,
}

/// The claims of an ID token (Core §2): `facts` and `user_claims`.
pub fn id_token_claims(facts: &IdTokenFacts<'_>, user_claims: Map<String, Value>) -> Value {
    let mut claims = user_claims;
    claims.insert("iss".into(), json!(facts.issuer));
    claims.insert("aud".into(), json!(facts.client_id));
    claims.insert("azp".into(), json!(facts.client_id));
    claims.insert("iat".into(), json!(facts.iat));
    claims.insert("exp".into(), json!(facts.exp));
    claims.insert("auth_time".into(), json!(facts.auth_time));
    if let Some(nonce) = facts.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    Value::Object(claims)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn openid_scopes_are_split_from_the_apis_and_need_openid() {
        assert_eq!(
            split(Some("openid todo:read email")),
            (
                vec!["email".to_string(), "openid".to_string()],
                Some("todo:read".to_string())
            )
        );
        assert_eq!(
            split(Some("profile todo:read")),
            (Vec::new(), Some("todo:read".to_string()))
        );
        assert_eq!(split(Some("openid")), (vec!["openid".to_string()], None));
        assert_eq!(split(None), (Vec::new(), None));
    }
}
