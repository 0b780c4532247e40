"""Helpers that attach Kubernetes schema extensions (CEL rules, list-map keys, int-or-string) to models.

They only add keys to the pydantic JSON schema; ``eci_operator.api.crd`` turns that schema into a
structural CRD schema.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]


def rule(expression: str, message: str, field_path: str | None = None, reason: str | None = None) -> JsonDict:
    """One ``x-kubernetes-validations`` entry: a CEL expression and the message naming the field."""
    entry: JsonDict = {"rule": expression, "message": message}
    if field_path is not None:
        entry["fieldPath"] = field_path
    if reason is not None:
        entry["reason"] = reason
    return entry


def validations(*rules: JsonDict) -> JsonDict:
    """Schema extra holding CEL rules for an object or field."""
    return {"x-kubernetes-validations": list(rules)}


def list_map(*keys: str) -> JsonDict:
    """Schema extra for a list whose items are unique by ``keys`` (also gives per-item SSA merges)."""
    return {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys)}


def list_set() -> JsonDict:
    """Schema extra for a list of unique scalars."""
    return {"x-kubernetes-list-type": "set"}


def merge(*extras: JsonDict) -> JsonDict:
    """Combine schema extras; CEL rule lists are concatenated."""
    out: JsonDict = {}
    for extra in extras:
        for key, value in extra.items():
            if key == "x-kubernetes-validations" and key in out:
                out[key] = [*out[key], *value]
            else:
                out[key] = value
    return out
