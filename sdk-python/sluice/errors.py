"""Errors an action raises; each becomes a WIT `action-error` case, which the
host answers as an RFC 9457 problem with the status given here."""

from __future__ import annotations


class SluiceError(Exception):
    """Base of the errors that map to a status. `message` is shown to the
    caller as the problem's `detail`."""

    #: HTTP status of the problem the host answers with.
    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(SluiceError):
    """The input is invalid (400); the message says what is wrong."""

    status = 400


class Forbidden(SluiceError):
    """The caller may not do this (403)."""

    status = 403


class NotFound(SluiceError):
    """The addressed resource does not exist (404)."""

    status = 404


class Conflict(SluiceError):
    """The request conflicts with the current state (409)."""

    status = 409


class Unavailable(SluiceError):
    """A backend the action depends on is unavailable (503)."""

    status = 503


class Internal(SluiceError):
    """Anything else (500); the message is logged and shown to the caller."""

    status = 500


class HostError(SluiceError):
    """A host call (`sql`, `http`, `kv`, `smtp`, `events`) failed. `kind` is
    the WIT error case (`timeout`, `query-failed` …); `status` is 503 when
    the backend is unreachable or slow, 400 for input the caller gave
    (an invalid address, an event payload that fails its schema), else 500.
    Catch it to answer otherwise."""

    def __init__(self, kind: str, message: str, status: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


def host_error(error: object, messages: dict[str, str], unavailable: set[str],
               invalid: frozenset[str] = frozenset()) -> HostError:
    """A `HostError` for the generated WIT error case `error` (a dataclass
    named `Error_<Case>` or `DispatchError_<Case>`)."""
    case = type(error).__name__.split("_", 1)[-1]
    kind = "".join("-" + c.lower() if c.isupper() else c for c in case).lstrip("-")
    value = getattr(error, "value", None)
    detail = getattr(value, "message", value)
    template = messages.get(kind, kind.replace("-", " ") + ": {}")
    message = template.format(detail) if "{}" in template else template
    if kind in unavailable:
        status = 503
    elif kind in invalid:
        status = 400
    else:
        status = 500
    return HostError(kind, message, status)
