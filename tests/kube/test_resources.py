"""Custom resources against the real apiserver: schema, status subresource, watch, finalizers."""

from __future__ import annotations

from typing import Any

import kubernetes.client
import kubernetes.watch
import pytest
from kubernetes.client.exceptions import ApiException

from tests.kube.conftest import GROUP, PLURAL, VERSION, widget
from tests.kube.testenv import KubeEnv

pytestmark = [pytest.mark.kube, pytest.mark.usefixtures("widget_crd")]


@pytest.fixture
def widgets(kube_env: KubeEnv) -> kubernetes.client.CustomObjectsApi:
    return kubernetes.client.CustomObjectsApi(kube_env.admin_api())


def get(api: kubernetes.client.CustomObjectsApi, namespace: str, name: str) -> dict[str, Any]:
    obj: dict[str, Any] = api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
    return obj


def test_crd_is_established_and_served(kube_env: KubeEnv, widget_crd: dict[str, Any]) -> None:
    response = kube_env.http().get(f"/apis/{GROUP}/{VERSION}")
    assert response.status_code == 200
    kinds = {r["name"]: r["kind"] for r in response.json()["resources"]}
    assert kinds == {"widgets": "Widget", "widgets/status": "Widget"}
    assert widget_crd["metadata"]["name"] == f"{PLURAL}.{GROUP}"


def test_custom_resource_round_trips_and_unknown_fields_are_pruned(
    widgets: kubernetes.client.CustomObjectsApi, kube_namespace: str
) -> None:
    body = widget("w1", size=4, color="green")
    body["spec"]["undeclared"] = "dropped by the structural schema"
    created = widgets.create_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, body)

    fetched = get(widgets, kube_namespace, "w1")
    assert fetched["spec"] == {"size": 4, "color": "green"}
    assert fetched["metadata"]["uid"] == created["metadata"]["uid"]
    assert fetched["metadata"]["generation"] == 1
    listed = widgets.list_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL)
    assert [item["metadata"]["name"] for item in listed["items"]] == ["w1"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"size": 0}, "spec.size"),  # below minimum
        ({"size": "big"}, "spec.size"),  # wrong type
        ({"size": 2, "color": "purple"}, "spec.color"),  # not in enum
        ({}, "spec.size"),  # required
        ({"size": 2, "minReplicas": 5, "maxReplicas": 1}, "minReplicas must not exceed maxReplicas"),  # CEL
    ],
)
def test_schema_invalid_resource_is_rejected_naming_the_field(
    widgets: kubernetes.client.CustomObjectsApi, kube_namespace: str, spec: dict[str, Any], field: str
) -> None:
    body = widget("bad")
    body["spec"] = spec
    with pytest.raises(ApiException) as caught:
        widgets.create_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, body)
    assert caught.value.status == 422
    assert field in caught.value.body
    with pytest.raises(ApiException) as missing:
        get(widgets, kube_namespace, "bad")
    assert missing.value.status == 404


def test_status_patch_does_not_bump_generation(
    widgets: kubernetes.client.CustomObjectsApi, kube_namespace: str
) -> None:
    widgets.create_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, widget("w1"))

    patched = widgets.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        kube_namespace,
        PLURAL,
        "w1",
        {"status": {"phase": "Running", "observedGeneration": 1}},
    )
    assert patched["status"] == {"phase": "Running", "observedGeneration": 1}
    assert patched["metadata"]["generation"] == 1

    # With the status subresource, status sent to the main resource is ignored ...
    widgets.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "w1", {"status": {"phase": "X"}}
    )
    assert get(widgets, kube_namespace, "w1")["status"]["phase"] == "Running"
    # ... and a spec change is what bumps the generation.
    after = widgets.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "w1", {"spec": {"size": 9}}
    )
    assert after["metadata"]["generation"] == 2
    assert after["status"]["observedGeneration"] == 1


def test_watch_receives_added_modified_deleted(
    widgets: kubernetes.client.CustomObjectsApi, kube_namespace: str
) -> None:
    start = widgets.list_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL)["metadata"][
        "resourceVersion"
    ]
    widgets.create_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, widget("w1"))
    widgets.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "w1", {"spec": {"size": 5}}
    )
    widgets.delete_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, "w1")

    seen: list[tuple[str, str, int]] = []
    watch = kubernetes.watch.Watch()
    for event in watch.stream(
        widgets.list_namespaced_custom_object,
        GROUP,
        VERSION,
        kube_namespace,
        PLURAL,
        resource_version=start,
        timeout_seconds=10,
    ):
        obj = event["object"]
        seen.append((event["type"], obj["metadata"]["name"], obj["spec"]["size"]))
        if event["type"] == "DELETED":
            watch.stop()
    assert seen == [("ADDED", "w1", 3), ("MODIFIED", "w1", 5), ("DELETED", "w1", 5)]


def test_finalizer_holds_deletion_until_removed(
    widgets: kubernetes.client.CustomObjectsApi, kube_namespace: str
) -> None:
    body = widget("w1")
    body["metadata"]["finalizers"] = ["testenv.example.com/cleanup"]
    widgets.create_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, body)

    widgets.delete_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, "w1")
    held = get(widgets, kube_namespace, "w1")
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["finalizers"] == ["testenv.example.com/cleanup"]

    widgets.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "w1", {"metadata": {"finalizers": None}}
    )
    with pytest.raises(ApiException) as gone:
        get(widgets, kube_namespace, "w1")
    assert gone.value.status == 404
