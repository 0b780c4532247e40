"""``eci-operator orphans`` finds the instances whose ContainerGroup is gone, and touches nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.support.cluster import Cluster, is_ready
from tests.support.manifests import container_group
from tests.support.operator import REPO

pytestmark = pytest.mark.kube


def orphans(kube_env: Any, emulator: Any, cluster_id: str) -> list[dict[str, str]]:
    env = {
        **os.environ,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret,
        "PYTHONPATH": str(REPO / "operator"),
    }
    env.pop("KUBERNETES_SERVICE_HOST", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "eci_operator.cli",
            "orphans",
            "--region",
            "cn-hangzhou",
            "--cluster-id",
            cluster_id,
            "--eci-endpoint",
            emulator.url,
            "--kubeconfig",
            str(kube_env.kubeconfig),
            "-o",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows: list[dict[str, str]] = json.loads(done.stdout)
    return rows


def test_an_instance_whose_object_vanished_is_listed_and_left_alone(
    kube_env: Any, cluster: Cluster, emulator: Any, start_operator: Any
) -> None:
    operator = start_operator(cluster.namespace, emulator)
    cluster.create(container_group("kept"))
    cluster.create(container_group("lost"))
    kept = cluster.wait("kept", is_ready)["status"]["containerGroupId"]
    lost = cluster.wait("lost", is_ready)["status"]["containerGroupId"]
    # While the operator is down, someone removes the finalizer by hand and deletes the object (a
    # running operator would put its finalizer back at once and delete the instance properly).
    operator.stop()
    response = cluster.http.patch(
        cluster.path("lost"),
        json={"metadata": {"finalizers": None}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    cluster.delete("lost")
    cluster.wait_gone("lost")
    assert emulator.instance(lost) is not None  # still running, and still billed

    emulator.clear_requests()
    rows = orphans(kube_env, emulator, "e2e")
    assert [r["containerGroupId"] for r in rows] == [lost]
    assert rows[0]["owner"] == f"{cluster.namespace}/lost"
    assert rows[0]["why"] == "ContainerGroup not found"
    assert kept not in {r["containerGroupId"] for r in rows}
    assert all(r["Action"] == "DescribeContainerGroups" for r in emulator.requests())  # read only
    assert orphans(kube_env, emulator, "another-cluster") == []  # other clusters' tags are not ours
