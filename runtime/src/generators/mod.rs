//! Generators: whole, documented APIs made from what a database already
//! has. `sql-table` introspects one table and creates its schemas, a
//! `builtin:sql-table` action and five operations, in one transaction.

pub mod check;
pub mod introspect;
pub mod plan;
