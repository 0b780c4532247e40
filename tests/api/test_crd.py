"""The CRD is generated from the models, checked in unchanged, structural, and explains itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from eci_operator.api.crd import crd, crd_yaml
from eci_operator.cli import main

REPO = Path(__file__).parents[2]
CHECKED_IN = REPO / "crds" / "containergroup.yaml"
IN_CHART = REPO / "charts" / "eci-operator" / "crds" / "containergroup.yaml"


def _schema() -> dict[str, Any]:
    version = crd()["spec"]["versions"][0]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def _at(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    node = schema
    for part in path:
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


def _walk(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = [(path, node)]
    for name, sub in node.get("properties", {}).items():
        out += _walk(sub, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            out += _walk(node[key], f"{path}[]")
    return out


def test_checked_in_crd_is_the_generated_one() -> None:
    assert CHECKED_IN.read_text() == crd_yaml(), "crds/containergroup.yaml is stale: run `make crd`"


def test_chart_installs_the_same_crd() -> None:
    assert IN_CHART.read_text() == crd_yaml(), f"{IN_CHART} is stale: run `make crd`"


def test_crd_command_prints_it(capsys: Any) -> None:
    assert main(["crd"]) == 0
    assert capsys.readouterr().out == CHECKED_IN.read_text()


def test_console_script_prints_it() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "eci_operator.cli", "crd"], capture_output=True, text=True, check=True
    ).stdout
    assert yaml.safe_load(out)["metadata"]["name"] == "containergroups.eci.operator.dev"


def test_names_subresource_and_columns() -> None:
    spec = crd()["spec"]
    assert spec["group"] == "eci.operator.dev"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["shortNames"] == ["ecicg"]
    assert spec["names"]["categories"] == ["eci"]
    version = spec["versions"][0]
    assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
    assert version["subresources"] == {"status": {}}
    columns = {c["name"]: (c["jsonPath"], c.get("priority", 0)) for c in version["additionalPrinterColumns"]}
    ready = '.status.conditions[?(@.type=="Ready")]'
    assert columns == {
        "ID": (".status.containerGroupId", 0),
        "Phase": (".status.phase", 0),
        "Ready": (f"{ready}.status", 0),
        "IP": (".status.intranetIp", 0),
        "Age": (".metadata.creationTimestamp", 0),
        # -o wide: what someone needs when a group is not Ready
        "Reason": (f"{ready}.reason", 1),
        "Pending": (".status.plan.impact", 1),
        "Message": (f"{ready}.message", 1),
    }


def test_status_defaults_to_not_yet_observed() -> None:
    """Before the operator writes, status reads as generation not yet observed (kstatus: InProgress)."""
    assert _schema()["properties"]["status"]["default"] == {"observedGeneration": -1}


def test_structural_everywhere() -> None:
    for path, node in _walk(_schema()):
        assert "$ref" not in node and "title" not in node, path
        assert node.get("additionalProperties") is not False, path
        untyped = node.get("x-kubernetes-int-or-string") or (
            node.get("x-kubernetes-preserve-unknown-fields") and "properties" not in node
        )
        assert "type" in node or untyped, f"{path} has no type"
        if isinstance(node.get("exclusiveMinimum"), int | float) and not isinstance(
            node["exclusiveMinimum"], bool
        ):
            raise AssertionError(f"{path}: OpenAPI v3.0 wants a boolean exclusiveMinimum")


def test_every_list_and_string_in_spec_is_bounded() -> None:
    # CEL cost estimation needs bounds; unbounded lists would make the apiserver reject the rules.
    for path, node in _walk(_at(_schema(), "spec"), "spec"):
        if node.get("type") == "array":
            assert "maxItems" in node, path


def test_list_map_keys() -> None:
    spec = _at(_schema(), "spec")
    for field in ("containers", "initContainers", "volumes", "imagePullSecrets"):
        assert spec["properties"][field]["x-kubernetes-list-type"] == "map"
        assert spec["properties"][field]["x-kubernetes-list-map-keys"] == ["name"]
    container = _at(spec, "containers", "[]")
    assert container["properties"]["env"]["x-kubernetes-list-map-keys"] == ["name"]
    assert container["properties"]["ports"]["x-kubernetes-list-map-keys"] == ["containerPort", "protocol"]
    # A list-map key must be required or defaulted.
    port = container["properties"]["ports"]["items"]
    assert "containerPort" in port["required"] and port["properties"]["protocol"]["default"] == "TCP"


def test_bounds_from_the_eci_limits() -> None:
    container = _at(_schema(), "spec", "containers", "[]")["properties"]
    assert container["command"]["maxItems"] == 20
    assert container["command"]["items"]["maxLength"] == 256
    assert container["args"]["maxItems"] == 10
    port = container["ports"]["items"]["properties"]["containerPort"]
    assert (port["minimum"], port["maximum"]) == (1, 65535)
    assert _at(_schema(), "spec", "containers")["maxItems"] == 20
    assert _at(_schema(), "spec", "volumes")["maxItems"] == 20


def _rules(node: dict[str, Any]) -> list[str]:
    return [r["rule"] for r in node.get("x-kubernetes-validations", [])]


def test_cel_rules_present() -> None:
    spec = _at(_schema(), "spec")
    container = _at(spec, "containers", "[]")
    probe = container["properties"]["readinessProbe"]
    assert any("has(self.httpGet), has(self.tcpSocket), has(self.exec)" in r for r in _rules(probe))
    assert any("livenessProbe.successThreshold == 1" in r for r in _rules(container))
    assert any("volumes.exists(v, v.name == m.name)" in r for r in _rules(spec))
    assert any("self == oldSelf" in r for r in _rules(spec["properties"]["regionId"]))
    fields = {r.get("fieldPath") for r in spec["x-kubernetes-validations"]}
    assert {".cpu", ".memory", ".containerGroupId", ".initContainers", ".containers"} <= fields


def test_descriptions_for_kubectl_explain() -> None:
    schema = _schema()
    probe = _at(schema, "spec", "containers", "[]", "readinessProbe")
    assert "ready" in probe["description"]
    for name, sub in probe["properties"].items():
        assert sub.get("description"), f"readinessProbe.{name} has no description"
    missing = [
        p for p, n in _walk(_at(schema, "spec"), "spec") if not n.get("description") and not p.endswith("[]")
    ]
    assert missing == []


def test_policies_are_defaulted() -> None:
    spec = _at(_schema(), "spec")["properties"]
    assert spec["deletionPolicy"]["default"] == "Delete"
    assert spec["updatePolicy"]["default"] == "AllowRestart"
    assert spec["driftPolicy"]["default"] == "Enforce"
    assert spec["updatePolicy"]["enum"] == ["InPlaceOnly", "AllowRestart", "AllowReplace"]


def test_pod_spec_parts_keep_unknown_fields_and_eci_parts_refuse_them() -> None:
    """Never silent: the apiserver keeps what the Pod-spec parts do not model (the operator names it),
    and prunes nothing there; the ECI-only parts are strict."""
    spec = _at(_schema(), "spec")
    kept = [
        spec,
        _at(spec, "containers", "[]"),
        _at(spec, "initContainers", "[]"),
        _at(spec, "containers", "[]", "securityContext"),
        _at(spec, "containers", "[]", "securityContext", "capabilities"),
        _at(spec, "containers", "[]", "readinessProbe"),
        _at(spec, "containers", "[]", "readinessProbe", "httpGet"),
        _at(spec, "containers", "[]", "env", "[]", "valueFrom"),
        _at(spec, "containers", "[]", "lifecycle", "preStop"),
        _at(spec, "containers", "[]", "resources"),
        _at(spec, "volumes", "[]"),
        _at(spec, "volumes", "[]", "configMap"),
        _at(spec, "securityContext"),
    ]
    for node in kept:
        assert node.get("x-kubernetes-preserve-unknown-fields") is True, node.get("description")
    assert not _schema().get("x-kubernetes-preserve-unknown-fields")
    assert not _at(_schema(), "status").get("x-kubernetes-preserve-unknown-fields")


def test_resource_quantities_take_numbers() -> None:
    """`cpu: 0.5` is a YAML number: the CRD cannot type "number or string", so the value is untyped
    there (and checked by the operator)."""
    limits = _at(_schema(), "spec", "containers", "[]", "resources", "limits")
    assert limits["additionalProperties"] == {"x-kubernetes-preserve-unknown-fields": True}
