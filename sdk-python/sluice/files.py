"""Files under a `files` connection's root (WIT `files`), with CSV and
JSON helpers. Paths are relative to the root; the host refuses anything
that would leave it (`..`, absolute paths, symlinks out, FIFOs, devices)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Optional, Union

from componentize_py_types import Err
from wit_world.imports import files as wit

from .errors import host_error

_MESSAGES = {
    "access-denied": "access denied: {}",
    "no-such-connection": "no such connection: {}",
    "invalid-path": "invalid path: {}",
    "not-found": "not found: {}",
    "read-only": "read-only: {}",
    "too-large": "the file is larger than {} bytes",
    "not-allowed": "not allowed: {}",
    "io": "the file system failed: {}",
}

# A missing file is a 404 and a refused path or write a 403, as the same
# refusal would be in Rust.
_STATUS = {"not-found": 404, "not-allowed": 403, "read-only": 403}


@dataclass(frozen=True)
class Entry:
    """A directory entry, or what `stat` found."""

    name: str
    is_dir: bool
    #: Bytes (0 for a directory).
    size: int
    #: Last modification, Unix ms, when recorded.
    modified_ms: Optional[int]


def _call(function, *args):  # type: ignore[no-untyped-def]
    try:
        return function(*args)
    except Err as e:
        error = host_error(e.value, _MESSAGES, {"io"}, frozenset({"invalid-path", "too-large"}))
        error.status = _STATUS.get(error.kind, error.status)
        raise error from None


def _entry(e: Any) -> Entry:
    return Entry(e.name, e.is_dir, e.size, e.modified_ms)


def read(connection: str, path: str) -> bytes:
    """The bytes of the file at `path`."""
    return _call(wit.read, connection, path)


def read_text(connection: str, path: str) -> str:
    """The file at `path` as UTF-8 text."""
    return read(connection, path).decode("utf-8")


def read_json(connection: str, path: str) -> Any:
    """The JSON file at `path`, parsed."""
    return json.loads(read(connection, path))


def read_csv(connection: str, path: str) -> list[dict[str, str]]:
    """The CSV file at `path` as one dict per row, keyed by the header row."""
    return list(csv.DictReader(io.StringIO(read_text(connection, path), newline="")))


def write(connection: str, path: str, contents: Union[bytes, str]) -> None:
    """Replaces or creates the file at `path`, atomically (the connection
    must be writable)."""
    data = contents.encode("utf-8") if isinstance(contents, str) else bytes(contents)
    _call(wit.write, connection, path, data)


def write_json(connection: str, path: str, value: Any) -> None:
    """Writes `value` as JSON to the file at `path`."""
    write(connection, path, json.dumps(value, indent=2))


def list_dir(connection: str, path: str = "") -> list[Entry]:
    """The directories and allowed files in the directory at `path` ("" is
    the root), by name."""
    return [_entry(e) for e in _call(wit.list, connection, path)]


def stat(connection: str, path: str) -> Entry:
    """What is at `path`."""
    return _entry(_call(wit.stat, connection, path))


def delete(connection: str, path: str) -> bool:
    """Deletes the file at `path`; whether there was one."""
    return _call(wit.delete, connection, path)
