"""The request an action receives, the response it returns, and the
`@action` decorator that exports it as the WIT `handler` interface."""

from __future__ import annotations

import json as _json
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Union

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import log as wit_log
from wit_world.imports import types as wit

from .errors import Internal, InvalidInput, SluiceError

_KINDS = {
    wit.InvocationKind.HTTP: "http",
    wit.InvocationKind.CRON: "cron",
    wit.InvocationKind.EVENT: "event",
    wit.InvocationKind.EXECUTE: "execute",
}


@dataclass(frozen=True)
class Context:
    """Who and what invoked the action (WIT `context`)."""

    #: `http`, `cron`, `event` or `execute`.
    kind: str
    #: The operation, cronjob or trigger that invoked it ("" for execute).
    operation: str
    #: The request id, also in every host log line of this invocation.
    request_id: str
    #: The action's config (set by an admin), parsed: a dict, `{}` when unset.
    config: dict[str, Any]
    #: The app whose token made the request, if any.
    app: Optional[str]
    #: The user the token acts for, if any.
    user: Optional[str]
    #: The token's scopes, sorted; empty without a token.
    scopes: list[str] = field(default_factory=list)

    def has_scope(self, scope: str) -> bool:
        """Whether the caller's token holds `scope`."""
        return scope in self.scopes


class Request:
    """One invocation's request (WIT `request`)."""

    def __init__(self, inner: wit.Request) -> None:
        #: HTTP method in upper case, e.g. `GET`.
        self.method: str = inner.method
        #: The path without the query string, e.g. `/hello/ada`.
        self.path: str = inner.path
        #: Path parameters from the operation's `:name` segments.
        self.params: dict[str, str] = dict(inner.params)
        #: Query pairs in order; a key may repeat.
        self.query_pairs: list[tuple[str, str]] = list(inner.query)
        #: Headers with lower-case names; a name may repeat.
        self.headers: list[tuple[str, str]] = list(inner.headers)
        #: The raw body.
        self.body: bytes = bytes(inner.body)
        ctx = inner.context
        try:
            config = _json.loads(ctx.config) if ctx.config else {}
        except ValueError:
            config = {}
        #: Who and what invoked the action.
        self.context = Context(
            kind=_KINDS.get(ctx.kind, "http"),
            operation=ctx.operation,
            request_id=ctx.request_id,
            config=config,
            app=ctx.app,
            user=ctx.user,
            scopes=list(ctx.scopes),
        )

    def param(self, name: str) -> Optional[str]:
        """The path parameter `name`, or `None`."""
        return self.params.get(name)

    def query(self, name: str) -> Optional[str]:
        """The first query value for `name`, or `None`."""
        return next((v for k, v in self.query_pairs if k == name), None)

    def query_all(self, name: str) -> list[str]:
        """Every query value for `name`, in order."""
        return [v for k, v in self.query_pairs if k == name]

    def header(self, name: str) -> Optional[str]:
        """The first value of header `name` (case-insensitive), or `None`."""
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    @property
    def client_ip(self) -> Optional[str]:
        """The client's address as the host resolved it (`sluice-client-ip`)."""
        return self.header("sluice-client-ip")

    def text(self) -> str:
        """The body as UTF-8 text; `InvalidInput` (400) when it is not."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidInput(f"the body is not UTF-8: {e}") from None

    def json(self) -> Any:
        """The body parsed as JSON; `InvalidInput` (400) when it is not JSON."""
        try:
            return _json.loads(self.body)
        except ValueError as e:
            raise InvalidInput(f"the body is not valid JSON: {e}") from None


class Response:
    """The response an action returns (WIT `response`)."""

    def __init__(self, status: int = 200, headers: Optional[Iterable[tuple[str, str]]] = None,
                 body: Union[bytes, str] = b"") -> None:
        #: HTTP status, 100–599.
        self.status = status
        #: Headers; hop-by-hop ones are dropped by the host.
        self.headers: list[tuple[str, str]] = list(headers or [])
        #: The body.
        self.body: bytes = body.encode("utf-8") if isinstance(body, str) else bytes(body)

    @classmethod
    def json(cls, value: Any, status: int = 200) -> "Response":
        """`value` as JSON with `content-type: application/json`."""
        body = _json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return cls(status, [("content-type", "application/json")], body)

    @classmethod
    def text(cls, text: str, status: int = 200) -> "Response":
        """Plain text with `content-type: text/plain; charset=utf-8`."""
        return cls(status, [("content-type", "text/plain; charset=utf-8")], text)

    @classmethod
    def bytes(cls, content_type: str, body: bytes, status: int = 200) -> "Response":
        """Raw bytes of `content_type`."""
        return cls(status, [("content-type", content_type)], body)

    @classmethod
    def no_content(cls) -> "Response":
        """204 with no body."""
        return cls(204)

    def with_header(self, name: str, value: str) -> "Response":
        """Adds a header and returns the response."""
        self.headers.append((name, value))
        return self

    def _to_wit(self) -> wit.Response:
        return wit.Response(self.status, self.headers, self.body)


def _action_error(error: SluiceError) -> Any:
    by_status = {
        400: wit.ActionError_InvalidInput,
        403: wit.ActionError_Forbidden,
        404: wit.ActionError_NotFound,
        409: wit.ActionError_Conflict,
        503: wit.ActionError_Unavailable,
    }
    return by_status.get(error.status, wit.ActionError_Internal)(error.message)


def _invoke(handle: Callable[[Request], Response], request: wit.Request) -> wit.Response:
    try:
        response = handle(Request(request))
        if not isinstance(response, Response):
            raise Internal(
                f"the action returned {type(response).__name__}, not a sluice.Response"
            )
        return response._to_wit()
    except SluiceError as error:
        raise Err(_action_error(error)) from None
    except Exception as error:  # noqa: BLE001 — every failure must become a 500
        # The traceback is for the operator's log, never for the caller.
        wit_log.write(wit_log.Level.ERROR, traceback.format_exc())
        message = str(error) or type(error).__name__
        raise Err(wit.ActionError_Internal(message)) from None


def action(target: Any) -> Any:
    """Makes `target` the action: a function taking a `Request` and
    returning a `Response`, or a class whose instances have such a
    `handle` method (one instance per invocation). Exported as the WIT
    `handler` interface of the module that defines it, which is the module
    `componentize-py` is pointed at."""
    if isinstance(target, type):
        def handle(request: Request) -> Response:
            return target().handle(request)
    else:
        handle = target

    class Handler(exports.Handler):
        def handle(self, request: wit.Request) -> wit.Response:
            return _invoke(handle, request)

    module = sys.modules[target.__module__]
    if getattr(module, "Handler", None) is not None:
        raise RuntimeError(f"module {target.__module__} already has an action")
    setattr(module, "Handler", Handler)
    return target
