//! The deploy file's `portal:` key: the portal's settings
//! ([`crate::portal::settings`]), stated whole like `PUT /admin/portal`'s
//! body (absent members take their defaults). A file without the key
//! leaves the stored settings as they are; one with it replaces them in
//! the deploy's transaction, checked as `PUT /admin/portal` checks them,
//! so a bad value refuses the whole deploy.

use serde_json::Value;
use sqlx::AnyConnection;

use super::{Change, ChangeKind, Kind, at};
use crate::error::{ApiError, ApiResult};
use crate::portal::PortalSettings;
use crate::portal::settings;

/// The name of the portal's one plan line.
pub(super) const NAME: &str = "settings";

/// The file's `portal` entry read as settings, defaults filled in.
///
/// # Errors
/// 400 `portal "settings": …` for an unknown member or a value of the
/// wrong type (a registration mode other than open, approval or closed).
pub(super) fn desired(entry: &Value) -> ApiResult<PortalSettings> {
    serde_json::from_value(entry.clone())
        .map_err(|e| at(Kind::Portal, NAME, ApiError::BadRequest(e.to_string())))
}

/// The plan line of `desired` against the stored settings: `update` with
/// the fields that differ, or `unchanged`.
///
/// # Errors
/// On database failure, or when the stored settings no longer parse.
pub(super) async fn plan(conn: &mut AnyConnection, desired: &PortalSettings) -> ApiResult<Change> {
    let current = settings::load(&mut *conn).await?;
    let (old, new) = (
        serde_json::to_value(&current).map_err(anyhow::Error::from)?,
        serde_json::to_value(desired).map_err(anyhow::Error::from)?,
    );
    let (change, fields) = if old == new {
        (ChangeKind::Unchanged, Vec::new())
    } else {
        (ChangeKind::Update, Kind::Portal.field_changes(&old, &new))
    };
    Ok(Change {
        kind: Kind::Portal,
        name: NAME.into(),
        change,
        fields,
    })
}

/// Stores `desired` through `conn` (the deploy's transaction), after every
/// other change, so the mailer it names is checked against the
/// connections the deploy leaves.
///
/// # Errors
/// 400 with a pointer under `/portal` per broken rule; 422 when the mailer
/// is not an `smtp` connection; each detail led by `portal "settings": `.
pub(super) async fn apply(conn: &mut AnyConnection, desired: &PortalSettings) -> ApiResult<()> {
    settings::save(conn, desired).await.map_err(|e| match e {
        ApiError::InvalidAt { errors, .. } => {
            let errors = errors
                .into_iter()
                .map(|mut e| {
                    e.pointer = format!("/portal{}", e.pointer);
                    e
                })
                .collect();
            at(Kind::Portal, NAME, ApiError::invalid(errors))
        }
        other => at(Kind::Portal, NAME, other),
    })
}
