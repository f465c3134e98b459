//! Keeps the process's memory bounded under bursts (glibc only).
//!
//! glibc serves a large allocation with its own mapping and unmaps it when
//! freed — until one is freed: then it raises that threshold to the freed
//! size (up to 32 MiB), and later ones of that size come from the heap
//! arenas, which rarely shrink. Argon2's 19 MiB working memory per password
//! check then stays resident after a burst of logins (64 logins at once
//! left 600 MiB). A fixed threshold keeps every allocation of 1 MiB or more
//! in its own mapping, returned to the system when freed; arenas are capped
//! at two per core so many blocking threads do not each keep one.

/// Call once, first thing in `main`, before threads start.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const THRESHOLD: libc::c_int = 1 << 20;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let arenas = libc::c_int::try_from(2 * cores).unwrap_or(8);
        // SAFETY: mallopt only changes allocator parameters; it is called before other threads exist.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
