"""The measured figures of a chaos run, appended as JSON lines to ``$CHAOS_FIGURES`` when it is set."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def record(test: str, **figures: Any) -> None:
    line = json.dumps({"test": test, **figures}, sort_keys=True)
    sys.stdout.write(f"chaos figures: {line}\n")
    path = os.environ.get("CHAOS_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
