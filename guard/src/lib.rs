//! The few calls that confine guest code and need `unsafe`.
//!
//! - [`sqlite`]: what a statement on a guest's SQLite connection may do —
//!   no `ATTACH`, no `VACUUM INTO`, no extensions, no schema surgery, no
//!   host paths (a limit, a defensive flag and an authorizer on the raw
//!   handle sqlx lends).
//! - [`child`]: what a program a `command` connection runs may use — CPU
//!   time, address space, processes (resource limits set between `fork`
//!   and `exec`).

pub mod child;
pub mod sqlite;
