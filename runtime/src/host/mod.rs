//! Per-invocation host state ([`HostState`], the `T` in `Store<T>`) and one
//! module per capability the WIT world imports.

pub mod command;
pub mod events;
pub mod files;
pub mod http;
pub mod kv;
pub mod lend;
pub mod log;
pub mod placeholders;
pub mod smtp;
pub mod sql;
pub mod sql_values;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Result};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Bytes of guest stdout (and, separately, stderr) kept per invocation; the
/// rest is dropped so a chatty guest cannot fill the host's memory.
pub const OUTPUT_CAPTURE_BYTES: usize = 64 << 10;

/// Everything one invocation's store holds. Built fresh per invocation and
/// dropped with the store, so nothing leaks between requests.
pub struct HostState {
    /// WASI p2 context (no preopens, no env, no args, no sockets) with the
    /// captured output, built on the guest's first WASI call: most actions
    /// import no WASI and never pay for one.
    wasi: Option<(WasiCtx, Output)>,
    /// Resource handles (WASI streams and the like).
    pub table: ResourceTable,
    /// Memory and table growth budget.
    pub budget: Budget,
    /// The action's name, for log lines (shared with the invocation: not
    /// copied per request).
    pub action: std::sync::Arc<str>,
    /// The request id, for log lines.
    pub request_id: std::sync::Arc<str>,
    /// Hands out the connections the action is granted.
    pub lender: lend::Lender,
    /// SQL connections the guest holds open now.
    pub sql_open: u32,
    /// Events dispatched by this invocation.
    pub events: events::EventSink,
    /// Where host calls report (SQL waits, outbound HTTP); none in
    /// benchmarks.
    pub metrics: Option<std::sync::Arc<crate::telemetry::metrics::Metrics>>,
    /// Where log records are kept besides the host log (admin execute).
    pub capture: Option<log::LogCapture>,
    /// Calls to Sluice's interfaces so far, against the invocation's cap.
    pub calls: Calls,
    /// How much of the guest's log is kept, and what was dropped.
    pub guest_log: log::LogBudget,
}

/// Caps on what one invocation may ask of the host, besides its fuel,
/// memory and deadline (`SLUICE_MAX_HOST_CALLS`, `SLUICE_MAX_LOG_MESSAGES`,
/// `SLUICE_MAX_LOG_BYTES`; docs/actions.md says why the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCaps {
    /// Calls to Sluice's interfaces (`log`, `sql`, `http`, `smtp`, `kv`,
    /// `files`, `command`, `events`); the call past it traps the guest.
    /// WASI calls (clocks, random, stdout) are not counted. Default 10 000.
    pub max_host_calls: u32,
    /// Guest log records kept: `log.write` messages and printed lines;
    /// later ones are dropped and counted. Default 256.
    pub max_log_messages: u32,
    /// Bytes of guest log records kept (each message cut at 8 KiB first);
    /// later ones are dropped and counted. Default 1 MiB.
    pub max_log_bytes: u64,
}

impl Default for HostCaps {
    fn default() -> Self {
        Self {
            max_host_calls: 10_000,
            max_log_messages: 256,
            max_log_bytes: 1 << 20,
        }
    }
}

/// An invocation's count of host calls against its cap.
///
/// Past the cap the guest traps rather than getting an error: `log.write`
/// has no error to return, each interface's `error` variant is part of the
/// contract every built guest links against (a new case would break them),
/// and a guest looping on host calls is a limit breach like running out of
/// fuel, which traps too (DESIGN.md: trap only on limit breaches and host
/// bugs). The count is a plain increment on the request path; the store's
/// call hook ([`Calls::check`]) turns a count past the cap into the trap as
/// that call returns to the guest.
#[derive(Debug, Clone, Copy)]
pub struct Calls {
    made: u32,
    max: u32,
}

/// The error a guest traps with once it passes its host-call cap.
#[derive(Debug, thiserror::Error)]
#[error("the action made more than {0} calls to the host in one invocation")]
pub struct HostCallLimit(pub u32);

impl Calls {
    /// No calls made yet, at most `max` allowed.
    pub fn new(max: u32) -> Self {
        Self { made: 0, max }
    }

    /// Counts one call.
    pub fn count(&mut self) {
        self.made = self.made.saturating_add(1);
    }

    /// Calls made so far.
    pub fn made(&self) -> u32 {
        self.made
    }

    /// The cap.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// Whether the guest made more calls than allowed.
    pub fn exceeded(&self) -> bool {
        self.made > self.max
    }

    /// For the store's call hook: [`HostCallLimit`] once the cap is passed,
    /// which traps the guest.
    ///
    /// # Errors
    /// [`HostCallLimit`] when more calls than allowed were made.
    pub fn check(&self) -> Result<()> {
        if self.exceeded() {
            return Err(HostCallLimit(self.max).into());
        }
        Ok(())
    }
}

impl HostState {
    /// A fresh state for one invocation of `action` with at most
    /// `memory_bytes` of linear memory and the host-call and log `caps`,
    /// lent connections by `lender`.
    pub fn new(
        action: std::sync::Arc<str>,
        request_id: std::sync::Arc<str>,
        memory_bytes: u64,
        caps: HostCaps,
        lender: lend::Lender,
    ) -> Self {
        Self {
            wasi: None,
            table: ResourceTable::new(),
            budget: Budget::new(memory_bytes),
            action,
            request_id,
            lender,
            sql_open: 0,
            events: events::EventSink::default(),
            metrics: None,
            capture: None,
            calls: Calls::new(caps.max_host_calls),
            guest_log: log::LogBudget::new(caps.max_log_messages, caps.max_log_bytes),
        }
    }

    /// Writes what the guest printed to the log, one line per record, tagged
    /// with the action and request id; lines count against the same caps as
    /// `log.write` messages.
    pub fn flush_output(&mut self) {
        let Some((_, output)) = &self.wasi else {
            return;
        };
        for (stream, pipe) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            let bytes = pipe.contents();
            for line in String::from_utf8_lossy(&bytes).lines() {
                if !self
                    .guest_log
                    .admit(line.len(), &self.action, &self.request_id)
                {
                    continue;
                }
                if let Some(capture) = &self.capture {
                    capture.push(stream, line);
                }
                crate::telemetry::spans::guest_event("info", Some(stream), line);
                tracing::info!(
                    target: "sluice::guest",
                    action = %self.action,
                    request_id = %self.request_id,
                    stream,
                    "{line}"
                );
            }
        }
    }
}

/// What a guest wrote to stdout and stderr, up to [`OUTPUT_CAPTURE_BYTES`]
/// each.
struct Output {
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let (ctx, _) = self.wasi.get_or_insert_with(|| {
            let output = Output {
                stdout: MemoryOutputPipe::new(OUTPUT_CAPTURE_BYTES),
                stderr: MemoryOutputPipe::new(OUTPUT_CAPTURE_BYTES),
            };
            let ctx = wasmtime_wasi::WasiCtxBuilder::new()
                .stdout(output.stdout.clone())
                .stderr(output.stderr.clone())
                .allow_tcp(false)
                .allow_udp(false)
                .allow_ip_name_lookup(false)
                .build();
            (ctx, output)
        });
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
}

/// `error` and its sources joined with ": ", for a guest-facing message
/// that says why (e.g. "connection refused") and not only that it failed.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Growth budget for one invocation: linear memory beyond `memory_bytes`
/// is refused and remembered, so a trap that follows can be reported as a
/// memory-limit breach rather than a plain trap.
#[derive(Debug)]
pub struct Budget {
    memory_bytes: usize,
    /// Set when the guest asked for more memory than allowed.
    pub memory_exceeded: bool,
}

/// Table elements one invocation may have; far above what real guests use.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl Budget {
    /// A budget of `memory_bytes` of linear memory.
    pub fn new(memory_bytes: u64) -> Self {
        Self {
            memory_bytes: usize::try_from(memory_bytes).unwrap_or(usize::MAX),
            memory_exceeded: false,
        }
    }
}

impl ResourceLimiter for Budget {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        if desired > self.memory_bytes {
            self.memory_exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
