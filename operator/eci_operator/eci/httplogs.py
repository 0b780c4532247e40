"""What httpx and httpcore log about our requests, stripped of secrets and of what the server says.

- httpx logs every request at INFO: the URL (our query string carries the signature, env values
  and registry passwords) and the status line, whose reason phrase the server chooses. The query
  is replaced by ``redacted`` and the reason phrase by the standard one for the status.
- httpcore's DEBUG trace prints the response headers and the text of protocol errors, both of
  which can quote anything the server sent, an echoed secret included. Those two events keep
  their name (and the error's type); their details are dropped.

``install()`` adds the filters once; the transport calls it on import.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

import httpx

_HTTPCORE_LOGGERS = (
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_EXCEPTION = re.compile(r"exception=([A-Za-z_][A-Za-z0-9_.]*)")


def _standard_phrase(status: object) -> str:
    try:
        return HTTPStatus(int(status)).phrase  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""


class HttpxRecords(logging.Filter):
    """Query strings hidden, reason phrases standardised."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not any(isinstance(a, httpx.URL) for a in args):
            return True
        hidden = [a.copy_with(query=b"redacted") if isinstance(a, httpx.URL) and a.query else a for a in args]
        if isinstance(record.msg, str) and record.msg.startswith("HTTP Request:") and len(hidden) == 5:
            hidden[4] = _standard_phrase(hidden[3])
        record.args = tuple(hidden)
        return True


class HttpcoreRecords(logging.Filter):
    """Response headers and protocol-error texts dropped from httpcore's trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        event, _, details = message.partition(" ")
        if not details:
            return True
        if event.endswith("receive_response_headers.complete"):
            record.msg, record.args = f"{event} (headers not logged)", ()
        elif event.endswith(".failed"):
            kind = _EXCEPTION.search(details)
            record.msg, record.args = f"{event} exception={kind.group(1) if kind else '?'}", ()
        return True


_installed = False


def install() -> None:
    """Add the filters to httpx's and httpcore's loggers (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    logging.getLogger("httpx").addFilter(HttpxRecords())
    for name in _HTTPCORE_LOGGERS:
        logging.getLogger(name).addFilter(HttpcoreRecords())
