"""ContainerGroup manifests for tests."""

from __future__ import annotations

from typing import Any


def container_group(name: str = "web", namespace: str | None = None, **spec: Any) -> dict[str, Any]:
    """A small valid ContainerGroup (1 vCPU, 2 GiB, one nginx container); ``spec`` overrides fields.

    Without ``namespace`` the manifest has none (``Cluster.create`` sets its own)."""
    body: dict[str, Any] = {
        "apiVersion": "eci.operator.dev/v1alpha1",
        "kind": "ContainerGroup",
        "metadata": {"name": name} if namespace is None else {"name": name, "namespace": namespace},
        "spec": {
            "regionId": "cn-hangzhou",
            "cpu": 1,
            "memory": 2,
            "tags": {"team": "shop"},
            "containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}],
        },
    }
    body["spec"].update(spec)
    return body
