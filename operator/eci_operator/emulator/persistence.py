"""The ``--state-file``: written atomically (temp file, fsync, rename) and read back on start.

A file that cannot be read, is not JSON or does not have the shape ``Store.snapshot`` writes is
refused with one ``StateFileError`` naming the file and the first problem found, before any of it
is used: a hand-edited or truncated file must not start an emulator with half a state, nor end in
a traceback.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


class StateFileError(ValueError):
    """The state file cannot be read or written; the message starts with its path."""


def _problem(data: Any) -> str | None:
    """What is wrong with ``data`` as a snapshot, or None."""
    if not isinstance(data, dict):
        return f"expected a JSON object, found {type(data).__name__}"
    for key in ("next_seq", "next_ip", "version"):
        if key in data and (not isinstance(data[key], int) or isinstance(data[key], bool)):
            return f"{key!r} must be a whole number"
    tokens = data.get("tokens", {})
    if not isinstance(tokens, dict) or not all(
        isinstance(t, dict) and isinstance(t.get("fingerprint"), str) and isinstance(t.get("body"), dict)
        for t in tokens.values()
    ):
        return "'tokens' must map each ClientToken to its fingerprint and answer"
    instances = data.get("instances", [])
    if not isinstance(instances, list):
        return "'instances' must be a list"
    for i, inst in enumerate(instances):
        where = f"instances[{i}]"
        if not isinstance(inst, dict):
            return f"{where} must be an object"
        view = inst.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("ContainerGroupId"), str):
            return f"{where}.view must be an object with a ContainerGroupId string"
        if not isinstance(inst.get("seq"), int) or isinstance(inst.get("seq"), bool):
            return f"{where}.seq must be a whole number"
        if not isinstance(inst.get("hidden", {}), dict):
            return f"{where}.hidden must be an object"
        schedule = inst.get("schedule", [])
        if not isinstance(schedule, list) or not all(
            isinstance(step, list)
            and len(step) == 3
            and isinstance(step[0], int | float)
            and isinstance(step[1], str)
            and isinstance(step[2], bool)
            for step in schedule
        ):
            return f"{where}.schedule must be a list of [due, status, restart] steps"
    return None


class StateFile:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        """The saved snapshot, None when the file does not exist yet; ``StateFileError`` otherwise."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateFileError(f"{self.path}: cannot read it: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise StateFileError(f"{self.path}: not UTF-8 text") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StateFileError(
                f"{self.path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except RecursionError:
            raise StateFileError(f"{self.path}: not JSON: nested too deeply") from None
        problem = _problem(data)
        if problem is not None:
            raise StateFileError(f"{self.path}: not an emulator state file: {problem}")
        assert isinstance(data, dict)
        return data

    def save(self, data: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        except OSError as exc:
            raise StateFileError(f"{self.path}: cannot write it: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
