"""SQL through a connection the action is granted (WIT `sql`): statements
with bound parameters only, rows as dicts."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Sequence

from componentize_py_types import Err
from wit_world.imports import sql as wit

from ._convert import from_wit, to_wit
from .errors import HostError, InvalidInput, host_error

_MESSAGES = {
    "access-denied": "access denied: {}",
    "no-such-connection": "no such connection: {}",
    "query-failed": "query failed: {}",
    "timeout": "the database did not answer in time",
    "too-many-rows": "the query returned more than {} rows",
    "too-many-connections": "more than {} open connections",
    "invalid-state": "invalid state: {}",
    "io": "database unreachable: {}",
}
_UNAVAILABLE = {"timeout", "io", "too-many-connections"}


def _failed(e: Err) -> HostError:
    error = host_error(e.value, _MESSAGES, _UNAVAILABLE)
    if isinstance(e.value, wit.Error_QueryFailed):
        error.sqlstate = e.value.value.sqlstate  # type: ignore[attr-defined]
    return error


def _params(params: Sequence[Any]) -> list[wit.Value]:
    try:
        return [to_wit(p) for p in params]
    except TypeError as e:
        raise InvalidInput(str(e)) from None


@dataclass(frozen=True)
class ExecResult:
    """What a statement changed."""

    #: Rows inserted, updated or deleted.
    rows_affected: int
    #: The id of the last inserted row, where the database reports one.
    last_insert_id: Optional[int]


class Connection:
    """An open connection (one per name per invocation)."""

    def __init__(self, inner: wit.Connection) -> None:
        self._inner = inner

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a `SELECT` as dicts of column name → value (`None`, `bool`,
        `int`, `float`, `str`, `bytes`). Raises `HostError`."""
        try:
            rows = self._inner.query(statement, _params(params))
        except Err as e:
            raise _failed(e) from None
        return [dict(zip(rows.columns, map(from_wit, row))) for row in rows.rows]

    def query_one(self, statement: str, params: Sequence[Any] = ()) -> Optional[dict[str, Any]]:
        """The first row, or `None`."""
        rows = self.query(statement, params)
        return rows[0] if rows else None

    def execute(self, statement: str, params: Sequence[Any] = ()) -> ExecResult:
        """Runs an `INSERT`, `UPDATE`, `DELETE` or DDL. Raises `HostError`."""
        try:
            done = self._inner.execute(statement, _params(params))
        except Err as e:
            raise _failed(e) from None
        return ExecResult(done.rows_affected, done.last_insert_id)

    @contextmanager
    def transaction(self) -> Iterator["Connection"]:
        """`with db.transaction():` commits when the block ends and rolls
        back when it raises."""
        self._call(self._inner.begin)
        try:
            yield self
        except BaseException:
            self._call(self._inner.rollback)
            raise
        self._call(self._inner.commit)

    @staticmethod
    def _call(method: Any) -> None:
        try:
            method()
        except Err as e:
            raise _failed(e) from None


def open(name: str) -> Connection:  # noqa: A001 — the SDK's name for it
    """Opens the `sql` connection `name`. Raises `HostError` (`access-denied`
    when the action is not granted it)."""
    try:
        return Connection(wit.Connection.open(name))
    except Err as e:
        raise _failed(e) from None
