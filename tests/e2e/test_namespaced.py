"""The namespaced install: the README's overlay (deploy/ + the deploy/namespaced component, one
RoleBinding, ``--namespace=shop``), built with kustomize and applied to a real apiserver. The
operator, run with the Deployment's ``--namespace`` arguments as that ServiceAccount, reconciles a
ContainerGroup that uses a Secret of ``shop``; the ServiceAccount can read nothing of ``other``;
and the apiserver's audit log holds no refused request of the operator."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.e2e.conftest import AuditedControlPlane
from tests.support import access, kustomize
from tests.support.audit import serviceaccount_user, summary
from tests.support.cluster import Cluster, is_ready
from tests.support.manifests import container_group
from tests.support.operator import REPO, SA_NAME, SA_NAMESPACE, listening_addresses

pytestmark = pytest.mark.kube  # the control plane, and kustomize: both built with Go

USER = serviceaccount_user(SA_NAMESPACE, SA_NAME)
WATCHED, OTHER = "shop", "other"


def readme_overlay() -> dict[str, Any]:
    """The kustomization of the README's "Watching chosen namespaces only"."""
    section = (REPO / "README.md").read_text().split("### Watching chosen namespaces only", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README shows no overlay"
    overlay: dict[str, Any] = yaml.safe_load(block.group(1))
    return overlay


def build_overlay(directory: Path) -> list[dict[str, Any]]:
    """The README's overlay with ``../eci-operator/`` meaning this repository, and its
    ``watch-shop.yaml`` being deploy/namespaced/rolebinding.yaml as the README says."""
    body = readme_overlay()
    for key in ("resources", "components"):
        body[key] = [
            str(REPO / p.removeprefix("../eci-operator/")) if "eci-operator/" in p else p for p in body[key]
        ]
    binding = yaml.safe_load((REPO / "deploy" / "namespaced" / "rolebinding.yaml").read_text())
    return kustomize.build(kustomize.overlay(directory, body, {"watch-shop.yaml": binding}))


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def deployment_args(objects: list[dict[str, Any]]) -> list[str]:
    (deployment,) = of_kind(objects, "Deployment")
    args: list[str] = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    return args


def test_overlay_grants_the_rules_in_the_watched_namespaces_only(tmp_path: Path) -> None:
    objects = build_overlay(tmp_path / "overlay")
    base = kustomize.build(REPO / "deploy")
    assert of_kind(objects, "ClusterRoleBinding") == []
    assert len(of_kind(base, "ClusterRoleBinding")) == 1
    # The rules are the base's own, granted by RoleBindings in the namespaces the operator watches.
    assert of_kind(objects, "ClusterRole") == of_kind(base, "ClusterRole")
    bindings = [b for b in of_kind(objects, "RoleBinding") if b["roleRef"]["kind"] == "ClusterRole"]
    assert {b["metadata"]["namespace"] for b in bindings} == {WATCHED}
    # and the leader-election Role, for the Lease in the operator's own namespace only
    assert [b["metadata"]["namespace"] for b in of_kind(objects, "RoleBinding") if b not in bindings] == [
        SA_NAMESPACE
    ]
    for binding in bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "eci-operator",
        }
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": SA_NAME, "namespace": SA_NAMESPACE}]
    args = deployment_args(objects)
    assert [a.removeprefix("--namespace=") for a in args if a.startswith("--namespace=")] == [WATCHED]
    assert "--metrics-host=0.0.0.0" in args  # the pod IP is scraped; the operator's default is loopback
    assert deployment_args(base) == [a for a in args if not a.startswith("--namespace=")]


def allowed(env: Any, namespace: str, verb: str, resource: str, group: str = "") -> bool:
    return access.allowed(env, (SA_NAMESPACE, SA_NAME), verb, resource, namespace=namespace, group=group)


def secret(value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "app"},
        "data": {"token": base64.b64encode(value.encode()).decode()},
    }


def test_operator_for_one_namespace_under_the_namespaced_rbac(
    audited_control_plane: AuditedControlPlane, start_emulator: Any, start_operator: Any, tmp_path: Path
) -> None:
    plane = audited_control_plane
    env = plane.env
    for namespace in (WATCHED, OTHER):
        env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    objects = build_overlay(tmp_path / "overlay")
    # Everything but the Deployment: there is no kubelet here; the operator runs as a process
    # with the Deployment's --namespace arguments, as its ServiceAccount.
    env.apply([o for o in objects if o["kind"] != "Deployment"])
    namespaces = [
        a.removeprefix("--namespace=") for a in deployment_args(objects) if a.startswith("--namespace=")
    ]
    kubeconfig = env.serviceaccount_kubeconfig(SA_NAMESPACE, SA_NAME, tmp_path / "operator.kubeconfig")

    shop, other = Cluster(env, WATCHED), Cluster(env, OTHER)
    shop.put_core(secret("shop-token-3f9a"))
    other.put_core(secret("other-token-7c2e"))
    emulator = start_emulator(transition_delay=0.2)
    operator = start_operator(namespaces, emulator, kubeconfig=kubeconfig)
    assert listening_addresses(operator.metrics_port) == {"127.0.0.1"}  # no --metrics-host: loopback

    env_from_secret = {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "app", "key": "token"}}}
    shop.create(
        container_group(containers=[{"name": "web", "image": "nginx:1.27", "env": [env_from_secret]}])
    )
    body = shop.wait("web", is_ready, timeout=60)
    instance = emulator.instance(body["status"]["containerGroupId"])
    values = {e["Key"]: e.get("Value") for e in instance["Containers"][0]["EnvironmentVars"]}
    assert values["TOKEN"] == "shop-token-3f9a"

    # The operator needed nothing it was not given: the apiserver refused none of its requests.
    requests = plane.audit.requests(USER)
    assert any(
        r["verb"] == "get" and r["requestURI"].startswith(f"/api/v1/namespaces/{WATCHED}/secrets/app")
        for r in requests
    ), summary(requests)
    assert plane.audit.refused(USER) == [], summary(plane.audit.refused(USER))

    # And it was given nothing outside the watched namespace.
    assert allowed(env, WATCHED, "get", "secrets")
    for namespace in (OTHER, SA_NAMESPACE, ""):  # "": cluster-wide
        assert not allowed(env, namespace, "get", "secrets"), namespace
        assert not allowed(env, namespace, "list", "configmaps"), namespace
        assert not allowed(env, namespace, "list", "containergroups", "eci.operator.dev"), namespace
    assert not allowed(env, WATCHED, "list", "secrets")
    token = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
    with pytest.raises(ApiException) as refused:
        client.CoreV1Api(env.api_for_token(token)).read_namespaced_secret("app", OTHER)
    assert refused.value.status == 403
    assert "other-token-7c2e" not in str(refused.value.body)
    # The audit log does record refusals: the assertion above could have failed.
    assert [r["requestURI"] for r in plane.audit.refused(USER)] == [f"/api/v1/namespaces/{OTHER}/secrets/app"]
