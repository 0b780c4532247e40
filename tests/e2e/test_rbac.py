"""The deploy/ ClusterRole grants what the operator needs and nothing it does not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import access
from tests.support.operator import SA_NAME, SA_NAMESPACE

pytestmark = pytest.mark.kube

ALLOWED = [
    ("get", "eci.operator.dev", "containergroups", ""),
    ("list", "eci.operator.dev", "containergroups", ""),
    ("watch", "eci.operator.dev", "containergroups", ""),
    ("patch", "eci.operator.dev", "containergroups", ""),
    ("patch", "eci.operator.dev", "containergroups", "status"),
    ("watch", "", "configmaps", ""),
    ("get", "", "secrets", ""),
    ("create", "", "events", ""),
    ("patch", "", "events", ""),  # a repeated ECI event raises the count of its mirror
]
DENIED = [
    ("list", "", "secrets", ""),  # Secrets are read one by one, never listed or watched
    ("watch", "", "secrets", ""),
    ("update", "eci.operator.dev", "containergroups", ""),  # spec is never written
    ("create", "eci.operator.dev", "containergroups", ""),
    ("delete", "eci.operator.dev", "containergroups", ""),
    ("patch", "", "configmaps", ""),
    ("list", "", "pods", ""),
    ("list", "apiextensions.k8s.io", "customresourcedefinitions", ""),
]


def allowed(kube_env: Any, verb: str, group: str, resource: str, subresource: str) -> bool:
    return access.allowed(
        kube_env,
        (SA_NAMESPACE, SA_NAME),
        verb,
        resource,
        namespace="any",
        group=group,
        subresource=subresource,
    )


@pytest.mark.parametrize(("verb", "group", "resource", "subresource"), ALLOWED)
def test_needed_permissions_are_granted(
    kube_env: Any, operator_kubeconfig: Any, verb: str, group: str, resource: str, subresource: str
) -> None:
    assert allowed(kube_env, verb, group, resource, subresource)


@pytest.mark.parametrize(("verb", "group", "resource", "subresource"), DENIED)
def test_nothing_more_is_granted(
    kube_env: Any, operator_kubeconfig: Any, verb: str, group: str, resource: str, subresource: str
) -> None:
    assert not allowed(kube_env, verb, group, resource, subresource)


def test_leader_election_may_use_its_own_lease_in_its_own_namespace_only(
    kube_env: Any, operator_kubeconfig: Any
) -> None:
    def lease(verb: str, namespace: str, name: str = "") -> bool:
        return access.allowed(
            kube_env,
            (SA_NAMESPACE, SA_NAME),
            verb,
            "leases",
            namespace=namespace,
            group="coordination.k8s.io",
            name=name,
        )

    for verb in ("get", "update"):
        assert lease(verb, SA_NAMESPACE, "eci-operator")
        assert not lease(verb, SA_NAMESPACE, "another-controllers-lease")
        assert not lease(verb, "default", "eci-operator")
    assert lease("create", SA_NAMESPACE)
    assert not lease("create", "default")
    for verb in ("list", "watch", "patch", "delete"):
        assert not lease(verb, SA_NAMESPACE)
