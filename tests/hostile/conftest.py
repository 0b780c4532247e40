"""The hostile suite: the operator as a process, a real apiserver, and a proxy that makes ECI lag, fail,
hang or lie (``tests.support.hostile_proxy``). Sizes grow with ``HOSTILE_FULL=1`` (``make chaos``)."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import (  # noqa: F401  (fixtures and the report hook, registered for this folder)
    cluster,
    operator_kubeconfig,
    pytest_runtest_makereport,
    start_operator,
)
from tests.support.hostile_proxy import HostileProxy


@pytest.fixture
def proxy(emulator: Any) -> Iterator[HostileProxy]:
    """A hostile proxy in front of the test's emulator, stopped afterwards."""
    with HostileProxy(emulator.url) as hostile:
        yield hostile
