//! What the portal shows before and after signing in: its settings as the
//! public sees them, and the scopes and events open to consumers.

use axum::extract::State;
use serde::Serialize;

use crate::consumer::Consumer;
use crate::error::ApiResult;
use crate::http::extract::Json;
use crate::portal::settings::Page;
use crate::portal::{PortalSettings, Registration};
use crate::state::AppState;

/// `GET /consumer/portal`: what anyone may see of the portal's settings.
#[derive(Debug, Serialize)]
pub struct PublicPortal {
    /// The API's name.
    pub title: String,
    /// Its description (Markdown).
    pub description: String,
    /// The logo's URL.
    pub logo_url: Option<String>,
    /// The Markdown pages.
    pub pages: Vec<Page>,
    /// `open`, `approval` or `closed`.
    pub registration: Registration,
}

impl From<PortalSettings> for PublicPortal {
    fn from(s: PortalSettings) -> Self {
        Self {
            title: s.title,
            description: s.description,
            logo_url: s.logo_url,
            pages: s.pages,
            registration: s.registration,
        }
    }
}

/// A scope or event open to consumers.
#[derive(Debug, Serialize)]
pub struct Offered {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
}

/// `GET /consumer/portal` → 200 with the public part of the settings.
pub async fn portal(State(state): State<AppState>) -> ApiResult<Json<PublicPortal>> {
    Ok(Json(crate::portal::settings::load(&state.db).await?.into()))
}

/// `GET /consumer/scopes` → 200 with the scopes a consumer may ask for.
pub async fn scopes(State(state): State<AppState>, _: Consumer) -> ApiResult<Json<Vec<Offered>>> {
    let rows = crate::store::scopes::open_to_consumers(&state.db).await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| Offered {
                name: s.name,
                description: s.description,
            })
            .collect(),
    ))
}

/// `GET /consumer/events` → 200 with the events a consumer may subscribe to.
pub async fn events(State(state): State<AppState>, _: Consumer) -> ApiResult<Json<Vec<Offered>>> {
    let rows = crate::store::events::open_to_consumers(&state.db).await?;
    Ok(Json(
        rows.into_iter()
            .map(|e| Offered {
                name: e.name,
                description: e.description,
            })
            .collect(),
    ))
}
