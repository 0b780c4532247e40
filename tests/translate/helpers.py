"""Builders shared by the translation tests."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

from eci_operator.eci.flatten import flatten
from eci_operator.translate import Desired, GroupChange, Plan, References, parse_group, translate

BASE: dict[str, Any] = {
    "apiVersion": "eci.operator.dev/v1alpha1",
    "kind": "ContainerGroup",
    "metadata": {"name": "web", "namespace": "shop", "uid": "0f1e2d3c"},
    "spec": {"regionId": "cn-hangzhou", "containers": [{"name": "web", "image": "nginx:1.27"}]},
}


def manifest(patch: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
    """The base manifest with ``patch(spec)`` applied."""
    m = copy.deepcopy(BASE)
    if patch is not None:
        patch(m["spec"])
    return m


def desired(patch: Callable[[dict[str, Any]], Any] | None = None, refs: References | None = None) -> Desired:
    return translate(parse_group(manifest(patch)), refs)


def params(
    patch: Callable[[dict[str, Any]], Any] | None = None, refs: References | None = None
) -> dict[str, str]:
    return flatten(desired(patch, refs).request)


def secret(name: str, data: dict[str, str], type_: str = "Opaque") -> dict[str, Any]:
    return {
        "kind": "Secret",
        "metadata": {"name": name},
        "type": type_,
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def config_map(name: str, data: dict[str, str], binary: dict[str, bytes] | None = None) -> dict[str, Any]:
    return {
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": data,
        "binaryData": {k: base64.b64encode(v).decode() for k, v in (binary or {}).items()},
    }


def dockerconfigjson(name: str, auths: dict[str, dict[str, str]]) -> dict[str, Any]:
    return secret(name, {".dockerconfigjson": json.dumps({"auths": auths})}, "kubernetes.io/dockerconfigjson")


def refs(*objects: dict[str, Any]) -> References:
    return References.from_objects(objects)


def change_of(result: Plan, group: str) -> GroupChange:
    """The plan's change of ``group``, which must be in it."""
    change = result.get(group)
    assert change is not None, f"{group} not in the plan: {result.groups}"
    return change


def shown(result: Plan) -> str:
    """Everything a plan shows: ``eci-operator plan``, status.plan / status.drift, reprs."""
    status = result.status()
    return result.render() + repr(result) + (str(status.to_dict()) if status else "")


def container(spec: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Set fields of the first container; returns the spec, so an edit can chain it."""
    spec["containers"][0].update(fields)
    return spec
