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
}

impl HostState {
    /// A fresh state for one invocation of `action` with at most
    /// `memory_bytes` of linear memory, lent connections by `lender`.
    pub fn new(
        action: std::sync::Arc<str>,
        request_id: std::sync::Arc<str>,
        memory_bytes: u64,
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
        }
    }

    /// Writes what the guest printed to the log, one line per record, tagged
    /// with the action and request id.
    pub fn flush_output(&self) {
        let Some((_, output)) = &self.wasi else {
            return;
        };
        for (stream, pipe) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            let bytes = pipe.contents();
            for line in String::from_utf8_lossy(&bytes).lines() {
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
