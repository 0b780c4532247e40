"""Custom resources against the real apiserver: schema, status subresource, watch, finalizers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from tests.kube.conftest import GROUP, PLURAL, VERSION, Widgets, widget
from tests.kube.testenv import KubeEnv

pytestmark = [pytest.mark.kube, pytest.mark.usefixtures("widget_crd")]


@pytest.fixture
def widgets(kube_env: KubeEnv, kube_namespace: str) -> Widgets:
    return Widgets(kube_env.admin_api(), kube_namespace)


def test_crd_is_established_and_served(kube_env: KubeEnv, widget_crd: dict[str, Any]) -> None:
    response = kube_env.http().get(f"/apis/{GROUP}/{VERSION}")
    assert response.status_code == 200
    kinds = {r["name"]: r["kind"] for r in response.json()["resources"]}
    assert kinds == {"widgets": "Widget", "widgets/status": "Widget"}
    assert widget_crd["metadata"]["name"] == f"{PLURAL}.{GROUP}"


def test_custom_resource_round_trips_and_unknown_fields_are_pruned(widgets: Widgets) -> None:
    body = widget("w1", size=4, color="green")
    body["spec"]["undeclared"] = "dropped by the structural schema"
    created = widgets.create(body)

    fetched = widgets.get("w1")
    assert fetched["spec"] == {"size": 4, "color": "green"}
    assert fetched["metadata"]["uid"] == created["metadata"]["uid"]
    assert fetched["metadata"]["generation"] == 1
    assert [item["metadata"]["name"] for item in widgets.list()["items"]] == ["w1"]


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
    widgets: Widgets, spec: dict[str, Any], field: str
) -> None:
    body = widget("bad")
    body["spec"] = spec
    with pytest.raises(ApiException) as caught:
        widgets.create(body)
    assert caught.value.status == 422
    assert field in str(caught.value.body)
    with pytest.raises(ApiException) as missing:
        widgets.get("bad")
    assert missing.value.status == 404


def test_status_patch_does_not_bump_generation(widgets: Widgets) -> None:
    widgets.create(widget("w1"))

    patched = widgets.patch_status("w1", {"status": {"phase": "Running", "observedGeneration": 1}})
    assert patched["status"] == {"phase": "Running", "observedGeneration": 1}
    assert patched["metadata"]["generation"] == 1

    # With the status subresource, status sent to the main resource is ignored ...
    widgets.patch("w1", {"status": {"phase": "X"}})
    assert widgets.get("w1")["status"]["phase"] == "Running"
    # ... and a spec change is what bumps the generation.
    after = widgets.patch("w1", {"spec": {"size": 9}})
    assert after["metadata"]["generation"] == 2
    assert after["status"]["observedGeneration"] == 1


def test_watch_receives_added_modified_deleted(kube_env: KubeEnv, widgets: Widgets) -> None:
    start = widgets.list()["metadata"]["resourceVersion"]
    widgets.create(widget("w1"))
    widgets.patch("w1", {"spec": {"size": 5}})
    widgets.delete("w1")

    # A watch from the list's resourceVersion sees every change after it, in order.
    seen: list[tuple[str, str, int]] = []
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{widgets.namespace}/{PLURAL}"
    params = {"watch": "true", "resourceVersion": start, "timeoutSeconds": "10"}
    with kube_env.http().stream("GET", path, params=params) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            event = json.loads(line)
            obj = event["object"]
            seen.append((event["type"], obj["metadata"]["name"], obj["spec"]["size"]))
            if event["type"] == "DELETED":
                break
    assert seen == [("ADDED", "w1", 3), ("MODIFIED", "w1", 5), ("DELETED", "w1", 5)]


def test_finalizer_holds_deletion_until_removed(widgets: Widgets) -> None:
    body = widget("w1")
    body["metadata"]["finalizers"] = ["testenv.example.com/cleanup"]
    widgets.create(body)

    widgets.delete("w1")
    held = widgets.get("w1")
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["finalizers"] == ["testenv.example.com/cleanup"]

    widgets.patch("w1", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as gone:
        widgets.get("w1")
    assert gone.value.status == 404


def test_open_watch_streams_changes_as_they_happen(kube_env: KubeEnv, widgets: Widgets) -> None:
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{widgets.namespace}/{PLURAL}"
    params = {"watch": "true", "timeoutSeconds": "10"}
    seen: list[tuple[str, str]] = []
    with kube_env.http().stream("GET", path, params=params) as response:
        assert response.status_code == 200  # the watch is established before anything changes
        widgets.create(widget("w2"))
        widgets.patch_status("w2", {"status": {"phase": "Running"}})
        body = widget("w3")
        body["metadata"]["finalizers"] = ["testenv.example.com/cleanup"]
        widgets.create(body)
        widgets.delete("w3")  # held by the finalizer: a MODIFIED with deletionTimestamp, not DELETED
        for line in response.iter_lines():
            event = json.loads(line)
            meta = event["object"]["metadata"]
            seen.append((event["type"], meta["name"] + ("(deleting)" if "deletionTimestamp" in meta else "")))
            if len(seen) == 4:
                break
    assert seen == [("ADDED", "w2"), ("MODIFIED", "w2"), ("ADDED", "w3"), ("MODIFIED", "w3(deleting)")]
