//! Running a self-contained action without a fiber.
//!
//! An action that imports no function and no resource cannot reach the
//! host while it runs: no connection, no log, no WASI. Such an action (the
//! `hello` example, a pure transformation) is instantiated and called
//! synchronously on the worker's own stack, which saves what an async
//! call costs per request — a fiber stack from the pool, four stack
//! switches, the timer of the deadline and the futures around them
//! (BENCHMARKS.md, issue 13).
//!
//! A synchronous guest cannot yield, so it holds its tokio worker while
//! it runs. It is therefore given [`INLINE_TICKS`] epoch ticks (5 to 10
//! ms) at most; a guest still running then is interrupted and the request
//! is run again from a fresh instance on the async path, which yields at
//! every tick, with its whole fuel and what is left of its deadline (the
//! run that answers is the one measured). Running it again is safe
//! because the first run had no effect outside its own instance: it could
//! not call the host, and its instance is discarded. A busy guest thus
//! holds a worker for two ticks at most before it shares it.

use wasmtime::Store;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use crate::bindings::{ActionPre, types};
use crate::host::HostState;

/// Epoch ticks a synchronous run may last before it is moved to the async
/// path: between one and two [`super::EPOCH_TICK`]s of wall-clock time,
/// since the first tick may come at once.
pub const INLINE_TICKS: u64 = 2;

/// How a synchronous run ended.
pub enum Ran {
    /// Instantiated and called to the end: the guest's answer, or the
    /// error (a trap, fuel exhausted …) that stopped it.
    Finished(wasmtime::Result<Result<types::Response, types::ActionError>>),
    /// Interrupted at [`INLINE_TICKS`]: to be run again on the async path.
    OutOfTicks,
}

/// Whether `component` may run inline: it imports nothing callable — no
/// function and no resource (whose destructor is a host function), at any
/// depth of its imported instances; only types.
pub fn is_self_contained(component: &Component, engine: &wasmtime::Engine) -> bool {
    fn callable(item: &ComponentItem, engine: &wasmtime::Engine) -> bool {
        match item {
            ComponentItem::Type(_) => false,
            ComponentItem::ComponentInstance(instance) => instance
                .exports(engine)
                .any(|(_, item)| callable(&item.ty, engine)),
            ComponentItem::ComponentFunc(_)
            | ComponentItem::CoreFunc(_)
            | ComponentItem::Module(_)
            | ComponentItem::Component(_)
            | ComponentItem::Resource(_) => true,
        }
    }
    !component
        .component_type()
        .imports(engine)
        .any(|(_, item)| callable(&item.ty, engine))
}

/// Instantiates `pre` in `store` and calls its handler with `inv`'s
/// request, synchronously; `call` receives the call's span. `store` must
/// have been made for this run: its epoch deadline is set here, without a
/// callback, so reaching it traps.
pub(super) fn run(
    engine: &super::Engine,
    pre: &ActionPre<HostState>,
    store: &mut Store<HostState>,
    inv: &super::Invocation,
    call: &mut Option<opentelemetry::Context>,
) -> Ran {
    store.set_epoch_deadline(INLINE_TICKS);
    let instantiating = std::time::Instant::now();
    let instantiate = crate::telemetry::spans::start_leaf("instantiate");
    let instance = pre.instantiate(&mut *store);
    drop(instantiate);
    let result = instance.and_then(|instance| {
        engine.instantiated(instantiating);
        *call = super::call_span(&inv.action);
        let _attached = call.clone().map(opentelemetry::Context::attach);
        instance
            .sluice_action_handler()
            .func_handle()
            .call(&mut *store, (&inv.request,))
            .map(|(answer,)| answer)
    });
    match result {
        Err(e) if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) => {
            Ran::OutOfTicks
        }
        result => Ran::Finished(result),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_contained(wat: &str) -> bool {
        let engine = wasmtime::Engine::default();
        let component = Component::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
        is_self_contained(&component, &engine)
    }

    #[test]
    fn a_component_that_imports_only_types_runs_inline() {
        assert!(self_contained("(component)"));
        assert!(self_contained(
            r#"(component (import "acme:x/types" (instance
                (type $r (record (field "id" u32)))
                (export "r" (type (eq $r))))))"#
        ));
    }

    #[test]
    fn a_component_that_imports_a_function_or_a_resource_does_not() {
        assert!(!self_contained(r#"(component (import "f" (func)))"#));
        assert!(!self_contained(
            r#"(component (import "acme:x/log" (instance (export "write" (func (param "m" string))))))"#
        ));
        assert!(!self_contained(
            r#"(component (import "acme:x/sql" (instance (export "connection" (type (sub resource))))))"#
        ));
    }
}
