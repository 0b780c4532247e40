"""The reconcile loop against the real emulator: create, update, drift, policies, deletion."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eci_operator.controller.workqueue import DONE
from eci_operator.eci import signing
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.errors import ConflictError
from tests.controller.harness import Harness
from tests.support.manifests import container_group


@pytest.fixture
async def h(emulator: Any) -> AsyncIterator[Harness]:
    harness = Harness(emulator)
    yield harness
    await harness.close()


def writes(emulator: Any) -> list[str]:
    return [r["Action"] for r in emulator.requests() if not r["Action"].startswith("Describe")]


async def test_create_reaches_ready_with_one_instance(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
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
    body = h.kube.get("ContainerGroup", "default", "web")
    assert body is not None and "eci.operator.dev/finalizer" in body["metadata"]["finalizers"]


async def test_in_sync_reconcile_writes_nothing(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")
    emulator.clear_requests()
    kube_writes = len(h.kube.writes)
    for _ in range(3):
        assert await h.step("default", "web") == DONE
    assert writes(emulator) == []
    assert len(h.kube.writes) == kube_writes


async def test_image_edit_sends_one_update_with_only_the_containers(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
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
    h.kube.put(container_group())
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
    h.kube.put(container_group())
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
    h.kube.put(container_group(driftPolicy="Report"))
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
    h.kube.put(container_group(updatePolicy="InPlaceOnly"))
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
    assert [e["reason"] for e in h.kube.events].count("UpdateBlockedByPolicy") == 1


async def test_allow_replace_creates_before_deleting(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group(updatePolicy="AllowReplace"))
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
    h.kube.put(container_group())
    await h.settle("default", "web")
    h.kube.delete("default", "web")
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    assert emulator.instances() == []


async def test_orphan_policy_keeps_instance_without_ownership_tags(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group(deletionPolicy="Orphan"))
    await h.settle("default", "web")
    h.kube.delete("default", "web")
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    [instance] = emulator.instances()
    keys = {t["Key"] for t in instance["Tags"]}
    assert "team" in keys
    assert not any(k.startswith("eci.operator.dev/") for k in keys)


@pytest.mark.parametrize("status", ["Running", "Failed", "Updating"])
async def test_orphaning_removes_even_the_last_tags_in_any_status_without_an_update(
    h: Harness, emulator: Any, status: str
) -> None:
    body = container_group(deletionPolicy="Orphan")
    del body["spec"]["tags"]  # the ownership tags are the only ones: an update cannot remove them all
    h.kube.put(body)
    await h.settle("default", "web")
    group_id = h.status("default", "web")["containerGroupId"]
    emulator.patch(group_id, {"Status": status})
    h.kube.delete("default", "web")
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    assert emulator.instance(group_id)["Tags"] == []
    assert emulator.requests("UpdateContainerGroup") == []


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
    h.kube.put(container_group(containerGroupId=group_id, containerGroupName="legacy"))
    await h.settle("default", "web")
    assert h.status("default", "web")["containerGroupId"] == group_id
    assert len(emulator.instances()) == 1
    tags = {t["Key"]: t["Value"] for t in emulator.instance(group_id)["Tags"]}
    assert tags["eci.operator.dev/name"] == "web"
    # A second ContainerGroup may not take the same instance.
    h.kube.put(container_group(name="thief", containerGroupId=group_id, containerGroupName="legacy"))
    await h.settle("default", "thief")
    stalled = h.condition("default", "thief", "Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "OwnedByAnother"
    assert "default/web" in stalled["message"]
    assert len(emulator.instances()) == 1
    assert any(e["reason"] == "OwnedByAnother" and e["type"] == "Warning" for e in h.kube.events)


async def test_refused_spec_stalls_without_retry_storm(h: Harness, emulator: Any) -> None:
    # Passes admission and the translator, but no instance spec holds 1000 GiB: ECI refuses it.
    body = container_group(
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
    h.kube.put(container_group())
    await h.step("default", "web")  # creates and records the ID
    # Simulate a crash between Create and recording the ID: forget the status.
    obj = h.kube.objects[("ContainerGroup", "default", "web")]
    obj.pop("status")
    h.states.clear()
    await h.settle("default", "web")
    assert len(emulator.instances()) == 1
    assert h.status("default", "web")["containerGroupId"] == emulator.instances()[0]["ContainerGroupId"]


def pull_secret(password: str) -> dict[str, Any]:
    config = {"auths": {"registry.example.com": {"username": "robot", "password": password}}}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "default"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


async def test_rotated_pull_secret_updates_registry_credentials_only(h: Harness, emulator: Any) -> None:
    h.kube.put(pull_secret("first"))
    h.kube.put(container_group(imagePullSecrets=[{"name": "regcred"}]))
    await h.settle("default", "web")
    created = emulator.requests("CreateContainerGroup")[0]["Params"]
    assert created["ImageRegistryCredential.1.Password"] == "******"  # the log redacts, the value was sent
    status = h.status("default", "web")
    assert "first" not in json.dumps(status)
    emulator.clear_requests()
    h.kube.put(pull_secret("second"))
    await h.sweep()  # the next resync re-reads the Secret (get) and compares fingerprints
    await h.settle("default", "web")
    [update] = emulator.requests("UpdateContainerGroup")
    groups = {k.split(".")[0] for k in update["Params"] if "." in k}
    assert groups == {"ImageRegistryCredential"}
    assert h.status("default", "web")["appliedFingerprints"] != status["appliedFingerprints"]
    assert "second" not in json.dumps(h.status("default", "web")) + json.dumps(h.kube.events)


async def test_changed_configmap_updates_the_volume(h: Harness, emulator: Any) -> None:
    config_map: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app-config", "namespace": "default"},
        "data": {"app.conf": "level=info\n"},
    }
    h.kube.put(config_map)
    h.kube.put(
        container_group(
            volumes=[{"name": "cfg", "configMap": {"name": "app-config"}}],
            containers=[
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "volumeMounts": [{"name": "cfg", "mountPath": "/etc/app"}],
                }
            ],
        )
    )
    await h.settle("default", "web")
    emulator.clear_requests()
    config_map["data"]["app.conf"] = "level=debug\n"
    h.kube.put(config_map)
    await h.settle("default", "web")  # the ConfigMap watch triggers this reconcile
    [update] = emulator.requests("UpdateContainerGroup")
    groups = {k.split(".")[0] for k in update["Params"] if "." in k}
    assert groups == {"Volume"}
    [instance] = emulator.instances()
    content = instance["Volumes"][0]["ConfigFileVolumeConfigFileToPaths"][0]["Content"]
    assert base64.b64decode(content) == b"level=debug\n"


async def test_restart_in_sync_makes_no_writes(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")
    emulator.clear_requests()
    writes_before = len(h.kube.writes)
    fresh = Harness(emulator, kube=h.kube)  # a new process: empty memory, empty caches
    try:
        await fresh.settle("default", "web")
    finally:
        await fresh.close()
    assert writes(emulator) == []
    assert len(h.kube.writes) == writes_before


async def test_stuck_delete_keeps_the_finalizer_and_says_why(
    h: Harness, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")

    async def refuse(*args: Any, **kwargs: Any) -> bool:
        raise ConflictError(
            "OperationConflict", "Request was denied due to conflict with a previous request."
        )

    monkeypatch.setattr(h.cloud, "delete", refuse)
    h.kube.delete("default", "web")
    result = await h.step("default", "web")
    assert result.failed  # the work queue backs off and tries again
    body = h.kube.get("ContainerGroup", "default", "web")
    assert body is not None and "eci.operator.dev/finalizer" in body["metadata"]["finalizers"]
    reconciling = h.condition("default", "web", "Reconciling")
    assert reconciling["reason"] == "DeletionBlocked"
    assert "OperationConflict" in reconciling["message"]
    monkeypatch.undo()
    await h.settle("default", "web")
    assert h.kube.get("ContainerGroup", "default", "web") is None
    assert emulator.instances() == []


async def test_rejected_credentials_stall_until_they_change(h: Harness, emulator: Any) -> None:
    good = h.cloud._credentials
    h.cloud._credentials = StaticCredentials(emulator.access_key_id, "wrong-secret")
    h.kube.put(container_group())
    await h.settle("default", "web")
    stalled = h.condition("default", "web", "Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "AuthFailed"
    assert "wrong-secret" not in json.dumps(h.status("default", "web"))
    seen = len(emulator.requests())
    for _ in range(3):
        await h.settle("default", "web")
    assert len(emulator.requests()) == seen  # no retry storm against a key ECI refuses
    await h.cloud.close()
    h.cloud._credentials = good  # e.g. the Secret behind the credentials chain was fixed
    await h.settle("default", "web")
    assert h.condition("default", "web", "Ready")["status"] == "True"


async def test_instance_deleted_out_of_band_is_recreated(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")
    old = h.status("default", "web")["containerGroupId"]
    await h.cloud.delete("cn-hangzhou", old, "out-of-band")  # someone deletes it in the console
    for _ in range(50):
        if emulator.instance(old) is None:
            break
        await asyncio.sleep(0.1)
    await h.sweep()
    await h.settle("default", "web")
    new = h.status("default", "web")["containerGroupId"]
    assert new != old
    assert [i["ContainerGroupId"] for i in emulator.instances()] == [new]
    assert any(e["reason"] == "InstanceLost" for e in h.kube.events)


async def test_vanished_adoption_target_is_not_replaced_by_a_new_instance(h: Harness, emulator: Any) -> None:
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
    h.kube.put(container_group(containerGroupId=group_id, containerGroupName="legacy"))
    await h.settle("default", "web")
    await h.cloud.delete("cn-hangzhou", group_id, "out-of-band")
    for _ in range(50):
        if emulator.instance(group_id) is None:
            break
        await asyncio.sleep(0.1)
    await h.sweep()
    await h.settle("default", "web")
    assert h.condition("default", "web", "Stalled")["reason"] == "AdoptionTargetNotFound"
    assert emulator.requests("CreateContainerGroup") == []


async def test_failed_instance_is_not_polled_for_an_update(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
    await h.settle("default", "web")
    group_id = h.status("default", "web")["containerGroupId"]
    emulator.patch(group_id, {"Status": "Failed"})
    h.kube.edit_spec("default", "web", containers=[{"name": "web", "image": "nginx:1.28"}])
    await h.sweep()
    emulator.clear_requests()
    result = await h.step("default", "web")
    assert result.after is not None and result.after >= h.resync  # a periodic re-check, not a 2 s poll
    stalled = h.condition("default", "web", "Stalled")
    assert stalled["reason"] == "InstanceNotUpdatable" and "Failed" in stalled["message"]
    assert emulator.requests("UpdateContainerGroup") == []


async def test_the_same_drift_twice_is_corrected_twice(h: Harness, emulator: Any) -> None:
    """ECI's idempotency memory must not swallow the second, identical correction."""
    h.kube.put(container_group())
    await h.settle("default", "web")
    group_id = h.status("default", "web")["containerGroupId"]
    for _ in range(2):
        emulator.patch(group_id, {"Containers": [{"Name": "web", "Image": "evil:latest"}]})
        await h.sweep()
        await h.settle("default", "web")
        assert emulator.instance(group_id)["Containers"][0]["Image"] == "nginx:1.27"
        assert h.condition("default", "web", "Ready")["status"] == "True"
    tokens = [r["Params"]["ClientToken"] for r in emulator.requests("UpdateContainerGroup")]
    assert len(tokens) == 2 and len(set(tokens)) == 2


async def test_replacing_twice_creates_two_new_instances(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group(updatePolicy="AllowReplace"))
    await h.settle("default", "web")
    seen = {h.status("default", "web")["containerGroupId"]}
    for cpu, memory in ((2, 4), (1, 2), (2, 4)):
        h.kube.edit_spec("default", "web", cpu=cpu, memory=memory)
        await h.settle("default", "web")
        current = h.status("default", "web")["containerGroupId"]
        assert current not in seen
        seen.add(current)
        assert [i["ContainerGroupId"] for i in emulator.instances()] == [current]
        assert emulator.instances()[0]["Cpu"] == cpu


async def test_spec_the_translator_refuses_stalls_with_the_field_and_one_event(
    h: Harness, emulator: Any
) -> None:
    h.kube.put(
        container_group(
            containers=[{"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "3"}}}]
        )
    )
    for _ in range(3):
        await h.settle("default", "web")
    stalled = h.condition("default", "web", "Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "InvalidSpec"
    assert "spec.cpu" in stalled["message"]
    assert emulator.requests() == []  # nothing reaches ECI
    assert [e["reason"] for e in h.kube.events] == ["InvalidSpec"]


async def test_a_long_transition_is_polled_ever_more_slowly(h: Harness, emulator: Any) -> None:
    h.kube.put(container_group())
    await h.step("default", "web")  # created
    group_id = h.status("default", "web")["containerGroupId"]
    emulator.patch(group_id, {"Status": "Scheduling"})  # ECI takes its time
    delays = [(await h.step("default", "web")).after for _ in range(12)]
    assert all(d is not None for d in delays)
    steps = [d for d in delays if d is not None]
    assert steps == sorted(steps)
    assert steps[-1] == h.resync or steps[-1] > steps[0] * 20


async def test_events_refused_by_a_terminating_namespace_are_not_warnings(
    h: Harness, emulator: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eci_operator.controller.kube import KubeError

    async def refuse(body: Any, *, reason: str, message: str, type_: str = "Normal") -> None:
        raise KubeError(
            "POST",
            "/api/v1/namespaces/default/events",
            403,
            'events "x" is forbidden: unable to create new content in namespace default '
            "because it is being terminated",
        )

    monkeypatch.setattr(h.kube, "create_event", refuse)
    h.kube.put(container_group())
    with caplog.at_level("DEBUG", logger="eci_operator"):
        await h.settle("default", "web")
    refused = [r for r in caplog.records if r.getMessage().startswith("Could not post event")]
    assert refused and all(r.levelname == "DEBUG" for r in refused)
    assert h.condition("default", "web", "Ready")["status"] == "True"  # the reconcile went on


async def test_fields_eci_cannot_enforce_stall_naming_them(h: Harness, emulator: Any) -> None:
    spec: dict[str, Any] = {
        "serviceAccountName": "web",
        "containers": [
            {"name": "web", "image": "nginx:1.27", "securityContext": {"capabilities": {"drop": ["ALL"]}}}
        ],
    }
    h.kube.put(container_group(**spec))
    await h.settle("default", "web")
    stalled = h.condition("default", "web", "Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "InvalidSpec"
    for field in ("spec.serviceAccountName", "spec.containers[0].securityContext.capabilities.drop"):
        assert field in stalled["message"]
    assert "spec.unenforceableFields: Ignore" in stalled["message"]
    assert emulator.instances() == []


async def test_ignored_fields_are_listed_evented_once_and_named_by_ready(h: Harness, emulator: Any) -> None:
    spec: dict[str, Any] = {
        "unenforceableFields": "Ignore",
        "serviceAccountName": "web",
        "containers": [
            {"name": "web", "image": "nginx:1.27", "securityContext": {"capabilities": {"drop": ["ALL"]}}}
        ],
    }
    h.kube.put(container_group(**spec))
    await h.settle("default", "web")
    status = h.status("default", "web")
    fields = [i["field"] for i in status["ignoredFields"]]
    assert fields == ["spec.serviceAccountName", "spec.containers[0].securityContext.capabilities.drop"]
    assert all(i["reason"] for i in status["ignoredFields"])
    ready = h.condition("default", "web", "Ready")
    assert ready["status"] == "True"
    assert "without 2 field(s) ECI cannot enforce" in ready["message"] and fields[1] in ready["message"]
    ignored_events = [e for e in h.kube.events if e["reason"] == "UnenforceableFieldsIgnored"]
    assert len(ignored_events) == 1 and ignored_events[0]["type"] == "Warning"
    # steady: no second Event, no write
    writes_before = len(h.kube.writes)
    assert await h.step("default", "web") == DONE
    assert len(h.kube.writes) == writes_before
    # the field removed: the list goes, Ready says nothing about it
    h.kube.edit_spec(
        "default", "web", serviceAccountName=None, containers=[{"name": "web", "image": "nginx:1.27"}]
    )
    await h.settle("default", "web")
    assert "ignoredFields" not in h.status("default", "web")
    assert "cannot enforce" not in h.condition("default", "web", "Ready")["message"]


async def test_env_from_a_configmap_is_read_and_sent(h: Harness, emulator: Any) -> None:
    h.kube.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "env", "namespace": "default"},
            "data": {"MODE": "prod"},
        }
    )
    containers = [
        {
            "name": "web",
            "image": "nginx:1.27",
            "envFrom": [{"configMapRef": {"name": "env"}, "prefix": "APP_"}],
        }
    ]
    h.kube.put(container_group(containers=containers))
    await h.settle("default", "web")
    assert h.condition("default", "web", "Ready")["status"] == "True"
    env = {e["Key"]: e.get("Value") for e in emulator.instances()[0]["Containers"][0]["EnvironmentVars"]}
    assert env["APP_MODE"] == "prod"


async def test_a_skewed_clock_is_retried_not_stalled_and_recovers_once_fixed(
    h: Harness, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = signing.format_timestamp
    monkeypatch.setattr(
        signing, "format_timestamp", lambda when=None: real(when or datetime.now(UTC) - timedelta(minutes=20))
    )
    h.kube.put(container_group())
    result = await h.step("default", "web")
    assert result.failed  # backed off and retried, not parked until the spec changes
    assert h.condition("default", "web", "Stalled")["status"] == "False"
    reconciling = h.condition("default", "web", "Reconciling")
    assert reconciling["reason"] == "RetryingAfterError" and "synchronise the clock" in reconciling["message"]
    monkeypatch.setattr(signing, "format_timestamp", real)  # NTP fixed the clock; the spec is the same
    await h.settle("default", "web")
    assert h.condition("default", "web", "Ready")["status"] == "True"
    assert len(emulator.instances()) == 1


async def test_a_settled_object_that_reads_secrets_looks_again_at_kubernetes_only(emulator: Any) -> None:
    h = Harness(emulator, resync=600.0)  # the default sweep: far too slow for a rotated Secret
    try:
        h.kube.put(pull_secret("first"))
        h.kube.put(container_group(imagePullSecrets=[{"name": "regcred"}]))
        h.kube.put(container_group(name="plain"))
        await h.settle("default", "web")
        await h.settle("default", "plain")
        recheck = h.settings.reconcile.secret_recheck
        assert (await h.step("default", "web")).after == recheck
        assert (await h.step("default", "plain")).after is None  # reads no Secret: the sweep will do
        emulator.clear_requests()
        kube_writes = len(h.kube.writes)
        assert (await h.step("default", "web")).after == recheck
        assert emulator.requests() == [] and len(h.kube.writes) == kube_writes  # cached, unchanged
        h.kube.put(pull_secret("second"))
        await h.settle("default", "web")  # the next look, with no sweep in between
        assert [r["Action"] for r in emulator.requests() if r["Action"] != "DescribeContainerGroups"] == [
            "UpdateContainerGroup"
        ]
    finally:
        await h.close()
