//! Confining a SQLite connection that guest statements run on.
//!
//! A guest's statements are arbitrary SQL (an action may build them from a
//! consumer's input), so the database handle itself must refuse whatever
//! reaches past the connection's one file:
//!
//! - `ATTACH` and `VACUUM INTO` open or write other files by path (the
//!   control plane's `sluice.db`, another connection's file): the limit of
//!   attached databases is 0 (`SQLITE_LIMIT_ATTACHED`, which `VACUUM` also
//!   needs) and the authorizer denies `ATTACH` and `DETACH`;
//! - extensions run native code: `load_extension` is switched off
//!   (`SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION`) and denied;
//! - one huge value (`zeroblob(900000000)`) would be allocated whole in
//!   the host before any byte cap could count it: the longest string, blob
//!   or row is the caller's cap (`SQLITE_LIMIT_LENGTH`);
//! - schema surgery corrupts the file: defensive mode
//!   (`SQLITE_DBCONFIG_DEFENSIVE`) refuses `writable_schema` writes and
//!   raw page access, and the authorizer denies the pragmas that change
//!   that or name host paths (`database_list`, `temp_store_directory` …).
//!
//! Everything a table-backed API needs stays allowed: reads, writes,
//! transactions, `CREATE`/`DROP`/`ALTER` of tables, indexes, views and
//! triggers, and the other pragmas (`table_info`, `foreign_keys` …).
//! Rules from <https://sqlite.org/c3ref/set_authorizer.html>,
//! <https://sqlite.org/c3ref/limit.html> and
//! <https://sqlite.org/c3ref/c_dbconfig_defensive.html>.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;

/// The error text SQLite gives a statement the authorizer denied; the host
/// recognises it to explain the refusal to the guest.
pub const DENIED_MESSAGE: &str = "not authorized";

/// Pragmas a guest may not run or read: they change the file's safety
/// settings or reveal or move host paths.
const DENIED_PRAGMAS: &[&str] = &[
    "database_list",
    "writable_schema",
    "trusted_schema",
    "temp_store_directory",
    "data_store_directory",
    "cell_size_check",
    "mmap_size",
];

/// Applies the limits, the defensive flags and the authorizer to `db`;
/// `max_value_bytes` bounds every string, blob and row the connection
/// reads or writes (SQLite answers `SQLITE_TOOBIG`, "string or blob too
/// big", beyond it).
///
/// `db` must be the handle of an open connection that the caller holds
/// exclusively for the duration of the call (sqlx's `LockedSqliteHandle::
/// as_raw_handle`); the settings last as long as the connection.
///
/// # Errors
/// The SQLite result code of a `sqlite3_db_config` call that failed (the
/// linked SQLite is older than 3.26, which added defensive mode).
pub fn confine(db: NonNull<ffi::sqlite3>, max_value_bytes: c_int) -> Result<(), c_int> {
    let db = db.as_ptr();
    // SAFETY: `db` is an open connection handle held exclusively by the
    // caller (see above); `sqlite3_limit` only reads and writes the
    // handle's limit array, and clamps values above the compiled maximum.
    #[allow(unsafe_code)]
    unsafe {
        ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_ATTACHED, 0);
        ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_LENGTH, max_value_bytes.max(1));
    }
    for (op, value) in [
        (ffi::SQLITE_DBCONFIG_DEFENSIVE, 1),
        (ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0),
        (ffi::SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0),
    ] {
        // SAFETY: these three ops take exactly (int, int*) as their
        // variadic arguments (sqlite.org/c3ref/c_dbconfig_defensive.html);
        // a null int* asks for no read-back. `db` is open and exclusive.
        #[allow(unsafe_code)]
        let rc = unsafe { ffi::sqlite3_db_config(db, op, value, std::ptr::null_mut::<c_int>()) };
        if rc != ffi::SQLITE_OK {
            return Err(rc);
        }
    }
    // SAFETY: `authorize` is a plain function that matches the callback's
    // signature, touches no state (the user-data pointer is null and never
    // read) and does not call back into SQLite, as the authorizer rules
    // require. `db` is open and exclusive.
    #[allow(unsafe_code)]
    let rc = unsafe { ffi::sqlite3_set_authorizer(db, Some(authorize), std::ptr::null_mut()) };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rc)
    }
}

/// The authorizer: SQLite calls it while it prepares each statement, with
/// the action code and up to two names (sqlite.org/c3ref/c_alter_table.html).
#[allow(unsafe_code)]
unsafe extern "C" fn authorize(
    _user_data: *mut c_void,
    action: c_int,
    first: *const c_char,
    second: *const c_char,
    _database: *const c_char,
    _trigger: *const c_char,
) -> c_int {
    // SAFETY: SQLite passes either null or a NUL-terminated string that
    // lives for the duration of the call.
    let name = |p: *const c_char| (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) });
    let denied = match action {
        ffi::SQLITE_ATTACH | ffi::SQLITE_DETACH => true,
        ffi::SQLITE_PRAGMA => name(first).is_some_and(is_denied_pragma),
        // `SELECT * FROM pragma_database_list` reads the same paths.
        ffi::SQLITE_READ => name(first).is_some_and(|table| {
            table
                .to_bytes()
                .strip_prefix(b"pragma_")
                .is_some_and(|rest| {
                    DENIED_PRAGMAS
                        .iter()
                        .any(|p| rest.eq_ignore_ascii_case(p.as_bytes()))
                })
        }),
        ffi::SQLITE_FUNCTION => {
            name(second).is_some_and(|f| f.to_bytes().eq_ignore_ascii_case(b"load_extension"))
        }
        _ => false,
    };
    if denied {
        ffi::SQLITE_DENY
    } else {
        ffi::SQLITE_OK
    }
}

fn is_denied_pragma(pragma: &CStr) -> bool {
    let pragma = pragma.to_bytes();
    DENIED_PRAGMAS
        .iter()
        .any(|p| pragma.eq_ignore_ascii_case(p.as_bytes()))
}
