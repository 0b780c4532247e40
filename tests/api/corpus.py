"""The manifest corpora, each file headed by the field it must be refused at:

- ``tests/api/invalid/``: refused at admission by the CRD's schema and CEL rules (and by the
  translator);
- ``tests/api/refused/``: admitted and stored as written (nothing pruned), then refused by the
  operator with the field and the reason; ``unenforceable: yes`` marks the ones ECI cannot enforce,
  which ``spec.unenforceableFields: Ignore`` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

INVALID = Path(__file__).parent / "invalid"
REFUSED = Path(__file__).parent / "refused"
EXAMPLES = Path(__file__).parents[2] / "deploy" / "examples"


@dataclass(frozen=True)
class Case:
    name: str
    field: str
    why: str
    unenforceable: bool
    manifest: dict[str, Any]


def _cases(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text()
        header = dict(
            line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# ") and ": " in line
        )
        unenforceable = header.get("unenforceable") == "yes"
        cases.append(
            Case(path.stem, header["field"], header.get("why", ""), unenforceable, yaml.safe_load(text))
        )
    return cases


def invalid_cases() -> list[Case]:
    return _cases(INVALID)


def refused_cases() -> list[Case]:
    return _cases(REFUSED)


def example_documents() -> dict[str, list[dict[str, Any]]]:
    """Every document of every example file, by file name."""
    return {
        path.name: [d for d in yaml.safe_load_all(path.read_text()) if d]
        for path in sorted(EXAMPLES.glob("*.yaml"))
    }
