"""Programs behind a `command` connection (WIT `command`): the admin fixed
the program and its argument template; the action fills named slots, each
passed as one literal argument (no shell)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union

from componentize_py_types import Err
from wit_world.imports import command as wit

from .errors import HostError, host_error

_MESSAGES = {
    "access-denied": "access denied: {}",
    "no-such-connection": "no such connection: {}",
    "invalid-argument": "invalid argument: {}",
    "timeout": "the program ran too long and was stopped",
    "output-too-large": "the program wrote more than {} bytes",
    "spawn-failed": "the program could not start: {}",
    "io": "the program failed: {}",
}


@dataclass(frozen=True)
class Output:
    """What the program left."""

    #: Exit status; `None` when a signal ended it.
    status: Optional[int]
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        """Whether it exited with status 0."""
        return self.status == 0

    def text(self) -> str:
        """stdout as text."""
        return self.stdout.decode("utf-8", "replace")

    def json(self) -> Any:
        """stdout parsed as JSON; a 503 `HostError` when the program failed."""
        if not self.ok:
            message = self.stderr.decode("utf-8", "replace").strip()
            raise HostError("io", f"the program exited with {self.status}: {message}", 503)
        return json.loads(self.stdout)


def run(connection: str, slots: Mapping[str, str] | None = None,
        stdin: Union[bytes, str] = b"") -> Output:
    """Runs the program of `connection` with its template's `slots` filled."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else bytes(stdin)
    pairs = [(k, v) for k, v in (slots or {}).items()]
    try:
        out = wit.run(connection, pairs, data)
    except Err as e:
        raise host_error(e.value, _MESSAGES, {"timeout", "spawn-failed", "io"},
                         frozenset({"invalid-argument"})) from None
    return Output(out.status, out.stdout, out.stderr)
