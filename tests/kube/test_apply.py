"""The ``apply`` helper other tests use to install CRDs, RBAC and namespaces."""

from __future__ import annotations

from pathlib import Path

import kubernetes.client
import pytest

from tests.kube.testenv import KubeEnv

pytestmark = pytest.mark.kube

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: NS}
data: {mode: first}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: NS}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
"""


def test_apply_yaml_file_creates_then_updates(kube_env: KubeEnv, kube_namespace: str, tmp_path: Path) -> None:
    path = tmp_path / "manifests.yaml"
    path.write_text(MANIFESTS.replace("NS", kube_namespace))
    first = kube_env.apply(path)
    assert [(o["kind"], o["metadata"]["name"]) for o in first] == [
        ("ConfigMap", "settings"),
        ("Role", "reader"),
    ]

    path.write_text(MANIFESTS.replace("NS", kube_namespace).replace("mode: first", "mode: second"))
    kube_env.apply(path)
    core = kubernetes.client.CoreV1Api(kube_env.admin_api())
    assert core.read_namespaced_config_map("settings", kube_namespace).data == {"mode": "second"}
    rbac = kubernetes.client.RbacAuthorizationV1Api(kube_env.admin_api())
    assert [r.verbs for r in rbac.read_namespaced_role("reader", kube_namespace).rules or []] == [["get"]]


def test_apply_rejects_a_namespaced_object_without_namespace(kube_env: KubeEnv) -> None:
    with pytest.raises(ValueError, match=r"metadata\.namespace is required"):
        kube_env.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})


def test_apply_names_an_unknown_kind(kube_env: KubeEnv) -> None:
    with pytest.raises(LookupError, match="Gadget"):
        kube_env.apply({"apiVersion": "v1", "kind": "Gadget", "metadata": {"name": "x"}})
