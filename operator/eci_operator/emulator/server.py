"""The emulator's HTTP service: the ECI RPC endpoint at ``/`` and the admin API at ``/_emulator/``.

STS's AssumeRole and AssumeRoleWithOIDC (Version 2015-04-01) are served at ``/`` too (``sts.py``).

One request at ``/`` goes: decode query and form body → authenticate → quota → maybe a fault →
the action → JSON answer with ``RequestId`` (errors: ``RequestId``, ``HostId``, ``Code``,
``Message``, ``Recommend``). Every request is recorded for the admin API with the client's own
rules for secrets (``eci.redact``): secret parameters masked by name, and the secret values
scrubbed from every other parameter and from the emulator's own error log.

The admin API is unsigned, so it answers only what cannot come from a web page: loopback clients
that name a loopback host (not a rebound DNS name), carry no foreign ``Origin`` (or
``Sec-Fetch-Site``), and send writes as ``application/json`` — a page can post ``text/plain``
or a form across origins without asking, but not JSON.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from eci_operator.eci.redact import SHORT, Scrubber, is_secret_param, secret_values

from . import actions, admin, execs, logs
from .auth import Authenticator
from .errors import ApiError
from .faults import MESSAGES, STATUS, Fault, Faults
from .params import merge_pairs
from .persistence import StateFile
from .quotas import Quotas
from .state import Store
from .sts import ACTIONS as STS_ACTIONS
from .sts import Sts

log = logging.getLogger("eci_operator.emulator")

REDACTED = "******"
MAX_RECORDED_REQUESTS = 100_000
JSON_TYPE = "application/json"
MAX_REQUEST_BYTES = 16 * 1024 * 1024


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    access_key_id: str | None = None
    access_key_secret: str | None = None
    extra_keys: dict[str, str] = field(default_factory=dict)  # more accepted pairs (key rotation)
    state_file: str | None = None
    transition_delay: float = 2.0
    quotas: dict[str, int] = field(default_factory=dict)
    fault_rate: float = 0.0
    fault_delay: float = 30.0
    seed: int | None = None
    region: str = "cn-hangzhou"
    roles: list[str] = field(default_factory=list)  # RAM roles STS lets callers assume
    oidc_tokens: dict[str, list[str]] = field(default_factory=dict)  # OIDC provider ARN -> tokens
    sts_lifetime: float | None = None  # seconds issued keys live, whatever DurationSeconds asks


def _stamp(now: float) -> str:
    """RFC 3339 UTC with milliseconds, for the request log."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def _scrubber(params: dict[str, str]) -> Scrubber:
    """The client's scrubber for the secret values of ``params``, the short ones left out: masked by
    name already, they would otherwise withhold every value that happens to contain them."""
    return Scrubber(v for v in secret_values(params) if len(v) >= SHORT)


def redact(params: dict[str, str]) -> dict[str, str]:
    """The request log's copy of ``params``: the client's secret rule (passwords, signature, token,
    env values, config-file contents) masks secret parameters, and their values are scrubbed from
    the others, so that the log, like an audit trail, holds no secret."""
    scrubber = _scrubber(params)
    return {k: (REDACTED if is_secret_param(k) else scrubber.clean(v)) for k, v in params.items()}


_LOCAL_HOSTS = ("localhost", "localhost.")
_WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(),
        status=status,
        content_type=JSON_TYPE,
        charset="utf-8",
        headers=headers,
    )


def _is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """``host`` of a Host header or an origin, without the port (and brackets of an IPv6 address)."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _is_local_host(host: str) -> bool:
    name = _host_name(host).lower()
    return name in _LOCAL_HOSTS or _is_loopback(name)


def admin_refusal(request: web.Request) -> tuple[int, str] | None:
    """Why the admin API must not answer ``request`` (status, message), or None."""
    if not _is_loopback(request.remote):
        return 403, "the admin API answers loopback clients only"
    host = request.headers.get("Host", "")
    if not _is_local_host(host):
        return 403, f"the admin API answers requests for a loopback host only, not {host[:100]!r}"
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{host}":
        return 403, "the admin API refuses cross-origin requests"
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return 403, "the admin API refuses cross-site requests"
    has_body = request.body_exists or "Content-Type" in request.headers
    if request.method in _WRITES and has_body and request.content_type != JSON_TYPE:
        return 415, f"admin writes must be {JSON_TYPE}, not {request.content_type!r}"
    return None


class Emulator:
    """All state of one emulated ECI endpoint; ``app()`` serves it."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = Store(config.transition_delay, seed=config.seed)
        keys = None
        if config.access_key_id is not None:
            keys = {config.access_key_id: config.access_key_secret or "", **config.extra_keys}
        self.sts = Sts(config.roles, config.oidc_tokens, config.sts_lifetime)
        self.auth = Authenticator(keys, actions.HANDLERS.keys(), sts=self.sts)
        self.quotas = Quotas(config.quotas)
        self.faults = Faults(config.fault_rate, seed=config.seed)
        self.requests: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDED_REQUESTS)
        self.state_file = StateFile(config.state_file) if config.state_file else None
        if self.state_file is not None:
            data = self.state_file.load()
            if data is not None:
                self.store.restore(data)

    # -- persistence ---------------------------------------------------------------------------

    def save(self) -> None:
        if self.state_file is not None:
            self.state_file.save(self.store.snapshot())

    # -- the ECI endpoint ----------------------------------------------------------------------

    def _error(self, request: web.Request, request_id: str, err: ApiError) -> web.Response:
        body = {
            "RequestId": request_id,
            "HostId": request.host,
            "Code": err.code,
            "Message": err.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={err.code}&product=Eci&requestId={request_id}",
        }
        return _json(body, err.status, {"x-acs-request-id": request_id})

    def _record(
        self,
        action: str | None,
        code: str | None,
        status: int,
        params: dict[str, str],
        request_id: str,
        fault: Fault | None,
        access_key_id: str | None = None,
    ) -> None:
        self.requests.append(
            {
                "Action": action,
                "AccessKeyId": access_key_id,  # who called: tells accounts and rotated keys apart
                "Code": code,
                "HttpStatus": status,
                "Time": _stamp(time.time()),
                "Params": redact(params),
                "RequestId": request_id,
                "Fault": None
                if fault is None
                else fault.kind + (" after effect" if fault.after_effect else ""),
            }
        )

    async def _fail(self, request: web.Request, request_id: str, fault: Fault) -> web.StreamResponse:
        if fault.kind == "ConnectionDropped":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        err = ApiError(fault.kind, MESSAGES[fault.kind], STATUS[fault.kind])
        return self._error(request, request_id, err)

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        request_id = str(uuid.uuid4()).upper()
        body = await request.read()
        action: str | None = None
        params: dict[str, str] = {}
        fault: Fault | None = None
        key_id: str | None = None
        try:
            query = merge_pairs(parse_qsl(request.raw_path.partition("?")[2], keep_blank_values=True))
            form: dict[str, str] = {}
            if body and request.content_type == "application/x-www-form-urlencoded":
                form = merge_pairs(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            params = {**query, **form}
            caller = self.auth.authenticate(request.method, query, form, request.headers.items(), body)
            action = caller.action
            key_id = caller.access_key_id
            self.quotas.take(action)
            mutating = action in actions.MUTATING
            fault = self.faults.draw(mutating)
            if fault is not None and not fault.after_effect:
                self._record(action, fault.kind, STATUS.get(fault.kind, 0), params, request_id, fault, key_id)
                return await self._fail(request, request_id, fault)
            if action in STS_ACTIONS:
                result = self.sts.call(action, caller.params)
            else:
                result = actions.call(self.store, action, caller.params)
            if mutating:
                self.save()
        except ApiError as err:
            self._record(action, err.code, err.status, params, request_id, fault, key_id)
            return self._error(request, request_id, err)
        except Exception:  # a bug in the emulator still answers in ECI's error shape
            trace = _scrubber(params).clean(traceback.format_exc())
            log.error("request %s (%s) failed\n%s", request_id, action, trace)
            internal = ApiError("InternalError", MESSAGES["InternalError"], 500)
            self._record(action, internal.code, internal.status, params, request_id, None, key_id)
            return self._error(request, request_id, internal)
        if fault is not None and fault.kind == "SlowReply":
            self._record(action, None, 200, params, request_id, fault, key_id)
            await asyncio.sleep(self.config.fault_delay)
        elif fault is not None:
            self._record(action, fault.kind, STATUS.get(fault.kind, 0), params, request_id, fault, key_id)
            return await self._fail(request, request_id, fault)
        else:
            self._record(action, None, 200, params, request_id, None, key_id)
        if action == "ExecContainerCommand" and "WebSocketUri" in result:
            base = f"{'wss' if request.secure else 'ws'}://{request.host}"
            result = {
                **result,
                "WebSocketUri": base + result["WebSocketUri"],
                "HttpUrl": f"{request.scheme}://{request.host}{result['HttpUrl']}",
            }
        return _json({"RequestId": request_id, **result}, headers={"x-acs-request-id": request_id})

    # -- the admin API -------------------------------------------------------------------------

    @web.middleware
    async def _admin_guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_emulator/"):
            refusal = admin_refusal(request)
            if refusal is not None:
                status, message = refusal
                code = "Forbidden" if status == 403 else "UnsupportedMediaType"
                return _json({"Code": code, "Message": message}, status)
            try:
                response: web.StreamResponse = await handler(request)
            except ApiError as err:
                return _json({"Code": err.code, "Message": err.message}, err.status)
            return response
        response = await handler(request)
        return response

    async def _body(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise ApiError("InvalidParameter", "the body is not JSON") from None

    async def list_instances(self, request: web.Request) -> web.Response:
        return _json({"ContainerGroups": [i.view for i in self.store.all()]})

    async def get_instance(self, request: web.Request) -> web.Response:
        inst = self.store.get(request.match_info["id"])
        if inst is None:
            raise ApiError(
                "InvalidParameter.NotFound",
                f"The specified ContainerGroupId {request.match_info['id']} is not found.",
                404,
            )
        return _json(inst.view)

    async def seed_instance(self, request: web.Request) -> web.Response:
        inst = admin.seed(self.store, await self._body(request), self.config.region)
        self.save()
        return _json(inst.view, 201)

    async def patch_instance(self, request: web.Request) -> web.Response:
        inst = admin.patch(self.store, request.match_info["id"], await self._body(request))
        self.save()
        return _json(inst.view)

    async def delete_instance(self, request: web.Request) -> web.Response:
        self.store.remove(request.match_info["id"])
        self.save()
        return _json({})

    async def append_logs(self, request: web.Request) -> web.Response:
        """``{"container": NAME, "lines": [..]}`` appends lines to that container's current log."""
        inst = self.store.get(request.match_info["id"])
        if inst is None:
            raise ApiError("InvalidParameter.NotFound", "no such instance", 404)
        body = await self._body(request)
        name, lines = (body.get("container"), body.get("lines")) if isinstance(body, dict) else (None, None)
        if (
            not isinstance(name, str)
            or not isinstance(lines, list)
            or not all(isinstance(x, str) for x in lines)
        ):
            raise ApiError("InvalidParameter", 'the body must be {"container": NAME, "lines": [STRING, ...]}')
        count = logs.append(inst, name, lines, self.store.clock())
        self.save()
        return _json({"container": name, "lines": count})

    async def exec_session(self, request: web.Request) -> web.StreamResponse:
        """The WebSocket end of a non-Sync ExecContainerCommand (frames: ``execs`` docstring)."""
        session = self.store.sessions.pop(request.query.get("s", ""), None)
        if session is None or session.expires < self.store.clock():
            return _json({"Code": "Forbidden", "Message": "unknown or expired exec session"}, 403)
        inst = self.store.get(session.instance_id)
        if inst is None or inst.status != "Running":
            return _json({"Code": "IncorrectStatus", "Message": "the instance is not running"}, 400)
        spec = execs.container(inst, session.container)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        code = await self._converse(ws, inst, spec, session)
        await ws.send_bytes(bytes([execs.STATUS]) + json.dumps({"ExitCode": code}).encode())
        await ws.close()
        return ws

    async def _converse(
        self, ws: web.WebSocketResponse, inst: Any, spec: dict[str, Any], session: execs.Session
    ) -> int:
        command = session.command
        if command[0] not in execs.SHELLS or len(command) > 1:
            output = execs.run(inst, spec, command)
            await ws.send_bytes(bytes([execs.STDOUT]) + output.encode())
            return 127 if output.startswith("OCI runtime exec failed") else 0
        shell = execs.Shell(inst, spec, session.tty)
        if shell.prompt:
            await ws.send_bytes(bytes([execs.STDOUT]) + shell.prompt.encode())
        async for msg in ws:
            if msg.type != web.WSMsgType.BINARY or not msg.data or msg.data[0] != execs.STDIN:
                continue
            out = shell.feed(msg.data[1:].decode("utf-8", "replace"))
            if out:
                await ws.send_bytes(bytes([execs.STDOUT]) + out.encode())
            if shell.exit_code is not None:
                return shell.exit_code
        return 0

    async def list_requests(self, request: web.Request) -> web.Response:
        return _json({"Requests": list(self.requests)})

    async def clear_requests(self, request: web.Request) -> web.Response:
        self.requests.clear()
        return _json({})

    async def reset(self, request: web.Request) -> web.Response:
        self.store.reset()
        self.requests.clear()
        self.auth.reset()
        self.quotas.reset()
        self.save()
        return _json({})

    def app(self) -> web.Application:
        # The official SDK sends every parameter in the query string, config-file contents included.
        app = web.Application(
            middlewares=[self._admin_guard],
            client_max_size=MAX_REQUEST_BYTES,
            handler_args={"max_line_size": MAX_REQUEST_BYTES, "max_field_size": 64 * 1024},
        )
        app.router.add_route("GET", "/", self.handle_api)
        app.router.add_route("POST", "/", self.handle_api)
        app.router.add_get("/_emulator/instances", self.list_instances)
        app.router.add_post("/_emulator/instances", self.seed_instance)
        app.router.add_get("/_emulator/instances/{id}", self.get_instance)
        app.router.add_patch("/_emulator/instances/{id}", self.patch_instance)
        app.router.add_delete("/_emulator/instances/{id}", self.delete_instance)
        app.router.add_post("/_emulator/instances/{id}/logs", self.append_logs)
        app.router.add_get("/exec/", self.exec_session)
        app.router.add_get("/_emulator/requests", self.list_requests)
        app.router.add_delete("/_emulator/requests", self.clear_requests)
        app.router.add_post("/_emulator/reset", self.reset)
        return app
