"""Mail through an `smtp` connection (WIT `smtp`)."""

from __future__ import annotations

from typing import Iterable, Optional, Union

from componentize_py_types import Err
from wit_world.imports import smtp as wit

from .errors import host_error

_MESSAGES = {
    "access-denied": "access denied: {}",
    "no-such-connection": "no such connection: {}",
    "invalid-address": "invalid address: {}",
    "invalid-message": "invalid message: {}",
    "rejected": "the mail server rejected the message: {}",
    "timeout": "the mail server did not answer in time",
    "connect-failed": "the mail server is unreachable: {}",
}


def send(connection: str, to: Union[str, Iterable[str]], subject: str, *,
         text: Optional[str] = None, html: Optional[str] = None,
         cc: Iterable[str] = (), bcc: Iterable[str] = (),
         reply_to: Optional[str] = None) -> str:
    """Sends a message; the server's message id. An invalid address is a
    `HostError` with status 400, an unreachable server 503."""
    recipients = [to] if isinstance(to, str) else list(to)
    message = wit.Message(recipients, list(cc), list(bcc), reply_to, subject, text, html)
    try:
        return wit.send(connection, message)
    except Err as e:
        raise host_error(e.value, _MESSAGES, {"timeout", "connect-failed"},
                         frozenset({"invalid-address"})) from None
