//! The WIT `command` interface: runs a granted `command` connection's
//! program. The rules (argument slots and their patterns, no shell, the
//! environment, the deadline, output and resource limits) live in
//! [`crate::connections::command`].

use crate::bindings::sluice::action::command::{Error, Host, Output};
use crate::connections::command::CommandError;
use crate::connections::registry::Backend;
use crate::host::HostState;
use crate::host::lend::Refusal;

impl From<CommandError> for Error {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::InvalidArgument(m) => Error::InvalidArgument(m),
            CommandError::Timeout => Error::Timeout,
            CommandError::OutputTooLarge(n) => Error::OutputTooLarge(n),
            CommandError::SpawnFailed(m) => Error::SpawnFailed(m),
            CommandError::Io(m) => Error::Io(m),
            // The WIT has no case of its own for this, and adding one would
            // change the `error` variant every built guest was linked
            // against; `io` with a message that says what happened and
            // which setting to raise is what a guest can act on.
            CommandError::CpuLimit(seconds) => Error::Io(format!(
                "the program used up its {seconds} s of CPU time and was killed \
                 (the connection's max_cpu_seconds)"
            )),
        }
    }
}

impl Host for HostState {
    #[tracing::instrument(target = "sluice::trace", name = "command run", skip_all,
        fields(otel.kind = "client", sluice.connection = %connection))]
    async fn run(
        &mut self,
        connection: String,
        args: Vec<(String, String)>,
        stdin: Vec<u8>,
    ) -> Result<Output, Error> {
        self.calls.count();
        let config = match self.lender.lend(&connection, "command").await {
            Ok(Backend::Command(config)) => config,
            Ok(_) => return Err(Error::NoSuchConnection(connection)),
            Err(Refusal::NoSuchConnection(m)) => return Err(Error::NoSuchConnection(m)),
            Err(Refusal::AccessDenied(m)) => return Err(Error::AccessDenied(m)),
            Err(Refusal::Unavailable(m)) => return Err(Error::Io(m)),
        };
        let finished = config.run(&args, &stdin).await?;
        Ok(Output {
            status: finished.status,
            stdout: finished.stdout,
            stderr: finished.stderr,
        })
    }
}
