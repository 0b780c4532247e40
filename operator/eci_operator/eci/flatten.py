"""Flattening of request models (or plain nested data) into RPC query parameters.

Rules:
- nested objects join names with ``.``: ``Container.1.SecurityContext.RunAsUser``;
- lists are 1-based: ``Container.1.VolumeMount.2.MountPath``, ``Container.1.Command.3``;
- ``None`` is omitted (the parameter is not sent);
- an empty list or an empty object sends nothing: the RPC form has no way to say "empty list",
  so ``Tag=[]`` and ``Tag=None`` produce the same parameters. A caller that needs to clear a group
  must know the service's semantics for an absent group (UpdateContainerGroup keeps it);
- booleans are ``true`` / ``false``;
- integers as decimal; floats in their shortest exact form without a spurious fraction
  (``2.0`` → ``2``, ``0.5`` → ``0.5``, ``1e-07`` → ``0.0000001``); NaN and infinities are rejected;
- strings are sent as they are (empty strings included: ``Medium=""`` is a value).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


def format_scalar(value: object) -> str:
    """The wire form of one scalar (see the module rules)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"cannot send non-finite number {value!r}")
        if value.is_integer():
            return str(int(value))
        text = format(Decimal(repr(value)), "f")
        return text
    if isinstance(value, str):
        return value
    raise TypeError(f"cannot flatten a value of type {type(value).__name__}")


def flatten_data(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten nested dicts/lists/scalars with the module rules."""
    out: dict[str, str] = {}
    _walk(data, prefix, out)
    return out


def _walk(value: Any, name: str, out: dict[str, str]) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _walk(item, f"{name}.{key}" if name else str(key), out)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value, start=1):
            _walk(item, f"{name}.{index}", out)
    else:
        if not name:
            raise ValueError("a scalar needs a parameter name")
        out[name] = format_scalar(value)


def flatten(model: BaseModel) -> dict[str, str]:
    """The RPC parameters of a request model (its ECI aliases, ``None`` fields left out)."""
    return flatten_data(model.model_dump(mode="python", by_alias=True, exclude_none=True))
