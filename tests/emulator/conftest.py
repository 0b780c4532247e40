"""In-process emulators (aiohttp test server on loopback) for tests that need no subprocess."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from eci_operator.emulator.server import Emulator, EmulatorConfig
from tests.emulator.rpc import Api
from tests.support.emulator import ACCESS_KEY_ID, ACCESS_KEY_SECRET


class Clock:
    """A settable clock for lifecycle tests: ``advance(seconds)`` moves time on."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Local(Api):
    emulator: Emulator
    clock: Clock

    def get(self, ident: str) -> dict[str, Any]:
        inst = self.emulator.store.get(ident)
        assert inst is not None, ident
        return inst.view


StartLocal = Callable[..., Awaitable[Local]]


@pytest.fixture
async def start_local() -> AsyncIterator[StartLocal]:
    servers: list[TestServer] = []

    async def start(scheme: str = "rpc", fake_clock: bool = False, **config: Any) -> Local:
        config.setdefault("access_key_id", ACCESS_KEY_ID)
        config.setdefault("access_key_secret", ACCESS_KEY_SECRET)
        config.setdefault("transition_delay", 0.0)
        emulator = Emulator(EmulatorConfig(**config))
        clock = Clock()
        if fake_clock:
            emulator.store.clock = clock
        server = TestServer(emulator.app(), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        local = Local(f"http://127.0.0.1:{server.port}", scheme=scheme)
        local.emulator = emulator
        local.clock = clock
        return local

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def api(start_local: StartLocal) -> Local:
    """An emulator whose lifecycle steps are instant (transition delay 0)."""
    return await start_local()
