//! `/consumer/tokens`: personal access tokens — bearer tokens a consumer
//! makes for their own scripts, with a name, scopes among those open to
//! consumers and an expiry (1–365 days). Each is a session of its own, so
//! revoking one leaves the others; the token is shown once.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};

use crate::http::extract::{Json, Path};
use crate::consumer::Consumer;
use crate::error::{ApiError, ApiResult};
use crate::identity::tokens::Subject;
use crate::identity::unix_now;
use crate::state::AppState;
use crate::store::consumers::{self, PersonalToken};

/// Most live personal access tokens one consumer may hold.
const MAX_TOKENS: usize = 50;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(create))
        .route("/tokens/{id}", delete(remove))
}

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

/// `GET /consumer/tokens` → 200 with the live tokens (never their values).
pub async fn list(
    State(state): State<AppState>,
    consumer: Consumer,
) -> ApiResult<Json<Vec<TokenView>>> {
    let rows = consumers::personal_tokens(&state.db, &consumer.user.id, unix_now()).await?;
    Ok(Json(rows.into_iter().map(TokenView::from).collect()))
}

/// `POST /consumer/tokens` → 201 with the token (shown this once); 400
/// with a pointer for a bad name, expiry or a scope not open to consumers;
/// 409 past 50 live tokens.
pub async fn create(
    State(state): State<AppState>,
    consumer: Consumer,
    Json(input): Json<NewToken>,
) -> ApiResult<Response> {
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
    let allowed = crate::identity::scopes::allowed(&state.db, None, Some(&consumer.user)).await?;
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
    let live = consumers::personal_tokens(&state.db, &consumer.user.id, unix_now()).await?;
    if live.len() >= MAX_TOKENS {
        return Err(ApiError::Conflict(format!(
            "you have {MAX_TOKENS} live tokens, the most allowed; revoke one first"
        )));
    }
    let subject = Subject {
        app: None,
        user: Some(&consumer.user),
    };
    let issued = state
        .tokens
        .issue(subject, scopes.clone(), false, Some(days * 86_400))
        .await?;
    let session = state
        .tokens
        .verify(&issued.access_token)
        .map_err(|e| anyhow::anyhow!("a token just issued does not verify: {e}"))?
        .sid
        .clone();
    consumers::name_session(&state.db, &session, &name).await?;
    let now = unix_now();
    let view = TokenView {
        id: session,
        name,
        scopes,
        created_at: crate::store::ms_to_rfc3339(now * 1000),
        expires_at: crate::store::ms_to_rfc3339((now + issued.expires_in) * 1000),
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedToken {
            view,
            token: issued.access_token,
        }),
    )
        .into_response())
}

/// `DELETE /consumer/tokens/{id}` → 204: the token stops working at once.
/// 404 for a token that is not the consumer's or no longer live.
pub async fn remove(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let live = consumers::personal_tokens(&state.db, &consumer.user.id, unix_now()).await?;
    let Some(token) = live.into_iter().find(|t| t.id == id) else {
        return Err(ApiError::NotFound(format!(
            "you have no live token with id {id:?}"
        )));
    };
    state.tokens.revoke(&token.id, token.expires_at).await?;
    Ok(StatusCode::NO_CONTENT)
}
