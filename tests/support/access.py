"""What a ServiceAccount may do, as the apiserver's authorizer answers (SubjectAccessReview)."""

from __future__ import annotations

from itertools import product
from typing import Any

VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
# (group, resource, subresource): what the operator uses, and what it must not touch.
RESOURCES = (
    ("eci.operator.dev", "containergroups", ""),
    ("eci.operator.dev", "containergroups", "status"),
    ("", "configmaps", ""),
    ("", "secrets", ""),
    ("", "events", ""),
    ("events.k8s.io", "events", ""),
    ("", "pods", ""),
    ("", "serviceaccounts", "token"),
    ("", "namespaces", ""),
    ("coordination.k8s.io", "leases", ""),
    ("apiextensions.k8s.io", "customresourcedefinitions", ""),
    ("rbac.authorization.k8s.io", "clusterroles", ""),
)

Key = tuple[str, str, str, str]


def allowed(
    kube_env: Any,
    serviceaccount: tuple[str, str],
    verb: str,
    resource: str,
    *,
    namespace: str = "",
    group: str = "",
    subresource: str = "",
    name: str = "",
) -> bool:
    """Whether ServiceAccount ``(namespace, name)`` may ``verb`` the resource; ``namespace=""``
    asks about every namespace at once (a cluster-wide list or watch), ``name`` about one object."""
    sa_namespace, sa_name = serviceaccount
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": f"system:serviceaccount:{sa_namespace}:{sa_name}",
            "groups": [
                "system:serviceaccounts",
                f"system:serviceaccounts:{sa_namespace}",
                "system:authenticated",
            ],
            "resourceAttributes": {
                "namespace": namespace,
                "verb": verb,
                "group": group,
                "resource": resource,
                "subresource": subresource,
                "name": name,
            },
        },
    }
    response = kube_env.http().post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json=review)
    response.raise_for_status()
    return bool(response.json()["status"].get("allowed"))


def access_table(kube_env: Any, serviceaccount: tuple[str, str], namespace: str) -> dict[Key, bool]:
    """Every verb on every resource of :data:`RESOURCES` in ``namespace`` ("": all namespaces)."""
    return {
        (verb, group, resource, sub): allowed(
            kube_env, serviceaccount, verb, resource, namespace=namespace, group=group, subresource=sub
        )
        for verb, (group, resource, sub) in product(VERBS, RESOURCES)
    }
