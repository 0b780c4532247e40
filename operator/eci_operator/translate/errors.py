"""Refusals that name the field: what ECI cannot honour, or what the spec gets wrong.

Messages never contain values from Secrets or ConfigMaps; validation errors are rebuilt from the
validator's message only (pydantic's own text would echo the input value).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

IGNORE_HINT = "spec.unenforceableFields: Ignore runs without it"


@dataclass(frozen=True)
class Problem:
    """One refused field; ``field`` is a manifest path (``spec.containers[0].ports[1].containerPort``).

    ``unenforceable`` marks a field ECI cannot enforce (rather than one that is wrong): the
    ContainerGroup may opt in to running without it.
    """

    field: str
    message: str
    unenforceable: bool = False

    def __str__(self) -> str:
        hint = f" ({IGNORE_HINT})" if self.unenforceable else ""
        return f"{self.field}: {self.message}{hint}"


class Problems:
    """The problems found so far while translating one spec (all are reported, not just the first)."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def refuse(self, field: str, message: str) -> None:
        """``field`` is wrong, or asks for something ECI will never do."""
        self.items.append(Problem(field, message))

    def unenforceable(self, field: str, message: str) -> None:
        """ECI cannot enforce ``field``; refused unless the ContainerGroup opts in to ignoring it."""
        self.items.append(Problem(field, message, unenforceable=True))

    def mark(self) -> int:
        return len(self.items)

    def since(self, mark: int) -> list[Problem]:
        return self.items[mark:]

    def under(self, path: str) -> bool:
        """Whether a problem was already reported at ``path`` or below it."""
        return any(p.field == path or p.field.startswith((path + ".", path + "[")) for p in self.items)


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
