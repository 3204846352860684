//! The one host-side `bindgen!` for the WIT world `sluice:action/action`
//! (`wit/action.wit`). Imports are async so capability hosts can do I/O.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "action",
    imports: { default: async },
    exports: { default: async },
    with: {
        "sluice:action/sql.connection": crate::host::sql::SqlConnection,
    },
});

pub use self::exports::sluice::action::handler;
pub use self::sluice::action::types;
