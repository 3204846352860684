//! Lending connections to a guest: the one place that decides whether an
//! action may use a connection. Checks run in a fixed order — lookup (name
//! and class), grant, open — answering `no-such-connection`,
//! `access-denied` or an I/O error alike on every interface; a backend is
//! never opened for an action that is not granted it.

use std::sync::Arc;

use crate::connections::Registry;
use crate::connections::registry::Backend;

/// Why a connection was not lent; each interface maps it to its own
/// WIT error case of the same name.
#[derive(Debug)]
pub enum Refusal {
    /// No connection of the asked class has this name.
    NoSuchConnection(String),
    /// The connection exists but is not granted to this action.
    AccessDenied(String),
    /// The stored config could not be loaded or the backend not opened.
    Unavailable(String),
}

/// One invocation's view of the connections: the grants of its action
/// and where backends are opened.
pub struct Lender {
    action: Arc<str>,
    grants: Arc<[String]>,
    registry: Option<Arc<Registry>>,
}

impl Lender {
    /// A lender for `action`, granted `grants`, opening backends in
    /// `registry` (`None` in contexts without a control plane, e.g.
    /// benchmarks: every lookup is then `no-such-connection`).
    pub fn new(action: Arc<str>, grants: Arc<[String]>, registry: Option<Arc<Registry>>) -> Self {
        Self {
            action,
            grants,
            registry,
        }
    }

    /// Where backends are opened, if anywhere.
    pub fn registry(&self) -> Option<&Arc<Registry>> {
        self.registry.as_ref()
    }

    /// The action this lender serves.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The backend of connection `name` if it is of `class` and granted.
    ///
    /// # Errors
    /// A [`Refusal`] saying why not.
    pub async fn lend(&self, name: &str, class: &str) -> Result<Backend, Refusal> {
        let no_such = || Refusal::NoSuchConnection(format!("no {class} connection named {name:?}"));
        let Some(registry) = &self.registry else {
            return Err(no_such());
        };
        let unavailable = |e: anyhow::Error| {
            tracing::error!(error = %e, connection = %name, "cannot open connection");
            Refusal::Unavailable(format!(
                "connection {name:?} cannot be opened ({e}); see the server log"
            ))
        };
        let found = registry.class_of(name).await.map_err(unavailable)?;
        if found.as_deref() != Some(class) {
            return Err(no_such());
        }
        if !self.grants.iter().any(|g| g == name) {
            return Err(Refusal::AccessDenied(format!(
                "connection {name:?} is not granted to action {:?}",
                self.action
            )));
        }
        registry
            .get(name)
            .await
            .map_err(unavailable)?
            .ok_or_else(no_such)
    }
}
