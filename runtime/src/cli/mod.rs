//! The `sluice` command line beyond parsing: one module per command group.
//! Account commands work on the data directory directly; the project
//! commands (`deploy`, `export`, `get`, `delete`, `logs`) talk to a running
//! server's admin API; `up` serves and deploys in one process.

pub mod accounts;
pub mod build;
pub mod deploy;
pub mod export;
pub mod login;
pub mod mcp;
pub mod new;
pub mod project;
pub mod remote;
pub mod resources;
pub mod sdk;
pub mod serve;
pub mod up;
pub mod yaml;

pub use accounts::{UserAdded, app_add, token, user_add};
