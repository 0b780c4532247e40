"""The ContainerGroup CustomResourceDefinition, generated from the pydantic models.

Pydantic emits JSON Schema 2020-12 with ``$defs``/``$ref`` and ``anyOf [X, null]`` for optional
fields; Kubernetes wants a structural OpenAPI v3 schema. The conversion inlines references, folds
optional fields into their type, turns numeric ``exclusiveMinimum`` into the OpenAPI 3.0 boolean
form, and drops what the apiserver does not accept (titles, ``additionalProperties: false``).
Descriptions come from the models' docstrings, so ``kubectl explain`` shows them.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from pydantic import BaseModel

from eci_operator.api.account import ACCOUNT_KIND, ACCOUNT_PLURAL, EciAccountSpec, EciAccountStatus
from eci_operator.api.containergroup import (
    GROUP,
    KIND,
    PLURAL,
    VERSION,
    ContainerGroupSpec,
    ContainerGroupStatus,
)

JsonDict = dict[str, Any]

SHORT_NAMES = ["ecicg"]
CATEGORIES = ["eci"]
_READY = '.status.conditions[?(@.type=="Ready")]'
# Columns with priority 1 show with `kubectl get -o wide`: what someone needs when a group is not
# Ready. The Ready condition always carries the reason and message of the latest reconcile
# (Stalled and Reconciling repeat them when True), so one condition answers both.
PRINTER_COLUMNS: list[JsonDict] = [
    {
        "name": "ID",
        "type": "string",
        "jsonPath": ".status.containerGroupId",
        "description": "ECI instance ID",
    },
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase", "description": "ECI status"},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": f"{_READY}.status",
        "description": "Ready condition",
    },
    {"name": "IP", "type": "string", "jsonPath": ".status.intranetIp", "description": "Private IP"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    {
        "name": "Reason",
        "type": "string",
        "priority": 1,
        "jsonPath": f"{_READY}.reason",
        "description": (
            "Why the group is (not) Ready, e.g. Creating, UpdateBlockedByPolicy, MissingReference, "
            "InvalidSpec"
        ),
    },
    {
        "name": "Pending",
        "type": "string",
        "priority": 1,
        "jsonPath": ".status.plan.impact",
        "description": "Impact of the changes not applied yet: NoRestart, Restart or Replace",
    },
    {
        "name": "Message",
        "type": "string",
        "priority": 1,
        "jsonPath": f"{_READY}.message",
        "description": "The Ready condition's message",
    },
]
# A ContainerGroup the operator has not reconciled yet reads as "generation 1, observed -1", which
# kstatus (Flux, Helm's --wait) and the Argo CD health check treat as in progress, not healthy. The
# apiserver applies the default whenever status is absent, so the value persists until the operator
# writes its own observedGeneration.
STATUS_DEFAULT: JsonDict = {"observedGeneration": -1}
_DROP = {"title", "$defs"}


def _resolve(node: JsonDict, defs: JsonDict) -> JsonDict:
    """Inline ``$ref`` and fold ``anyOf [X, null]`` into X; sibling keys win over the target's."""
    node = dict(node)
    ref = node.pop("$ref", None)
    if ref is not None:
        target = copy.deepcopy(defs[ref.rsplit("/", 1)[-1]])
        node = {**target, **node}
    variants = node.get("anyOf")
    if variants is not None:
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) != len(variants):
            del node["anyOf"]
            if len(kept) == 1:
                inner = _resolve(kept[0], defs)
                node = {**inner, **node}
            else:
                node["anyOf"] = kept
    return node


def _structural(node: JsonDict, defs: JsonDict, *, defaults: bool) -> JsonDict:
    node = _resolve(node, defs)
    out: JsonDict = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "additionalProperties" and value is False:
            continue
        if key == "additionalProperties" and value is True:  # a PodModel: unknown fields are kept
            out["x-kubernetes-preserve-unknown-fields"] = True
            continue
        if key == "default":
            if defaults and value is not None and isinstance(value, str | int | float | bool):
                out[key] = value
            continue
        if key == "const":
            out["enum"] = [value]
            continue
        if key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            out[bound] = value
            out[key] = True
            continue
        if key == "properties":
            out[key] = {name: _structural(sub, defs, defaults=defaults) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _structural(value, defs, defaults=defaults)
        elif key == "anyOf":
            out[key] = [_structural(v, defs, defaults=defaults) for v in value]
        else:
            out[key] = copy.deepcopy(value)
    if "type" not in out and not out.get("x-kubernetes-int-or-string") and "enum" in out:
        out["type"] = "string"
    return _ordered(out)


def _ordered(node: JsonDict) -> JsonDict:
    """Description and type first, the rest sorted: a stable, reviewable file."""
    head = [k for k in ("description", "type") if k in node]
    return {k: node[k] for k in [*head, *sorted(k for k in node if k not in head)]}


def _check_structural(node: JsonDict, path: str) -> None:
    """Every node needs a type (the apiserver rejects the CRD otherwise); fail early and say where."""
    untyped_ok = node.get("x-kubernetes-int-or-string") or (
        node.get("x-kubernetes-preserve-unknown-fields") and "properties" not in node
    )
    if "type" not in node and not untyped_ok:
        raise AssertionError(f"schema node {path} has no type")
    for name, sub in node.get("properties", {}).items():
        _check_structural(sub, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        _check_structural(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        _check_structural(node["additionalProperties"], f"{path}{{}}")


def _schema_of(model: type[BaseModel], *, defaults: bool) -> JsonDict:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    defs = raw.get("$defs", {})
    return _structural(raw, defs, defaults=defaults)


def openapi_schema() -> JsonDict:
    """The openAPIV3Schema of the ContainerGroup v1alpha1 version."""
    spec = _schema_of(ContainerGroupSpec, defaults=True)
    status = _ordered({**_schema_of(ContainerGroupStatus, defaults=False), "default": STATUS_DEFAULT})
    schema: JsonDict = {
        "type": "object",
        "description": (
            "An Alibaba Cloud Elastic Container Instance (ECI) container group, declared like a Pod."
        ),
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string", "description": "eci.operator.dev/v1alpha1"},
            "kind": {"type": "string", "description": "ContainerGroup"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }
    _check_structural(schema, "")
    return schema


def crd() -> JsonDict:
    """The whole CustomResourceDefinition object."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": PLURAL,
                "singular": KIND.lower(),
                "shortNames": SHORT_NAMES,
                "categories": CATEGORIES,
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": PRINTER_COLUMNS,
                    "schema": {"openAPIV3Schema": openapi_schema()},
                }
            ],
        },
    }


def account_crd() -> JsonDict:
    """The EciAccount CustomResourceDefinition (cluster-scoped)."""
    schema: JsonDict = {
        "type": "object",
        "description": (
            "ECI credentials and endpoint for the ContainerGroups of the namespaces it allows "
            "(spec.accountRef)."
        ),
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string", "description": "eci.operator.dev/v1alpha1"},
            "kind": {"type": "string", "description": ACCOUNT_KIND},
            "metadata": {"type": "object"},
            "spec": _schema_of(EciAccountSpec, defaults=True),
            "status": _schema_of(EciAccountStatus, defaults=False),
        },
    }
    _check_structural(schema, "")
    ready = '.status.conditions[?(@.type=="Ready")]'
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{ACCOUNT_PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Cluster",
            "names": {
                "kind": ACCOUNT_KIND,
                "listKind": f"{ACCOUNT_KIND}List",
                "plural": ACCOUNT_PLURAL,
                "singular": ACCOUNT_KIND.lower(),
                "categories": CATEGORIES,
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "Ready", "type": "string", "jsonPath": f"{ready}.status"},
                        {"name": "Reason", "type": "string", "jsonPath": f"{ready}.reason"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


HEADER = "# Generated by `eci-operator crd` (make crd) from eci_operator.api; do not edit.\n"


def crd_yaml() -> str:
    """The CRD as YAML, byte-for-byte what ``crds/containergroup.yaml`` holds."""
    return HEADER + yaml.safe_dump(crd(), sort_keys=False, width=100, allow_unicode=True)


def account_crd_yaml() -> str:
    """The EciAccount CRD as YAML, byte-for-byte what ``crds/eciaccount.yaml`` holds."""
    return HEADER + yaml.safe_dump(account_crd(), sort_keys=False, width=100, allow_unicode=True)
