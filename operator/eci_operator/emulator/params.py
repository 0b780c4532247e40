"""Reading flat RPC parameters (``Container.1.Command.2=...``) back into typed structures.

The emulator does its own unflattening from the wire so that it checks a client's flattening
independently. ``unflatten`` builds a tree of dicts; a ``Kind`` schema then converts the tree into
Python values (lists in index order), rejecting unknown names, wrong types, unknown enum values and
over-long lists or strings with the codes ECI uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import ApiError, invalid, length_exceeded, value_exceeded

Tree = dict[str, Any]


def unflatten(flat: Mapping[str, str]) -> Tree:
    """``{"A.1.B": "x"}`` → ``{"A": {"1": {"B": "x"}}}``; a name used as both value and group is an error."""
    root: Tree = {}
    for key, value in flat.items():
        parts = key.split(".")
        if any(part == "" for part in parts):
            raise invalid(key, "malformed parameter name")
        node = root
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise invalid(".".join(parts[: depth + 1]), "given both as a value and as a group")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise invalid(key, "given both as a value and as a group")
        node[parts[-1]] = value
    return root


def _name(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class Kind:
    """A parameter type: ``convert`` turns the raw tree node at ``path`` into a value."""

    def convert(self, raw: Any, path: str) -> Any:
        raise NotImplementedError


class Str(Kind):
    def __init__(self, max_len: int | None = None) -> None:
        self.max_len = max_len

    def convert(self, raw: Any, path: str) -> str:
        if not isinstance(raw, str):
            raise invalid(path, "expected a single value, got a group")
        if self.max_len is not None and len(raw) > self.max_len:
            raise length_exceeded(path, f"{len(raw)} characters, at most {self.max_len} allowed")
        return raw


class Int(Kind):
    def __init__(self, lo: int | None = None, hi: int | None = None) -> None:
        self.lo, self.hi = lo, hi

    def convert(self, raw: Any, path: str) -> int:
        text = Str().convert(raw, path).strip()
        try:
            value = int(text)
        except ValueError:
            raise invalid(path, f"{text!r} is not an integer") from None
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise value_exceeded(
                path, f"{value} is outside {self.lo}-{self.hi if self.hi is not None else ''}"
            )
        return value


class Float(Kind):
    def convert(self, raw: Any, path: str) -> float:
        text = Str().convert(raw, path).strip()
        try:
            value = float(text)
        except ValueError:
            raise invalid(path, f"{text!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise invalid(path, f"{text!r} is not a non-negative number")
        return value


class Bool(Kind):
    def convert(self, raw: Any, path: str) -> bool:
        text = Str().convert(raw, path).strip().lower()
        if text not in ("true", "false"):
            raise invalid(path, f"{raw!r} is not a boolean (true or false)")
        return text == "true"


class Octal(Kind):
    """File mode bits written as ECI documents them: octal digits, e.g. ``0644`` (at most 0777)."""

    def convert(self, raw: Any, path: str) -> int:
        text = Str().convert(raw, path).strip()
        if not text or len(text) > 4 or any(ch not in "01234567" for ch in text):
            raise invalid(path, f"{text!r} is not an octal file mode such as 0644")
        value = int(text, 8)
        if value > 0o777:
            raise value_exceeded(path, f"{text} is more than 0777")
        return value


class Enum(Kind):
    def __init__(self, *values: str) -> None:
        self.values = values

    def convert(self, raw: Any, path: str) -> str:
        text = Str().convert(raw, path)
        if text not in self.values:
            allowed = ", ".join(repr(v) for v in self.values)
            raise invalid(path, f"{text!r} is not one of {allowed}")
        return text


class List(Kind):
    """``Name.1``, ``Name.2`` … (1-based; gaps allowed, order by index); at most ``max_items``."""

    def __init__(self, item: Kind, max_items: int) -> None:
        self.item, self.max_items = item, max_items

    def convert(self, raw: Any, path: str) -> list[Any]:
        if not isinstance(raw, dict):
            raise invalid(path, f"a list must be sent as {path}.1, {path}.2, ...")
        indexed: list[tuple[int, Any]] = []
        for key, value in raw.items():
            if not key.isdigit() or key.startswith("0"):
                raise invalid(_name(path, key), "list indexes are positive integers starting at 1")
            indexed.append((int(key), value))
        if len(indexed) > self.max_items:
            raise length_exceeded(path, f"{len(indexed)} items, at most {self.max_items} allowed")
        indexed.sort(key=lambda pair: pair[0])
        return [self.item.convert(value, f"{path}.{index}") for index, value in indexed]


class Struct(Kind):
    def __init__(self, fields: Mapping[str, Kind]) -> None:
        self.fields = dict(fields)

    def extend(self, **more: Kind) -> Struct:
        return Struct({**self.fields, **more})

    def without(self, *names: str) -> Struct:
        return Struct({k: v for k, v in self.fields.items() if k not in names})

    def convert(self, raw: Any, path: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise invalid(path, "expected a group of parameters, got a single value")
        out: dict[str, Any] = {}
        for key, value in raw.items():
            kind = self.fields.get(key)
            if kind is None:
                raise invalid(_name(path, key), "unknown parameter")
            out[key] = kind.convert(value, _name(path, key))
        return out


def parse(flat: Mapping[str, str], schema: Struct) -> dict[str, Any]:
    """Unflatten and convert the business parameters of one action."""
    return schema.convert(unflatten(flat), "")


def merge_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Parameters from query and body; a name sent twice with different values is ambiguous."""
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out and out[key] != value:
            raise ApiError(
                "InvalidParameter", f"The parameter {key} is given more than once with different values."
            )
        out[key] = value
    return out
