//! Metrics: one OpenTelemetry meter provider per node, read by
//! `GET /system/metrics` in the Prometheus text format (exposition format
//! 0.0.4) and, when the `OTEL_*` variables ask for it, pushed over OTLP.
//!
//! Names follow the OpenTelemetry semantic conventions where one exists
//! (`http.server.request.duration`); the Prometheus exporter turns dots into
//! underscores and adds the unit (`_seconds`) and `_total` to counters, so
//! `sluice.requests` is scraped as `sluice_requests_total`. Every label set
//! is bounded: operations, connections, cronjobs and webhooks are named by
//! admins, never by callers.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    BoundCounter, BoundHistogram, Counter, Histogram, Meter, MeterProvider as _,
};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use prometheus::{Encoder as _, TextEncoder};

/// Seconds buckets for request and instantiate durations.
const SECONDS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];
/// Fuel buckets (fuel units, roughly wasm instructions).
const FUEL: [f64; 8] = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

/// Where the connection pools' usage is read from (the connection
/// registry, which is built after the metrics): `(connection, in use, idle)`.
pub trait PoolUsage: Send + Sync {
    /// Usage of every open SQL pool.
    fn sql_pools(&self) -> Vec<(String, u64, u64)>;
}

/// Values sampled by the node's upkeep and read when metrics are collected.
#[derive(Debug, Default)]
pub struct Sampled {
    /// Outbox deliveries not yet delivered nor given up.
    pub outbox_depth: AtomicI64,
    /// Age of the oldest of them, ms (0 when none).
    pub outbox_oldest_ms: AtomicI64,
}

/// The node's instruments.
pub struct Metrics {
    enabled: bool,
    provider: SdkMeterProvider,
    registry: prometheus::Registry,
    /// Invocations running now (the engine counts them).
    pub running: Arc<AtomicUsize>,
    /// Outbox figures, sampled.
    pub sampled: Arc<Sampled>,
    /// Compilations and component-cache hits: plain counters read when
    /// metrics are collected, since a hit happens on every request.
    components: Arc<[AtomicU64; 2]>,
    pools: Arc<OnceLock<Weak<dyn PoolUsage>>>,
    requests: Counter<u64>,
    duration: Histogram<f64>,
    fuel: Histogram<u64>,
    instantiate: Histogram<f64>,
    rate_limited: Counter<u64>,
    sql_acquire: Histogram<f64>,
    outbound: Counter<u64>,
    deliveries: Counter<u64>,
    cron_lag: Histogram<f64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The method as the HTTP semantic conventions name it: the registered
/// methods by name, any other as `_OTHER` (which keeps the label bounded).
pub(crate) fn method_name(method: &axum::http::Method) -> &'static str {
    METHODS[method_slot(method)]
}

/// The methods [`method_name`] gives, in the order of [`method_slot`].
const METHODS: [&str; 10] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "_OTHER",
];

/// The index of `method`'s name in [`METHODS`].
fn method_slot(method: &axum::http::Method) -> usize {
    use axum::http::Method;
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::PATCH => 3,
        Method::DELETE => 4,
        Method::HEAD => 5,
        Method::OPTIONS => 6,
        Method::TRACE => 7,
        Method::CONNECT => 8,
        _ => 9,
    }
}

/// The status classes, in the order of [`class_slot`].
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The index of `status`'s class (`2xx`, `4xx` …) in [`CLASSES`].
fn class_slot(status: u16) -> usize {
    match status {
        100..=199 => 0,
        200..=299 => 1,
        300..=399 => 2,
        400..=499 => 3,
        _ => 4,
    }
}

/// One operation's request measurements, bound to its `operation` label
/// the first time it is served (see [`Metrics::request`]): recording them
/// then skips the SDK's lookup of the label set — a hash of every label and
/// a lock every operation shares — on each request (BENCHMARKS.md, issue
/// 13). A route makes one per route table.
#[derive(Debug)]
pub struct OperationMeters {
    label: KeyValue,
    bound: OnceLock<Bound>,
}

impl OperationMeters {
    /// The meters of operation `name`, not yet bound.
    pub fn new(name: &str) -> Self {
        Self {
            label: KeyValue::new("operation", Arc::<str>::from(name)),
            bound: OnceLock::new(),
        }
    }
}

/// An operation's instruments bound to its label.
#[derive(Debug)]
struct Bound {
    duration: BoundHistogram<f64>,
    fuel: BoundHistogram<u64>,
    /// `sluice.requests`, by method and status class (see [`METHODS`] and
    /// [`CLASSES`]), each bound when first counted.
    requests: [[OnceLock<BoundCounter<u64>>; CLASSES.len()]; METHODS.len()],
}

impl Metrics {
    /// Instruments for a node whose engine has `pool_slots` instance slots;
    /// with `otlp`, also pushed to that exporter every 10 s
    /// (`OTEL_METRIC_EXPORT_INTERVAL` changes it). Not `enabled`, the
    /// instruments have no reader and record nothing.
    ///
    /// # Errors
    /// When the Prometheus exporter cannot be built.
    pub fn new(
        enabled: bool,
        pool_slots: usize,
        otlp: Option<opentelemetry_otlp::MetricExporter>,
    ) -> anyhow::Result<Self> {
        let registry = prometheus::Registry::new();
        let mut builder = SdkMeterProvider::builder().with_resource(super::otel::resource());
        if enabled {
            let prometheus = opentelemetry_prometheus::exporter()
                .with_registry(registry.clone())
                .without_target_info()
                .scope_info_enabled(false)
                .build()?;
            builder = builder.with_reader(prometheus);
            if let Some(exporter) = otlp {
                builder = builder.with_reader(PeriodicReader::builder(exporter).build());
            }
        }
        let provider = builder.build();
        let meter = provider.meter("sluice");
        let running = Arc::new(AtomicUsize::new(0));
        let sampled = Arc::new(Sampled::default());
        let pools: Arc<OnceLock<Weak<dyn PoolUsage>>> = Arc::default();
        let components: Arc<[AtomicU64; 2]> = Arc::default();
        observe(&meter, &running, pool_slots, &sampled, &pools);
        for (i, name, description) in [
            (
                0,
                "sluice.component.compilations",
                "Components compiled (uploads and component-cache misses)",
            ),
            (
                1,
                "sluice.component.cache.hits",
                "Invocations whose component was already compiled",
            ),
        ] {
            let counts = components.clone();
            meter
                .u64_observable_counter(name)
                .with_description(description)
                .with_callback(move |o| o.observe(counts[i].load(Ordering::Relaxed), &[]))
                .build();
        }
        let seconds = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_description(description)
                .with_unit("s")
                .with_boundaries(SECONDS.to_vec())
                .build()
        };
        let count = |name: &'static str, description: &'static str| {
            meter
                .u64_counter(name)
                .with_description(description)
                .build()
        };
        Ok(Self {
            requests: count(
                "sluice.requests",
                "Requests to hosted operations, by operation, method and status class",
            ),
            duration: seconds(
                "http.server.request.duration",
                "Duration of requests to hosted operations, by operation",
            ),
            fuel: meter
                .u64_histogram("sluice.action.fuel")
                .with_description("Fuel an action used per request, by operation")
                .with_boundaries(FUEL.to_vec())
                .build(),
            instantiate: seconds(
                "sluice.action.instantiate.duration",
                "Time to instantiate an action's component",
            ),
            rate_limited: count(
                "sluice.rate_limit.refusals",
                "Requests refused by a rate limit, by operation",
            ),
            sql_acquire: seconds(
                "sluice.sql.acquire.duration",
                "Wait for a pooled SQL connection, by connection",
            ),
            outbound: count(
                "sluice.http.client.requests",
                "Requests sent through http connections, by connection and status",
            ),
            deliveries: count(
                "sluice.deliveries",
                "Outbox delivery attempts, by kind (webhook, trigger) and outcome",
            ),
            cron_lag: seconds(
                "sluice.cronjob.lag",
                "Delay from a cronjob tick's scheduled time to its start, by cronjob",
            ),
            enabled,
            components,
            provider,
            registry,
            running,
            sampled,
            pools,
        })
    }

    /// Whether metrics are recorded (`SLUICE_METRICS`).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Tells the metrics where to read SQL pool usage.
    pub fn read_pools_from(&self, pools: Weak<dyn PoolUsage>) {
        let _ = self.pools.set(pools);
    }

    /// One request to `operation` (`None` when no operation matched)
    /// with `method`, answered `status` after `seconds`.
    pub fn request(
        &self,
        operation: Option<&OperationMeters>,
        method: &axum::http::Method,
        status: u16,
        seconds: f64,
    ) {
        let (method, class) = (method_slot(method), class_slot(status));
        let labels = |operation: KeyValue| {
            [
                operation,
                KeyValue::new("http.request.method", METHODS[method]),
                KeyValue::new("http.response.status_class", CLASSES[class]),
            ]
        };
        let Some(operation) = operation else {
            let none = KeyValue::new("operation", "");
            self.requests.add(1, &labels(none.clone()));
            self.duration.record(seconds, &[none]);
            return;
        };
        let bound = self.bound(operation);
        bound.requests[method][class]
            .get_or_init(|| self.requests.bind(&labels(operation.label.clone())))
            .add(1);
        bound.duration.record(seconds);
    }

    /// Fuel used by one invocation of `operation`.
    pub fn fuel(&self, operation: &OperationMeters, fuel: u64) {
        self.bound(operation).fuel.record(fuel);
    }

    /// `operation`'s instruments, bound on first use.
    fn bound<'a>(&self, operation: &'a OperationMeters) -> &'a Bound {
        operation.bound.get_or_init(|| {
            let label = std::slice::from_ref(&operation.label);
            Bound {
                duration: self.duration.bind(label),
                fuel: self.fuel.bind(label),
                requests: std::array::from_fn(|_| std::array::from_fn(|_| OnceLock::new())),
            }
        })
    }

    /// One instantiation that took `seconds`.
    pub fn instantiated(&self, seconds: f64) {
        self.instantiate.record(seconds, &[]);
    }

    /// One compilation.
    pub fn compiled(&self) {
        self.components[0].fetch_add(1, Ordering::Relaxed);
    }

    /// One invocation served from the component cache.
    pub fn cache_hit(&self) {
        self.components[1].fetch_add(1, Ordering::Relaxed);
    }

    /// One request refused by a rate limit on `operation`.
    pub fn rate_limited(&self, operation: &str) {
        self.rate_limited
            .add(1, &[KeyValue::new("operation", operation.to_string())]);
    }

    /// A guest waited `seconds` for a connection of SQL `connection`.
    pub fn sql_acquired(&self, connection: &str, seconds: f64) {
        self.sql_acquire.record(
            seconds,
            &[KeyValue::new("connection", connection.to_string())],
        );
    }

    /// One request through http `connection`, answered `status` (`None`:
    /// no answer — timeout, refused …).
    pub fn outbound(&self, connection: &str, status: Option<u16>) {
        self.outbound.add(
            1,
            &[
                KeyValue::new("connection", connection.to_string()),
                KeyValue::new(
                    "http.response.status_code",
                    status.map_or_else(|| "none".to_string(), |s| s.to_string()),
                ),
            ],
        );
    }

    /// One delivery attempt of `kind` with `outcome` (`delivered`,
    /// `failed`, `gone`).
    pub fn delivery(&self, kind: &str, outcome: &'static str) {
        self.deliveries.add(
            1,
            &[
                KeyValue::new("kind", kind.to_string()),
                KeyValue::new("outcome", outcome),
            ],
        );
    }

    /// Cronjob `name` started `seconds` after its tick.
    pub fn cron_lag(&self, name: &str, seconds: f64) {
        self.cron_lag
            .record(seconds, &[KeyValue::new("cronjob", name.to_string())]);
    }

    /// Everything, in the Prometheus text format.
    ///
    /// # Errors
    /// When encoding fails (a metric the format cannot express).
    pub fn render(&self) -> anyhow::Result<String> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8(out)?)
    }

    /// Pushes what is pending to the OTLP exporter and stops it.
    pub fn shutdown(&self) {
        let _ = self.provider.shutdown();
    }
}

/// The gauges, read when metrics are collected.
fn observe(
    meter: &Meter,
    running: &Arc<AtomicUsize>,
    pool_slots: usize,
    sampled: &Arc<Sampled>,
    pools: &Arc<OnceLock<Weak<dyn PoolUsage>>>,
) {
    let now = running.clone();
    meter
        .u64_observable_gauge("sluice.instances.running")
        .with_description("Action instances running now")
        .with_callback(move |o| o.observe(now.load(Ordering::Relaxed) as u64, &[]))
        .build();
    let now = running.clone();
    meter
        .u64_observable_gauge("sluice.pool.slots.free")
        .with_description("Instance slots of the pooling allocator not in use")
        .with_callback(move |o| {
            o.observe(
                pool_slots.saturating_sub(now.load(Ordering::Relaxed)) as u64,
                &[],
            );
        })
        .build();
    let outbox = sampled.clone();
    meter
        .i64_observable_gauge("sluice.outbox.depth")
        .with_description("Outbox deliveries waiting (pending or retrying)")
        .with_callback(move |o| o.observe(outbox.outbox_depth.load(Ordering::Relaxed), &[]))
        .build();
    let outbox = sampled.clone();
    meter
        .f64_observable_gauge("sluice.outbox.oldest.age")
        .with_description("Age of the oldest waiting outbox delivery")
        .with_unit("s")
        .with_callback(move |o| {
            o.observe(
                outbox.outbox_oldest_ms.load(Ordering::Relaxed) as f64 / 1000.0,
                &[],
            );
        })
        .build();
    let usage = pools.clone();
    meter
        .u64_observable_gauge("sluice.sql.connections.in_use")
        .with_description("Connections of each SQL connection's pool in use")
        .with_callback(move |o| {
            if let Some(pools) = usage.get().and_then(Weak::upgrade) {
                for (name, in_use, _) in pools.sql_pools() {
                    o.observe(in_use, &[KeyValue::new("connection", name)]);
                }
            }
        })
        .build();
    let usage = pools.clone();
    meter
        .u64_observable_gauge("sluice.sql.connections.idle")
        .with_description("Idle connections of each SQL connection's pool")
        .with_callback(move |o| {
            if let Some(pools) = usage.get().and_then(Weak::upgrade) {
                for (name, _, idle) in pools.sql_pools() {
                    o.observe(idle, &[KeyValue::new("connection", name)]);
                }
            }
        })
        .build();
}
