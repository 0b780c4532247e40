"""Model bases shared by the ContainerGroup resource models.

Spec models use the Kubernetes camelCase names on the wire. Attribute docstrings become the schema
descriptions that ``kubectl explain`` shows.

Never silent: a field the schema does not know is either refused or kept, never dropped. The
ECI-only parts of the spec (``SpecModel``) refuse unknown fields. The parts shaped like core/v1
Pod-spec structures (``PodModel``: the spec itself, containers, probes, volumes, security contexts...)
*keep* them, in the models (``model_extra``) and in the CRD (``x-kubernetes-preserve-unknown-fields``),
so that the translator can name each one and say why ECI cannot honour it, or run without it when
the ContainerGroup opts in (``spec.unenforceableFields: Ignore``).

Why keep rather than refuse at admission: the apiserver prunes a field its structural schema does
not declare *before* any admission step can see it, and only a client asking for strict field
validation hears about it (kubectl's default is Warn; server-side apply, Helm, Argo CD and most
client libraries do not ask). ``capabilities: {drop: [ALL]}`` would reach the operator as
``capabilities: {}`` and the instance would run with less hardening than its manifest declares.
CEL rules cannot see preserved unknown fields either, so refusing them at admission would need a
webhook; keeping them and refusing in the operator needs none. Knative Serving embeds PodSpecs the
same way (preserve-unknown-fields on the Pod-spec parts, its webhook refusing what is not enabled).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """camelCase names on the wire; attribute docstrings become the schema's descriptions."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_attribute_docstrings=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The manifest form: camelCase keys, unset fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class SpecModel(CamelModel):
    """A part of the ContainerGroup spec: camelCase aliases, unknown fields refused, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PodModel(SpecModel):
    """A part shaped like a core/v1 Pod-spec structure: fields it does not model are kept, so the
    translator can refuse each by name (or ignore it on request) instead of losing it."""

    model_config = ConfigDict(extra="allow")


class StatusModel(CamelModel):
    """A part of the ContainerGroup status: camelCase aliases, written by the operator only."""

    model_config = ConfigDict(extra="ignore")
