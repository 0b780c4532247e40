"""The reconcile loop against the real emulator: create, update, drift, policies, deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.controller.harness import Harness, manifest


@pytest.fixture
async def h(emulator: Any) -> AsyncIterator[Harness]:
    harness = Harness(emulator)
    yield harness
    await harness.close()


def writes(emulator: Any) -> list[str]:
    return [r["Action"] for r in emulator.requests() if not r["Action"].startswith("Describe")]


async def test_create_reaches_ready_with_one_instance(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest())
    await h.settle("default", "web")
    status = h.status("default", "web")
    assert status["containerGroupId"].startswith("eci-")
    assert status["phase"] == "Running"
    assert status["intranetIp"]
    assert status["observedGeneration"] == 1
    assert h.condition("default", "web", "Ready")["status"] == "True"
    assert h.condition("default", "web", "Stalled")["status"] == "False"
    instances = emulator.instances()
    assert [i["ContainerGroupId"] for i in instances] == [status["containerGroupId"]]
    tags = {t["Key"]: t["Value"] for t in instances[0]["Tags"]}
    assert tags["eci.operator.dev/namespace"] == "default"
    assert tags["eci.operator.dev/name"] == "web"
    assert writes(emulator) == ["CreateContainerGroup"]
    assert (
        "eci.operator.dev/finalizer"
        in h.kube.get("ContainerGroup", "default", "web")["metadata"]["finalizers"]
    )


async def test_in_sync_reconcile_writes_nothing(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest())
    await h.settle("default", "web")
    emulator.clear_requests()
    kube_writes = len(h.kube.writes)
    for _ in range(3):
        assert await h.step("default", "web") is None
    assert writes(emulator) == []
    assert len(h.kube.writes) == kube_writes


async def test_image_edit_sends_one_update_with_only_the_containers(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest())
    await h.settle("default", "web")
    emulator.clear_requests()
    h.kube.edit_spec("default", "web", containers=[{"name": "web", "image": "nginx:1.28"}])
    await h.settle("default", "web")
    updates = emulator.requests("UpdateContainerGroup")
    assert len(updates) == 1
    params = updates[0]["Params"]
    assert any(k.startswith("Container.1.") for k in params)
    assert not any(k.startswith(("Tag.", "Volume.", "DnsConfig.")) for k in params)
    assert h.condition("default", "web", "Ready")["status"] == "True"
    assert h.status("default", "web")["observedGeneration"] == 2
    assert any(e["reason"] == "Updated" and "restart" in e["message"] for e in h.kube.events)
    assert emulator.instances()[0]["Containers"][0]["Image"] == "nginx:1.28"


async def test_tag_edit_updates_only_tags_without_restart(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest())
    await h.settle("default", "web")
    emulator.clear_requests()
    h.kube.edit_spec("default", "web", tags={"team": "payments"})
    await h.settle("default", "web")
    updates = emulator.requests("UpdateContainerGroup")
    assert len(updates) == 1
    assert all(k.startswith("Tag.") or k in _COMMON for k in updates[0]["Params"])
    assert any(e["reason"] == "Updated" and "without restart" in e["message"] for e in h.kube.events)


_COMMON = {
    "RegionId",
    "ContainerGroupId",
    "ClientToken",
    "UpdateType",
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "Signature",
}


async def test_drift_is_enforced(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest())
    await h.settle("default", "web")
    group_id = h.status("default", "web")["containerGroupId"]
    emulator.patch(group_id, {"Containers": [{"Name": "web", "Image": "evil:latest"}]})
    emulator.clear_requests()
    await h.sweep()
    await h.settle("default", "web")
    assert len(emulator.requests("UpdateContainerGroup")) == 1
    assert emulator.instance(group_id)["Containers"][0]["Image"] == "nginx:1.27"
    assert any(e["reason"] == "DriftDetected" for e in h.kube.events)


async def test_drift_is_reported_under_report(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest(driftPolicy="Report"))
    await h.settle("default", "web")
    group_id = h.status("default", "web")["containerGroupId"]
    emulator.patch(group_id, {"Containers": [{"Name": "web", "Image": "evil:latest"}]})
    emulator.clear_requests()
    await h.sweep()
    await h.settle("default", "web")
    await h.sweep()
    await h.settle("default", "web")
    assert writes(emulator) == []
    drift = h.status("default", "web")["drift"]
    assert [d["group"] for d in drift] == ["Container"]
    assert h.condition("default", "web", "Ready")["reason"] == "DriftReported"
    assert [e["reason"] for e in h.kube.events].count("DriftDetected") == 1


async def test_in_place_only_blocks_a_restarting_change(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest(updatePolicy="InPlaceOnly"))
    await h.settle("default", "web")
    emulator.clear_requests()
    h.kube.edit_spec("default", "web", containers=[{"name": "web", "image": "nginx:1.28"}])
    await h.settle("default", "web")
    await h.settle("default", "web")
    assert writes(emulator) == []
    stalled = h.condition("default", "web", "Stalled")
    assert stalled["status"] == "True"
    assert stalled["reason"] == "UpdateBlockedByPolicy"
    assert "InPlaceOnly" in stalled["message"]
    plan = h.status("default", "web")["plan"]
    assert plan["impact"] == "Restart"
    assert [e["reason"] for e in h.kube.events].count("UpdateBlocked") == 1


async def test_allow_replace_creates_before_deleting(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest(updatePolicy="AllowReplace"))
    await h.settle("default", "web")
    old = h.status("default", "web")["containerGroupId"]
    emulator.clear_requests()
    h.kube.edit_spec("default", "web", cpu=2, memory=4)
    await h.settle("default", "web")
    new = h.status("default", "web")["containerGroupId"]
    assert new != old
    print(
        [
            (r["Action"], r["Code"], r["Params"].get("ContainerGroupId"))
            for r in emulator.requests()
            if r["Action"] != "DescribeContainerGroups"
        ]
    )
    assert writes(emulator) == ["CreateContainerGroup", "DeleteContainerGroup"]
    assert [i["ContainerGroupId"] for i in emulator.instances()] == [new]
    assert h.condition("default", "web", "Ready")["status"] == "True"
    assert "plan" not in h.status("default", "web")


async def test_delete_policy_deletes_and_releases(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest())
    await h.settle("default", "web")
    h.kube.delete("default", "web")
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    assert emulator.instances() == []


async def test_orphan_policy_keeps_instance_without_ownership_tags(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest(deletionPolicy="Orphan"))
    await h.settle("default", "web")
    h.kube.delete("default", "web")
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    [instance] = emulator.instances()
    keys = {t["Key"] for t in instance["Tags"]}
    assert "team" in keys
    assert not any(k.startswith("eci.operator.dev/") for k in keys)


async def test_adoption_and_refusal(h: Harness, emulator: Any) -> None:
    seeded = emulator.seed(
        {
            "RegionId": "cn-hangzhou",
            "ContainerGroupName": "legacy",
            "Status": "Running",
            "Cpu": 1.0,
            "Memory": 2.0,
            "Containers": [{"Name": "web", "Image": "nginx:1.27"}],
        }
    )
    group_id = seeded["ContainerGroupId"]
    h.kube.put(manifest(containerGroupId=group_id, containerGroupName="legacy"))
    await h.settle("default", "web")
    assert h.status("default", "web")["containerGroupId"] == group_id
    assert len(emulator.instances()) == 1
    tags = {t["Key"]: t["Value"] for t in emulator.instance(group_id)["Tags"]}
    assert tags["eci.operator.dev/name"] == "web"
    # A second ContainerGroup may not take the same instance.
    h.kube.put(manifest(name="thief", containerGroupId=group_id, containerGroupName="legacy"))
    await h.settle("default", "thief")
    stalled = h.condition("default", "thief", "Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "OwnedByAnother"
    assert "default/web" in stalled["message"]
    assert len(emulator.instances()) == 1


async def test_refused_spec_stalls_without_retry_storm(h: Harness, emulator: Any) -> None:
    # Passes admission and the translator, but no instance spec holds 1000 GiB: ECI refuses it.
    body = manifest(
        containers=[{"name": "web", "image": "nginx", "resources": {"requests": {"memory": "1000Gi"}}}]
    )
    del body["spec"]["cpu"], body["spec"]["memory"]
    h.kube.put(body)
    for _ in range(5):
        await h.settle("default", "web")
    stalled = h.condition("default", "web", "Stalled")
    assert stalled["status"] == "True", h.status("default", "web")
    assert "InvalidParameter.CPU.Memory" in stalled["message"]
    assert len(emulator.requests("CreateContainerGroup")) == 1


async def test_lost_id_is_recovered_by_token_and_tags(h: Harness, emulator: Any) -> None:
    h.kube.put(manifest())
    await h.step("default", "web")  # creates and records the ID
    # Simulate a crash between Create and recording the ID: forget the status.
    obj = h.kube.objects[("ContainerGroup", "default", "web")]
    obj.pop("status")
    h.states.clear()
    await h.settle("default", "web")
    assert len(emulator.instances()) == 1
    assert h.status("default", "web")["containerGroupId"] == emulator.instances()[0]["ContainerGroupId"]
