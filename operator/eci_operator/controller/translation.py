"""The controller's single seam onto ``translate/``: desired state, plan, and how status shows them.

Everything that knows how a ContainerGroup spec maps to ECI parameters lives in ``translate/``;
this module only packages its answers in the shape the reconcile loop needs, so the loop reads as
observe → plan → act → status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eci_operator.api.containergroup import ContainerGroupSpec
from eci_operator.controller.ownership import Owner
from eci_operator.controller.references import Resolved
from eci_operator.eci.models import (
    ContainerGroupOut,
    CreateContainerGroupRequest,
    UpdateContainerGroupRequest,
)


class SpecError(Exception):
    """The spec (or what it references) cannot be turned into ECI parameters; names the field."""


@dataclass(frozen=True)
class Intent:
    """What the spec asks for, ready to send."""

    spec: ContainerGroupSpec
    region: str
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
    write_only_changed: bool = False  # a Secret/ConfigMap changed: not drift, an input change

    @property
    def empty(self) -> bool:
        return self.impact is None

    def group_names(self) -> list[str]:
        return [str(g.get("group")) for g in self.groups]


def build_intent(raw_spec: Mapping[str, Any], owner: Owner, resolved: Resolved) -> Intent:
    raise NotImplementedError  # filled in on top of translate/


def plan(intent: Intent, group: ContainerGroupOut, applied: Mapping[str, Any] | None) -> PlanView:
    raise NotImplementedError  # filled in on top of translate/
