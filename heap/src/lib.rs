//! Giving freed heap memory back to the OS at a moment the caller picks.
//!
//! The `sluice` server allocates through mimalloc (v3). mimalloc returns
//! emptied pages to the OS only after a purge delay (1 s), and only when
//! some later allocation or free gets round to it; a block freed by a
//! thread other than its owner waits on the owner's page until the owner
//! allocates again. After a burst that ends in an idle process — compiling
//! a component on rayon's threads is one — the freed memory therefore
//! stays resident. [`collect`] asks for it now.

/// Collects the calling thread's heap, including blocks other threads
/// freed into it, and purges every page of the process's arenas that is
/// free, without waiting for the purge delay (`mi_collect(true)`). It
/// costs up to a few milliseconds; call it after a burst, not per request.
///
/// Harmless in a process whose global allocator is not mimalloc: a thread
/// that never allocated through mimalloc has nothing to collect.
pub fn collect() {
    // SAFETY: `mi_collect` takes no pointer and touches only mimalloc's own
    // state (this thread's heap and the arenas, behind their locks); it is
    // documented as callable at any time from any thread.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}
