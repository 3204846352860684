//! The WIT `kv` interface: get, set, delete, exists and increment on a
//! granted `kv` connection. Stored keys are
//! `sluice:<connection>:s:<key>` in a `shared` namespace and
//! `sluice:<connection>:a:<action>:<key>` in an `action` namespace
//! (connection and action names never contain `:`).

use std::time::Duration;

use crate::bindings::sluice::action::kv::{Error, Host};
use crate::connections::kv::KvNamespace;
use crate::connections::kv_store::KvError;
use crate::connections::registry::{Backend, KvClient};
use crate::host::HostState;
use crate::host::lend::Refusal;
use std::sync::Arc;

/// Longest key a guest may use, bytes.
pub const MAX_KEY_BYTES: usize = 512;

impl From<KvError> for Error {
    fn from(error: KvError) -> Self {
        match error {
            KvError::NotAnInteger(m) => Error::NotAnInteger(m),
            KvError::TooLarge(max) => Error::ValueTooLarge(max),
            KvError::Io(m) => Error::Io(m),
        }
    }
}

impl HostState {
    /// The granted `kv` connection `name` and the stored form of `key`.
    async fn kv(&mut self, name: &str, key: &str) -> Result<(Arc<KvClient>, String), Error> {
        self.calls.count();
        let client = match self.lender.lend(name, "kv").await {
            Ok(Backend::Kv(client)) => client,
            Ok(_) => return Err(Error::NoSuchConnection(name.to_string())),
            Err(Refusal::NoSuchConnection(m)) => return Err(Error::NoSuchConnection(m)),
            Err(Refusal::AccessDenied(m)) => return Err(Error::AccessDenied(m)),
            Err(Refusal::Unavailable(m)) => return Err(Error::Io(m)),
        };
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(Error::InvalidKey(format!(
                "keys are 1 to {MAX_KEY_BYTES} bytes; this one is {}",
                key.len()
            )));
        }
        let stored = match client.config.namespace {
            KvNamespace::Shared => format!("sluice:{}:s:{key}", client.connection),
            KvNamespace::Action => format!(
                "sluice:{}:a:{}:{key}",
                client.connection,
                self.lender.action()
            ),
        };
        Ok((client, stored))
    }
}

/// The TTL of a write: the guest's (0 = none), else the connection's default.
fn ttl(client: &KvClient, asked: Option<u32>) -> Option<Duration> {
    match asked {
        Some(0) => None,
        Some(s) => Some(Duration::from_secs(s.into())),
        None => client
            .config
            .ttl_seconds
            .map(|s| Duration::from_secs(s.into())),
    }
}

impl Host for HostState {
    #[tracing::instrument(target = "sluice::trace", name = "kv get", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn get(&mut self, connection: String, key: String) -> Result<Option<Vec<u8>>, Error> {
        let (client, key) = self.kv(&connection, &key).await?;
        // The cap on writes bounds reads too: a value another client (or
        // an older, larger max_value_bytes) put there is refused, not
        // fetched whole.
        Ok(client
            .store
            .get(&key, client.config.max_value_bytes)
            .await?)
    }

    #[tracing::instrument(target = "sluice::trace", name = "kv set", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn set(
        &mut self,
        connection: String,
        key: String,
        value: Vec<u8>,
        ttl_seconds: Option<u32>,
    ) -> Result<(), Error> {
        let (client, key) = self.kv(&connection, &key).await?;
        if value.len() as u64 > client.config.max_value_bytes {
            return Err(Error::ValueTooLarge(client.config.max_value_bytes));
        }
        let ttl = ttl(&client, ttl_seconds);
        Ok(client.store.set(&key, value, ttl).await?)
    }

    #[tracing::instrument(target = "sluice::trace", name = "kv delete", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn delete(&mut self, connection: String, key: String) -> Result<bool, Error> {
        let (client, key) = self.kv(&connection, &key).await?;
        Ok(client.store.delete(&key).await?)
    }

    #[tracing::instrument(target = "sluice::trace", name = "kv exists", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn exists(&mut self, connection: String, key: String) -> Result<bool, Error> {
        let (client, key) = self.kv(&connection, &key).await?;
        Ok(client.store.exists(&key).await?)
    }

    #[tracing::instrument(target = "sluice::trace", name = "kv increment", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn increment(
        &mut self,
        connection: String,
        key: String,
        delta: i64,
    ) -> Result<i64, Error> {
        let (client, key) = self.kv(&connection, &key).await?;
        let ttl = ttl(&client, None);
        Ok(client.store.increment(&key, delta, ttl).await?)
    }
}
