"""Reading ContainerGroup, Secret and ConfigMap manifests from YAML files (for render and plan)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import yaml

from eci_operator.api.containergroup import ContainerGroup
from eci_operator.translate import References, TranslationError, parse_group


class ManifestError(Exception):
    """The files do not hold exactly one readable ContainerGroup."""


def read_documents(files: Iterable[str]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for name in files:
        try:
            text = sys.stdin.read() if name == "-" else open(name, encoding="utf-8").read()  # noqa: SIM115
            loaded = list(yaml.safe_load_all(text))
        except OSError as exc:
            raise ManifestError(f"{name}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise ManifestError(f"{name}: not valid YAML: {exc}") from None
        for doc in loaded:
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise ManifestError(f"{name}: every document must be a mapping")
            if doc.get("kind") == "List":
                docs.extend(d for d in doc.get("items") or [] if isinstance(d, dict))
            else:
                docs.append(doc)
    return docs


def load_group(files: Iterable[str]) -> tuple[ContainerGroup, References]:
    """The one ContainerGroup in ``files`` and the Secrets/ConfigMaps next to it."""
    docs = read_documents(files)
    groups = [d for d in docs if d.get("kind") == "ContainerGroup"]
    if len(groups) != 1:
        raise ManifestError(f"expected exactly one ContainerGroup in the files, found {len(groups)}")
    try:
        group = parse_group(groups[0])
        refs = References.from_objects(docs)
    except TranslationError:
        raise
    except ValueError as exc:
        raise ManifestError(str(exc)) from None
    return group, refs
