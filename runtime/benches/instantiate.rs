#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Per-request cost of the sandbox: instantiate a fresh `hello` instance from
//! its cached `InstancePre` and call its handler — the Rust example, and the
//! same action in Python (componentize-py) and JavaScript (componentize-js)
//! — against a reference that builds the same JSON answer in plain Rust in
//! the same process. The Rust `hello` is measured twice: pre-initialized,
//! as the server runs it, and as uploaded, its `_initialize` run by a shim
//! instance per request (`SLUICE_PRE_INITIALIZE=false`).
//!
//! Needs `actions-examples/dist/hello{,-py,-js}.wasm` (scripts/build-actions.sh).
//! Run: `cargo bench -p sluice --bench instantiate`.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use sluice::bindings::types::{Context, InvocationKind, Request};
use sluice::config::Settings;
use sluice::engine::{Engine, Invocation};

fn hello_request() -> Request {
    Request {
        method: "GET".into(),
        path: "/hello/bench".into(),
        params: vec![("name".into(), "bench".into())],
        query: vec![],
        headers: vec![("accept".into(), "application/json".into())],
        body: vec![],
        context: Context {
            kind: InvocationKind::Http,
            operation: "hello".into(),
            request_id: "bench".into(),
            config: "{}".into(),
            app: None,
            user: None,
            scopes: Vec::new(),
        },
    }
}

fn bench(c: &mut Criterion) {
    let settings = Settings::default().engine;
    let limits = settings.default_limits;
    // The same engine without pre-initialization, so that running
    // `_initialize` per request (as before it) is measured beside it.
    let as_uploaded = Arc::new(
        Engine::new(sluice::engine::EngineSettings {
            pre_initialize: false,
            ..settings.clone()
        })
        .unwrap(),
    );
    let engine = Arc::new(Engine::new(settings).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut group = c.benchmark_group("hello");
    for (engine, wasm, label) in [
        (&engine, "hello", "sandboxed: instantiate + call"),
        (
            &as_uploaded,
            "hello",
            "sandboxed, start function run per instance: instantiate + call",
        ),
        (&engine, "hello-py", "sandboxed Python: instantiate + call"),
        (
            &engine,
            "hello-js",
            "sandboxed JavaScript: instantiate + call",
        ),
    ] {
        let path = format!(
            "{}/../actions-examples/dist/{wasm}.wasm",
            env!("CARGO_MANIFEST_DIR")
        );
        let wasm = std::fs::read(path).expect("build the examples with scripts/build-actions.sh");
        let prepared = engine.prepare(&wasm).unwrap();
        group.bench_function(label, |b| {
            b.to_async(&runtime).iter(|| async {
                let outcome = engine
                    .invoke(
                        &prepared,
                        Invocation {
                            action: Arc::from("hello"),
                            request_id: Arc::from("bench"),
                            limits,
                            request: hello_request(),
                            grants: Arc::from([]),
                            registry: None,
                            catalog: None,
                            capture: None,
                        },
                        &mut Default::default(),
                    )
                    .await
                    .unwrap();
                assert!(outcome.result.is_ok());
            })
        });
    }
    group.bench_function("reference: native function", |b| {
        b.iter(|| {
            let request = hello_request();
            let name = &request.params[0].1;
            let body = serde_json::to_vec(&json!({
                "message": format!("Hello, {name}!"),
                "name": name,
            }))
            .unwrap();
            std::hint::black_box(body)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
