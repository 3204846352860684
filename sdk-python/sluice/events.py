"""Dispatching events defined by an admin (WIT `events`); an event is
delivered only if the invocation succeeds."""

from __future__ import annotations

import json
from typing import Any

from componentize_py_types import Err
from wit_world.imports import events as wit

from .errors import host_error

_MESSAGES = {
    "no-such-event": "no such event: {}",
    "invalid-payload": "{}",
    "too-many": "{}",
}


def dispatch(name: str, payload: Any) -> None:
    """Dispatches event `name` with `payload` serialized as JSON. A payload
    that fails the event's schema is a `HostError` with status 400."""
    data = json.dumps(payload).encode("utf-8")
    try:
        wit.dispatch(name, data)
    except Err as e:
        raise host_error(e.value, _MESSAGES, set(), frozenset({"invalid-payload"})) from None
