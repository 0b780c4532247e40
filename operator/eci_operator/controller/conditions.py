"""Conditions in metav1.Condition shape and the kstatus-compliant summary of one reconcile.

Every reconcile ends in one of three health states, and each maps to the three condition types
that kstatus, Flux and ``kubectl wait --for=condition=Ready`` understand:

=============  =======  ===========  =======
health         Ready    Reconciling  Stalled
=============  =======  ===========  =======
READY          True     False        False
PROGRESSING    False    True         False
STALLED        False    False        True
=============  =======  ===========  =======

``lastTransitionTime`` only moves when a condition's status flips, so a steady object produces an
identical conditions list and therefore no status write.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eci_operator.controller.reasons import Reason

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"
CONDITION_TYPES = (READY, RECONCILING, STALLED)

MAX_MESSAGE = 32768


class Health(enum.Enum):
    READY = "Ready"
    PROGRESSING = "Progressing"
    STALLED = "Stalled"


@dataclass(frozen=True)
class Summary:
    """What one reconcile concluded: the health, a CamelCase reason and a human message."""

    health: Health
    reason: Reason
    message: str


def _status_of(summary: Summary, condition_type: str) -> str:
    if condition_type == READY:
        return "True" if summary.health is Health.READY else "False"
    if condition_type == RECONCILING:
        return "True" if summary.health is Health.PROGRESSING else "False"
    return "True" if summary.health is Health.STALLED else "False"


def _reason_of(summary: Summary, condition_type: str, status: str) -> Reason:
    # The condition that carries the news gets the specific reason; the others say why they are not.
    if status == "True" or condition_type == READY:
        return summary.reason
    return Reason.NOT_RECONCILING if condition_type == RECONCILING else Reason.NOT_STALLED


def compute_conditions(
    summary: Summary,
    *,
    generation: int,
    current: Sequence[Mapping[str, Any]] | None,
    now: str,
) -> list[dict[str, Any]]:
    """The three conditions for ``summary``, keeping ``lastTransitionTime`` where status is unchanged.

    Conditions of other types already present (set by other tools) are kept as they are.
    """
    previous = {c.get("type"): c for c in current or () if isinstance(c, Mapping)}
    result: list[dict[str, Any]] = []
    for condition_type in CONDITION_TYPES:
        status = _status_of(summary, condition_type)
        reason = _reason_of(summary, condition_type, status)
        message = summary.message if status == "True" or condition_type == READY else ""
        before = previous.get(condition_type)
        transition = now
        if before is not None and before.get("status") == status and before.get("lastTransitionTime"):
            transition = str(before["lastTransitionTime"])
        result.append(
            {
                "type": condition_type,
                "status": status,
                "reason": str(reason),
                "message": message[:MAX_MESSAGE],
                "observedGeneration": generation,
                "lastTransitionTime": transition,
            }
        )
    result.extend(dict(c) for t, c in previous.items() if t not in CONDITION_TYPES)
    return result


def find_condition(
    conditions: Sequence[Mapping[str, Any]] | None, condition_type: str
) -> Mapping[str, Any] | None:
    for condition in conditions or ():
        if condition.get("type") == condition_type:
            return condition
    return None


def status_patch(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> dict[str, Any] | None:
    """A JSON merge patch turning ``current`` status into ``desired``, or None when they are equal.

    Keys present in ``current`` but absent from ``desired`` are removed (set to null). Lists are
    replaced whole, as merge patch does.
    """
    current = current or {}
    patch: dict[str, Any] = {}
    for key, value in desired.items():
        before = current.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = status_patch(before, value)
            if nested is not None:
                patch[key] = nested
        elif before != value:
            patch[key] = value
    for key in current:
        if key not in desired:
            patch[key] = None
    return patch or None
