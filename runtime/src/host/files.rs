//! The WIT `files` interface: read, write, list, stat and delete under a
//! granted `files` connection's root. The rules (paths confined to the
//! root, regular files only, read-only connections) live in
//! [`crate::connections::files`]; this module lends the connection and
//! runs each call on the blocking pool, as file system calls block.

use std::sync::Arc;

use crate::bindings::sluice::action::files::{Entry, Error, Host};
use crate::connections::FilesConfig;
use crate::connections::files::{self, FilesError};
use crate::connections::registry::Backend;
use crate::host::HostState;
use crate::host::lend::Refusal;

impl From<FilesError> for Error {
    fn from(error: FilesError) -> Self {
        match error {
            FilesError::InvalidPath(m) => Error::InvalidPath(m),
            FilesError::NotFound(m) => Error::NotFound(m),
            FilesError::ReadOnly(m) => Error::ReadOnly(m),
            FilesError::TooLarge(n) => Error::TooLarge(n),
            FilesError::NotAllowed(m) => Error::NotAllowed(m),
            FilesError::Io(m) => Error::Io(m),
        }
    }
}

impl From<files::Entry> for Entry {
    fn from(e: files::Entry) -> Self {
        Entry {
            name: e.name,
            is_dir: e.is_dir,
            size: e.size,
            modified_ms: e.modified_ms,
        }
    }
}

impl HostState {
    /// Runs `op` on the granted `files` connection `name`, off the async threads.
    async fn on_files<T: Send + 'static>(
        &mut self,
        name: &str,
        op: impl FnOnce(&FilesConfig) -> Result<T, FilesError> + Send + 'static,
    ) -> Result<T, Error> {
        self.calls.count();
        let config: Arc<FilesConfig> = match self.lender.lend(name, "files").await {
            Ok(Backend::Files(config)) => config,
            Ok(_) => return Err(Error::NoSuchConnection(name.to_string())),
            Err(Refusal::NoSuchConnection(m)) => return Err(Error::NoSuchConnection(m)),
            Err(Refusal::AccessDenied(m)) => return Err(Error::AccessDenied(m)),
            Err(Refusal::Unavailable(m)) => return Err(Error::Io(m)),
        };
        tokio::task::spawn_blocking(move || op(&config))
            .await
            .map_err(|e| Error::Io(format!("the file operation did not finish: {e}")))?
            .map_err(Error::from)
    }
}

impl Host for HostState {
    #[tracing::instrument(target = "sluice::trace", name = "files read", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn read(&mut self, connection: String, path: String) -> Result<Vec<u8>, Error> {
        self.on_files(&connection, move |c| files::read(c, &path))
            .await
    }

    #[tracing::instrument(target = "sluice::trace", name = "files write", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn write(
        &mut self,
        connection: String,
        path: String,
        contents: Vec<u8>,
    ) -> Result<(), Error> {
        self.on_files(&connection, move |c| files::write(c, &path, &contents))
            .await
    }

    #[tracing::instrument(target = "sluice::trace", name = "files list", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn list(&mut self, connection: String, path: String) -> Result<Vec<Entry>, Error> {
        let entries = self
            .on_files(&connection, move |c| files::list(c, &path))
            .await?;
        Ok(entries.into_iter().map(Entry::from).collect())
    }

    #[tracing::instrument(target = "sluice::trace", name = "files stat", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn stat(&mut self, connection: String, path: String) -> Result<Entry, Error> {
        self.on_files(&connection, move |c| files::stat(c, &path))
            .await
            .map(Entry::from)
    }

    #[tracing::instrument(target = "sluice::trace", name = "files delete", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn delete(&mut self, connection: String, path: String) -> Result<bool, Error> {
        self.on_files(&connection, move |c| files::delete(c, &path))
            .await
    }
}
