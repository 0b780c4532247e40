"""``eci.operator.dev/restartedAt``: RestartContainerGroup once per value, recorded in status, never
repeated by a resync, a lost status write or a restart of the operator (its memory lost)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from eci_operator.api.containergroup import RESTART_ANNOTATION
from eci_operator.controller.runtime import needs_reconcile
from tests.controller.harness import Harness
from tests.support.manifests import container_group


@pytest.fixture
async def h(emulator: Any) -> AsyncIterator[Harness]:
    harness = Harness(emulator)
    yield harness
    await harness.close()


def annotate(h: Harness, value: str) -> None:
    obj = h.kube.objects[("ContainerGroup", "default", "web")]
    obj["metadata"].setdefault("annotations", {})[RESTART_ANNOTATION] = value
    obj["metadata"]["resourceVersion"] = str(int(obj["metadata"]["resourceVersion"]) + 1000)


def restarts(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests("RestartContainerGroup") if r["Code"] is None]


async def test_each_value_restarts_once(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")
    annotate(h, "2026-12-02T05:00:00Z")
    body = h.kube.get("ContainerGroup", "default", "web")
    assert body is not None and needs_reconcile(body)  # an annotation alone triggers a reconcile
    await h.settle("default", "web")
    await h.sweep()
    await h.settle("default", "web")
    assert len(restarts(emulator)) == 1
    status = h.status("default", "web")
    assert status["restartedAt"] == "2026-12-02T05:00:00Z"
    assert status["phase"] == "Running"
    assert emulator.instances()[0]["Containers"][0]["RestartCount"] == 1
    assert [e["reason"] for e in h.kube.events].count("Restarted") == 1
    body = h.kube.get("ContainerGroup", "default", "web")
    assert body is not None and not needs_reconcile(body)

    # The operator restarts: a fresh memory, the same object, no second restart.
    h.states.clear()
    await h.settle("default", "web")
    assert len(restarts(emulator)) == 1

    annotate(h, "2026-12-02T06:00:00Z")
    await h.settle("default", "web")
    assert len(restarts(emulator)) == 2
    assert emulator.instances()[0]["Containers"][0]["RestartCount"] == 2


async def test_a_lost_status_write_does_not_restart_twice(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")
    annotate(h, "again")
    await h.settle("default", "web")
    # As if the status write after the call had been lost: the same value is asked for again.
    h.kube.objects[("ContainerGroup", "default", "web")]["status"].pop("restartedAt")
    h.states.clear()
    await h.settle("default", "web")
    calls = restarts(emulator)
    assert len(calls) == 2 and calls[0]["Params"]["ClientToken"] == calls[1]["Params"]["ClientToken"]
    assert emulator.instances()[0]["Containers"][0]["RestartCount"] == 1  # ECI replayed the answer


async def test_a_new_instance_is_not_restarted_for_the_value_it_was_created_with(
    h: Harness, emulator: Any
) -> None:
    body = container_group()
    body["metadata"]["annotations"] = {RESTART_ANNOTATION: "from-the-manifest"}
    h.kube.put(body)
    await h.settle("default", "web")
    assert restarts(emulator) == []
    assert h.status("default", "web")["restartedAt"] == "from-the-manifest"
