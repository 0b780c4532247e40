"""The cluster as a user sees it: ContainerGroups, Secrets, ConfigMaps and Events in one namespace."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import yaml

GROUP_PATH = "/apis/eci.operator.dev/v1alpha1"


class Cluster:
    """ContainerGroups, Secrets, ConfigMaps and Events in one namespace, as the cluster admin."""

    def __init__(self, kube_env: Any, namespace: str) -> None:
        self.http: httpx.Client = kube_env.http()
        self.namespace = namespace

    def path(self, name: str = "") -> str:
        base = f"{GROUP_PATH}/namespaces/{self.namespace}/containergroups"
        return f"{base}/{name}" if name else base

    def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        manifest = {**manifest, "metadata": {**manifest["metadata"], "namespace": self.namespace}}
        response = self.http.post(self.path(), json=manifest)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get(self, name: str) -> dict[str, Any] | None:
        response = self.http.get(self.path(name))
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return dict(response.json())

    def version(self, name: str) -> str:
        """The resourceVersion of a ContainerGroup that must exist: it moves on every write."""
        body = self.get(name)
        assert body is not None, f"ContainerGroup {name} is gone"
        return str(body["metadata"]["resourceVersion"])

    def patch_spec(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        response = self.http.patch(
            self.path(name), json={"spec": spec}, headers={"Content-Type": "application/merge-patch+json"}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def delete(self, name: str) -> None:
        response = self.http.delete(self.path(name))
        assert response.status_code in (200, 202), response.text

    def put_core(self, manifest: dict[str, Any]) -> None:
        """Create or replace a Secret or ConfigMap."""
        kind = manifest["kind"].lower() + "s"
        base = f"/api/v1/namespaces/{self.namespace}/{kind}"
        name = manifest["metadata"]["name"]
        manifest = {**manifest, "metadata": {**manifest["metadata"], "namespace": self.namespace}}
        if self.http.get(f"{base}/{name}").status_code == 404:
            response = self.http.post(base, json=manifest)
        else:
            response = self.http.put(f"{base}/{name}", json=manifest)
        assert response.status_code in (200, 201), response.text

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        response = self.http.get(f"/api/v1/namespaces/{self.namespace}/events")
        response.raise_for_status()
        items = response.json()["items"]
        return [e for e in items if name is None or e["involvedObject"]["name"] == name]

    def wait(
        self, name: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        body: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            body = self.get(name)
            if body is not None and predicate(body):
                return body
            time.sleep(0.2)
        raise TimeoutError(
            f"{self.namespace}/{name} did not reach the state in {timeout}s: {yaml.safe_dump(body)}"
        )

    def wait_gone(self, name: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(name) is None:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.namespace}/{name} still exists: {yaml.safe_dump(self.get(name))}")


def condition(body: dict[str, Any], type_: str) -> dict[str, Any]:
    for c in (body.get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return dict(c)
    return {}


def is_ready(body: dict[str, Any]) -> bool:
    status = body.get("status") or {}
    return (
        status.get("observedGeneration") == body["metadata"]["generation"]
        and condition(body, "Ready").get("status") == "True"
    )


def is_stalled(body: dict[str, Any]) -> bool:
    status = body.get("status") or {}
    return (
        status.get("observedGeneration") == body["metadata"]["generation"]
        and condition(body, "Stalled").get("status") == "True"
    )
