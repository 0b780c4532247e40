"""The controller process wiring: triggers → work queue → reconcile, and the batched resync cost."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from eci_operator.controller.runtime import needs_reconcile
from tests.controller.harness import memory_controller
from tests.support.manifests import container_group


def test_only_news_triggers_a_reconcile() -> None:
    body: dict[str, Any] = {
        "metadata": {"generation": 2, "finalizers": ["eci.operator.dev/finalizer"]},
        "status": {"observedGeneration": 2},
    }
    assert not needs_reconcile(body)  # our own status write coming back
    assert needs_reconcile({**body, "status": {"observedGeneration": 1}})  # a spec edit
    assert needs_reconcile({**body, "metadata": {"generation": 2}})  # finalizer missing
    deleting = {"metadata": {**body["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    assert needs_reconcile(deleting)


async def test_steady_state_costs_ceil_n_over_20_describes_per_resync(emulator: Any) -> None:
    resync = 1.5
    kube, controller = memory_controller(emulator, resync=resync)
    controller.start()
    n = 45
    try:
        for i in range(n):
            controller.on_containergroup_event(None, kube.put(container_group(name=f"cg-{i}")))

        async def all_ready() -> None:
            while True:
                bodies = [kube.get("ContainerGroup", "default", f"cg-{i}") for i in range(n)]
                if all(
                    any(
                        c["type"] == "Ready" and c["status"] == "True"
                        for c in (b.get("status") or {}).get("conditions", [])
                    )
                    for b in bodies
                    if b is not None
                ):
                    return
                await asyncio.sleep(0.2)

        await asyncio.wait_for(all_ready(), 60)
        assert len(emulator.instances()) == n
        await asyncio.sleep(resync * 1.2)  # let the first sweeps pass
        emulator.clear_requests()
        writes = len(kube.writes)
        window = resync * 4
        await asyncio.sleep(window)
        describes = len(emulator.requests("DescribeContainerGroups"))
        sweeps_max = math.ceil(window / (resync * 0.9))  # interval jitter is ±10 %
        assert describes <= sweeps_max * math.ceil(n / 20)
        assert describes >= math.ceil(n / 20)  # it did look
        assert [r for r in emulator.requests() if not r["Action"].startswith("Describe")] == []
        assert len(kube.writes) == writes
        assert controller.queue.depth == 0
    finally:
        await controller.stop()
