"""Authentication and RBAC: static tokens and ServiceAccount tokens from the TokenRequest API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.config
import pytest
from kubernetes.client.exceptions import ApiException

from tests.kube.conftest import GROUP, PLURAL, VERSION, widget
from tests.kube.testenv import KubeEnv

pytestmark = [pytest.mark.kube, pytest.mark.usefixtures("widget_crd")]


def status_of(call: Callable[[], Any]) -> int:
    """The HTTP status of a client call: 200 when it succeeds."""
    try:
        call()
    except ApiException as e:
        return int(e.status)
    return 200


def whoami(api: kubernetes.client.ApiClient) -> kubernetes.client.V1UserInfo:
    review = kubernetes.client.AuthenticationV1Api(api).create_self_subject_review(
        kubernetes.client.V1SelfSubjectReview()
    )
    return review.status.user_info


def test_admin_kubeconfig_is_cluster_admin(kube_env: KubeEnv) -> None:
    api = kubernetes.config.new_client_from_config(config_file=str(kube_env.kubeconfig))
    user = whoami(api)
    assert user.username == "admin"
    assert "system:masters" in user.groups
    names = {ns.metadata.name for ns in kubernetes.client.CoreV1Api(api).list_namespace().items}
    assert {"default", "kube-system"} <= names


def test_unprivileged_token_is_authenticated_but_forbidden(kube_env: KubeEnv, kube_namespace: str) -> None:
    api = kube_env.api_for_token(kube_env.tokens["nobody"])
    assert whoami(api).username == "nobody"
    core = kubernetes.client.CoreV1Api(api)
    assert status_of(core.list_namespace) == 403
    assert status_of(lambda: core.list_namespaced_secret(kube_namespace)) == 403
    assert (
        status_of(lambda: core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "x"}}))
        == 403
    )

    stranger = kubernetes.client.CoreV1Api(kube_env.api_for_token("not-a-token"))
    assert status_of(stranger.list_namespace) == 401


@pytest.fixture
def widget_reader(kube_env: KubeEnv, kube_namespace: str) -> str:
    """ServiceAccount ``reader`` allowed to read widgets and create configmaps in its namespace."""
    kube_env.apply(
        [
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "reader", "namespace": kube_namespace},
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "widget-reader", "namespace": kube_namespace},
                "rules": [
                    {"apiGroups": [GROUP], "resources": [PLURAL], "verbs": ["get", "list", "watch"]},
                    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]},
                ],
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "widget-reader", "namespace": kube_namespace},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "widget-reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": kube_namespace}],
            },
        ]
    )
    admin = kubernetes.client.CustomObjectsApi(kube_env.admin_api())
    admin.create_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, widget("existing"))
    return "reader"


def test_serviceaccount_token_can_do_exactly_what_its_role_allows(
    kube_env: KubeEnv, kube_namespace: str, widget_reader: str
) -> None:
    other = kube_env.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{kube_namespace}-x"}}
    )
    other_ns = other[0]["metadata"]["name"]
    api = kube_env.api_for_token(kube_env.serviceaccount_token(kube_namespace, widget_reader))
    user = whoami(api)
    assert user.username == f"system:serviceaccount:{kube_namespace}:{widget_reader}"

    crs = kubernetes.client.CustomObjectsApi(api)
    core = kubernetes.client.CoreV1Api(api)
    # allowed by the Role
    assert (
        status_of(
            lambda: crs.get_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, "existing")
        )
        == 200
    )
    assert status_of(lambda: crs.list_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL)) == 200
    cm = {"metadata": {"name": "made-by-reader"}}
    assert status_of(lambda: core.create_namespaced_config_map(kube_namespace, cm)) == 200
    # not allowed: other verbs, other resources, other namespaces, cluster scope
    new = widget("new")
    assert (
        status_of(lambda: crs.create_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, new))
        == 403
    )
    assert (
        status_of(
            lambda: crs.delete_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, "existing")
        )
        == 403
    )
    assert status_of(lambda: core.list_namespaced_config_map(kube_namespace)) == 403
    assert status_of(lambda: core.list_namespaced_secret(kube_namespace)) == 403
    assert status_of(lambda: crs.list_namespaced_custom_object(GROUP, VERSION, other_ns, PLURAL)) == 403
    assert status_of(lambda: crs.list_cluster_custom_object(GROUP, VERSION, PLURAL)) == 403


def test_serviceaccount_kubeconfig_acts_as_the_serviceaccount(
    kube_env: KubeEnv, kube_namespace: str, widget_reader: str, tmp_path: Path
) -> None:
    path = kube_env.serviceaccount_kubeconfig(kube_namespace, widget_reader, tmp_path / "reader.kubeconfig")
    api = kubernetes.config.new_client_from_config(config_file=str(path))
    assert whoami(api).username == f"system:serviceaccount:{kube_namespace}:{widget_reader}"
    listed = kubernetes.client.CustomObjectsApi(api).list_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL
    )
    assert [w["metadata"]["name"] for w in listed["items"]] == ["existing"]


def test_tokenrequest_honours_audience_and_needs_an_existing_serviceaccount(
    kube_env: KubeEnv, kube_namespace: str, widget_reader: str
) -> None:
    token = kube_env.serviceaccount_token(kube_namespace, widget_reader, audiences=["eci-operator-test"])
    review = kubernetes.client.AuthenticationV1Api(kube_env.admin_api()).create_token_review(
        {"spec": {"token": token, "audiences": ["eci-operator-test"]}}
    )
    assert review.status.authenticated
    assert review.status.audiences == ["eci-operator-test"]
    # a token for another audience is not accepted by the apiserver itself
    assert status_of(kubernetes.client.CoreV1Api(kube_env.api_for_token(token)).get_api_resources) == 401

    with pytest.raises(Exception, match="404"):
        kube_env.serviceaccount_token(kube_namespace, "no-such-account")
