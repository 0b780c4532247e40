"""Fixtures for the local ECI emulator: a real ``eci-operator emulator`` process on loopback.

- ``emulator_server`` (session): one emulator process for the whole run.
- ``emulator`` (function): the session process, reset before the test.
- ``start_emulator`` (function): a factory for emulators with other flags (faults, quotas, state file).
All three give a ``tests.support.emulator.EmulatorHandle`` with the endpoint, the credentials and
admin helpers.
- ``hostile_proxy`` (function): a ``tests.support.hostile_proxy.HostileProxy`` in front of
  ``emulator``, forwarding everything until the test tells it otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.emulator import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, EmulatorHandle, launch
from tests.support.hostile_proxy import HostileProxy

__all__ = ["ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "REGION", "EmulatorHandle", "launch"]


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorHandle]:
    handle = launch(seed=1)
    yield handle
    handle.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorHandle) -> EmulatorHandle:
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., EmulatorHandle]]:
    started: list[EmulatorHandle] = []

    def start(**flags: Any) -> EmulatorHandle:
        handle = launch(**flags)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


@pytest.fixture
def hostile_proxy(emulator: EmulatorHandle) -> Iterator[HostileProxy]:
    with HostileProxy(emulator.url) as proxy:
        yield proxy


def dump(obj: Any) -> str:
    """Pretty JSON for assertion messages."""
    return json.dumps(obj, indent=1, ensure_ascii=False)
