"""Reading an ECI answer without trusting it: its size, encoding, shape and every string in it.

``read_body`` streams the body and stops at ``limit`` bytes (after decompression: a small gzip
body cannot inflate past it either). ``interpret`` turns status and body into the answer's JSON
object or the ``EciError`` it stands for; ``validated`` checks that object against a response
model. Whatever does not look like ECI — not JSON, not an object, a 2xx carrying ``Code``, an error
status without a code (other than 5xx and 429), a shape the model refuses, a body over the limit —
is one ``InvalidResponseError``, whose message names the action and the problem and quotes at most
a short, scrubbed excerpt. Codes, request IDs and messages are scrubbed (``redact.Scrubber``) before
any of them is kept.
"""

from __future__ import annotations

import email.utils
import json
import zlib
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from eci_operator.eci import signing
from eci_operator.eci.errors import (
    OTHER_CODE,
    InvalidResponseError,
    ResponseTooLargeError,
    ServerError,
    ThrottledError,
    error_for,
)
from eci_operator.eci.redact import Scrubber

MESSAGE_LIMIT = 500  # characters of the service's message kept in an error
EXCERPT_LIMIT = 120  # characters of a body that is not ECI's quoted in an error

Model = TypeVar("Model", bound=BaseModel)


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size} bytes"


def _decoder(response: httpx.Response, action: str) -> Any:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise InvalidResponseError(
        f"{action}: the answer uses an encoding this client did not ask for",
        action=action,
        http_status=response.status_code,
    )


async def read_body(response: httpx.Response, *, limit: int, action: str) -> bytes:
    """The (decoded) body of a streamed ``response``; ``ResponseTooLargeError`` past ``limit`` bytes."""

    def too_large(what: str) -> ResponseTooLargeError:
        body.clear()  # the traceback keeps this frame alive; it need not keep the bytes
        return ResponseTooLargeError(
            f"{action}: the answer is larger than the {_mib(limit)} this client accepts ({what})",
            action=action,
            http_status=response.status_code,
        )

    body = bytearray()
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(f"Content-Length {_mib(int(declared))}")
    try:
        in_memory = response.content  # an answer made in memory (httpx.MockTransport)
    except httpx.ResponseNotRead:
        pass
    else:
        if len(in_memory) > limit:
            raise too_large("in memory")
        return in_memory
    decoder = _decoder(response, action)
    try:
        async for chunk in response.aiter_raw():
            if decoder is None:
                body += chunk
            else:
                body += decoder.decompress(chunk, limit - len(body) + 1)
                if decoder.unconsumed_tail:
                    raise too_large("after decompression")
            if len(body) > limit:
                raise too_large("read so far")
        if decoder is not None:
            body += decoder.flush()
    except zlib.error:
        corrupt = f"{action}: the answer's compressed body is corrupt"
        raise InvalidResponseError(corrupt, action=action, http_status=response.status_code) from None
    if len(body) > limit:
        raise too_large("after decompression")
    return bytes(body)


def _json(body: bytes) -> tuple[Any, str]:
    """The parsed body and, when it is not JSON, why."""
    if not body.strip():
        return None, "an empty body"
    try:
        return json.loads(body), ""
    except (ValueError, RecursionError):  # ValueError covers JSONDecodeError and UnicodeDecodeError
        return None, "not JSON"


def _kind(data: Any) -> str:
    kinds = {dict: "a JSON object", list: "a JSON array", str: "a JSON string", bool: "a JSON boolean"}
    return kinds.get(type(data), "JSON null" if data is None else "a JSON number")


def _excerpt(body: bytes, scrubber: Scrubber) -> str:
    text = body[: EXCERPT_LIMIT * 8].decode("utf-8", "replace")
    return scrubber.clean(text, EXCERPT_LIMIT)


def _not_json(why: str, body: bytes, scrubber: Scrubber) -> str:
    return f"{why}: {_excerpt(body, scrubber)!r}" if body.strip() else why


def _clock_skew_hint(response: httpx.Response) -> str:
    """Why a signed timestamp is refused: this host's clock, and the service's when it told us."""
    local = signing.format_timestamp()
    hint = f" (this host's clock says {local}"
    try:
        server = email.utils.parsedate_to_datetime(response.headers.get("date", ""))
        skew = datetime.strptime(local, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - server
        hint += f", the service's {server.strftime('%Y-%m-%dT%H:%M:%SZ')}: {skew.total_seconds():+.0f}s off"
    except (TypeError, ValueError, OverflowError):
        pass
    return hint + "; ECI refuses requests more than 15 minutes off: synchronise the clock, e.g. with NTP)"


def request_id(response: httpx.Response, data: Any, scrubber: Scrubber) -> str | None:
    """The answer's request ID, if it is a plausible one free of secrets."""
    from_body = data.get("RequestId") if isinstance(data, dict) else None
    return scrubber.clean_identifier(from_body) or scrubber.clean_identifier(
        response.headers.get("x-acs-request-id")
    )


def interpret(action: str, response: httpx.Response, body: bytes, scrubber: Scrubber) -> dict[str, Any]:
    """The JSON object of a successful answer; otherwise raises the ``EciError`` it stands for."""
    status = response.status_code
    data, not_json = _json(body)
    rid = request_id(response, data, scrubber)
    code = data.get("Code") if isinstance(data, dict) else None
    if isinstance(code, int | float) and not isinstance(code, bool):
        code = str(code)
    has_code = isinstance(code, str) and bool(code)

    if 200 <= status < 300:
        if isinstance(data, dict) and not has_code:
            return data
        if isinstance(data, dict):
            problem = f"a {status} answer carrying error code {scrubber.clean_identifier(code, OTHER_CODE)}"
        elif not_json:
            problem = f"the answer is {_not_json(not_json, body, scrubber)}"
        else:
            problem = f"the answer is {_kind(data)}, not an object"
        raise InvalidResponseError(f"{action}: {problem}", action=action, http_status=status, request_id=rid)

    if isinstance(data, dict) and has_code:
        assert isinstance(code, str)
        message = data.get("Message")
        text = scrubber.clean(message if isinstance(message, str) else "", MESSAGE_LIMIT)
        if code == "InvalidTimeStamp.Expired":
            text += _clock_skew_hint(response)
        cls = error_for(code, status)
        raise cls(
            scrubber.clean_identifier(code, OTHER_CODE) or OTHER_CODE,
            text,
            request_id=rid,
            http_status=status,
            action=action,
        )

    detail = _not_json(not_json, body, scrubber) if not_json else f"{_kind(data)} without a Code"
    what = f"HTTP {status}: {detail}"
    if status >= 500:
        raise ServerError("", what, request_id=rid, http_status=status, action=action)
    if status == 429:
        raise ThrottledError("", what, request_id=rid, http_status=status, action=action)
    raise InvalidResponseError(
        f"{action}: an error answer without an ECI error code ({what})",
        action=action,
        http_status=status,
        request_id=rid,
    )


def _location(loc: tuple[int | str, ...], scrubber: Scrubber) -> str:
    parts = [str(p) if isinstance(p, int) else (scrubber.clean_identifier(p) or "?") for p in loc]
    return ".".join(parts) or "(top level)"


def validated(action: str, data: dict[str, Any], model: type[Model], scrubber: Scrubber) -> Model:
    """``data`` as ``model``, or ``InvalidResponseError`` naming what does not fit (never its value)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = exc.errors(include_input=False, include_url=False, include_context=False)
        shown = "; ".join(
            f"{_location(tuple(p['loc']), scrubber)}: {scrubber.clean(str(p['msg']), 120)}"
            for p in problems[:3]
        )
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    rid = scrubber.clean_identifier(data.get("RequestId"))
    # Raised outside the except block: the ValidationError, which quotes the values, is not chained.
    raise InvalidResponseError(
        f"{action}: the answer does not have the expected shape: {shown}{more}",
        action=action,
        request_id=rid,
    )
