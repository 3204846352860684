//! `files` connections: a directory on the host that granted actions may
//! read (and, when the connection is writable, write) through the WIT
//! `files` interface.
//!
//! Every path is relative to the connection's `root` and opened through a
//! capability on that directory (`cap-std`), so the kernel resolves it
//! beneath the root: `..` that climbs out, absolute paths and symlinks
//! that point outside fail whatever the string looks like. The string
//! checks in [`check_path`] come first only to give clear errors, and to
//! refuse what `cap-std` would take literally (percent-encoded `.`, `/`,
//! `\`). Only regular files are read or written: a FIFO, a socket or a
//! device is refused before it is opened, and opened non-blocking in case
//! it was swapped in since.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use serde::{Deserialize, Serialize};

/// Config of a `files` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesConfig {
    /// The directory guests see as their root: an absolute path to an
    /// existing directory on the host.
    pub root: String,
    /// Whether `write` and `delete` are refused (default true).
    #[serde(default = "crate::resources::default_true")]
    pub read_only: bool,
    /// Largest file `read` returns or `write` stores, bytes (default 10 MiB).
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// File name extensions guests may read, write, stat or see in a
    /// listing, without the dot and compared without case (`["csv"]`);
    /// absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Vec<String>>,
}

fn default_max_file_bytes() -> u64 {
    10 << 20
}

/// Largest `max_file_bytes` a connection may set: 1 GiB.
const MAX_FILE_BYTES_CEILING: u64 = 1 << 30;

/// Longest path a guest may pass, bytes.
pub const MAX_PATH_BYTES: usize = 1024;

/// Why a file operation failed; the host maps each to the WIT case of
/// the same name.
#[derive(Debug, PartialEq, Eq)]
pub enum FilesError {
    /// The path is not a relative path inside the root.
    InvalidPath(String),
    /// Nothing is at the path.
    NotFound(String),
    /// The connection is read-only.
    ReadOnly(String),
    /// The file is larger than `max_file_bytes` (given).
    TooLarge(u64),
    /// Not a regular file (a directory, FIFO, socket or device), or an
    /// extension the connection does not allow.
    NotAllowed(String),
    /// The operating system refused for another reason.
    Io(String),
}

/// One directory entry, or what `stat` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name (for `stat`, the path as given).
    pub name: String,
    /// Whether it is a directory (else a regular file).
    pub is_dir: bool,
    /// Size in bytes (0 for a directory).
    pub size: u64,
    /// Last modification, Unix ms, when the file system records it.
    pub modified_ms: Option<i64>,
}

impl FilesConfig {
    /// Checks the fields and that `root` is an existing directory.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        let root = Path::new(&self.root);
        if !root.is_absolute() {
            return Err("root must be an absolute path".into());
        }
        if !root.is_dir() {
            return Err(format!("root {:?} is not an existing directory", self.root));
        }
        if !(1..=MAX_FILE_BYTES_CEILING).contains(&self.max_file_bytes) {
            return Err(format!(
                "max_file_bytes must be between 1 and {MAX_FILE_BYTES_CEILING}"
            ));
        }
        for ext in self.extensions.iter().flatten() {
            if ext.is_empty() || !ext.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "extensions holds {ext:?}; give letters and digits without the dot, e.g. \"csv\""
                ));
            }
        }
        Ok(())
    }

    /// Opens the root as a capability.
    ///
    /// # Errors
    /// When the directory cannot be opened.
    pub fn open_root(&self) -> std::io::Result<Dir> {
        Dir::open_ambient_dir(&self.root, ambient_authority())
    }

    fn allowed(&self, path: &Path) -> bool {
        let Some(allowed) = &self.extensions else {
            return true;
        };
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| allowed.iter().any(|a| a.eq_ignore_ascii_case(e)))
    }

    fn check_extension(&self, path: &Path) -> Result<(), FilesError> {
        if self.allowed(path) {
            return Ok(());
        }
        Err(FilesError::NotAllowed(format!(
            "{} has an extension this connection does not allow ({})",
            path.display(),
            self.extensions.as_deref().unwrap_or_default().join(", ")
        )))
    }

    fn check_writable(&self) -> Result<(), FilesError> {
        if self.read_only {
            return Err(FilesError::ReadOnly(
                "this files connection is read-only".into(),
            ));
        }
        Ok(())
    }
}

/// The relative path `raw` names, or why it cannot be used: empty (for
/// anything but `list`), too long, NUL bytes, absolute, a `..` component,
/// a backslash, or a percent-encoded `.`, `/`, `\` or `%`.
///
/// # Errors
/// [`FilesError::InvalidPath`] saying which.
pub fn check_path(raw: &str, allow_root: bool) -> Result<PathBuf, FilesError> {
    let invalid = |why: &str| Err(FilesError::InvalidPath(format!("{raw:?}: {why}")));
    if raw.len() > MAX_PATH_BYTES {
        return invalid("longer than 1024 bytes");
    }
    if raw.contains('\0') {
        return invalid("contains a NUL byte");
    }
    if raw.contains('\\') {
        return invalid("contains a backslash; separate directories with /");
    }
    let lower = raw.to_ascii_lowercase();
    if ["%2e", "%2f", "%5c", "%25", "%00"]
        .iter()
        .any(|e| lower.contains(e))
    {
        return invalid("contains a percent-encoded . / \\ % or NUL; paths are taken literally");
    }
    let path = Path::new(raw);
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir => return invalid("contains a .. component"),
            Component::RootDir | Component::Prefix(_) => {
                return invalid("is absolute; give a path relative to the connection's root");
            }
        }
    }
    if clean.as_os_str().is_empty() && !allow_root {
        return invalid("names the root itself; give a file's path");
    }
    Ok(clean)
}

fn io_error(path: &Path, e: &std::io::Error) -> FilesError {
    let shown = path.display();
    match e.kind() {
        std::io::ErrorKind::NotFound => FilesError::NotFound(format!("{shown} does not exist")),
        // cap-std refuses a path that resolves outside the root (a `..`
        // through a symlink, a symlink to an absolute path) with
        // PermissionDenied.
        std::io::ErrorKind::PermissionDenied => FilesError::InvalidPath(format!(
            "{shown} cannot be opened: it leaves the connection's root or is not readable"
        )),
        _ => FilesError::Io(format!("{shown}: {e}")),
    }
}

fn modified_ms(meta: &cap_std::fs::Metadata) -> Option<i64> {
    let at = meta.modified().ok()?.into_std();
    let since = at.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

/// The regular file at `path` under `root`, or why not.
fn regular_file(root: &Dir, path: &Path) -> Result<cap_std::fs::Metadata, FilesError> {
    let meta = root.metadata(path).map_err(|e| io_error(path, &e))?;
    if meta.is_dir() {
        return Err(FilesError::NotAllowed(format!(
            "{} is a directory; list it instead",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(FilesError::NotAllowed(format!(
            "{} is not a regular file (a FIFO, socket or device)",
            path.display()
        )));
    }
    Ok(meta)
}

/// Reads the file at `raw`.
///
/// # Errors
/// As [`FilesError`] describes.
pub fn read(config: &FilesConfig, raw: &str) -> Result<Vec<u8>, FilesError> {
    let path = check_path(raw, false)?;
    config.check_extension(&path)?;
    let root = config.open_root().map_err(|e| io_error(&path, &e))?;
    let meta = regular_file(&root, &path)?;
    if meta.len() > config.max_file_bytes {
        return Err(FilesError::TooLarge(config.max_file_bytes));
    }
    let mut options = OpenOptions::new();
    // Non-blocking: a FIFO swapped in after the check must not hang the
    // read; the check on the open file below refuses it.
    options.read(true).custom_flags(libc::O_NONBLOCK);
    let file = root
        .open_with(&path, &options)
        .map_err(|e| io_error(&path, &e))?;
    let opened = file.metadata().map_err(|e| io_error(&path, &e))?;
    if !opened.is_file() {
        return Err(FilesError::NotAllowed(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    file.into_std()
        .take(config.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&path, &e))?;
    if bytes.len() as u64 > config.max_file_bytes {
        return Err(FilesError::TooLarge(config.max_file_bytes));
    }
    Ok(bytes)
}

/// Replaces (or creates) the file at `raw` with `contents`, atomically: the
/// bytes go to a temporary file beside it, which is then renamed over it,
/// so a reader sees the old file or the new one, never half of it. The
/// directory must exist.
///
/// # Errors
/// As [`FilesError`] describes.
pub fn write(config: &FilesConfig, raw: &str, contents: &[u8]) -> Result<(), FilesError> {
    config.check_writable()?;
    let path = check_path(raw, false)?;
    config.check_extension(&path)?;
    if contents.len() as u64 > config.max_file_bytes {
        return Err(FilesError::TooLarge(config.max_file_bytes));
    }
    let root = config.open_root().map_err(|e| io_error(&path, &e))?;
    match root.symlink_metadata(&path) {
        Ok(meta) if !meta.is_file() => {
            return Err(FilesError::NotAllowed(format!(
                "{} exists and is not a regular file",
                path.display()
            )));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&path, &e)),
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file")
        .to_string();
    let temporary =
        path.with_file_name(format!(".{name}.sluice-{}", uuid::Uuid::new_v4().simple()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(0o644);
    let written = root
        .open_with(&temporary, &options)
        .and_then(|file| {
            let mut file = file.into_std();
            file.write_all(contents)?;
            file.sync_all()
        })
        .and_then(|()| root.rename(&temporary, &root, &path));
    if let Err(e) = written {
        let _ = root.remove_file(&temporary);
        return Err(io_error(&path, &e));
    }
    Ok(())
}

/// The entries of the directory at `raw` ("" for the root), by name:
/// directories, and the regular files with an allowed extension.
///
/// # Errors
/// As [`FilesError`] describes.
pub fn list(config: &FilesConfig, raw: &str) -> Result<Vec<Entry>, FilesError> {
    let path = check_path(raw, true)?;
    let root = config.open_root().map_err(|e| io_error(&path, &e))?;
    let dir = if path.as_os_str().is_empty() {
        root
    } else {
        root.open_dir(&path).map_err(|e| io_error(&path, &e))?
    };
    let mut out = Vec::new();
    for item in dir.entries().map_err(|e| io_error(&path, &e))? {
        let item = item.map_err(|e| io_error(&path, &e))?;
        let name = item.file_name().to_string_lossy().into_owned();
        // A symlink counts as what it points to, if that is inside the
        // root; one that leads out is left out of the listing.
        let Ok(meta) = dir.metadata(&name) else {
            continue;
        };
        let is_dir = meta.is_dir();
        let shown = is_dir || (meta.is_file() && config.allowed(Path::new(&name)));
        if !shown {
            continue;
        }
        out.push(Entry {
            size: if is_dir { 0 } else { meta.len() },
            modified_ms: modified_ms(&meta),
            name,
            is_dir,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// What is at `raw`: a directory or a regular file with an allowed extension.
///
/// # Errors
/// As [`FilesError`] describes.
pub fn stat(config: &FilesConfig, raw: &str) -> Result<Entry, FilesError> {
    let path = check_path(raw, false)?;
    let root = config.open_root().map_err(|e| io_error(&path, &e))?;
    let meta = root.metadata(&path).map_err(|e| io_error(&path, &e))?;
    if !meta.is_dir() {
        if !meta.is_file() {
            return Err(FilesError::NotAllowed(format!(
                "{} is not a regular file (a FIFO, socket or device)",
                path.display()
            )));
        }
        config.check_extension(&path)?;
    }
    Ok(Entry {
        name: raw.to_string(),
        is_dir: meta.is_dir(),
        size: if meta.is_dir() { 0 } else { meta.len() },
        modified_ms: modified_ms(&meta),
    })
}

/// Deletes the file at `raw`; false when there was none. Directories are
/// not deleted.
///
/// # Errors
/// As [`FilesError`] describes.
pub fn delete(config: &FilesConfig, raw: &str) -> Result<bool, FilesError> {
    config.check_writable()?;
    let path = check_path(raw, false)?;
    config.check_extension(&path)?;
    let root = config.open_root().map_err(|e| io_error(&path, &e))?;
    match root.symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_error(&path, &e)),
        Ok(meta) if meta.is_dir() => {
            return Err(FilesError::NotAllowed(format!(
                "{} is a directory; only files are deleted",
                path.display()
            )));
        }
        Ok(_) => {}
    }
    root.remove_file(&path).map_err(|e| io_error(&path, &e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn paths_that_could_leave_the_root_are_refused_before_any_file_is_touched() {
        for raw in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a\0b",
            "a\\..\\x",
            "%2e%2e/x",
            "..%2Fx",
            "%2E%2E%5Cx",
            "x%00.csv",
            "",
        ] {
            assert!(check_path(raw, false).is_err(), "{raw:?}");
        }
        assert_eq!(
            check_path("./a/b.csv", false).unwrap(),
            std::path::Path::new("a/b.csv")
        );
        assert!(check_path("", true).unwrap().as_os_str().is_empty());
    }
}
