"""Structured logging into the host's log, tagged with the request id
(WIT `log`). `print` goes there too, at info level."""

from __future__ import annotations

from wit_world.imports import log as wit


def trace(message: str) -> None:
    """Logs at trace level."""
    wit.write(wit.Level.TRACE, message)


def debug(message: str) -> None:
    """Logs at debug level."""
    wit.write(wit.Level.DEBUG, message)


def info(message: str) -> None:
    """Logs at info level."""
    wit.write(wit.Level.INFO, message)


def warn(message: str) -> None:
    """Logs at warn level."""
    wit.write(wit.Level.WARN, message)


def error(message: str) -> None:
    """Logs at error level."""
    wit.write(wit.Level.ERROR, message)
