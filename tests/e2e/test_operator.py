"""The operator end to end: a real API server, the real RBAC of deploy/, the ECI emulator."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from tests.support.cluster import Cluster, condition, is_ready, is_stalled
from tests.support.manifests import container_group

pytestmark = pytest.mark.kube

RESYNC = 2.0


def eci_writes(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if not r["Action"].startswith("Describe")]


def groups_of(request: dict[str, Any]) -> set[str]:
    return {k.split(".")[0] for k in request["Params"] if "." in k}


def test_create_update_tags_quiet_and_delete(cluster: Cluster, emulator: Any, start_operator: Any) -> None:
    operator = start_operator(cluster.namespace, emulator, resync=RESYNC)
    cluster.create(container_group())
    body = cluster.wait("web", is_ready)
    status = body["status"]
    assert status["containerGroupId"].startswith("eci-")
    assert status["phase"] == "Running"
    assert status["intranetIp"]
    assert [i["ContainerGroupId"] for i in emulator.instances()] == [status["containerGroupId"]]
    assert "eci.operator.dev/finalizer" in body["metadata"]["finalizers"]
    assert not body["metadata"].get("annotations")  # Kopf keeps no state (and no spec copy) on the object

    # Image edit: exactly one UpdateContainerGroup carrying only the container group; restart reported.
    emulator.clear_requests()
    cluster.patch_spec(
        "web", {"containers": [{"name": "web", "image": "nginx:1.28", "ports": [{"containerPort": 80}]}]}
    )
    cluster.wait("web", lambda b: is_ready(b) and b["metadata"]["generation"] == 2)
    [update] = eci_writes(emulator)
    assert update["Action"] == "UpdateContainerGroup"
    assert groups_of(update) == {"Container"}
    assert emulator.instances()[0]["Containers"][0]["Image"] == "nginx:1.28"
    assert emulator.instances()[0]["Containers"][0]["RestartCount"] >= 1
    updated = [e for e in cluster.events("web") if e["reason"] == "Updated"]
    assert updated and "restart" in updated[-1]["message"]

    # Tag edit: an update carrying only Tag, no restart.
    emulator.clear_requests()
    restarts = emulator.instances()[0]["Containers"][0]["RestartCount"]
    cluster.patch_spec("web", {"tags": {"team": "payments"}})
    cluster.wait("web", lambda b: is_ready(b) and b["metadata"]["generation"] == 3)
    [update] = eci_writes(emulator)
    assert groups_of(update) == {"Tag"}
    assert emulator.instances()[0]["Containers"][0]["RestartCount"] == restarts
    assert any(e["reason"] == "Updated" and "without restart" in e["message"] for e in cluster.events("web"))

    # No edit: no write at all, to ECI or to Kubernetes, across several resyncs.
    emulator.clear_requests()
    before = cluster.version("web")
    events_before = len(cluster.events())
    time.sleep(RESYNC * 3)
    assert eci_writes(emulator) == []
    assert cluster.version("web") == before
    assert len(cluster.events()) == events_before
    describes = emulator.requests("DescribeContainerGroups")
    assert 1 <= len(describes) <= 5  # one batched read per resync interval, not per object per trigger

    metrics = operator.metrics()
    assert "eci_operator_reconcile_total" in metrics
    assert (
        'eci_operator_eci_requests_total{account="",action="UpdateContainerGroup",code="OK"} 2.0' in metrics
    )

    # Delete with deletionPolicy Delete: the instance goes, then the resource.
    cluster.delete("web")
    cluster.wait_gone("web")
    assert emulator.instances() == []


def test_orphan_releases_the_instance(cluster: Cluster, emulator: Any, start_operator: Any) -> None:
    start_operator(cluster.namespace, emulator, resync=RESYNC)
    cluster.create(container_group("keep", deletionPolicy="Orphan"))
    group_id = cluster.wait("keep", is_ready)["status"]["containerGroupId"]
    cluster.delete("keep")
    cluster.wait_gone("keep")
    instance = emulator.instance(group_id)
    assert instance is not None
    keys = {t["Key"] for t in instance["Tags"]}
    assert "team" in keys and not any(k.startswith("eci.operator.dev/") for k in keys)


def test_drift_enforced_and_reported(cluster: Cluster, emulator: Any, start_operator: Any) -> None:
    start_operator(cluster.namespace, emulator, resync=RESYNC)
    cluster.create(container_group("enforced"))
    cluster.create(container_group("reported", driftPolicy="Report"))
    enforced = cluster.wait("enforced", is_ready)["status"]["containerGroupId"]
    reported = cluster.wait("reported", is_ready)["status"]["containerGroupId"]
    emulator.clear_requests()
    for group_id in (enforced, reported):
        emulator.patch(group_id, {"Containers": [{"Name": "web", "Image": "evil:1"}]})
    changed_at = time.monotonic()

    def corrected() -> bool:
        return bool(emulator.instance(enforced)["Containers"][0]["Image"] == "nginx:1.27")

    while not corrected() and time.monotonic() - changed_at < RESYNC * 3:
        time.sleep(0.1)
    assert corrected()
    assert time.monotonic() - changed_at <= RESYNC * 1.1 + 3  # within one (jittered) resync + the update
    body = cluster.wait("reported", lambda b: bool((b.get("status") or {}).get("drift")))
    assert [d["group"] for d in body["status"]["drift"]] == ["Container"]
    assert condition(body, "Ready")["reason"] == "DriftReported"
    assert emulator.instance(reported)["Containers"][0]["Image"] == "evil:1"
    updates = emulator.requests("UpdateContainerGroup")
    assert [u["Params"]["ContainerGroupId"] for u in updates] == [enforced]
    assert any(e["reason"] == "DriftDetected" for e in cluster.events("reported"))


def test_adoption_and_refusal(cluster: Cluster, emulator: Any, start_operator: Any) -> None:
    start_operator(cluster.namespace, emulator, resync=RESYNC)
    seeded = emulator.seed(
        {
            "RegionId": "cn-hangzhou",
            "ContainerGroupName": "legacy",
            "Status": "Running",
            "Cpu": 1.0,
            "Memory": 2.0,
            "Containers": [
                {"Name": "web", "Image": "nginx:1.27", "Ports": [{"Port": 80, "Protocol": "TCP"}]}
            ],
        }
    )
    group_id = seeded["ContainerGroupId"]
    cluster.create(container_group("adopter", containerGroupId=group_id, containerGroupName="legacy"))
    body = cluster.wait("adopter", is_ready)
    assert body["status"]["containerGroupId"] == group_id
    assert len(emulator.instances()) == 1
    tags = {t["Key"]: t["Value"] for t in emulator.instance(group_id)["Tags"]}
    assert tags["eci.operator.dev/name"] == "adopter"
    assert emulator.requests("CreateContainerGroup") == []

    cluster.create(container_group("thief", containerGroupId=group_id, containerGroupName="legacy"))
    body = cluster.wait("thief", is_stalled)
    assert condition(body, "Stalled")["reason"] == "OwnedByAnother"
    assert f"{cluster.namespace}/adopter" in condition(body, "Stalled")["message"]
    assert len(emulator.instances()) == 1


def pull_secret(password: str) -> dict[str, Any]:
    config = {"auths": {"registry.example.com": {"username": "robot", "password": password}}}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "regcred"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def test_rotated_secret_and_changed_configmap(cluster: Cluster, emulator: Any, start_operator: Any) -> None:
    start_operator(cluster.namespace, emulator, resync=RESYNC)
    cluster.put_core(pull_secret("first-password"))
    cluster.put_core(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"a.conf": "x=1"}}
    )
    cluster.create(
        container_group(
            imagePullSecrets=[{"name": "regcred"}],
            volumes=[{"name": "cfg", "configMap": {"name": "app"}}],
            containers=[
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "volumeMounts": [{"name": "cfg", "mountPath": "/etc/app"}],
                }
            ],
        )
    )
    body = cluster.wait("web", is_ready)
    assert "first-password" not in json.dumps(body)

    emulator.clear_requests()
    cluster.put_core(pull_secret("second-password"))
    deadline = time.monotonic() + RESYNC * 4
    while not emulator.requests("UpdateContainerGroup") and time.monotonic() < deadline:
        time.sleep(0.2)
    [update] = emulator.requests("UpdateContainerGroup")
    assert groups_of(update) == {"ImageRegistryCredential"}
    cluster.wait("web", is_ready)

    emulator.clear_requests()
    cluster.put_core(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"a.conf": "x=2"}}
    )
    deadline = time.monotonic() + RESYNC  # prompt: the ConfigMap is watched, no resync needed
    while not emulator.requests("UpdateContainerGroup") and time.monotonic() < deadline:
        time.sleep(0.1)
    [update] = emulator.requests("UpdateContainerGroup")
    assert groups_of(update) == {"Volume"}
    body = cluster.wait("web", is_ready)
    everything = json.dumps(body) + json.dumps(cluster.events())
    assert "second-password" not in everything and "first-password" not in everything


def test_update_policies(cluster: Cluster, emulator: Any, start_operator: Any) -> None:
    start_operator(cluster.namespace, emulator, resync=RESYNC)
    cluster.create(container_group("careful", updatePolicy="InPlaceOnly"))
    cluster.create(container_group("bold", updatePolicy="AllowReplace"))
    cluster.wait("careful", is_ready)
    old = cluster.wait("bold", is_ready)["status"]["containerGroupId"]
    emulator.clear_requests()

    cluster.patch_spec("careful", {"containers": [{"name": "web", "image": "nginx:1.28"}]})
    body = cluster.wait("careful", is_stalled)
    assert condition(body, "Stalled")["reason"] == "UpdateBlockedByPolicy"
    assert "InPlaceOnly" in condition(body, "Stalled")["message"]
    assert body["status"]["plan"]["impact"] == "Restart"

    cluster.patch_spec("bold", {"cpu": 2, "memory": 4})
    body = cluster.wait("bold", lambda b: is_ready(b) and b["metadata"]["generation"] == 2, timeout=60)
    new = body["status"]["containerGroupId"]
    assert new != old
    writes = [(r["Action"], r["Params"].get("ContainerGroupId")) for r in eci_writes(emulator)]
    assert writes == [("CreateContainerGroup", None), ("DeleteContainerGroup", old)]  # create before delete
    assert emulator.instance(old) is None
    assert emulator.instance(new)["Cpu"] == 2.0


def test_refused_spec_stalls_without_retry_storm(
    cluster: Cluster, emulator: Any, start_operator: Any
) -> None:
    start_operator(cluster.namespace, emulator, resync=RESYNC)
    body = container_group(
        containers=[{"name": "web", "image": "nginx", "resources": {"requests": {"memory": "1000Gi"}}}]
    )
    del body["spec"]["cpu"], body["spec"]["memory"]
    cluster.create(body)
    stalled = cluster.wait("web", is_stalled)
    assert "InvalidParameter.CPU.Memory" in condition(stalled, "Stalled")["message"]
    time.sleep(RESYNC * 3)
    assert len(emulator.requests("CreateContainerGroup")) == 1
    assert cluster.version("web") == stalled["metadata"]["resourceVersion"]


def test_restart_in_sync_makes_zero_writes(cluster: Cluster, emulator: Any, start_operator: Any) -> None:
    operator = start_operator(cluster.namespace, emulator, resync=RESYNC)
    cluster.create(container_group())
    cluster.wait("web", is_ready)
    operator.stop()
    emulator.clear_requests()
    before = cluster.version("web")
    events_before = len(cluster.events())
    start_operator(cluster.namespace, emulator, resync=RESYNC)
    time.sleep(RESYNC * 3)
    assert eci_writes(emulator) == []
    assert emulator.requests("DescribeContainerGroups")  # it did look
    assert cluster.version("web") == before
    assert len(cluster.events()) == events_before
