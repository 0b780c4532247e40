"""Existence needs proof, ownership needs tags: read lag and forged status never duplicate, leak or
delete someone else's instance.

ECI's reads lag its writes (a new instance can be missing from Describe answers for seconds). Here
every Describe answer hides chosen instances, as a lagging read would; the emulator itself stays
truthful, so what really exists is always known. The end-to-end versions (real apiserver, the
operator process, a hostile proxy in front of the emulator) are in tests/hostile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from eci_operator.eci.errors import RequestTimeoutError
from eci_operator.eci.models import (
    DeleteContainerGroupRequest,
    DescribeContainerGroupsRequest,
    DescribeContainerGroupsResponse,
)
from eci_operator.eci.quotas import Priority
from tests.controller.harness import Harness
from tests.support.manifests import container_group


class Lag:
    """Hides instances from every Describe answer the controller gets (by ID lists and by tag)."""

    def __init__(self, h: Harness) -> None:
        self.hidden: set[str] = set()
        self.hide_new = False
        self.lose_next_answer = False
        """The next Create runs on ECI but its answer never arrives (and its instance is hidden)."""
        client = h.cloud.client("cn-hangzhou")
        real_describe = client.describe_container_groups
        real_create = client.create_container_group

        async def describe(
            request: DescribeContainerGroupsRequest, *, priority: Priority | None = None
        ) -> DescribeContainerGroupsResponse:
            answer = await real_describe(request, priority=priority)
            shown = [g for g in answer.container_groups if g.container_group_id not in self.hidden]
            return answer.model_copy(update={"container_groups": shown})

        async def create(request: Any, **options: Any) -> Any:
            answer = await real_create(request, **options)
            if self.hide_new or self.lose_next_answer:
                self.hidden.add(answer.container_group_id)
            if self.lose_next_answer:
                self.lose_next_answer = False
                raise RequestTimeoutError("the answer was lost", action="CreateContainerGroup")
            return answer

        client.describe_container_groups = describe  # type: ignore[method-assign]
        client.create_container_group = create  # type: ignore[method-assign]


@pytest.fixture
async def h(emulator: Any) -> AsyncIterator[Harness]:
    harness = Harness(emulator, gone_grace=1.0)
    yield harness
    await harness.close()


def creates(emulator: Any) -> int:
    return len(emulator.requests("CreateContainerGroup"))


async def steps(h: Harness, name: str, seconds: float) -> None:
    """Reconcile as the work queue would (following the asked delays) for ``seconds``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end and h.kube.get("ContainerGroup", "default", name) is not None:
        result = await h.step("default", name)
        await asyncio.sleep(min(result.after or 0.05, 0.1))


async def test_a_new_instance_missing_from_reads_is_not_created_again(h: Harness, emulator: Any) -> None:
    lag = Lag(h)
    lag.hide_new = True
    h.kube.put(container_group())
    await steps(h, "web", 0.8)  # less than the grace: the instance is "missing", not "gone"
    assert creates(emulator) == 1
    assert h.condition("default", "web", "Reconciling")["reason"] in ("Creating", "ConfirmingLoss")
    lag.hidden.clear()  # the reads catch up
    await h.settle("default", "web")
    assert creates(emulator) == 1 and len(emulator.instances()) == 1
    assert h.condition("default", "web", "Ready")["status"] == "True"


async def test_created_then_deleted_at_once_under_lag_leaks_nothing(h: Harness, emulator: Any) -> None:
    lag = Lag(h)
    lag.hide_new = True
    h.kube.put(container_group())
    await h.step("default", "web")  # created, ID recorded, but no read lists it
    assert len(emulator.instances()) == 1
    h.kube.delete("default", "web")
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    for _ in range(50):  # the emulator takes a moment to finish deleting
        if not emulator.instances():
            break
        await asyncio.sleep(0.1)
    assert emulator.instances() == []
    assert creates(emulator) == 1


async def test_deletion_keeps_the_finalizer_while_an_unrecorded_instance_may_exist(
    h: Harness, emulator: Any
) -> None:
    lag = Lag(h)
    lag.hide_new = True
    h.kube.put(container_group())
    await h.step("default", "web")
    # A crash right after the Create: the ID never reached status and the new process remembers nothing.
    h.kube.objects[("ContainerGroup", "default", "web")].pop("status")
    h.states.clear()
    h.kube.delete("default", "web")
    await h.step("default", "web")
    body = h.kube.get("ContainerGroup", "default", "web")
    assert body is not None and "eci.operator.dev/finalizer" in body["metadata"]["finalizers"]
    lag.hidden.clear()  # the tag search finds it once reads catch up
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    await asyncio.sleep(0.5)
    assert all(i["Status"] == "Terminating" for i in emulator.instances())


def live(emulator: Any) -> list[dict[str, Any]]:
    return [i for i in emulator.instances() if i["Status"] != "Terminating"]


async def test_a_create_whose_answer_was_lost_is_resent_not_duplicated_after_an_edit(
    h: Harness, emulator: Any
) -> None:
    lag = Lag(h)
    lag.lose_next_answer = True
    h.kube.put(container_group())
    await h.step("default", "web")  # the Create ran on ECI; its answer never came; reads lag
    assert len(emulator.instances()) == 1 and h.status("default", "web").get("containerGroupId") is None
    h.kube.edit_spec("default", "web", containers=[{"name": "web", "image": "nginx:1.28"}])
    await h.step("default", "web")  # a new generation: its own Create would make a second instance
    assert len(emulator.instances()) == 1
    lag.hidden.clear()
    await h.settle("default", "web")
    assert len(emulator.instances()) == 1
    assert emulator.instances()[0]["Containers"][0]["Image"] == "nginx:1.28"  # then updated in place
    assert h.condition("default", "web", "Ready")["status"] == "True"


async def test_deletion_waits_for_an_unanswered_create_beside_known_instances(
    h: Harness, emulator: Any
) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")
    first = h.status("default", "web")["containerGroupId"]
    # Deleted out of band (the console); its replacement's Create then goes unanswered.
    await h.cloud.client("cn-hangzhou").delete_container_group(
        DeleteContainerGroupRequest(region_id="cn-hangzhou", container_group_id=first)
    )
    lag = Lag(h)
    lag.lose_next_answer = True
    await h.sweep()
    loop = asyncio.get_running_loop()
    started = loop.time()
    while creates(emulator) == 1 and loop.time() - started < 10:  # the loss is proven after the grace
        result = await h.step("default", "web")
        await asyncio.sleep(min(result.after or 0.05, 0.1))
    assert len(live(emulator)) == 1 and live(emulator)[0]["ContainerGroupId"] != first
    h.kube.delete("default", "web")
    await steps(h, "web", 0.5)  # the recorded instance is gone; the unanswered one is not listed yet
    body = h.kube.get("ContainerGroup", "default", "web")
    assert body is not None and "eci.operator.dev/finalizer" in body["metadata"]["finalizers"]
    lag.hidden.clear()  # the tag search finds it once reads catch up
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    await asyncio.sleep(0.5)
    assert live(emulator) == []


async def test_a_restarted_operator_does_not_create_again_for_a_newer_generation(
    h: Harness, emulator: Any
) -> None:
    lag = Lag(h)
    lag.hide_new = True
    h.kube.put(container_group())
    await h.step("default", "web")
    # A crash right after the Create; meanwhile the spec is edited. The new process's Create would
    # carry the new generation's ClientToken, which ECI would not recognise as the same request.
    h.kube.objects[("ContainerGroup", "default", "web")].pop("status")
    h.states.clear()
    h.kube.edit_spec("default", "web", containers=[{"name": "web", "image": "nginx:1.28"}])
    await steps(h, "web", 0.5)  # within the grace: the instance is not listed yet
    assert creates(emulator) == 1
    assert h.condition("default", "web", "Reconciling")["reason"] == "ConfirmingAbsence"
    lag.hidden.clear()  # the tag search finds it once reads catch up
    await h.settle("default", "web")
    assert creates(emulator) == 1 and len(emulator.instances()) == 1
    assert emulator.instances()[0]["Containers"][0]["Image"] == "nginx:1.28"


async def test_a_never_created_object_is_released_at_once(h: Harness, emulator: Any) -> None:
    h.kube.put(
        container_group(
            containers=[{"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "3"}}}]
        )
    )
    await h.step("default", "web")  # InvalidSpec: nothing is ever created
    h.kube.delete("default", "web")
    result = await h.step("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None and result.after is None


async def test_a_really_lost_instance_is_recreated_only_after_the_grace(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")
    old = h.status("default", "web")["containerGroupId"]
    lag = Lag(h)
    lag.hidden.add(old)  # gone from every answer from now on (e.g. deleted in the console)
    await h.sweep()  # the periodic sweep is where an out-of-band loss is first seen
    loop = asyncio.get_running_loop()
    started = loop.time()
    while creates(emulator) == 1 and loop.time() - started < 10:
        result = await h.step("default", "web")
        await asyncio.sleep(min(result.after or 0.05, 0.1))
    assert creates(emulator) == 2
    assert loop.time() - started >= 1.0  # not before the grace
    assert any(e["reason"] == "InstanceLost" for e in h.kube.events)


async def test_a_forged_status_never_deletes_another_objects_instance(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group(name="victim"))
    await h.settle("default", "victim")
    target = h.status("default", "victim")["containerGroupId"]
    h.kube.put(container_group(name="forger"))
    await h.settle("default", "forger")
    own = h.status("default", "forger")["containerGroupId"]
    await h.kube.patch_status("default", "forger", {"containerGroupId": target})  # the forgery
    h.kube.delete("default", "forger")
    await h.settle("default", "forger")
    assert h.kube.get("ContainerGroup", "default", "forger") is None
    assert emulator.instance(target) is not None and emulator.instance(target)["Status"] == "Running"
    deletes = [r["Params"]["ContainerGroupId"] for r in emulator.requests("DeleteContainerGroup")]
    assert target not in deletes and own in deletes  # its own instance, found by its uid tag, is deleted


async def test_a_forged_status_never_updates_another_objects_instance(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group(name="victim"))
    await h.settle("default", "victim")
    target = h.status("default", "victim")["containerGroupId"]
    h.kube.put(container_group(name="forger", containers=[{"name": "web", "image": "evil:1"}]))
    await h.kube.patch_status("default", "forger", {"containerGroupId": target})
    await h.step("default", "forger")
    assert emulator.requests("UpdateContainerGroup") == []
    assert emulator.instance(target)["Containers"][0]["Image"] == "nginx:1.27"
    assert h.condition("default", "forger", "Stalled")["reason"] == "OwnedByAnother"
    assert h.status("default", "forger").get("containerGroupId") is None
