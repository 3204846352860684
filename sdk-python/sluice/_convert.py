"""Python values to and from the WIT `sql.value` variant."""

from __future__ import annotations

from typing import Any

from wit_world.imports import sql as wit


def to_wit(value: Any) -> wit.Value:
    """`None`, `bool`, `int`, `float`, `str`, `bytes` → a WIT value."""
    # bool before int: True is an int in Python.
    if value is None:
        return wit.Value_Null()
    if isinstance(value, bool):
        return wit.Value_Boolean(value)
    if isinstance(value, int):
        return wit.Value_Integer(value)
    if isinstance(value, float):
        return wit.Value_Real(value)
    if isinstance(value, str):
        return wit.Value_Text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return wit.Value_Blob(bytes(value))
    raise TypeError(
        f"a SQL parameter must be None, bool, int, float, str or bytes, not {type(value).__name__}"
    )


def from_wit(value: wit.Value) -> Any:
    """A WIT value → `None`, `bool`, `int`, `float`, `str` or `bytes`."""
    if isinstance(value, wit.Value_Null):
        return None
    return value.value
