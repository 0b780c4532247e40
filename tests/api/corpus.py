"""The invalid-manifest corpus: tests/api/invalid/*.yaml, each headed by the field it must be refused at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

INVALID = Path(__file__).parent / "invalid"
EXAMPLES = Path(__file__).parents[2] / "deploy" / "examples"


@dataclass(frozen=True)
class Case:
    name: str
    field: str
    why: str
    strict: bool
    manifest: dict[str, Any]


def invalid_cases() -> list[Case]:
    cases = []
    for path in sorted(INVALID.glob("*.yaml")):
        text = path.read_text()
        header = dict(
            line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# ") and ": " in line
        )
        cases.append(
            Case(path.stem, header["field"], header.get("why", ""), "strict" in header, yaml.safe_load(text))
        )
    return cases


def example_documents() -> dict[str, list[dict[str, Any]]]:
    """Every document of every example file, by file name."""
    return {
        path.name: [d for d in yaml.safe_load_all(path.read_text()) if d]
        for path in sorted(EXAMPLES.glob("*.yaml"))
    }
