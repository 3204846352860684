"""Key-value stores through a `kv` connection (WIT `kv`)."""

from __future__ import annotations

from typing import Optional, Union

from componentize_py_types import Err
from wit_world.imports import kv as wit

from .errors import host_error

_MESSAGES = {
    "access-denied": "access denied: {}",
    "no-such-connection": "no such connection: {}",
    "invalid-key": "invalid key: {}",
    "value-too-large": "the value is larger than {} bytes",
    "not-an-integer": "not an integer: {}",
    "io": "the store failed: {}",
}


def _call(function, *args):  # type: ignore[no-untyped-def]
    try:
        return function(*args)
    except Err as e:
        raise host_error(e.value, _MESSAGES, {"io"}) from None


def get(connection: str, key: str) -> Optional[bytes]:
    """The value under `key`, or `None`."""
    return _call(wit.get, connection, key)


def set(connection: str, key: str, value: Union[bytes, str],  # noqa: A001
        ttl_seconds: Optional[int] = None) -> None:
    """Stores `value` under `key`, expiring after `ttl_seconds` (else the
    connection's default)."""
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    _call(wit.set, connection, key, data, ttl_seconds)


def delete(connection: str, key: str) -> bool:
    """Removes `key`; whether it existed."""
    return _call(wit.delete, connection, key)


def exists(connection: str, key: str) -> bool:
    """Whether `key` is set."""
    return _call(wit.exists, connection, key)


def increment(connection: str, key: str, delta: int = 1) -> int:
    """Adds `delta` to the integer under `key` (absent counts as 0); the sum."""
    return _call(wit.increment, connection, key, delta)
