//! A consumer's own apps: named freely (a label; the admin-side name is
//! made from it), with redirect URIs, and only scopes the admin opened to
//! consumers. Another consumer's app does not exist for them.

use serde::Deserialize;
use sqlx::{AnyConnection, AnyPool};

use super::{AppWithSecret, fresh, store_changed};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::identity::random_hex;
use crate::resources::Effects;
use crate::store::Json as SqlJson;
use crate::store::apps::{self, AppRow};
use crate::store::consumers;

/// Most redirect URIs one app may register.
const MAX_REDIRECT_URIS: usize = 10;

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
pub struct OwnedAppPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New redirect URIs (replace the old).
    pub redirect_uris: Option<Vec<String>>,
    /// New scopes (replace the old; fewer revoke the app's tokens).
    pub scopes: Option<Vec<String>>,
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

/// Checks an admin app's `redirect_uris` as a consumer's are checked.
///
/// # Errors
/// 422 with a pointer to each URI that is not absolute, has a fragment or
/// is not `https` (but on a loopback host), or to the list when it has
/// more than 10.
pub fn check_redirect_uris(uris: &[String]) -> ApiResult<()> {
    let errors = problems_of(None, None, Some(uris));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
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
async fn check_scopes(conn: &mut AnyConnection, mut scopes: Vec<String>) -> ApiResult<Vec<String>> {
    scopes.sort();
    scopes.dedup();
    let open: Vec<String> = crate::store::scopes::open_to_consumers(&mut *conn)
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
        Err(ApiError::invalid(errors))
    }
}

/// The app `id` when the consumer `owner_id` owns it.
///
/// # Errors
/// 404 for anyone else's app, or none.
pub async fn owned(conn: &mut AnyConnection, owner_id: &str, id: &str) -> ApiResult<AppRow> {
    apps::by_id(&mut *conn, id)
        .await?
        .filter(|a| a.owner_id.as_deref() == Some(owner_id))
        .ok_or_else(|| ApiError::NotFound(format!("you have no app with id {id:?}")))
}

/// Checks `input` and stores a new app of the consumer `owner_id`, with a
/// fresh client id and secret (answered, shown once).
///
/// # Errors
/// 400 with pointers for bad fields and scopes not open to consumers; 409
/// when the consumer already has `limit` apps.
pub async fn create(
    db: &AnyPool,
    owner_id: &str,
    input: NewApp,
    limit: u32,
) -> ApiResult<AppWithSecret> {
    let errors = problems_of(
        Some(&input.name),
        Some(&input.description),
        Some(&input.redirect_uris),
    );
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let mut conn = db.acquire().await?;
    let scopes = check_scopes(&mut conn, input.scopes).await?;
    drop(conn);
    let mut created = fresh(
        internal_name(&input.name),
        input.description,
        scopes,
        Some(owner_id.to_string()),
    )
    .await?;
    created.app.label = input.name.trim().to_string();
    created.app.redirect_uris = SqlJson(input.redirect_uris);
    // Counting and inserting under the write lock keeps two parallel
    // requests from passing the limit together; the slow hashing is done.
    let mut tx = crate::store::begin_write(db).await?;
    if consumers::app_count(&mut *tx, owner_id).await? >= i64::from(limit) {
        return Err(ApiError::Conflict(format!(
            "you have {limit} apps, the most this portal allows; delete one first"
        )));
    }
    apps::upsert(&mut *tx, &created.app).await?;
    tx.commit().await?;
    Ok(created)
}

/// Applies `patch` to the consumer's app `existing` and stores it; fewer
/// scopes revoke the app's tokens after commit (`effects`).
///
/// # Errors
/// 400 with pointers for bad fields and scopes not open to consumers.
pub async fn update(
    conn: &mut AnyConnection,
    existing: AppRow,
    patch: OwnedAppPatch,
    effects: &mut Effects,
) -> ApiResult<AppRow> {
    let errors = problems_of(
        patch.name.as_deref(),
        patch.description.as_deref(),
        patch.redirect_uris.as_deref(),
    );
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
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
        row.scopes = SqlJson(check_scopes(conn, scopes).await?);
    }
    store_changed(conn, &existing, &mut row, effects).await?;
    Ok(row)
}
