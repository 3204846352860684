//! `/console`: the admin console, a single-page app (sources in
//! `console/`, built into `console/dist` by `scripts/build-console.sh`),
//! served as [`super::spa`] serves every embedded app. It talks to the
//! admin API only, with the signed-in user's bearer token.

use axum::Router;

use super::spa::{self, SinglePageApp};
use crate::state::AppState;

/// The console's built files.
#[derive(rust_embed::Embed)]
#[folder = "../console/dist/"]
#[allow_missing = true]
pub struct Console;

impl SinglePageApp for Console {
    const PREFIX: &'static str = "/console";
    const NOT_BUILT_SLUG: &'static str = "console-not-built";
    const NOT_BUILT_DETAIL: &'static str = "this binary was built without the console; run \
        scripts/build-console.sh, then build the server again";
    const IMG_SRC: &'static str = "'self' data:";
}

/// `/console` routes (no token needed: the app itself signs in).
pub fn router() -> Router<AppState> {
    spa::router::<Console>()
}
