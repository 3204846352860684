//! Personal access tokens: bearer tokens a consumer makes for their own
//! scripts, with a name, scopes among those the consumer may obtain and an
//! expiry (1–365 days). Each is a session of its own, so revoking one
//! leaves the others; the token is shown once.

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use crate::error::{ApiError, ApiResult};
use crate::identity::Tokens;
use crate::identity::tokens::Subject;
use crate::identity::unix_now;
use crate::store::consumers::{self, PersonalToken};
use crate::store::users::UserRow;

/// Most live personal access tokens one consumer may hold.
pub const MAX_LIVE: usize = 50;

/// Body of `POST /consumer/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it is for (1–100 characters).
    pub name: String,
    /// Scopes among those open to consumers; absent: all of them.
    pub scopes: Option<Vec<String>>,
    /// Days until it expires, 1–365 (default 30).
    pub expires_in_days: Option<i64>,
}

/// A personal access token as listed.
#[derive(Debug, Serialize)]
pub struct TokenView {
    /// Its id (the session's).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub expires_at: String,
}

impl From<PersonalToken> for TokenView {
    fn from(t: PersonalToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            scopes: t.scopes.0,
            created_at: crate::store::ms_to_rfc3339(t.created_at * 1000),
            expires_at: crate::store::ms_to_rfc3339(t.expires_at * 1000),
        }
    }
}

/// A new token with its secret value, shown this once.
#[derive(Debug, Serialize)]
pub struct CreatedToken {
    /// The listing.
    #[serde(flatten)]
    pub view: TokenView,
    /// The bearer token (a JWT, RFC 9068).
    pub token: String,
}

/// The live tokens of user `user_id`, never their values.
///
/// # Errors
/// On database failure.
pub async fn list(db: &AnyPool, user_id: &str) -> ApiResult<Vec<TokenView>> {
    let rows = consumers::personal_tokens(db, user_id, unix_now()).await?;
    Ok(rows.into_iter().map(TokenView::from).collect())
}

/// Checks `input` and issues a token to `user` through `tokens`.
///
/// # Errors
/// 400 with a pointer for a bad name, expiry or a scope `user` may not
/// obtain; 409 past [`MAX_LIVE`] live tokens.
pub async fn create(
    db: &AnyPool,
    tokens: &Tokens,
    user: &UserRow,
    input: NewToken,
) -> ApiResult<CreatedToken> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::at(
            "/name",
            "the name must be 1-100 characters without control characters",
        ));
    }
    let days = input.expires_in_days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ApiError::at(
            "/expires_in_days",
            "a token lives 1 to 365 days",
        ));
    }
    let allowed = crate::identity::scopes::allowed(db, None, Some(user)).await?;
    let scopes = match input.scopes {
        None => allowed,
        Some(mut wanted) => {
            wanted.sort();
            wanted.dedup();
            if let Some((i, s)) = wanted
                .iter()
                .enumerate()
                .find(|(_, s)| !allowed.contains(s))
            {
                return Err(ApiError::at(
                    &format!("/scopes/{i}"),
                    format!(
                        "scope {s:?} is not open to consumers; GET /consumer/scopes lists those that are"
                    ),
                ));
            }
            wanted
        }
    };
    let live = consumers::personal_tokens(db, &user.id, unix_now()).await?;
    if live.len() >= MAX_LIVE {
        return Err(ApiError::Conflict(format!(
            "you have {MAX_LIVE} live tokens, the most allowed; revoke one first"
        )));
    }
    let subject = Subject {
        app: None,
        user: Some(user),
    };
    let issued = tokens
        .issue(subject, scopes.clone(), false, Some(days * 86_400))
        .await?;
    let session = tokens
        .verify(&issued.access_token)
        .map_err(|e| anyhow::anyhow!("a token just issued does not verify: {e}"))?
        .sid
        .clone();
    consumers::name_session(db, &session, &name).await?;
    let now = unix_now();
    let view = TokenView {
        id: session,
        name,
        scopes,
        created_at: crate::store::ms_to_rfc3339(now * 1000),
        expires_at: crate::store::ms_to_rfc3339((now + issued.expires_in) * 1000),
    };
    Ok(CreatedToken {
        view,
        token: issued.access_token,
    })
}

/// Revokes the live token `id` of user `user_id`: it stops working at once.
///
/// # Errors
/// 404 for a token that is not theirs or no longer live.
pub async fn revoke(db: &AnyPool, tokens: &Tokens, user_id: &str, id: &str) -> ApiResult<()> {
    let live = consumers::personal_tokens(db, user_id, unix_now()).await?;
    let Some(token) = live.into_iter().find(|t| t.id == id) else {
        return Err(ApiError::NotFound(format!(
            "you have no live token with id {id:?}"
        )));
    };
    tokens.revoke(&token.id, token.expires_at).await?;
    Ok(())
}
