"""Against a real kube-apiserver: the CRD installs, every example is accepted, every manifest of the
invalid corpus is refused at admission with a message naming the field, nothing of the refused
corpus is pruned on any path (strict, warn and ignore field validation, server-side apply), and
``kubectl explain`` has the models' descriptions."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from eci_operator.api.containergroup import GROUP, PLURAL, VERSION
from tests.api.corpus import Case, example_documents, invalid_cases, refused_cases

pytestmark = pytest.mark.kube

CRD_FILE = Path(__file__).parents[2] / "crds" / "containergroup.yaml"
CASES = invalid_cases()
REFUSED = refused_cases()
EXAMPLES = example_documents()


@pytest.fixture(scope="module")
def crd_installed(kube_env: Any) -> Any:
    """The checked-in CRD, created as-is (the apiserver compiles and cost-checks its CEL rules)."""
    ext = client.ApiextensionsV1Api(kube_env.admin_api())
    body = yaml.safe_load(CRD_FILE.read_text())
    try:
        ext.create_custom_resource_definition(body)
    except ApiException as exc:
        if exc.status != 409:
            raise AssertionError(f"the apiserver refused the CRD: {_message(exc)}") from None
    deadline = time.monotonic() + 60
    while True:
        conditions = _conditions(ext.read_custom_resource_definition(body["metadata"]["name"]))
        if conditions.get("Established") == "True":
            return kube_env
        assert time.monotonic() < deadline, f"CRD not established: {conditions}"
        time.sleep(0.1)


def _conditions(crd: client.V1CustomResourceDefinition) -> dict[str, str]:
    return {c.type: c.status for c in ((crd.status.conditions if crd.status else None) or [])}


def _create(
    api: client.ApiClient,
    namespace: str,
    body: dict[str, Any],
    *,
    dry_run: bool = True,
    field_validation: str = "Strict",
) -> dict[str, Any]:
    kind = body["kind"]
    kwargs: dict[str, Any] = {"field_validation": field_validation}
    if dry_run:
        kwargs["dry_run"] = "All"
    if kind == "ContainerGroup":
        result = client.CustomObjectsApi(api).create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, body, **kwargs
        )
        assert isinstance(result, dict)  # the custom objects API answers with the object's JSON
        return result
    core = client.CoreV1Api(api)
    creators: dict[str, Callable[..., object]] = {
        "Secret": core.create_namespaced_secret,
        "ConfigMap": core.create_namespaced_config_map,
    }
    # The client's serialiser is unannotated; it turns a model back into the API's JSON shape.
    serialise = cast(Callable[[object], dict[str, Any]], api.sanitize_for_serialization)
    return dict(serialise(creators[kind](namespace, body, **kwargs)))


def _message(exc: ApiException) -> str:
    if exc.body is None:
        return str(exc)
    try:
        body = json.loads(exc.body)
    except ValueError:
        return str(exc.body)
    details = body.get("details", {}).get("causes", [])
    return " | ".join(
        [body.get("message", ""), *(f"{c.get('field', '')}: {c.get('message', '')}" for c in details)]
    )


def test_crd_is_established(crd_installed: Any) -> None:
    ext = client.ApiextensionsV1Api(crd_installed.admin_api())
    crd = ext.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
    conditions = _conditions(crd)
    assert conditions.get("Established") == "True"
    assert conditions.get("NamesAccepted") == "True"
    assert crd.spec.names.short_names == ["ecicg"]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_are_accepted(crd_installed: Any, kube_namespace: str, name: str) -> None:
    api = crd_installed.admin_api()
    docs = EXAMPLES[name]
    assert any(d["kind"] == "ContainerGroup" for d in docs)
    for doc in docs:
        created = _create(api, kube_namespace, copy.deepcopy(doc))
        assert created["metadata"]["name"] == doc["metadata"]["name"]
        if doc["kind"] == "ContainerGroup":
            # the apiserver applied the schema defaults
            assert created["spec"]["deletionPolicy"] in ("Delete", "Orphan")
            assert created["spec"]["updatePolicy"] in ("InPlaceOnly", "AllowRestart", "AllowReplace")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_manifest_refused_naming_the_field(
    crd_installed: Any, kube_namespace: str, case: Case
) -> None:
    with pytest.raises(ApiException) as err:
        _create(crd_installed.admin_api(), kube_namespace, copy.deepcopy(case.manifest))
    assert err.value.status in (400, 422), _message(err.value)
    message = _message(err.value)
    assert case.field in message, f"{case.field!r} not named in: {message}"


# Field validation only decides what happens to unknown and duplicate fields, and the Pod-spec parts
# keep unknown fields for the operator to refuse by name (the refused corpus): every refusal at
# admission holds whatever the client asks for (kubectl apply without --validate=strict sends Warn).
@pytest.mark.parametrize("mode", ["Warn", "Ignore"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_manifest_refused_without_strict_validation(
    crd_installed: Any, kube_namespace: str, case: Case, mode: str
) -> None:
    with pytest.raises(ApiException) as err:
        _create(
            crd_installed.admin_api(), kube_namespace, copy.deepcopy(case.manifest), field_validation=mode
        )
    assert err.value.status in (400, 422), _message(err.value)
    assert case.field in _message(err.value)


def test_region_and_adopted_id_are_immutable(crd_installed: Any, kube_namespace: str) -> None:
    api = crd_installed.admin_api()
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ContainerGroup",
        "metadata": {"name": "immutable"},
        "spec": {
            "regionId": "cn-hangzhou",
            "containerGroupId": "eci-abc123",
            "containers": [{"name": "web", "image": "nginx"}],
        },
    }
    _create(api, kube_namespace, body, dry_run=False)
    custom = client.CustomObjectsApi(api)
    for patch, field in (
        ({"spec": {"regionId": "cn-beijing"}}, "spec.regionId"),
        ({"spec": {"containerGroupId": "eci-other1"}}, "spec.containerGroupId"),
        ({"spec": {"accountRef": {"name": "team2"}}}, "spec.accountRef"),  # the instance lives in its account
    ):
        with pytest.raises(ApiException) as err:
            custom.patch_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, "immutable", patch)
        assert field in _message(err.value)
    # other fields still change
    custom.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "immutable", {"spec": {"tags": {"a": "b"}}}
    )


def _published_schemas(kube_env: Any) -> dict[str, Any]:
    """The OpenAPI v3 schemas of the group version, as kubectl explain reads them (the apiserver
    publishes them a moment after the CRD is established)."""
    deadline = time.monotonic() + 60
    while True:
        response = kube_env.http().get(f"/openapi/v3/apis/{GROUP}/{VERSION}")
        if response.status_code == 200:
            schemas: dict[str, Any] = response.json()["components"]["schemas"]
            return schemas
        assert time.monotonic() < deadline, f"OpenAPI v3 of {GROUP}/{VERSION}: {response.status_code}"
        time.sleep(0.2)


def test_explain_has_the_model_descriptions(crd_installed: Any) -> None:
    schemas = _published_schemas(crd_installed)
    (name,) = [k for k in schemas if k.endswith(".ContainerGroup")]
    spec = schemas[name]["properties"]["spec"]
    probe = spec["properties"]["containers"]["items"]["properties"]["readinessProbe"]
    assert "ready" in probe["description"]
    assert "first check" in probe["properties"]["initialDelaySeconds"]["description"]


def test_explain_documents_the_new_fields_and_what_eci_does(crd_installed: Any) -> None:
    schemas = _published_schemas(crd_installed)
    (name,) = [k for k in schemas if k.endswith(".ContainerGroup")]
    spec = schemas[name]["properties"]["spec"]["properties"]
    container = spec["containers"]["items"]["properties"]
    expected = {
        "unenforceableFields": "Ignore",
        "terminationGracePeriodSeconds": "replaces",
        "hostAliases": "HostAliase",
        "dnsPolicy": "cluster DNS",
        "nodeSelector": "CpuArchitecture",
        "securityContext": "sysctls",
    }
    for field, words in expected.items():
        assert words in spec[field]["description"], (field, spec[field]["description"])
    assert "postStart" in container["lifecycle"]["description"]
    assert "resolved by the operator" in container["envFrom"]["description"]
    assert "limit" in container["resources"]["description"]
    run_as_group = container["securityContext"]["properties"]["runAsGroup"]["description"]
    assert "only when the instance is created" in run_as_group


def _valid(**spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ContainerGroup",
        "metadata": {"name": "edge"},
        "spec": {"regionId": "cn-hangzhou", "containers": [{"name": "web", "image": "nginx"}]},
    }
    body["spec"].update(spec)
    return body


EDGE_CASES = {
    "fractional instance spec": _valid(cpu=0.25, memory=0.5),
    "integer instance spec": _valid(cpu=64, memory=512),
    "numeric quantities and a named probe port": _valid(
        containers=[
            {
                "name": "web",
                "image": "nginx",
                "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 80, "protocol": "UDP"}],
                "resources": {"requests": {"cpu": "1.5", "memory": "1536Mi"}, "limits": {"cpu": "1500m"}},
                "readinessProbe": {"httpGet": {"port": "http"}},
                "livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 1},
                "securityContext": {
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]},
                },
            }
        ]
    ),
    "sixteen tags": _valid(tags={f"key-{i}": "v" for i in range(16)}),
    "every volume type mounted by an init container": _valid(
        volumes=[
            {"name": "a", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            {"name": "b", "nfs": {"server": "nas", "path": "/"}},
            {"name": "c", "configMap": {"name": "cm", "items": [{"key": "k", "path": "p"}]}},
            {"name": "d", "secret": {"secretName": "s"}},
        ],
        initContainers=[
            {
                "name": "init",
                "image": "busybox",
                "volumeMounts": [{"name": n, "mountPath": f"/{n}"} for n in "abcd"],
            }
        ],
    ),
}


@pytest.mark.parametrize("body", list(EDGE_CASES.values()), ids=list(EDGE_CASES))
def test_valid_edge_cases_accepted(crd_installed: Any, kube_namespace: str, body: dict[str, Any]) -> None:
    _create(crd_installed.admin_api(), kube_namespace, copy.deepcopy(body))


def _lost(sent: Any, stored: Any, path: str = "spec") -> list[str]:
    """The paths of ``sent`` that ``stored`` does not hold as sent (defaults may add, never drop)."""
    if isinstance(sent, dict):
        if not isinstance(stored, dict):
            return [path]
        return [p for k, v in sent.items() for p in _lost(v, stored.get(k), f"{path}.{k}")]
    if isinstance(sent, list):
        if not isinstance(stored, list) or len(stored) != len(sent):
            return [path]
        return [
            p for i, (a, b) in enumerate(zip(sent, stored, strict=True)) for p in _lost(a, b, f"{path}[{i}]")
        ]
    return [] if sent == stored else [path]


@pytest.mark.parametrize("validation", ["Strict", "Warn", "Ignore"])
@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_nothing_is_pruned_whatever_the_field_validation(
    crd_installed: Any, kube_namespace: str, case: Case, validation: str
) -> None:
    """kubectl apply without --validate=strict is Warn; Helm, Argo CD and client libraries send
    Ignore or nothing. Every field reaches the operator, which then refuses it by name."""
    body = copy.deepcopy(case.manifest)
    stored = _create(crd_installed.admin_api(), kube_namespace, body, field_validation=validation)
    assert _lost(case.manifest["spec"], stored["spec"]) == []


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_nothing_is_pruned_by_server_side_apply(crd_installed: Any, kube_namespace: str, case: Case) -> None:
    body = {**copy.deepcopy(case.manifest), "metadata": {"name": f"ssa-{case.name}"[:63]}}
    response = crd_installed.http().patch(
        f"/apis/{GROUP}/{VERSION}/namespaces/{kube_namespace}/{PLURAL}/{body['metadata']['name']}",
        params={"fieldManager": "pod-templates-test", "dryRun": "All"},
        content=json.dumps(body),
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert response.status_code in (200, 201), response.text
    assert _lost(case.manifest["spec"], response.json()["spec"]) == []


def test_a_resource_quantity_may_be_a_yaml_number(crd_installed: Any, kube_namespace: str) -> None:
    body = _valid(containers=[{"name": "web", "image": "nginx", "resources": {"limits": {"cpu": 0.5}}}])
    stored = _create(crd_installed.admin_api(), kube_namespace, body)
    assert stored["spec"]["containers"][0]["resources"]["limits"]["cpu"] == 0.5
