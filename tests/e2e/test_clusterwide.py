"""Cluster-wide mode (no --namespace), as deploy/ runs it, works with the deploy/ RBAC alone: the
apiserver's audit log holds no refused request of the operator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import AuditedControlPlane
from tests.support.audit import serviceaccount_user, summary
from tests.support.cluster import Cluster, is_ready
from tests.support.manifests import container_group
from tests.support.operator import SA_NAME, SA_NAMESPACE, install_operator_access

pytestmark = pytest.mark.kube

USER = serviceaccount_user(SA_NAMESPACE, SA_NAME)


def test_all_namespaces(
    audited_control_plane: AuditedControlPlane, start_emulator: Any, start_operator: Any, tmp_path: Path
) -> None:
    plane = audited_control_plane
    kubeconfig = install_operator_access(plane.env, tmp_path / "operator.kubeconfig")
    plane.env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    cluster = Cluster(plane.env, "shop")
    emulator = start_emulator(transition_delay=0.2)
    start_operator(None, emulator, resync=2.0, kubeconfig=kubeconfig)
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
    body = cluster.wait("web", is_ready, timeout=60)
    assert body["status"]["containerGroupId"] in {i["ContainerGroupId"] for i in emulator.instances()}

    requests = plane.audit.requests(USER)
    uris = {(r["verb"], r["requestURI"].split("?")[0]) for r in requests}
    # It did work cluster-wide, as the ServiceAccount: listed across namespaces, wrote status.
    assert ("list", "/apis/eci.operator.dev/v1alpha1/containergroups") in uris, summary(requests)
    assert ("list", "/api/v1/configmaps") in uris, summary(requests)
    assert ("patch", cluster.path("web") + "/status") in uris, summary(requests)
    assert plane.audit.refused(USER) == [], summary(plane.audit.refused(USER))
