//! Giving a compilation's scratch memory back to the OS once it is done.
//!
//! Cranelift compiles a component's functions in parallel on rayon's
//! threads, and the thread that asked for the compilation frees most of
//! what they allocated once it has linked their output. mimalloc keeps a
//! block freed by another thread on its owner's page until the owner
//! allocates again, and purges emptied pages only after a delay, on some
//! later allocation; rayon's threads sleep between compilations and an
//! idle server allocates little, so the scratch memory of one Python or
//! JavaScript upload — a few hundred MiB — stayed resident
//! (BENCHMARKS.md, issue 13, tenth pass).

/// Has every thread of rayon's global pool (the one wasmtime compiles on)
/// collect its heap and purge what it freed, once it is idle, and collects
/// the calling thread's now ([`sluice_heap::collect`]). Call it from a
/// blocking thread, after a compilation.
///
/// It does not wait for rayon's threads: they take the request only when
/// they have no other work, and another, longer compilation (a Python
/// upload's, seconds) would keep an upload refused in milliseconds, or a
/// small component's compilation, waiting until it ended.
pub fn release() {
    rayon::spawn_broadcast(|_| sluice_heap::collect_thread());
    sluice_heap::collect();
}
