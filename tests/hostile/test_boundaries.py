"""A namespace touches only what it owns: no other namespace's Secret, no other object's instance."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from tests.support.cluster import Cluster, condition, is_ready
from tests.support.manifests import container_group

pytestmark = pytest.mark.kube

TRAVERSALS = [
    "../../victim/secrets/dbcreds",
    "..",
    "%2e%2e",
    "a/b",
    "dbcreds/../../x",
    "DBcreds",
    "x" * 254,
]


def env_from(secret: str) -> dict[str, Any]:
    env = [{"name": "DB", "valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}}]
    return {"containers": [{"name": "web", "image": "nginx:1.27", "env": env}]}


@pytest.mark.parametrize("validation", ["Strict", "Warn", "Ignore"])
def test_a_reference_name_cannot_leave_the_namespace(
    cluster: Cluster, operator_kubeconfig: Any, validation: str
) -> None:
    for name in TRAVERSALS:
        for spec in (
            env_from(name),
            {"imagePullSecrets": [{"name": name}]},
            {"volumes": [{"name": "v", "secret": {"secretName": name}}]},
            {"volumes": [{"name": "v", "configMap": {"name": name}}]},
        ):
            body = container_group("thief", namespace=cluster.namespace, **spec)
            response = cluster.http.post(cluster.path(), params={"fieldValidation": validation}, json=body)
            assert response.status_code == 422, (name, spec, response.text)
            assert "name" in response.json()["message"].lower()


def test_a_plain_name_never_reads_another_namespaces_secret(
    kube_env: Any, cluster: Cluster, emulator: Any, start_operator: Any
) -> None:
    victim = Cluster(kube_env, f"{cluster.namespace[:50]}-v")
    kube_env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": victim.namespace}})
    value = "victim-only-Zq9"
    victim.put_core(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "dbcreds"},
            "data": {"password": base64.b64encode(value.encode()).decode()},
        }
    )
    start_operator(None, emulator)  # cluster-wide, as deploy/ runs it
    victim.create(container_group("app", **env_from("dbcreds")))
    victim.wait("app", is_ready)
    cluster.create(container_group("thief", **env_from("dbcreds")))  # no such Secret in its own namespace
    body = cluster.wait(
        "thief", lambda b: condition(b, "Reconciling").get("reason") == "WaitingForReference", timeout=30
    )
    assert "dbcreds" in condition(body, "Reconciling")["message"]
    time.sleep(3)
    thief_instances = [
        i
        for i in emulator.instances()
        if {t["Key"]: t["Value"] for t in i["Tags"]}.get("eci.operator.dev/namespace") == cluster.namespace
    ]
    assert thief_instances == []  # nothing was created with a value from elsewhere


def test_a_forged_status_cannot_aim_a_delete_at_another_objects_instance(
    cluster: Cluster, emulator: Any, start_operator: Any
) -> None:
    start_operator(cluster.namespace, emulator)
    cluster.create(container_group("victim"))
    cluster.create(container_group("forger"))
    target = cluster.wait("victim", is_ready)["status"]["containerGroupId"]
    own = cluster.wait("forger", is_ready)["status"]["containerGroupId"]
    forged = cluster.http.patch(
        cluster.path("forger") + "/status",
        json={"status": {"containerGroupId": target}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert forged.status_code == 200, forged.text
    time.sleep(3)
    assert emulator.requests("UpdateContainerGroup") == []  # the forged ID is never written to
    cluster.delete("forger")
    cluster.wait_gone("forger", timeout=120)
    instance = emulator.instance(target)
    assert instance is not None and instance["Status"] == "Running"
    deleted = {r["Params"]["ContainerGroupId"] for r in emulator.requests("DeleteContainerGroup")}
    assert target not in deleted and own in deleted
