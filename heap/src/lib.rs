//! Giving freed heap memory back to the OS at a moment the caller picks.
//!
//! The `sluice` server has two allocators. Rust code allocates through
//! mimalloc (v3), which returns emptied pages to the OS only after a purge
//! delay (1 s), and only when some later allocation or free gets round to
//! it; a block freed by a thread other than its owner waits on the owner's
//! page until the owner allocates again. The C libraries it links (SQLite,
//! zstd) allocate through glibc's malloc, whose thread arenas keep what is
//! freed below their top, and after one block of many MiB (a component
//! stored as a blob) raise their thresholds for giving memory back to
//! twice that size. After a burst that ends in an idle process — compiling
//! and storing an upload is one — the freed memory therefore stays
//! resident. [`collect`] asks for it now.

/// Collects the calling thread's mimalloc heap, including blocks other
/// threads freed into it, and purges every page of mimalloc's arenas that
/// is free, without waiting for the purge delay (`mi_collect(true)`). For
/// threads other than the one calling [`collect`] after a burst.
pub fn collect_thread() {
    // SAFETY: `mi_collect` takes no pointer and touches only mimalloc's own
    // state (this thread's heap and the arenas, behind their locks); it is
    // documented as callable at any time from any thread.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

/// [`collect_thread`], then has glibc's malloc give the free pages of all
/// its arenas back (`malloc_trim(0)`, glibc 2.8 and later). It costs up to
/// a few milliseconds and takes each arena's lock; call it once after a
/// burst, not per request.
///
/// Harmless where an allocator is not in use: a thread that never
/// allocated through mimalloc has nothing to collect, and an empty arena
/// nothing to trim.
pub fn collect() {
    collect_thread();
    // SAFETY: `malloc_trim` takes no pointer and works on glibc's arenas
    // under their own locks; MT-Safe per its manual page (malloc_trim(3)).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}
