"""Lifecycle over --transition-delay: Create, Restart and Delete (Update's is in test_update_rules)."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import Local, StartLocal

REGION = "cn-hangzhou"


@pytest.fixture
async def slow(start_local: StartLocal) -> Local:
    """Transition delay 1 s on a clock the test moves."""
    return await start_local(transition_delay=1.0, fake_clock=True)


async def test_create_goes_scheduling_pending_running(slow: Local) -> None:
    ident = (await slow.ok("CreateContainerGroup", **slow.group()))["ContainerGroupId"]
    view = slow.get(ident)
    assert view["Status"] == "Scheduling"
    assert view["Containers"][0]["CurrentState"]["State"] == "Waiting"
    slow.clock.advance(1)
    assert slow.get(ident)["Status"] == "Pending"
    slow.clock.advance(1)
    view = slow.get(ident)
    assert view["Status"] == "Running"
    [c] = view["Containers"]
    assert (c["Ready"], c["RestartCount"], c["CurrentState"]["State"]) == (True, 0, "Running")
    assert c["CurrentState"]["StartTime"].endswith("Z")
    assert [e["Reason"] for e in view["Events"]][-1] == "Started"


async def test_restart_goes_restarting_pending_running(slow: Local) -> None:
    ident = (await slow.ok("CreateContainerGroup", **slow.group()))["ContainerGroupId"]
    params = {"RegionId": REGION, "ContainerGroupId": ident}
    body = await slow.error("RestartContainerGroup", "IncorrectStatus", 400, **params)
    assert "Scheduling" in body["Message"]
    slow.clock.advance(2)
    await slow.ok("RestartContainerGroup", **params)
    assert slow.get(ident)["Status"] == "Restarting"
    await slow.error("RestartContainerGroup", "IncorrectStatus", 400, **params)
    slow.clock.advance(1)
    assert slow.get(ident)["Status"] == "Pending"
    slow.clock.advance(1)
    view = slow.get(ident)
    assert view["Status"] == "Running"
    assert view["Containers"][0]["RestartCount"] == 1
    assert view["Containers"][0]["PreviousState"]["State"] == "Terminated"


async def test_delete_of_a_running_instance_passes_through_terminating(slow: Local) -> None:
    ident = (await slow.ok("CreateContainerGroup", **slow.group()))["ContainerGroupId"]
    slow.clock.advance(2)
    params = {"RegionId": REGION, "ContainerGroupId": ident}
    await slow.ok("DeleteContainerGroup", **params)
    assert slow.get(ident)["Status"] == "Terminating"
    assert [g["Status"] for g in await slow.describe(ident)] == ["Terminating"]
    await slow.ok("DeleteContainerGroup", **params)  # deleting again while terminating is fine
    slow.clock.advance(1)
    assert slow.emulator.store.get(ident) is None
    assert await slow.describe(ident) == []
    await slow.error("DeleteContainerGroup", "InvalidParameter.NotFound", 404, **params)


async def test_delete_of_a_scheduling_instance_removes_it_at_once(slow: Local) -> None:
    ident = (await slow.ok("CreateContainerGroup", **slow.group()))["ContainerGroupId"]
    await slow.ok("DeleteContainerGroup", RegionId=REGION, ContainerGroupId=ident)
    assert slow.emulator.store.get(ident) is None


async def test_instances_belong_to_their_region(api: Local) -> None:
    ident = (await api.ok("CreateContainerGroup", **api.group()))["ContainerGroupId"]
    assert await api.describe(ident, RegionId="cn-beijing") == []
    await api.error(
        "DeleteContainerGroup",
        "InvalidParameter.NotFound",
        404,
        RegionId="cn-beijing",
        ContainerGroupId=ident,
    )


async def test_spec_is_rounded_up_from_the_containers(api: Local) -> None:
    from tests.emulator.rpc import container

    ident = (
        await api.ok(
            "CreateContainerGroup",
            **api.group(containers=[container("a", Cpu=1.5, Memory=3), container("b", Cpu=0.5, Memory=0.5)]),
        )
    )["ContainerGroupId"]
    view = api.get(ident)
    assert (view["Cpu"], view["Memory"]) == (2.0, 4.0)
    ident = (await api.ok("CreateContainerGroup", **api.group("plain")))["ContainerGroupId"]
    assert (api.get(ident)["Cpu"], api.get(ident)["Memory"]) == (2.0, 4.0), "no spec at all: 2 vCPU / 4 GiB"


async def test_dry_run_validates_and_creates_nothing(api: Local) -> None:
    await api.error("CreateContainerGroup", "DryRunOperation", 400, DryRun="true", **api.group())
    assert api.emulator.store.instances == {}
