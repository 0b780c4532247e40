"""A scriptable HTTP proxy on loopback that makes an ECI endpoint lag, fail, hang or lie.

``HostileProxy(upstream)`` listens on ``127.0.0.1`` in a thread with its own event loop, so it can
serve a client in the test's own loop and an operator running as a separate process alike. It
forwards every request to ``upstream`` (the emulator) untouched — the ``Host`` header included, so
signatures still verify — unless a rule says otherwise. Rules are set from the test at run time;
the first rule whose actions match a request decides (``None`` actions match every request; a
rule given ``when``, a predicate on the request's parameters, matches only where it holds), and a
rule given ``times=n`` applies to the next n matching requests only:

- ``fail(status, code)`` / ``answer(status, body, headers)``: answer with an ECI error, or with
  any status, body (bytes, str or JSON-able) and headers;
- ``black_hole()``: read the request and never answer;
- ``drip(interval, size)``: forward, then send the answer ``size`` bytes every ``interval`` s;
- ``huge(mib, declare_length)``: a valid, empty Describe answer padded to ``mib`` MiB;
- ``not_json()``, ``json_array()``, ``ok_with_code()``: answers that are not ECI's;
- ``echo(shape)``: an error that quotes every request parameter, in the spellings an echo can
  take (raw, percent-encoded once and twice, form-encoded, JSON- and XML-escaped), each wrapped in
  ``ECHO_OPEN``/``ECHO_CLOSE`` when the parameter is a secret one (``eci.redact.is_secret_param``)
  and in ``PLAIN_OPEN``/``PLAIN_CLOSE`` otherwise, so a test can tell what must be masked.
  ``shape`` is ``json`` (the Message), ``text`` (a non-JSON body padded with ``pad`` more
  characters), ``header`` (the first secret parameter's value as the ``x-acs-request-id``, and
  wrapped in ``HEADER_OPEN``/``HEADER_CLOSE`` as the reason phrase) or ``ok`` (a 200 carrying
  ``Code``);
- ``lag_describe(seconds)``: hide each instance from every DescribeContainerGroups answer (by ID
  or by tag filter) until ``seconds`` after the CreateContainerGroup that made it was answered.

``clear()`` removes every rule and the lag. Every request is counted: ``count``, ``per_second``
and ``busiest_minute`` give the numbers tests report as request rates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape as xml_escape
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

import httpx
from aiohttp import web

from eci_operator.eci.redact import is_secret_param

ECHO_OPEN = "\u27e6"  # ⟦
ECHO_CLOSE = "\u27e7"  # ⟧
PLAIN_OPEN = "\u2039"  # ‹
PLAIN_CLOSE = "\u203a"  # ›
HEADER_OPEN, HEADER_CLOSE = "[[", "]]"  # header values are ASCII
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te"}


@dataclass
class Rule:
    kind: str
    actions: frozenset[str] | None = None
    times: int | None = None
    status: int = 503
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    interval: float = 0.0
    size: int = 1
    mib: float = 0.0
    declare_length: bool = True
    shape: str = "json"
    pad: int = 0
    reason: str | None = None
    when: Callable[[dict[str, str]], bool] | None = None

    def matches(self, action: str, params: dict[str, str]) -> bool:
        return (
            (self.actions is None or action in self.actions)
            and (self.times is None or self.times > 0)
            and (self.when is None or self.when(params))
        )


@dataclass(frozen=True)
class Hit:
    at: float  # time.monotonic()
    action: str
    rule: str  # the rule's kind, or "forward"
    params: dict[str, str] = field(repr=False, default_factory=dict)


def echo_forms(value: str) -> list[str]:
    """The spellings of ``value`` an echo uses (see the module docstring)."""
    once = quote(value, safe="~")
    return [
        value,
        once,
        quote(once, safe="~"),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        xml_escape(value, quote=True),
    ]


def echo_text(params: dict[str, str]) -> str:
    """Every parameter and its value in every echo spelling, each wrapped in the echo markers."""
    parts = []
    for name, value in params.items():
        start, end = (ECHO_OPEN, ECHO_CLOSE) if is_secret_param(name) else (PLAIN_OPEN, PLAIN_CLOSE)
        parts.append(f"{name}=" + ",".join(f"{start}{form}{end}" for form in echo_forms(value)))
    return " ".join(parts)


def _action(request: web.Request, params: dict[str, str]) -> str:
    return params.get("Action") or request.headers.get("x-acs-action", "") or "?"


def _encode(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, ensure_ascii=False).encode()


class HostileProxy:
    """See the module docstring. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.port = 0
        self.hits: list[Hit] = []
        self._rules: list[Rule] = []
        self._lag = 0.0
        self._created: dict[str, float] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._http: httpx.AsyncClient | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> HostileProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="hostile-proxy", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        self._http = httpx.AsyncClient(timeout=60, trust_env=False)
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        assert self._stopping is not None and self._runner is not None and self._http is not None
        self._stopping.set()
        await self._runner.cleanup()
        await self._http.aclose()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    # -- rules ------------------------------------------------------------------------------------

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Forward everything again, with no lag (requests already hanging stay hung)."""
        with self._lock:
            self._rules.clear()
            self._lag = 0.0

    def _rule(
        self,
        kind: str,
        *,
        actions: Iterable[str] | None = None,
        times: int | None = None,
        when: Callable[[dict[str, str]], bool] | None = None,
        **fields: Any,
    ) -> Rule:
        chosen = None if actions is None else frozenset(actions)
        return self.add(Rule(kind, chosen, times, when=when, **fields))

    # Every rule below also takes ``actions``, ``times`` and ``when`` (see the module docstring).

    def answer(
        self,
        status: int,
        body: Any = b"",
        headers: dict[str, str] | None = None,
        *,
        reason: str | None = None,
        **match: Any,
    ) -> Rule:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return self._rule(
            "answer", status=status, body=_encode(body), headers=all_headers, reason=reason, **match
        )

    def fail(
        self,
        status: int = 503,
        code: str = "ServiceUnavailable",
        message: str = "The request has failed due to a temporary failure of the server.",
        **match: Any,
    ) -> Rule:
        return self.answer(status, {"RequestId": "hostile-proxy", "Code": code, "Message": message}, **match)

    def black_hole(self, **match: Any) -> Rule:
        return self._rule("black_hole", **match)

    def drip(self, interval: float, size: int = 1, **match: Any) -> Rule:
        return self._rule("drip", interval=interval, size=size, **match)

    def huge(self, mib: float, *, declare_length: bool = True, **match: Any) -> Rule:
        return self._rule("huge", mib=mib, declare_length=declare_length, **match)

    def not_json(self, status: int = 200, **match: Any) -> Rule:
        page = b"<html><body>Service temporarily moved</body></html>"
        return self.answer(status, page, {"Content-Type": "text/html"}, **match)

    def json_array(self, status: int = 200, **match: Any) -> Rule:
        return self.answer(status, [{"RequestId": "r"}], **match)

    def ok_with_code(self, code: str = "InvalidParameter", **match: Any) -> Rule:
        return self.answer(
            200, {"RequestId": "r", "Code": code, "Message": "but the status says 200"}, **match
        )

    def echo(
        self,
        shape: str = "json",
        status: int = 400,
        *,
        code: str = "InvalidParameter",
        pad: int = 0,
        **match: Any,
    ) -> Rule:
        if shape not in ("json", "text", "header", "ok"):
            raise ValueError(f"unknown echo shape {shape!r}")
        return self._rule("echo", status=status, shape=shape, pad=pad, reason=code, **match)

    def lag_describe(self, seconds: float) -> None:
        """Hide each new instance from DescribeContainerGroups for ``seconds`` after its Create."""
        with self._lock:
            self._lag = seconds

    # -- counting ---------------------------------------------------------------------------------

    def count(self, action: str | None = None, since: float = 0.0, until: float | None = None) -> int:
        with self._lock:
            hits = list(self.hits)
        end = float("inf") if until is None else until
        return sum(1 for h in hits if (action is None or h.action == action) and since <= h.at < end)

    def per_second(self, action: str | None = None, since: float | None = None) -> list[int]:
        """Requests in each second from ``since`` (default: the first request) to the last one."""
        with self._lock:
            times = [h.at for h in self.hits if action is None or h.action == action]
        if not times:
            return []
        start = times[0] if since is None else since
        buckets = [0] * (int(max(times) - start) + 1)
        for at in times:
            if at >= start:
                buckets[int(at - start)] += 1
        return buckets

    def busiest_minute(
        self, action: str | None = None, since: float = 0.0, until: float | None = None
    ) -> int:
        """The most requests in any 60 s window between ``since`` and ``until``."""
        end = float("inf") if until is None else until
        with self._lock:
            times = sorted(
                h.at for h in self.hits if (action is None or h.action == action) and since <= h.at < end
            )
        best, first = 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= 60.0:
                first += 1
            best = max(best, last - first + 1)
        return best

    # -- serving ----------------------------------------------------------------------------------

    def _pick(self, action: str, params: dict[str, str]) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(action, params):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        params = dict(parse_qsl(request.raw_path.partition("?")[2], keep_blank_values=True))
        if body and request.content_type == "application/x-www-form-urlencoded":
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = _action(request, params)
        rule = self._pick(action, params)
        with self._lock:
            self.hits.append(Hit(time.monotonic(), action, rule.kind if rule else "forward", params))
        if rule is None:
            return await self._forward(request, body, action)
        if rule.kind == "answer":
            return web.Response(status=rule.status, body=rule.body, headers=rule.headers, reason=rule.reason)
        if rule.kind == "black_hole":
            assert self._stopping is not None
            await self._stopping.wait()
            raise asyncio.CancelledError
        if rule.kind == "drip":
            upstream = await self._forward(request, body, action)
            assert isinstance(upstream, web.Response) and upstream.body is not None
            return await self._drip(request, upstream, rule)
        if rule.kind == "huge":
            return await self._huge(request, rule)
        return self._echo(params, rule)

    async def _forward(self, request: web.Request, body: bytes, action: str) -> web.StreamResponse:
        if self.upstream is None or self._http is None:
            return web.json_response({"Code": "NoUpstream", "Message": "no upstream"}, status=502)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = await self._http.request(
            request.method, self.upstream + request.raw_path, headers=headers, content=body
        )
        payload = self._lagged(action, answer.content) if answer.status_code == 200 else answer.content
        out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        return web.Response(status=answer.status_code, body=payload, headers=out)

    def _lagged(self, action: str, payload: bytes) -> bytes:
        if action not in ("CreateContainerGroup", "DescribeContainerGroups"):
            return payload
        try:
            data = json.loads(payload)
        except ValueError:
            return payload
        now = time.monotonic()
        with self._lock:
            lag = self._lag
            if action == "CreateContainerGroup":
                self._created.setdefault(str(data.get("ContainerGroupId")), now)
                return payload
            hidden = {i for i, at in self._created.items() if now - at < lag}
        if not hidden or not isinstance(data.get("ContainerGroups"), list):
            return payload
        kept = [g for g in data["ContainerGroups"] if g.get("ContainerGroupId") not in hidden]
        data["TotalCount"] = max(
            0, int(data.get("TotalCount") or 0) - (len(data["ContainerGroups"]) - len(kept))
        )
        data["ContainerGroups"] = kept
        return json.dumps(data, ensure_ascii=False).encode()

    async def _drip(self, request: web.Request, upstream: web.Response, rule: Rule) -> web.StreamResponse:
        payload = upstream.body
        assert isinstance(payload, bytes), "upstream answers are read whole"
        response = web.StreamResponse(status=upstream.status, headers={"Content-Type": "application/json"})
        response.content_length = len(payload)
        await response.prepare(request)
        for start in range(0, len(payload), rule.size):
            await response.write(payload[start : start + rule.size])
            await asyncio.sleep(rule.interval)
        await response.write_eof()
        return response

    async def _huge(self, request: web.Request, rule: Rule) -> web.StreamResponse:
        head = b'{"RequestId":"hostile-huge","TotalCount":0,"NextToken":"","ContainerGroups":[],"Padding":"'
        tail = b'"}'
        padding = max(0, int(rule.mib * 2**20) - len(head) - len(tail))
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        if rule.declare_length:
            response.content_length = len(head) + padding + len(tail)
        await response.prepare(request)
        chunk = b"x" * 65536
        try:
            await response.write(head)
            sent = 0
            while sent < padding:
                piece = chunk[: min(len(chunk), padding - sent)]
                await response.write(piece)
                sent += len(piece)
            await response.write(tail)
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # the client gave up reading, as it should
        return response

    def _echo(self, params: dict[str, str], rule: Rule) -> web.Response:
        text = echo_text(params)
        code = rule.reason or "InvalidParameter"
        if rule.shape == "json":
            body = json.dumps({"RequestId": "echo", "Code": code, "Message": text}).encode()
            return web.Response(status=rule.status, body=body, content_type="application/json")
        if rule.shape == "ok":
            body = json.dumps(
                {"RequestId": "echo", "Code": code, "Message": text}, ensure_ascii=False
            ).encode()
            return web.Response(status=200, body=body, content_type="application/json")
        if rule.shape == "header":
            secret = next((v for k, v in params.items() if is_secret_param(k) and k != "Signature"), "")
            ascii_value = secret if secret.isascii() and secret.isprintable() else quote(secret, safe="")
            headers = {"x-acs-request-id": ascii_value or "echo", "Content-Type": "text/plain"}
            reason = f"{HEADER_OPEN}{ascii_value}{HEADER_CLOSE}"
            return web.Response(status=rule.status, body=b"", headers=headers, reason=reason)
        padded = (text + " " + "~" * rule.pad) if rule.pad else text
        return web.Response(status=rule.status, body=padded.encode(), content_type="text/plain")
