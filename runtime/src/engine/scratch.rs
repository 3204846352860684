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

/// Collects the heap of every thread of rayon's global pool (the one
/// wasmtime compiles on), then the calling thread's, and purges what they
/// freed ([`sluice_heap::collect`], last, so that its purge covers the
/// others'). Blocks until rayon's threads have run it: call it from a
/// blocking thread, after a compilation.
pub fn release() {
    rayon::broadcast(|_| sluice_heap::collect_thread());
    sluice_heap::collect();
}
