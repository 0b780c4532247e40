"""Reading a ContainerGroup manifest into the models, with refusals that name the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from eci_operator.api.containergroup import API_VERSION, KIND, ContainerGroup
from eci_operator.translate.errors import TranslationError, from_validation_error


def parse_group(manifest: Mapping[str, Any]) -> ContainerGroup:
    """A validated ContainerGroup; ``TranslationError`` names every failing field
    (``spec.containers[0].ports[1].containerPort: ...``)."""
    if manifest.get("kind") != KIND or manifest.get("apiVersion") != API_VERSION:
        raise TranslationError.one("apiVersion", f"expected {API_VERSION} {KIND}")
    try:
        return ContainerGroup.model_validate(
            {k: v for k, v in manifest.items() if k in ("apiVersion", "kind", "metadata", "spec", "status")}
        )
    except ValidationError as exc:
        raise from_validation_error(exc) from None
