"""Model bases shared by the ContainerGroup resource models.

Spec models use the Kubernetes camelCase names on the wire and refuse unknown fields, so a typo or a
Pod field ECI cannot honour is an error naming the field instead of being dropped silently.
Attribute docstrings become the schema descriptions that ``kubectl explain`` shows.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class SpecModel(BaseModel):
    """A part of the ContainerGroup spec: camelCase aliases, unknown fields refused, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The manifest form: camelCase keys, unset fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class StatusModel(BaseModel):
    """A part of the ContainerGroup status: camelCase aliases, written by the operator only."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        use_attribute_docstrings=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The manifest form: camelCase keys, unset fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")
