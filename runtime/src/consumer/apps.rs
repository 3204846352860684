//! `/consumer/apps`: OAuth2 clients (RFC 6749 §2) a consumer makes for
//! themself. Each may obtain only scopes the admin opened to consumers; its
//! client secret is shown once, at creation and at rotation. Another
//! consumer's app is a 404, as if it did not exist.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::http::extract::{Json, Path};
use crate::consumer::Consumer;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::identity::{passwords, random_hex};
use crate::state::AppState;
use crate::store::Json as SqlJson;
use crate::store::apps::{self, AppRow};
use crate::store::consumers;

/// Most redirect URIs one app may register.
const MAX_REDIRECT_URIS: usize = 10;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps", get(list).post(create))
        .route("/apps/{id}", get(show).patch(update).delete(remove))
        .route("/apps/{id}/secret", post(rotate_secret))
}

/// Body of `POST /consumer/apps`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    /// Its name (1–100 characters).
    pub name: String,
    /// Free text (at most 1,000 characters).
    #[serde(default)]
    pub description: String,
    /// Where the authorization server may send users back (RFC 6749
    /// §3.1.2): absolute `https://` URLs (`http://` only for loopback),
    /// without a fragment; at most 10.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Scopes it may obtain, among those open to consumers.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Body of `PATCH /consumer/apps/{id}`: the fields to change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New redirect URIs (replace the old).
    pub redirect_uris: Option<Vec<String>>,
    /// New scopes (replace the old; fewer revoke the app's tokens).
    pub scopes: Option<Vec<String>>,
}

/// An app as its consumer sees it.
#[derive(Debug, Serialize)]
pub struct ConsumerApp {
    /// UUID v7; the `{id}` of its routes.
    pub id: String,
    /// The name the consumer gave it.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The public client identifier, `app_<32 hex>`.
    pub client_id: String,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Scopes it may obtain.
    pub scopes: Vec<String>,
    /// Inactive apps (an admin stopped them) get no tokens.
    pub active: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<AppRow> for ConsumerApp {
    fn from(row: AppRow) -> Self {
        Self {
            id: row.id,
            name: row.label,
            description: row.description,
            client_id: row.client_id,
            redirect_uris: row.redirect_uris.0,
            scopes: row.scopes.0,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// An app with its client secret, shown this once.
#[derive(Debug, Serialize)]
pub struct WithSecret {
    /// The app.
    #[serde(flatten)]
    pub app: ConsumerApp,
    /// The client secret (RFC 6749 §2.3.1), `cs_<64 hex>`.
    pub client_secret: String,
}

fn new_secret() -> String {
    format!("cs_{}", random_hex(32))
}

/// The admin-side name of a consumer's app: its label as a slug and 8 hex
/// digits, so the request log and the console read well and names from
/// different consumers never meet.
fn internal_name(label: &str) -> String {
    let mut slug = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "app" } else { slug };
    format!("{slug}-{}", random_hex(4))
}

fn problems_of(
    name: Option<&str>,
    description: Option<&str>,
    redirect_uris: Option<&[String]>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(name) = name
        && (name.trim().is_empty()
            || name.chars().count() > 100
            || name.chars().any(char::is_control))
    {
        errors.push(FieldError {
            pointer: "/name".into(),
            message: "the name must be 1-100 characters without control characters".into(),
        });
    }
    if let Some(description) = description
        && description.chars().count() > 1000
    {
        errors.push(FieldError {
            pointer: "/description".into(),
            message: "the description may have at most 1000 characters".into(),
        });
    }
    if let Some(uris) = redirect_uris {
        if uris.len() > MAX_REDIRECT_URIS {
            errors.push(FieldError {
                pointer: "/redirect_uris".into(),
                message: format!("at most {MAX_REDIRECT_URIS} redirect URIs"),
            });
        }
        for (i, uri) in uris.iter().enumerate() {
            if let Err(message) = check_redirect_uri(uri) {
                errors.push(FieldError {
                    pointer: format!("/redirect_uris/{i}"),
                    message,
                });
            }
        }
    }
    errors
}

/// RFC 6749 §3.1.2 and RFC 9700 §2.1: absolute, no fragment, `https`
/// except on a loopback host (RFC 8252 §7.3).
fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let parsed = url::Url::parse(uri).map_err(|e| format!("not an absolute URL: {e}"))?;
    if parsed.fragment().is_some() {
        return Err("a redirect URI may not have a fragment (RFC 6749 §3.1.2)".into());
    }
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("a redirect URI must use https (http only for localhost)".into()),
    }
}

/// `scopes` sorted and deduplicated once each is open to consumers.
async fn check_scopes(state: &AppState, mut scopes: Vec<String>) -> ApiResult<Vec<String>> {
    scopes.sort();
    scopes.dedup();
    let open: Vec<String> = crate::store::scopes::open_to_consumers(&state.db)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let errors: Vec<FieldError> = scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| !open.contains(s))
        .map(|(i, s)| FieldError {
            pointer: format!("/scopes/{i}"),
            message: format!(
                "scope {s:?} is not open to consumers; GET /consumer/scopes lists those that are"
            ),
        })
        .collect();
    if errors.is_empty() {
        Ok(scopes)
    } else {
        Err(invalid(errors))
    }
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError::InvalidAt {
        detail: errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        errors,
    }
}

/// The consumer's app `id`; 404 for anyone else's (or none).
async fn owned(state: &AppState, consumer: &Consumer, id: &str) -> ApiResult<AppRow> {
    apps::by_id(&state.db, id)
        .await?
        .filter(|a| a.owner_id.as_deref() == Some(consumer.user.id.as_str()))
        .ok_or_else(|| ApiError::NotFound(format!("you have no app with id {id:?}")))
}

/// `GET /consumer/apps` → 200 with the consumer's apps, newest first.
pub async fn list(
    State(state): State<AppState>,
    consumer: Consumer,
) -> ApiResult<Json<Vec<ConsumerApp>>> {
    let rows = apps::owned_by(&state.db, &consumer.user.id).await?;
    Ok(Json(rows.into_iter().map(ConsumerApp::from).collect()))
}

/// `GET /consumer/apps/{id}` → 200, or 404.
pub async fn show(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<Json<ConsumerApp>> {
    Ok(Json(owned(&state, &consumer, &id).await?.into()))
}

/// `POST /consumer/apps` → 201 with `client_id` and `client_secret` (shown
/// this once); 400 with pointers for bad fields and scopes not open to
/// consumers; 409 past the portal's `max_apps_per_consumer`.
pub async fn create(
    State(state): State<AppState>,
    consumer: Consumer,
    Json(input): Json<NewApp>,
) -> ApiResult<Response> {
    let errors = problems_of(
        Some(&input.name),
        Some(&input.description),
        Some(&input.redirect_uris),
    );
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let scopes = check_scopes(&state, input.scopes).await?;
    let limit = crate::portal::settings::load(&state.db)
        .await?
        .max_apps_per_consumer;
    let secret = new_secret();
    let secret_hash = passwords::hash(secret.clone()).await?;
    let now = crate::store::now();
    let row = AppRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: internal_name(&input.name),
        description: input.description,
        client_id: format!("app_{}", random_hex(16)),
        secret_hash,
        scopes: SqlJson(scopes),
        active: true,
        secret_rotated_at: now.clone(),
        created_at: now.clone(),
        updated_at: now,
        owner_id: Some(consumer.user.id.clone()),
        label: input.name.trim().to_string(),
        redirect_uris: SqlJson(input.redirect_uris),
    };
    // Counting and inserting under the write lock keeps two parallel
    // requests from passing the limit together.
    let mut tx = crate::store::begin_write(&state.db).await?;
    if consumers::app_count(&mut *tx, &consumer.user.id).await? >= i64::from(limit) {
        return Err(ApiError::Conflict(format!(
            "you have {limit} apps, the most this portal allows; delete one first"
        )));
    }
    apps::upsert(&mut *tx, &row).await?;
    tx.commit().await?;
    let location = format!("/consumer/apps/{}", row.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(WithSecret {
            app: row.into(),
            client_secret: secret,
        }),
    )
        .into_response())
}

/// `PATCH /consumer/apps/{id}` → 200; fewer scopes revoke the app's
/// tokens. 404 for another consumer's app.
pub async fn update(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
    Json(patch): Json<AppPatch>,
) -> ApiResult<Json<ConsumerApp>> {
    let existing = owned(&state, &consumer, &id).await?;
    let errors = problems_of(
        patch.name.as_deref(),
        patch.description.as_deref(),
        patch.redirect_uris.as_deref(),
    );
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let mut row = existing.clone();
    if let Some(name) = patch.name {
        row.label = name.trim().to_string();
    }
    if let Some(description) = patch.description {
        row.description = description;
    }
    if let Some(uris) = patch.redirect_uris {
        row.redirect_uris = SqlJson(uris);
    }
    if let Some(scopes) = patch.scopes {
        row.scopes = SqlJson(check_scopes(&state, scopes).await?);
    }
    row.updated_at = crate::store::now();
    apps::upsert(&state.db, &row).await?;
    if existing.scopes.0.iter().any(|s| !row.scopes.0.contains(s)) {
        state.tokens.revoke_all_of(None, Some(&row.id)).await?;
    }
    Ok(Json(row.into()))
}

/// `POST /consumer/apps/{id}/secret` → 200 with a new `client_secret`
/// (shown this once); the old one stops working at once.
pub async fn rotate_secret(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<Json<WithSecret>> {
    let mut row = owned(&state, &consumer, &id).await?;
    let secret = new_secret();
    let now = crate::store::now();
    row.secret_hash = passwords::hash(secret.clone()).await?;
    row.secret_rotated_at = now.clone();
    row.updated_at = now;
    apps::upsert(&state.db, &row).await?;
    Ok(Json(WithSecret {
        app: row.into(),
        client_secret: secret,
    }))
}

/// `DELETE /consumer/apps/{id}` → 204 and the app's tokens revoked.
pub async fn remove(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let row = owned(&state, &consumer, &id).await?;
    state.tokens.revoke_all_of(None, Some(&row.id)).await?;
    apps::delete(&state.db, &row.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
