"""Outbound HTTP through an `http` connection (WIT `http`): the path is
resolved against the connection's base URL and cannot leave it."""

from __future__ import annotations

import json as _json
from typing import Any, Iterable, Optional, Union

from componentize_py_types import Err
from wit_world.imports import http as wit

from .errors import HostError, host_error

_MESSAGES = {
    "access-denied": "access denied: {}",
    "no-such-connection": "no such connection: {}",
    "timeout": "the upstream did not answer in time",
    "response-too-large": "the upstream's answer is larger than {} bytes",
    "connect-failed": "the upstream is unreachable: {}",
    "invalid-request": "invalid request: {}",
}
_UNAVAILABLE = {"timeout", "connect-failed", "response-too-large"}


class HttpResponse:
    """An upstream's answer."""

    def __init__(self, inner: wit.Response) -> None:
        #: The upstream's status.
        self.status: int = inner.status
        #: Headers with lower-case names.
        self.headers: list[tuple[str, str]] = list(inner.headers)
        #: The body.
        self.body: bytes = bytes(inner.body)

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    def header(self, name: str) -> Optional[str]:
        """The first value of header `name` (case-insensitive), or `None`."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def text(self) -> str:
        """The body as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (`ValueError` when it is not)."""
        return _json.loads(self.body)


def request(connection: str, method: str, path: str, *,
            query: Optional[Iterable[tuple[str, str]]] = None,
            headers: Optional[Iterable[tuple[str, str]]] = None,
            body: Union[bytes, str, None] = None, json: Any = None) -> HttpResponse:
    """Sends `method path` through `connection`; `json=` sends a JSON body
    with its content type. Raises `HostError`; an upstream's 4xx or 5xx is
    an answer, not an error."""
    headers = list(headers or [])
    if json is not None:
        body = _json.dumps(json).encode("utf-8")
        headers.append(("content-type", "application/json"))
    if isinstance(body, str):
        body = body.encode("utf-8")
    outgoing = wit.Request(method.upper(), path, list(query or []), headers, body or b"")
    try:
        return HttpResponse(wit.send(connection, outgoing))
    except Err as e:
        raise host_error(e.value, _MESSAGES, _UNAVAILABLE) from None


def get(connection: str, path: str, **kwargs: Any) -> HttpResponse:
    """`GET` through `connection`."""
    return request(connection, "GET", path, **kwargs)


def post(connection: str, path: str, **kwargs: Any) -> HttpResponse:
    """`POST` through `connection`."""
    return request(connection, "POST", path, **kwargs)


def put(connection: str, path: str, **kwargs: Any) -> HttpResponse:
    """`PUT` through `connection`."""
    return request(connection, "PUT", path, **kwargs)


def patch(connection: str, path: str, **kwargs: Any) -> HttpResponse:
    """`PATCH` through `connection`."""
    return request(connection, "PATCH", path, **kwargs)


def delete(connection: str, path: str, **kwargs: Any) -> HttpResponse:
    """`DELETE` through `connection`."""
    return request(connection, "DELETE", path, **kwargs)


__all__ = ["HttpResponse", "HostError", "request", "get", "post", "put", "patch", "delete"]
