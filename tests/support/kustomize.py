"""``kustomize build``, as ``kubectl apply -k`` sees deploy/ and the overlays users write on it.

The kustomize inside the real kubectl (``kubectl kustomize``, built by ``make gitops-tools``): the very
code that ``kubectl apply -k`` runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import checked, run


def build(directory: Path) -> list[dict[str, Any]]:
    """The objects ``kubectl kustomize directory`` prints."""
    output = checked(run("kubectl", "kustomize", str(directory), timeout=60))
    return [doc for doc in yaml.safe_load_all(output) if doc]


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
