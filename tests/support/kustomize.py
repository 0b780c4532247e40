"""``kustomize build``, as ``kubectl apply -k`` sees deploy/ and the overlays users write on it.

The binary is ``$KUSTOMIZE``, else the one ``make kustomize`` builds (pinned in the Makefile) into
``.cache/kustomize/<version>/``, built on first use when missing.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.support.operator import REPO

BUILD_TIMEOUT = 900.0


def binary() -> Path:
    if os.environ.get("KUSTOMIZE"):
        return Path(os.environ["KUSTOMIZE"])
    version = re.search(r"^KUSTOMIZE_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert version is not None, "the Makefile pins no KUSTOMIZE_VERSION"
    path = REPO / ".cache" / "kustomize" / version.group(1) / "kustomize"
    if not path.exists():
        make = subprocess.run(
            ["make", "kustomize"], cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT
        )
        if make.returncode != 0:
            raise RuntimeError(f"`make kustomize` failed:\n{make.stdout[-3000:]}{make.stderr[-3000:]}")
    return path


def build(directory: Path) -> list[dict[str, Any]]:
    """The objects ``kustomize build directory`` prints."""
    result = subprocess.run(
        [str(binary()), "build", str(directory)], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"kustomize build {directory} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def overlay(directory: Path, kustomization: dict[str, Any], files: dict[str, Any] | None = None) -> Path:
    """Write an overlay (``kustomization.yaml`` and ``files``) into ``directory``. Entries of
    ``resources`` and ``components`` that are absolute paths are made relative to ``directory``,
    as kustomize requires."""
    directory.mkdir(parents=True, exist_ok=True)
    body = dict(kustomization)
    for key in ("resources", "components"):
        if key in body:
            body[key] = [os.path.relpath(p, directory) if Path(p).is_absolute() else p for p in body[key]]
    body = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", **body}
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    for name, content in (files or {}).items():
        (directory / name).write_text(yaml.safe_dump_all(content if isinstance(content, list) else [content]))
    return directory
