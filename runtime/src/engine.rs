//! The WebAssembly engine: one `wasmtime::Engine` per process (pooling
//! allocator, copy-on-write memory images, fuel, epoch interruption), one
//! compiled `Component` + `InstancePre` per action version cached by SHA-256,
//! and a fresh `Store` per invocation with that action's limits.
//!
//! Deadlines: a background thread advances the epoch every
//! [`EPOCH_TICK`]; at each tick a running guest yields to tokio (so a busy
//! guest cannot starve other requests on the same worker) and traps once its
//! wall-clock deadline has passed. A `tokio::time::timeout` around the whole
//! invocation also bounds time spent waiting in host calls. A component
//! that imports nothing callable first runs inline, without a fiber, for
//! two ticks at most ([`inline`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use opentelemetry::KeyValue;
use opentelemetry::trace::{FutureExt as _, TraceContextExt as _};
use serde::{Deserialize, Serialize};
use wasmtime::Enabled;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{
    CallHook, Config, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap,
    UpdateDeadline,
};

use crate::bindings::{Action, ActionPre, types};
use crate::connections::Registry;
use crate::host::HostState;
use crate::host::lend::Lender;
use crate::host::log::LogDropped;
use crate::telemetry::spans;

pub mod inline;
pub mod preinit;
pub mod scratch;

/// Period of the epoch ticker; the granularity of deadlines and of guest
/// yields to the async runtime.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Bytes of each pooled linear memory kept resident between invocations.
const KEEP_RESIDENT_BYTES: usize = 4 << 20;

/// Per-action resource limits for one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Fuel: roughly one unit per WebAssembly instruction executed
    /// (wasmtime's fuel metering); exhausting it traps with `fuel-exhausted`.
    pub fuel: u64,
    /// Ceiling of the instance's linear memory, bytes; growth beyond it fails
    /// and a guest that traps after that is reported as `memory-limit`.
    pub memory_bytes: u64,
    /// Wall-clock deadline for instantiation plus the call, ms; exceeding it
    /// answers 504.
    pub timeout_ms: u64,
}

/// Process-wide engine settings.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Instances that may run at once (the pooling allocator's slots); also
    /// the number of concurrent invocations. Default 1000.
    pub pool_instances: u32,
    /// Largest linear memory any action may have, bytes; action limits are
    /// capped to it. Default 256 MiB.
    pub max_memory_bytes: u64,
    /// Largest response body an action may return, bytes. Default 8 MiB.
    pub max_response_bytes: usize,
    /// Limits given to a newly uploaded action.
    pub default_limits: Limits,
    /// Where compiled components are kept across restarts (wasmtime's
    /// compilation cache, keyed by the component's bytes and the engine's
    /// settings; compressed, trimmed by size); `None`: compile on every
    /// start. The server uses `<data dir>/cache/components`.
    pub component_cache_dir: Option<std::path::PathBuf>,
    /// Run components' start functions once, when they are compiled, and
    /// instantiate the state they leave ([`preinit`]). Default true.
    pub pre_initialize: bool,
    /// Caps on host calls and guest log per invocation.
    pub host_caps: crate::host::HostCaps,
}

/// Why an uploaded component was refused.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The bytes are not a WebAssembly component (a core module, or not wasm).
    #[error("not a valid WebAssembly component: {0}")]
    NotAComponent(String),
    /// The component imports something the host does not provide.
    #[error("the component needs an import Sluice does not provide: {0}")]
    UnknownImport(String),
    /// The component does not export the `sluice:action/handler` interface.
    #[error("the component does not implement the world sluice:action/action@0.1.0: {0}")]
    MissingExport(String),
}

/// Why an invocation produced no response.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The guest ran out of fuel (an endless loop, or too little fuel).
    #[error("the action used all of its {fuel} fuel")]
    FuelExhausted {
        /// The fuel limit.
        fuel: u64,
    },
    /// The wall-clock deadline passed.
    #[error("the action did not finish within its {timeout_ms} ms deadline")]
    Deadline {
        /// The deadline, ms.
        timeout_ms: u64,
        /// Fuel consumed until then.
        fuel_used: u64,
    },
    /// The guest called Sluice's interfaces more often than allowed
    /// ([`crate::host::HostCaps::max_host_calls`]).
    #[error(
        "the action made more than {max_host_calls} calls to the host in one invocation \
         (SLUICE_MAX_HOST_CALLS)"
    )]
    HostCallLimit {
        /// The cap.
        max_host_calls: u32,
        /// Fuel consumed until then.
        fuel_used: u64,
    },
    /// The guest tried to grow its memory beyond its limit and then trapped.
    #[error("the action exceeded its memory limit of {memory_bytes} bytes")]
    MemoryLimit {
        /// The limit, bytes.
        memory_bytes: u64,
        /// Fuel consumed until then.
        fuel_used: u64,
    },
    /// The guest trapped (a panic, `unreachable`, an out-of-bounds access …).
    #[error("the action trapped: {message}")]
    Trap {
        /// The trap's description.
        message: String,
        /// Fuel consumed until then.
        fuel_used: u64,
    },
    /// The guest returned something the host will not send.
    #[error("the action returned an invalid response: {0}")]
    InvalidResponse(String),
    /// Every pool slot is busy; the caller should retry.
    #[error("too many actions are running at once; retry shortly")]
    Busy,
}

impl InvokeError {
    /// Fuel consumed before the failure, where known.
    pub fn fuel_used(&self) -> Option<u64> {
        match self {
            Self::FuelExhausted { fuel } => Some(*fuel),
            Self::Deadline { fuel_used, .. }
            | Self::HostCallLimit { fuel_used, .. }
            | Self::MemoryLimit { fuel_used, .. }
            | Self::Trap { fuel_used, .. } => Some(*fuel_used),
            Self::InvalidResponse(_) | Self::Busy => None,
        }
    }
}

/// One invocation to run.
#[derive(Debug)]
pub struct Invocation {
    /// Action name, for logs.
    pub action: Arc<str>,
    /// Request id, for logs.
    pub request_id: Arc<str>,
    /// The action's limits (memory is capped to the engine's ceiling).
    pub limits: Limits,
    /// The request handed to the guest.
    pub request: types::Request,
    /// Connections the action is granted.
    pub grants: Arc<[String]>,
    /// Where granted connections are opened (`None`: no connections).
    pub registry: Option<Arc<Registry>>,
    /// The events the action may dispatch (`None`: events unavailable).
    pub catalog: Option<Arc<crate::events::EventCatalog>>,
    /// Keeps the guest's log records for the caller (`None`: host log only).
    pub capture: Option<crate::host::log::LogCapture>,
}

/// A finished invocation: the guest's answer and what it cost.
#[derive(Debug)]
pub struct Outcome {
    /// The guest's response or its typed error.
    pub result: Result<types::Response, types::ActionError>,
    /// Fuel consumed.
    pub fuel_used: u64,
    /// Wall-clock time of instantiate + call.
    pub duration: Duration,
    /// Events the action dispatched, to be written to the outbox.
    pub events: Vec<crate::store::outbox::Dispatched>,
}

/// A compiled action, ready to instantiate.
pub type Prepared = Arc<Compiled>;

/// A component compiled and linked against the host.
pub struct Compiled {
    pre: ActionPre<HostState>,
    /// It imports nothing callable, so it runs without a fiber (see
    /// [`inline`]).
    inline: bool,
}

/// The process's engine, linker and component cache.
pub struct Engine {
    engine: wasmtime::Engine,
    linker: Linker<HostState>,
    cache: moka::future::Cache<String, Prepared>,
    settings: EngineSettings,
    ticker_stop: Arc<AtomicBool>,
    running: Arc<AtomicUsize>,
    metrics: Option<Arc<crate::telemetry::metrics::Metrics>>,
    /// wasmtime's compilation cache on disk, when configured.
    disk_cache: Option<wasmtime::Cache>,
    /// Runs start functions ahead of time; `None` when turned off.
    pre_initializer: Option<preinit::PreInitializer>,
}

impl Engine {
    /// Builds the engine and starts the epoch ticker.
    ///
    /// # Errors
    /// When wasmtime rejects the configuration (e.g. the pool cannot reserve
    /// its virtual memory).
    pub fn new(settings: EngineSettings) -> anyhow::Result<Self> {
        let n = settings.pool_instances.max(1);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .total_core_instances(n * 8)
            .total_memories(n * 2)
            .total_tables(n * 4)
            .total_stacks(n)
            .max_core_instances_per_component(32)
            .max_memories_per_component(4)
            .max_tables_per_component(8)
            .max_memory_size(usize::try_from(settings.max_memory_bytes)?)
            // Reusing a slot is the hot path: with PAGEMAP_SCAN (Linux 6.7+)
            // only the pages a guest dirtied are reset, and they stay
            // resident, instead of an madvise + page faults per request.
            .pagemap_scan(Enabled::Auto)
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(64 << 10)
            .async_stack_keep_resident(64 << 10);
        let mut config = Config::new();
        config
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .memory_init_cow(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .wasm_component_model(true);
        let disk_cache = match &settings.component_cache_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                let mut cache = wasmtime::CacheConfig::new();
                cache.with_directory(dir);
                Some(wasmtime::Cache::new(cache)?)
            }
            None => None,
        };
        config.cache(disk_cache.clone());
        let engine = wasmtime::Engine::new(&config)?;
        let pre_initializer = settings
            .pre_initialize
            .then(|| {
                preinit::PreInitializer::new(
                    settings.default_limits.fuel,
                    settings.max_memory_bytes,
                    disk_cache.clone(),
                )
            })
            .transpose()?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        Action::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), ticker_stop.clone());
        Ok(Self {
            engine,
            linker,
            cache: moka::future::Cache::builder().max_capacity(512).build(),
            settings,
            ticker_stop,
            running: Arc::default(),
            metrics: None,
            disk_cache,
            pre_initializer,
        })
    }

    /// Reports compilations, cache hits, instantiate times and running
    /// instances to `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<crate::telemetry::metrics::Metrics>) -> Self {
        self.running = metrics.running.clone();
        self.metrics = Some(metrics);
        self
    }

    /// Invocations running right now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// The settings the engine was built with.
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// Compiles `wasm` and checks it against the world: every import must be
    /// one the host provides and `sluice:action/handler` must be exported.
    /// Its start functions are run first and their effects built in, where
    /// that is sound ([`preinit`]); otherwise it is compiled as uploaded.
    /// CPU-heavy (Cranelift): call from a blocking thread.
    ///
    /// # Errors
    /// [`CompileError`] with wasmtime's reason.
    pub fn prepare(&self, wasm: &[u8]) -> Result<Prepared, CompileError> {
        if wasmparser::Parser::is_core_wasm(wasm) {
            return Err(CompileError::NotAComponent(
                "this is a core WebAssembly module; build for wasm32-wasip2, or adapt a \
                 wasm32-wasip1 module into a component with the WASI preview-1 adapter"
                    .into(),
            ));
        }
        // A pre-initialized component that does not compile (which would be
        // a fault of the rewrite) falls back to the bytes as uploaded.
        let pre_initialized = self
            .pre_initializer
            .as_ref()
            .and_then(|p| p.run(wasm))
            .and_then(|bytes| {
                Component::new(&self.engine, bytes)
                    .inspect_err(|e| {
                        tracing::warn!(error = %format!("{e:#}"),
                            "a pre-initialized component did not compile; compiling it as uploaded");
                    })
                    .ok()
            });
        let component = match pre_initialized {
            Some(component) => component,
            None => Component::new(&self.engine, wasm)
                .map_err(|e| CompileError::NotAComponent(format!("{e:#}")))?,
        };
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| CompileError::UnknownImport(format!("{e:#}")))?;
        let pre = ActionPre::new(pre).map_err(|e| CompileError::MissingExport(format!("{e:#}")))?;
        Ok(Arc::new(Compiled {
            pre,
            inline: inline::is_self_contained(&component, &self.engine),
        }))
    }

    /// [`Engine::prepare`] on a blocking thread, which then gives the
    /// compilation's scratch memory back to the OS ([`scratch`]).
    ///
    /// # Errors
    /// As [`Engine::prepare`].
    pub async fn prepare_async(self: &Arc<Self>, wasm: Vec<u8>) -> Result<Prepared, CompileError> {
        let misses = self.disk_cache.as_ref().map(wasmtime::Cache::cache_misses);
        let engine = Arc::clone(self);
        let prepared = tokio::task::spawn_blocking(move || {
            let prepared = engine.prepare(&wasm);
            drop(wasm);
            scratch::release();
            prepared
        })
        .await
        .unwrap_or_else(|e| {
            Err(CompileError::NotAComponent(format!(
                "compiler crashed: {e}"
            )))
        });
        // Counted when Cranelift ran: not when the disk cache had the code.
        let compiled = match (&self.disk_cache, misses) {
            (Some(cache), Some(before)) => cache.cache_misses() > before,
            _ => true,
        };
        if compiled && let Some(metrics) = &self.metrics {
            metrics.compiled();
        }
        prepared
    }

    /// Gives the heap freed since the last compilation back to the OS now:
    /// an upload's body, once compiled and stored, is 12 to 19 MB for a
    /// Python or JavaScript component, which the allocator would otherwise
    /// keep until its purge delay ran out on some later allocation
    /// ([`scratch`]). Runs on a blocking thread.
    pub async fn release_freed_memory(&self) {
        let _ = tokio::task::spawn_blocking(sluice_heap::collect).await;
    }

    /// Components loaded from the disk cache instead of compiled, and
    /// compiled because it lacked them, since start; `None` without it.
    /// A pre-initialized component counts twice: its instrumented form, run
    /// once ([`preinit`]), shares the cache.
    pub fn disk_cache_counts(&self) -> Option<(usize, usize)> {
        self.disk_cache
            .as_ref()
            .map(|c| (c.cache_hits(), c.cache_misses()))
    }

    /// Puts a prepared component in the cache under its SHA-256.
    pub async fn cache_insert(&self, sha256: &str, prepared: Prepared) {
        self.cache.insert(sha256.to_string(), prepared).await;
    }

    /// The prepared component for `sha256`, compiling the bytes `load`
    /// returns on a cache miss (concurrent misses compile once).
    ///
    /// # Errors
    /// When loading fails or the stored bytes no longer compile.
    pub async fn prepared<F>(self: &Arc<Self>, sha256: &str, load: F) -> anyhow::Result<Prepared>
    where
        F: Future<Output = anyhow::Result<Vec<u8>>>,
    {
        let mut missed = false;
        let prepared = self
            .cache
            .try_get_with(sha256.to_string(), async {
                missed = true;
                let wasm = load.await?;
                self.prepare_async(wasm).await.map_err(anyhow::Error::from)
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        if !missed && let Some(metrics) = &self.metrics {
            metrics.cache_hit();
        }
        Ok(prepared)
    }

    /// Counts a use of a compiled component kept outside the cache (a
    /// route's) as a cache hit: it was not compiled either.
    pub fn count_cache_hit(&self) {
        if let Some(metrics) = &self.metrics {
            metrics.cache_hit();
        }
    }

    /// Runs one invocation in a fresh store with `inv.limits`: inline (no
    /// fiber) when the component imports nothing callable, on the async
    /// path otherwise or when an inline run outlasts its ticks (see
    /// [`inline`]). What the guest's log dropped past its caps is written
    /// to `log_dropped` however the run ends.
    ///
    /// # Errors
    /// [`InvokeError`] when the guest breaches a limit, traps, or returns an
    /// invalid response. A typed error from the guest is not an `Err` here:
    /// it is [`Outcome::result`].
    #[tracing::instrument(level = "debug", skip_all, fields(action = %inv.action, request_id = %inv.request_id))]
    pub async fn invoke(
        &self,
        pre: &Prepared,
        inv: Invocation,
        log_dropped: &mut LogDropped,
    ) -> Result<Outcome, InvokeError> {
        let limits = Limits {
            memory_bytes: inv.limits.memory_bytes.min(self.settings.max_memory_bytes),
            ..inv.limits
        };
        self.running.fetch_add(1, Ordering::Relaxed);
        let _running = RunningGuard(&self.running);
        let started = Instant::now();
        let timeout = Duration::from_millis(limits.timeout_ms);
        let deadline = started + timeout;
        if pre.inline {
            let mut store = self.store(&inv, limits);
            let mut call = None;
            match inline::run(self, &pre.pre, &mut store, &inv, &mut call) {
                inline::Ran::Finished(result) => {
                    return self.finish(store, call, Ok(result), limits, started, log_dropped);
                }
                inline::Ran::OutOfTicks => {
                    spans::end(call.as_ref());
                    if Instant::now() >= deadline {
                        return Err(InvokeError::Deadline {
                            timeout_ms: limits.timeout_ms,
                            fuel_used: limits.fuel - store.get_fuel().unwrap_or(0),
                        });
                    }
                }
            }
        }

        // After an inline run that outlasted its ticks, with the whole fuel
        // again: the run that answers is measured, as if it had been the
        // only one, while the deadline stays the request's.
        let mut store = self.store(&inv, limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        // Started once instantiation is done; ended after the guest's
        // output is flushed, so its printed lines are events on it.
        let mut call = None;
        let run = async {
            let instantiating = Instant::now();
            let instantiate = spans::start_leaf("instantiate");
            let action = pre.pre.instantiate_async(&mut store).await;
            drop(instantiate);
            let action = action?;
            self.instantiated(instantiating);
            call = call_span(&inv.action);
            let handle = action
                .sluice_action_handler()
                .call_handle(&mut store, &inv.request);
            match call.clone() {
                // Attached at each poll: host-call spans and guest log
                // events land on it.
                Some(context) => handle.with_context(context).await,
                None => handle.await,
            }
        };
        let result = tokio::time::timeout(timeout, run).await.map_err(|_| ());
        self.finish(store, call, result, limits, started, log_dropped)
    }

    /// Records an instantiation that began at `since`.
    fn instantiated(&self, since: Instant) {
        if let Some(metrics) = &self.metrics {
            metrics.instantiated(since.elapsed().as_secs_f64());
        }
    }

    /// A fresh store for `inv` with the fuel and memory limit of `limits`.
    fn store(&self, inv: &Invocation, limits: Limits) -> Store<HostState> {
        let mut store = Store::new(
            &self.engine,
            HostState::new(
                inv.action.clone(),
                inv.request_id.clone(),
                limits.memory_bytes,
                self.settings.host_caps,
                Lender::new(inv.action.clone(), inv.grants.clone(), inv.registry.clone()),
            ),
        );
        store.data_mut().events.catalog = inv.catalog.clone();
        store.data_mut().capture = inv.capture.clone();
        store.data_mut().metrics.clone_from(&self.metrics);
        store.limiter(|s| &mut s.budget);
        // Checked as each host call returns (a plain comparison; the
        // closure captures nothing, so boxing it allocates nothing).
        store.call_hook(|store, hook| match hook {
            CallHook::ReturningFromHost => store.data().calls.check(),
            _ => Ok(()),
        });
        store
            .set_fuel(limits.fuel)
            .expect("fuel metering is enabled");
        store
    }

    /// Turns how a run ended (`Err(())`: its deadline passed while it
    /// waited) into an [`Outcome`], after flushing the guest's output and
    /// ending its `call` span; writes what the guest's log dropped to
    /// `log_dropped`.
    fn finish(
        &self,
        mut store: Store<HostState>,
        call: Option<opentelemetry::Context>,
        result: Result<wasmtime::Result<Result<types::Response, types::ActionError>>, ()>,
        limits: Limits,
        started: Instant,
        log_dropped: &mut LogDropped,
    ) -> Result<Outcome, InvokeError> {
        let fuel_used = limits.fuel - store.get_fuel().unwrap_or(0);
        if let Some(context) = &call {
            context.span().set_attribute(KeyValue::new(
                "sluice.fuel_used",
                i64::try_from(fuel_used).unwrap_or(i64::MAX),
            ));
        }
        {
            let _attached = call.clone().map(opentelemetry::Context::attach);
            store.data_mut().flush_output();
        }
        *log_dropped = store.data().guest_log.dropped;
        spans::end(call.as_ref());
        let duration = started.elapsed();
        let result = match result {
            Err(()) => {
                return Err(InvokeError::Deadline {
                    timeout_ms: limits.timeout_ms,
                    fuel_used,
                });
            }
            Ok(Err(e)) => return Err(classify(e, &store, limits, fuel_used)),
            Ok(Ok(result)) => result,
        };
        if let Ok(response) = &result {
            check_response(response, self.settings.max_response_bytes)?;
        }
        tracing::debug!(
            fuel_used,
            ?duration,
            host_calls = store.data().calls.made(),
            "action finished"
        );
        let events = std::mem::take(&mut store.data_mut().events.dispatched);
        Ok(Outcome {
            result,
            fuel_used,
            duration,
            events,
        })
    }
}

/// The first checks of a guest's answer, made as soon as it is lifted
/// from the guest's memory: the status must be an HTTP status code
/// (100-599) and the body at most `max_response_bytes`
/// ([`EngineSettings::max_response_bytes`]). The headers are checked when
/// the answer becomes an HTTP response
/// ([`crate::gateway::invoke::to_http`]).
///
/// # Errors
/// [`InvokeError::InvalidResponse`] saying which rule the answer breaks.
pub fn check_response(
    response: &types::Response,
    max_response_bytes: usize,
) -> Result<(), InvokeError> {
    if !(100..=599).contains(&response.status) {
        return Err(InvokeError::InvalidResponse(format!(
            "status {} is not an HTTP status code (100-599)",
            response.status
        )));
    }
    if response.body.len() > max_response_bytes {
        return Err(InvokeError::InvalidResponse(format!(
            "the body of {} bytes is larger than the limit of {} bytes",
            response.body.len(),
            max_response_bytes
        )));
    }
    Ok(())
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// The span of the guest call of `action`, once it is instantiated.
fn call_span(action: &str) -> Option<opentelemetry::Context> {
    spans::start("call", [KeyValue::new("sluice.action", action.to_string())])
}

/// Decrements the running count however the invocation ends.
struct RunningGuard<'a>(&'a AtomicUsize);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Sorts a wasmtime error from instantiate or call into an [`InvokeError`].
fn classify(
    error: wasmtime::Error,
    store: &Store<HostState>,
    limits: Limits,
    fuel_used: u64,
) -> InvokeError {
    let trap = error.downcast_ref::<Trap>().copied();
    match trap {
        Some(Trap::OutOfFuel) => InvokeError::FuelExhausted { fuel: limits.fuel },
        Some(Trap::Interrupt) => InvokeError::Deadline {
            timeout_ms: limits.timeout_ms,
            fuel_used,
        },
        _ if store.data().calls.exceeded() => InvokeError::HostCallLimit {
            max_host_calls: store.data().calls.max(),
            fuel_used,
        },
        _ if store.data().budget.memory_exceeded => InvokeError::MemoryLimit {
            memory_bytes: limits.memory_bytes,
            fuel_used,
        },
        Some(trap) => InvokeError::Trap {
            message: trap.to_string(),
            fuel_used,
        },
        None if is_pool_exhausted(&error) => InvokeError::Busy,
        None => {
            tracing::warn!(error = ?error, "invocation failed");
            InvokeError::Trap {
                message: format!("{error:#}"),
                fuel_used,
            }
        }
    }
}

fn is_pool_exhausted(error: &wasmtime::Error) -> bool {
    error
        .chain()
        .any(|e| e.to_string().contains("maximum concurrent"))
}

fn spawn_ticker(engine: wasmtime::Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("sluice-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch thread");
}
