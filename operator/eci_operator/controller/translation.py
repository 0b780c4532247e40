"""The controller's single seam onto ``translate/``: desired state, plan, and how status shows them.

Everything that knows how a ContainerGroup spec maps to ECI parameters lives in ``translate/``;
this module only packages its answers in the shape the reconcile loop needs, so the loop reads as
observe → plan → act → status.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eci_operator.api.containergroup import ContainerGroup, ContainerGroupSpec, Fingerprints
from eci_operator.controller.ownership import Owner
from eci_operator.controller.references import Resolved
from eci_operator.eci.models import (
    ContainerGroupOut,
    CreateContainerGroupRequest,
    UpdateContainerGroupRequest,
)
from eci_operator.translate import (
    Desired,
    ReferencedNames,
    TranslationError,
    fingerprints,
    parse_group,
    referenced_names,
    translate,
)
from eci_operator.translate import plan as make_plan


class SpecError(Exception):
    """The spec (or what it references) cannot be turned into ECI parameters; names the field."""

    def __init__(self, message: str, *, missing_reference: bool = False) -> None:
        super().__init__(message)
        self.missing_reference = missing_reference


def parse(body: Mapping[str, Any]) -> ContainerGroup:
    """The validated ContainerGroup (status ignored: it is ours and may lag the schema)."""
    try:
        return parse_group({k: v for k, v in body.items() if k in ("apiVersion", "kind", "metadata", "spec")})
    except TranslationError as exc:
        raise SpecError(str(exc)) from None


def references_of(group: ContainerGroup) -> ReferencedNames:
    return referenced_names(group.spec)


@dataclass(frozen=True)
class Intent:
    """What the spec asks for, ready to send."""

    spec: ContainerGroupSpec
    region: str
    desired: Desired
    create: CreateContainerGroupRequest  # ownership tags included, no ClientToken yet
    fingerprints: dict[str, Any]  # status.appliedFingerprints once this intent has been written
    inputs_hash: str  # changes whenever the spec or a referenced Secret/ConfigMap changes


@dataclass(frozen=True)
class PlanView:
    """The difference between an intent and an instance."""

    impact: str | None  # NoRestart | Restart | Replace; None when in sync
    groups: list[dict[str, Any]] = field(default_factory=list)  # status.plan.groups (redacted)
    hash: str = ""
    update: UpdateContainerGroupRequest | None = None  # no ID/ClientToken yet
    write_only_changed: bool = False  # a Secret/ConfigMap changed: an input change, not drift

    @property
    def empty(self) -> bool:
        return self.impact is None

    def group_names(self) -> list[str]:
        return [str(g.get("group")) for g in self.groups]


def build_intent(group: ContainerGroup, owner: Owner, resolved: Resolved) -> Intent:
    missing = resolved.missing()
    try:
        desired = translate(group, resolved.references(), owner_tags=owner.tags())
    except TranslationError as exc:
        if missing:
            raise SpecError(f"{exc} (missing: {', '.join(missing)})", missing_reference=True) from None
        raise SpecError(str(exc)) from None
    prints = fingerprints(desired).to_dict()
    inputs = json.dumps(
        {"spec": group.spec.to_dict(), "fingerprints": prints, "missing": missing},
        sort_keys=True,
        default=str,
    )
    return Intent(
        spec=group.spec,
        region=desired.request.region_id,
        desired=desired,
        create=desired.request,
        fingerprints=prints,
        inputs_hash=hashlib.sha256(inputs.encode()).hexdigest()[:32],
    )


def plan(intent: Intent, group: ContainerGroupOut, applied: Mapping[str, Any] | None) -> PlanView:
    applied_model = Fingerprints.model_validate(applied) if applied else None
    result = make_plan(intent.desired, group, applied_model)
    if result.empty:
        return PlanView(impact=None)
    impact = result.impact
    return PlanView(
        impact=None if impact is None else impact.value,
        groups=[c.summary().to_dict() for c in result.changes],
        hash=result.digest,
        update=result.update,
        write_only_changed=applied is not None and dict(applied) != intent.fingerprints,
    )
