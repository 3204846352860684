//! Pre-initialization: a component's start functions run once, when it is
//! prepared, instead of at every instantiation.
//!
//! A component made from a WASI reactor module — a Rust `cdylib` built for
//! `wasm32-wasip2`, or any module linked with wasi-libc's `crt1-reactor.o` —
//! exports `_initialize`, and `wit-component` adds a core instance whose
//! start function calls it. Without this pass every request instantiates that
//! extra core instance and calls into the guest once before its handler:
//! about 3 % of the instructions of a `hello` request (BENCHMARKS.md, issue 13).
//!
//! When a core module of the component has a start function, the component
//! is instantiated once here with every import trapping, its memories and
//! globals are snapshotted into a rewritten component whose modules have no
//! start functions (`wasmtime-wizer`), and the core instances then left with
//! nothing to do — no start, no exports, no segments — are removed. Each
//! instantiation then begins from the state the start functions would have
//! produced, without running them.
//!
//! It is the same program: a start function that calls no import computes the
//! same state wherever it runs, and each request still gets a fresh instance
//! of that state. Whenever that cannot be shown the component is kept as
//! uploaded: a start function that calls an import (it traps here), runs out
//! of fuel or memory, or a component `wasmtime-wizer` cannot snapshot (code
//! that mutates a table, nested modules, imported memories …).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wasm_encoder::reencode::{Reencode, ReencodeComponent, component_utils};
use wasmparser::{
    CanonicalFunction, ComponentAlias, ComponentExternalKind, ComponentTypeRef, Instance, Parser,
    Payload,
};
use wasmtime::component::{Component, ComponentType, Lift, Linker, WasmList};
use wasmtime::{Config, OptLevel, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

/// Runs components' start functions ahead of time, on an engine of its own
/// (no instance pool to take slots from; code compiled without
/// optimization, since it runs once).
pub struct PreInitializer {
    engine: wasmtime::Engine,
    fuel: u64,
    max_memory_bytes: usize,
}

impl PreInitializer {
    /// A pre-initializer whose start functions may use `fuel` and grow
    /// memories to `max_memory_bytes`; `cache` keeps its compiled code across
    /// restarts, as the main engine's does.
    ///
    /// # Errors
    /// When wasmtime rejects the configuration.
    pub fn new(
        fuel: u64,
        max_memory_bytes: u64,
        cache: Option<wasmtime::Cache>,
    ) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .wasm_component_model(true)
            .cranelift_opt_level(OptLevel::None)
            .cache(cache);
        Ok(Self {
            engine: wasmtime::Engine::new(&config)?,
            fuel,
            max_memory_bytes: usize::try_from(max_memory_bytes).unwrap_or(usize::MAX),
        })
    }

    /// `wasm` with its start functions run and their effects built in;
    /// `None` when it has no start function or cannot be pre-initialized
    /// (then it is to be used as it is).
    pub fn run(&self, wasm: &[u8]) -> Option<Vec<u8>> {
        if !eligible(wasm) {
            return None;
        }
        match self.snapshot(wasm) {
            Ok(snapshot) => Some(drop_idle_instances(&snapshot).unwrap_or(snapshot)),
            Err(e) => {
                tracing::debug!(error = %format!("{e:#}"), "component kept as uploaded: not pre-initialized");
                None
            }
        }
    }

    fn snapshot(&self, wasm: &[u8]) -> wasmtime::Result<Vec<u8>> {
        let wizer = Wizer::new();
        let (context, instrumented) = wizer.instrument_component(wasm)?;
        let component = Component::new(&self.engine, &instrumented)?;
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.max_memory_bytes)
            .build();
        let mut store = Store::new(&self.engine, limits);
        store.limiter(|limits| limits);
        store.set_fuel(self.fuel)?;
        let mut linker = Linker::new(&self.engine);
        linker.define_unknown_imports_as_traps(&component)?;
        // Instantiating runs every start function.
        let instance = linker.instantiate(&mut store, &component)?;
        let mut state = State {
            store: &mut store,
            instance,
            error: None,
        };
        let snapshot = now(wizer.snapshot_component(&context, &mut state))
            .ok_or_else(|| wasmtime::format_err!("the snapshot waited for something"))??;
        match state.error {
            Some(e) => Err(e),
            None => Ok(snapshot),
        }
    }
}

/// Whether `wasm` has a start function to run ahead of time, and its start
/// functions cannot change state a snapshot of memories and globals would
/// miss: the only canonical built-ins its core code may call are lowered
/// imports (which trap here) and the resource built-ins that need a handle
/// (which only an import could have given). `resource.new` (a handle made
/// without the host) or any task, stream or context built-in keeps the
/// component as it is.
fn eligible(wasm: &[u8]) -> bool {
    let mut start = false;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(Payload::StartSection { .. }) => start = true,
            Ok(Payload::ComponentCanonicalSection(functions)) => {
                for function in functions {
                    match function {
                        Ok(
                            CanonicalFunction::Lift { .. }
                            | CanonicalFunction::Lower { .. }
                            | CanonicalFunction::ResourceDrop { .. }
                            | CanonicalFunction::ResourceRep { .. },
                        ) => {}
                        _ => return false,
                    }
                }
            }
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    start
}

/// Polls `future` once: the snapshot's calls are synchronous, so it is ready
/// at once.
fn now<F: Future>(future: F) -> Option<F::Output> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// The instrumented instance, read by `wasmtime-wizer` through the
/// accessor functions its instrumentation exports.
struct State<'a> {
    store: &'a mut Store<StoreLimits>,
    instance: wasmtime::component::Instance,
    /// The first failed read; the snapshot is discarded when there is one.
    error: Option<wasmtime::Error>,
}

impl State<'_> {
    fn call<R: ComponentType + Lift + 'static>(
        &mut self,
        instance: &str,
        func: &str,
    ) -> wasmtime::Result<R> {
        let store = &mut *self.store;
        let outer = self
            .instance
            .get_export_index(&mut *store, None, instance)
            .ok_or_else(|| wasmtime::format_err!("no export `{instance}`"))?;
        let index = self
            .instance
            .get_export_index(&mut *store, Some(&outer), func)
            .ok_or_else(|| wasmtime::format_err!("no export `{instance}#{func}`"))?;
        let func = self
            .instance
            .get_typed_func::<(), (R,)>(&mut *store, index)?;
        Ok(func.call(&mut *store, ())?.0)
    }

    fn value<R: ComponentType + Lift + Default + 'static>(
        &mut self,
        instance: &str,
        func: &str,
    ) -> R {
        self.call(instance, func).unwrap_or_else(|e| {
            self.error.get_or_insert(e);
            R::default()
        })
    }
}

impl ComponentInstanceState for State<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        match self.call::<WasmList<u8>>(instance, func) {
            Ok(list) => contents(list.as_le_slice(&*self.store)),
            Err(e) => {
                self.error.get_or_insert(e);
                contents(&[]);
            }
        }
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.value(instance, func)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.value(instance, func)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.value::<f32>(instance, func).to_bits()
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.value::<f64>(instance, func).to_bits()
    }
}

/// Removes from the outermost component every core instance whose module
/// does nothing when instantiated — no start function, no exports, no data
/// or element segments — and which nothing refers to, renumbering the core
/// instances after it. After pre-initialization these are the shims that
/// only called `_initialize`. `None` when there is none (or `wasm` is not a
/// component this can read).
fn drop_idle_instances(wasm: &[u8]) -> Option<Vec<u8>> {
    let sections = top_level_sections(wasm).ok()?;
    // Core modules in index order: whether instantiating one does nothing.
    let mut idle_modules = Vec::new();
    // Core instances in index order: whether to drop it.
    let mut drop = Vec::new();
    let mut referenced = Vec::new();
    for section in &sections {
        match section {
            Section::Module { idle, .. } => idle_modules.push(*idle),
            Section::Other(Payload::InstanceSection(reader)) => {
                for instance in reader.clone() {
                    match instance.ok()? {
                        Instance::Instantiate { module_index, args } => {
                            referenced.extend(args.iter().map(|arg| arg.index));
                            drop.push(*idle_modules.get(module_index as usize)?);
                        }
                        Instance::FromExports(_) => drop.push(false),
                    }
                }
            }
            Section::Other(Payload::ComponentAliasSection(reader)) => {
                for alias in reader.clone() {
                    match alias.ok()? {
                        ComponentAlias::CoreInstanceExport { instance_index, .. } => {
                            referenced.push(instance_index);
                        }
                        ComponentAlias::InstanceExport {
                            kind: ComponentExternalKind::Module,
                            ..
                        }
                        | ComponentAlias::Outer {
                            kind: wasmparser::ComponentOuterAliasKind::CoreModule,
                            ..
                        } => idle_modules.push(false),
                        _ => {}
                    }
                }
            }
            Section::Other(Payload::ComponentImportSection(reader)) => {
                for import in reader.clone() {
                    if matches!(import.ok()?.ty, ComponentTypeRef::Module(_)) {
                        idle_modules.push(false);
                    }
                }
            }
            _ => {}
        }
    }
    for index in referenced {
        *drop.get_mut(index as usize)? = false;
    }
    if !drop.contains(&true) {
        return None;
    }
    let mut next = 0;
    let mut renumber = Renumber {
        instances: drop
            .iter()
            .map(|&dropped| {
                (!dropped).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect(),
    };
    let mut out = wasm_encoder::Component::new();
    let mut instance = 0;
    for section in &sections {
        match section {
            Section::Other(Payload::InstanceSection(reader)) => {
                let mut kept = wasm_encoder::InstanceSection::new();
                for item in reader.clone() {
                    let item = item.ok()?;
                    if renumber.instances[instance].is_some() {
                        renumber.parse_instance(&mut kept, item).ok()?;
                    }
                    instance += 1;
                }
                out.section(&kept);
            }
            Section::Other(Payload::ComponentAliasSection(reader)) => {
                let mut aliases = wasm_encoder::ComponentAliasSection::new();
                component_utils::parse_component_alias_section(
                    &mut renumber,
                    &mut aliases,
                    reader.clone(),
                )
                .ok()?;
                out.section(&aliases);
            }
            Section::Other(Payload::CustomSection(custom)) => match custom.as_known() {
                wasmparser::KnownCustom::ComponentName(names) => {
                    out.section(&renumber.names(names)?);
                }
                _ => raw(&mut out, wasm, section)?,
            },
            _ => raw(&mut out, wasm, section)?,
        }
    }
    Some(out.finish())
}

/// Copies `section` of `wasm` to `out` byte for byte.
fn raw(out: &mut wasm_encoder::Component, wasm: &[u8], section: &Section<'_>) -> Option<()> {
    let (id, range) = match section {
        Section::Module { id, range, .. } => (*id, range.clone()),
        Section::Other(payload) => payload.as_section()?,
    };
    out.section(&wasm_encoder::RawSection {
        id,
        data: wasm.get(range)?,
    });
    Some(())
}

/// A section of the outermost component.
enum Section<'a> {
    /// A core module, and whether instantiating it does nothing.
    Module {
        id: u8,
        range: std::ops::Range<usize>,
        idle: bool,
    },
    Other(Payload<'a>),
}

/// The outermost component's sections in order; a nested module or
/// component is one section.
fn top_level_sections(wasm: &[u8]) -> wasmparser::Result<Vec<Section<'_>>> {
    let mut sections = Vec::new();
    let mut depth = 0usize;
    // The module being read, when the nested sections are its own.
    let mut module: Option<usize> = None;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if depth > 0 {
            match &payload {
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
                Payload::End(_) => {
                    depth -= 1;
                    if depth == 0 {
                        module = None;
                    }
                }
                Payload::StartSection { .. } if depth == 1 => mark_busy(&mut sections, module),
                Payload::DataSection(data) if data.count() > 0 && depth == 1 => {
                    mark_busy(&mut sections, module);
                }
                Payload::ElementSection(elements) if elements.count() > 0 && depth == 1 => {
                    mark_busy(&mut sections, module);
                }
                Payload::ExportSection(exports) if exports.count() > 0 && depth == 1 => {
                    mark_busy(&mut sections, module);
                }
                _ => {}
            }
            continue;
        }
        match payload {
            Payload::Version { .. } | Payload::End(_) => {}
            Payload::ModuleSection { .. } => {
                let (id, range) = payload.as_section().expect("a module is a section");
                module = Some(sections.len());
                sections.push(Section::Module {
                    id,
                    range,
                    idle: true,
                });
                depth = 1;
            }
            Payload::ComponentSection { .. } => {
                sections.push(Section::Other(payload));
                depth = 1;
            }
            payload => sections.push(Section::Other(payload)),
        }
    }
    Ok(sections)
}

/// Marks the module being read as one whose instantiation does something.
fn mark_busy(sections: &mut [Section<'_>], module: Option<usize>) {
    if let Some(Section::Module { idle, .. }) = module.and_then(|i| sections.get_mut(i)) {
        *idle = false;
    }
}

/// Maps the outermost component's core instance indices past the dropped
/// ones; nothing else changes.
struct Renumber {
    /// New index of each old core instance; `None` for a dropped one.
    instances: Vec<Option<u32>>,
}

impl Renumber {
    /// The component's name section with the dropped core instances' names
    /// left out and the others renumbered.
    fn names(
        &mut self,
        names: wasmparser::ComponentNameSectionReader<'_>,
    ) -> Option<wasm_encoder::ComponentNameSection> {
        let mut out = wasm_encoder::ComponentNameSection::new();
        for subsection in names {
            match subsection.ok()? {
                wasmparser::ComponentName::CoreInstances(map) => {
                    let mut kept = wasm_encoder::NameMap::new();
                    for naming in map {
                        let naming = naming.ok()?;
                        if let Some(Some(index)) = self.instances.get(naming.index as usize) {
                            kept.append(*index, naming.name);
                        }
                    }
                    out.core_instances(&kept);
                }
                subsection => self
                    .parse_custom_component_name_subsection(&mut out, subsection)
                    .ok()?,
            }
        }
        Some(out)
    }
}

impl Reencode for Renumber {
    type Error = std::convert::Infallible;
}

impl ReencodeComponent for Renumber {
    fn instance_index(&mut self, index: u32) -> u32 {
        // Only instances nothing refers to are dropped, so a reference always
        // has a new index.
        self.instances
            .get(index as usize)
            .copied()
            .flatten()
            .unwrap_or(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component like `wit-component` makes from a reactor: `_initialize`
    /// (which traps when run twice, as wasi-libc's does) writes memory and a
    /// global, and a shim instance's start function calls it.
    const REACTOR: &str = r#"(component
        (core module $main
            (memory (export "memory") 1)
            (global $g (mut i32) (i32.const 0))
            (func (export "_initialize")
                (if (i32.load (i32.const 0)) (then unreachable))
                (i32.store (i32.const 0) (i32.const 1))
                (i32.store (i32.const 100) (i32.const 42))
                (global.set $g (i32.const 7)))
            (func (export "get") (result i32)
                (i32.add (i32.load (i32.const 100)) (global.get $g))))
        (core instance $main (instantiate $main))
        (core module $fixup
            (import "main" "_initialize" (func $init))
            (start $init))
        (core instance $fixup (instantiate $fixup (with "main" (instance $main))))
        (func (export "get") (result u32) (canon lift (core func $main "get"))))"#;

    fn pre_initializer(fuel: u64) -> PreInitializer {
        PreInitializer::new(fuel, 1 << 20, None).unwrap()
    }

    /// What `get` answers in a fresh instance of `wasm`.
    fn get(wasm: &[u8]) -> u32 {
        let engine = wasmtime::Engine::default();
        let component = Component::new(&engine, wasm).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .unwrap();
        let get = instance
            .get_typed_func::<(), (u32,)>(&mut store, "get")
            .unwrap();
        get.call(&mut store, ()).unwrap().0
    }

    pub(super) fn core_instances(wasm: &[u8]) -> u32 {
        top_level_sections(wasm)
            .unwrap()
            .iter()
            .map(|section| match section {
                Section::Other(Payload::InstanceSection(reader)) => reader.count(),
                _ => 0,
            })
            .sum()
    }

    #[test]
    fn a_start_functions_effects_are_built_in_and_its_shim_instance_is_gone() {
        let wasm = wat::parse_str(REACTOR).unwrap();
        let pre_initialized = pre_initializer(1_000_000)
            .run(&wasm)
            .expect("pre-initialized");
        assert_eq!(get(&wasm), 49);
        // `_initialize` is not run again: it would trap on its own flag.
        assert_eq!(get(&pre_initialized), 49);
        assert_eq!(
            (core_instances(&wasm), core_instances(&pre_initialized)),
            (2, 1)
        );
        assert!(!eligible(&pre_initialized), "no start function is left");
    }

    #[test]
    fn a_start_function_that_calls_an_import_keeps_the_component_as_uploaded() {
        let wasm = wat::parse_str(
            r#"(component
                (import "clock" (func $clock (result u64)))
                (core func $now (canon lower (func $clock)))
                (core module $main
                    (import "host" "now" (func $now (result i64)))
                    (func (export "_initialize") (drop (call $now))))
                (core instance $host (export "now" (func $now)))
                (core instance $main (instantiate $main (with "host" (instance $host))))
                (core module $fixup
                    (import "main" "_initialize" (func $init))
                    (start $init))
                (core instance (instantiate $fixup (with "main" (instance $main)))))"#,
        )
        .unwrap();
        assert!(eligible(&wasm));
        assert!(pre_initializer(1_000_000).run(&wasm).is_none());
    }

    #[test]
    fn a_start_function_that_runs_out_of_fuel_keeps_the_component_as_uploaded() {
        let wasm = wat::parse_str(
            r#"(component
                (core module $main (func (export "_initialize") (loop (br 0))))
                (core instance $main (instantiate $main))
                (core module $fixup
                    (import "main" "_initialize" (func $init))
                    (start $init))
                (core instance (instantiate $fixup (with "main" (instance $main)))))"#,
        )
        .unwrap();
        assert!(pre_initializer(100_000).run(&wasm).is_none());
    }

    #[test]
    fn a_component_without_start_functions_or_that_makes_resources_is_left_alone() {
        let plain = wat::parse_str(
            r#"(component
                (core module $main (func (export "get") (result i32) (i32.const 1)))
                (core instance $main (instantiate $main))
                (func (export "get") (result u32) (canon lift (core func $main "get"))))"#,
        )
        .unwrap();
        assert!(!eligible(&plain));
        let makes_resources = wat::parse_str(
            r#"(component
                (type $r (resource (rep i32)))
                (core func $new (canon resource.new $r))
                (core module $main (import "" "new" (func (param i32) (result i32)))
                    (func $start) (start $start))
                (core instance $imports (export "new" (func $new)))
                (core instance (instantiate $main (with "" (instance $imports)))))"#,
        )
        .unwrap();
        assert!(!eligible(&makes_resources));
        assert!(pre_initializer(1_000_000).run(&makes_resources).is_none());
    }
}

#[cfg(test)]
mod builtins {
    use super::*;

    /// Guards the toolchain: the built-in actions are Rust reactors like the
    /// examples, and none should keep a start function to run per request.
    /// (Each keeps its `_initialize` shim's instance only where the shim
    /// also fills the table of indirectly lowered imports.)
    #[test]
    fn every_built_in_action_is_pre_initialized() {
        let pre_initializer = PreInitializer::new(500_000_000, 256 << 20, None).unwrap();
        for builtin in crate::builtins::BUILTINS {
            assert!(
                eligible(builtin.wasm),
                "{} has a start function",
                builtin.name
            );
            let after = pre_initializer
                .run(builtin.wasm)
                .unwrap_or_else(|| panic!("{} was not pre-initialized", builtin.name));
            assert!(!eligible(&after), "{} kept a start function", builtin.name);
            assert!(tests::core_instances(&after) <= tests::core_instances(builtin.wasm));
        }
    }
}
