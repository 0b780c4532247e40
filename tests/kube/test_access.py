"""Authentication and RBAC: static tokens and ServiceAccount tokens from the TokenRequest API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client import V1ConfigMap, V1ObjectMeta, V1TokenReview, V1TokenReviewSpec
from kubernetes.client.exceptions import ApiException

from tests.kube.conftest import GROUP, PLURAL, Widgets, widget
from tests.kube.testenv import KubeEnv, KubeError, api_from_kubeconfig

pytestmark = [pytest.mark.kube, pytest.mark.usefixtures("widget_crd")]


def status_of(call: Callable[[], Any]) -> int:
    """The HTTP status of a client call: 200 when it succeeds."""
    try:
        call()
    except ApiException as e:
        return int(e.status)
    return 200


def whoami(api: kubernetes.client.ApiClient) -> tuple[str, list[str]]:
    """(username, groups) as the apiserver authenticated this client."""
    review = kubernetes.client.AuthenticationV1Api(api).create_self_subject_review(
        kubernetes.client.V1SelfSubjectReview()
    )
    assert review.status is not None and review.status.user_info is not None
    return str(review.status.user_info.username), list(review.status.user_info.groups or [])


def configmap(name: str) -> V1ConfigMap:
    return V1ConfigMap(metadata=V1ObjectMeta(name=name))


def test_admin_kubeconfig_is_cluster_admin(kube_env: KubeEnv) -> None:
    api = api_from_kubeconfig(kube_env.kubeconfig)
    user, groups = whoami(api)
    assert user == "admin"
    assert "system:masters" in groups
    names = {
        ns.metadata.name for ns in kubernetes.client.CoreV1Api(api).list_namespace().items if ns.metadata
    }
    assert {"default", "kube-system"} <= names


def test_unprivileged_token_is_authenticated_but_forbidden(kube_env: KubeEnv, kube_namespace: str) -> None:
    api = kube_env.api_for_token(kube_env.tokens["nobody"])
    assert whoami(api)[0] == "nobody"
    core = kubernetes.client.CoreV1Api(api)
    assert status_of(core.list_namespace) == 403
    assert status_of(lambda: core.list_namespaced_secret(kube_namespace)) == 403
    assert status_of(lambda: core.create_namespaced_config_map(kube_namespace, configmap("x"))) == 403
    assert status_of(lambda: Widgets(api, kube_namespace).list()) == 403

    stranger = kubernetes.client.CoreV1Api(kube_env.api_for_token("not-a-token"))
    assert status_of(stranger.list_namespace) == 401


@pytest.fixture
def widget_reader(kube_env: KubeEnv, kube_namespace: str) -> str:
    """ServiceAccount ``reader``, allowed to read widgets and create configmaps in its namespace."""
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
    Widgets(kube_env.admin_api(), kube_namespace).create(widget("existing"))
    return "reader"


def test_serviceaccount_token_can_do_exactly_what_its_role_allows(
    kube_env: KubeEnv, kube_namespace: str, widget_reader: str
) -> None:
    other_ns = f"{kube_namespace}-other"
    kube_env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other_ns}})
    api = kube_env.api_for_token(kube_env.serviceaccount_token(kube_namespace, widget_reader))
    assert whoami(api)[0] == f"system:serviceaccount:{kube_namespace}:{widget_reader}"
    mine, elsewhere = Widgets(api, kube_namespace), Widgets(api, other_ns)
    core = kubernetes.client.CoreV1Api(api)

    # allowed by the Role
    assert status_of(lambda: mine.get("existing")) == 200
    assert status_of(mine.list) == 200
    assert (
        status_of(lambda: core.create_namespaced_config_map(kube_namespace, configmap("made-by-reader")))
        == 200
    )
    # anything else is not: other verbs, other resources, other namespaces, cluster scope
    assert status_of(lambda: mine.create(widget("new"))) == 403
    assert status_of(lambda: mine.patch("existing", {"spec": {"size": 1}})) == 403
    assert status_of(lambda: mine.delete("existing")) == 403
    assert status_of(lambda: core.list_namespaced_config_map(kube_namespace)) == 403
    assert status_of(lambda: core.list_namespaced_secret(kube_namespace)) == 403
    assert status_of(elsewhere.list) == 403
    assert status_of(mine.list_all_namespaces) == 403
    kube_env.http().delete(f"/api/v1/namespaces/{other_ns}")


def test_serviceaccount_kubeconfig_acts_as_the_serviceaccount(
    kube_env: KubeEnv, kube_namespace: str, widget_reader: str, tmp_path: Path
) -> None:
    path = kube_env.serviceaccount_kubeconfig(kube_namespace, widget_reader, tmp_path / "reader.kubeconfig")
    api = api_from_kubeconfig(path)
    assert whoami(api)[0] == f"system:serviceaccount:{kube_namespace}:{widget_reader}"
    listed = Widgets(api, kube_namespace).list()
    assert [w["metadata"]["name"] for w in listed["items"]] == ["existing"]


def test_tokenrequest_honours_audience_and_needs_an_existing_serviceaccount(
    kube_env: KubeEnv, kube_namespace: str, widget_reader: str
) -> None:
    token = kube_env.serviceaccount_token(kube_namespace, widget_reader, audiences=["eci-operator-test"])
    review = kubernetes.client.AuthenticationV1Api(kube_env.admin_api()).create_token_review(
        V1TokenReview(spec=V1TokenReviewSpec(token=token, audiences=["eci-operator-test"]))
    )
    assert review.status is not None
    assert review.status.authenticated
    assert review.status.audiences == ["eci-operator-test"]
    # a token for another audience is not accepted by the apiserver itself
    assert status_of(kubernetes.client.CoreV1Api(kube_env.api_for_token(token)).get_api_resources) == 401

    with pytest.raises(KubeError) as missing:
        kube_env.serviceaccount_token(kube_namespace, "no-such-account")
    assert missing.value.status == 404
