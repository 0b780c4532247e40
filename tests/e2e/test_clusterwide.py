"""Cluster-wide mode (no --namespace), as deploy/ runs it, works with the deploy/ RBAC alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cluster import Cluster, is_ready
from tests.support.manifests import container_group

pytestmark = pytest.mark.kube


def test_all_namespaces(cluster: Cluster, start_emulator: Any, start_operator: Any) -> None:
    # Its own emulator: a cluster-wide operator also sees objects other tests left behind.
    emulator = start_emulator(transition_delay=0.2)
    operator = start_operator(None, emulator, resync=2.0)
    cluster.put_core(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"a": "1"}}
    )
    cluster.create(
        container_group(
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
    body = cluster.wait("web", is_ready, timeout=90)  # it may first settle objects other tests left
    assert body["status"]["containerGroupId"] in {i["ContainerGroupId"] for i in emulator.instances()}
    assert "Forbidden" not in operator.log() and "403" not in operator.log()
