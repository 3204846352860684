"""Sluice actions in Python.

An action is a function decorated with `@sluice.action` that takes a
`sluice.Request` and returns a `sluice.Response`; raising `sluice.NotFound`,
`sluice.InvalidInput` … answers with that status as a problem. The host's
capabilities are `sluice.sql`, `sluice.http`, `sluice.kv`, `sluice.smtp`,
`sluice.files`, `sluice.command`, `sluice.events` and `sluice.log`. Built into a component by
`componentize-py` against the `sluice:action` WIT world.
"""

from . import command, events, files, http, kv, log, smtp, sql
from ._action import Context, Request, Response, action
from .errors import (
    Conflict,
    Forbidden,
    HostError,
    Internal,
    InvalidInput,
    NotFound,
    SluiceError,
    Unavailable,
)

__all__ = [
    "Conflict",
    "Context",
    "Forbidden",
    "HostError",
    "Internal",
    "InvalidInput",
    "NotFound",
    "Request",
    "Response",
    "SluiceError",
    "Unavailable",
    "action",
    "command",
    "events",
    "files",
    "http",
    "kv",
    "log",
    "smtp",
    "sql",
]
