"""What a ServiceAccount may do, as the apiserver's authorizer answers (SubjectAccessReview)."""

from __future__ import annotations

from typing import Any


def allowed(
    kube_env: Any,
    serviceaccount: tuple[str, str],
    verb: str,
    resource: str,
    *,
    namespace: str = "",
    group: str = "",
    subresource: str = "",
) -> bool:
    """Whether ServiceAccount ``(namespace, name)`` may ``verb`` the resource; ``namespace=""``
    asks about every namespace at once (a cluster-wide list or watch)."""
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
            },
        },
    }
    response = kube_env.http().post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json=review)
    response.raise_for_status()
    return bool(response.json()["status"].get("allowed"))
