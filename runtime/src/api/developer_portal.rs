//! `/portal`: the developer portal, a single-page app (sources in
//! `portal/`, built into `portal/dist` by `scripts/build-portal.sh`),
//! served as [`super::spa`] serves every embedded app. API consumers sign
//! up, sign in and manage their apps, tokens and webhooks there; it talks
//! to the consumer API (`/consumer`), the token endpoint and the hosted
//! operations, on the public listener.

use axum::Router;

use super::spa::{self, SinglePageApp};
use crate::state::AppState;

/// The portal's built files.
#[derive(rust_embed::Embed)]
#[folder = "../portal/dist/"]
#[allow_missing = true]
pub struct Portal;

impl SinglePageApp for Portal {
    const PREFIX: &'static str = "/portal";
    const NOT_BUILT_SLUG: &'static str = "portal-not-built";
    const NOT_BUILT_DETAIL: &'static str = "this binary was built without the developer portal; \
        run scripts/build-portal.sh, then build the server again";
    // The logo in the portal's settings may live on another host (HTTPS
    // only); scripts, styles and calls stay on this server.
    const IMG_SRC: &'static str = "'self' data: https:";
}

/// `/portal` routes (no token needed: the app itself signs in).
pub fn router() -> Router<AppState> {
    spa::router::<Portal>()
}
