//! Writes to the host's log through the WIT `log` interface; each record is
//! tagged with the action name and the request id. Messages over 8 KiB are
//! truncated by the host.

use crate::bindings::sluice::action::log::{Level, write};

/// Logs `message` at trace level.
pub fn trace(message: &str) {
    write(Level::Trace, message);
}
/// Logs `message` at debug level.
pub fn debug(message: &str) {
    write(Level::Debug, message);
}
/// Logs `message` at info level.
pub fn info(message: &str) {
    write(Level::Info, message);
}
/// Logs `message` at warn level.
pub fn warn(message: &str) {
    write(Level::Warn, message);
}
/// Logs `message` at error level.
pub fn error(message: &str) {
    write(Level::Error, message);
}
