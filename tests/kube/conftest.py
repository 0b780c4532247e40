"""A small CustomResourceDefinition of our own for exercising the control plane."""

from __future__ import annotations

from typing import Any

import kubernetes.client
import pytest

from tests.kube.testenv import KubeEnv

GROUP = "testenv.example.com"
VERSION = "v1"
PLURAL = "widgets"
KIND = "Widget"

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "widget", "kind": KIND, "listKind": f"{KIND}List"},
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {
                                    "size": {"type": "integer", "minimum": 1, "maximum": 10},
                                    "color": {"type": "string", "enum": ["red", "green", "blue"]},
                                    "minReplicas": {"type": "integer"},
                                    "maxReplicas": {"type": "integer"},
                                },
                                "x-kubernetes-validations": [
                                    {
                                        "rule": "!has(self.minReplicas) || !has(self.maxReplicas)"
                                        " || self.minReplicas <= self.maxReplicas",
                                        "message": "minReplicas must not exceed maxReplicas",
                                    }
                                ],
                            },
                            "status": {
                                "type": "object",
                                "properties": {
                                    "phase": {"type": "string"},
                                    "observedGeneration": {"type": "integer"},
                                },
                            },
                        },
                    }
                },
            }
        ],
    },
}


def widget(name: str, size: int = 3, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "metadata": {"name": name},
        "spec": {"size": size, **spec},
    }


@pytest.fixture(scope="session")
def widget_crd(kube_env: KubeEnv) -> dict[str, Any]:
    """The Widget CRD, installed once and Established."""
    return kube_env.apply(WIDGET_CRD)[0]


class Widgets:
    """Widgets in one namespace through the official client, as plain dicts."""

    def __init__(self, api: kubernetes.client.ApiClient, namespace: str) -> None:
        self._api = kubernetes.client.CustomObjectsApi(api)
        self.namespace = namespace

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return _as_dict(
            self._api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, body)
        )

    def get(self, name: str) -> dict[str, Any]:
        return _as_dict(self._api.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name))

    def list(self) -> dict[str, Any]:
        return _as_dict(self._api.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL))

    def list_all_namespaces(self) -> dict[str, Any]:
        return _as_dict(self._api.list_cluster_custom_object(GROUP, VERSION, PLURAL))

    def patch(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return _as_dict(
            self._api.patch_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name, body)
        )

    def patch_status(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return _as_dict(
            self._api.patch_namespaced_custom_object_status(
                GROUP, VERSION, self.namespace, PLURAL, name, body
            )
        )

    def delete(self, name: str) -> dict[str, Any]:
        return _as_dict(
            self._api.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)
        )


def _as_dict(value: object) -> dict[str, Any]:
    assert isinstance(value, dict), value
    return value
