"""Refusals that name the field: what ECI cannot honour, or what the spec gets wrong.

Messages never contain values from Secrets or ConfigMaps; validation errors are rebuilt from the
validator's message only (pydantic's own text would echo the input value).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    """One refused field; ``field`` is a manifest path (``spec.containers[0].ports[1].containerPort``)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class TranslationError(ValueError):
    """The spec cannot be turned into ECI parameters; ``problems`` name every failing field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, field: str, message: str) -> TranslationError:
        return cls([Problem(field, message)])

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems]


def field_path(loc: Iterable[str | int], root: str = "") -> str:
    """``('spec', 'containers', 0, 'name')`` -> ``spec.containers[0].name``."""
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def from_validation_error(error: ValidationError, root: str = "") -> TranslationError:
    """Turn a pydantic error into field-named problems, without echoing input values."""
    problems = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        # Function-validator locs end with the validator's name; unions add the member type name.
        loc = [p for p in item["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
        message = item["msg"]
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        problems.append(Problem(field_path(loc, root) or root or "(root)", message))
    return TranslationError(problems)
