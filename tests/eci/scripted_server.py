"""A tiny HTTP/1.1 server on loopback that answers from a script, for transport tests.

Each incoming request takes the next step of the script (the last step repeats):
- ``Reply(status, body, headers)``: a JSON answer;
- ``Reset()``: the connection is dropped without an answer;
- ``Hang(seconds)``: no answer for ``seconds`` (the client times out first).
Every request is recorded (method, decoded query, headers, body) for assertions.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"RequestId": "req-ok"})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Reset:
    pass


@dataclass
class Hang:
    seconds: float = 30.0


Step = Reply | Reset | Hang


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float


def error(code: str, status: int = 400, message: str = "m", **headers: str) -> Reply:
    return Reply(status, {"RequestId": f"req-{code}", "Code": code, "Message": message}, headers)


class ScriptedServer:
    def __init__(self, script: Sequence[Step]) -> None:
        self.script = list(script)
        self.requests: list[Recorded] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def _next(self) -> Step:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                parts = urlsplit(target)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                self.requests.append(Recorded(method, parts.path, query, headers, body, time.monotonic()))
                step = self._next()
                if isinstance(step, Reset):
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                if isinstance(step, Hang):
                    await asyncio.sleep(step.seconds)
                    writer.close()
                    return
                payload = json.dumps(step.body).encode() if not isinstance(step.body, bytes) else step.body
                out = [f"HTTP/1.1 {step.status} X", "Content-Type: application/json"]
                out += [f"{k}: {v}" for k, v in step.headers.items()]
                out.append(f"Content-Length: {len(payload)}")
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        except asyncio.CancelledError:
            writer.transport.abort()
