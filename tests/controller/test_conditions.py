"""Conditions must satisfy kstatus and stay byte-identical while nothing changes."""

from __future__ import annotations

import pytest

from eci_operator.controller.conditions import (
    Health,
    Summary,
    compute_conditions,
    find_condition,
    status_patch,
)
from eci_operator.controller.reasons import Reason


def by_type(conditions: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {c["type"]: c for c in conditions}


@pytest.mark.parametrize(
    ("health", "ready", "reconciling", "stalled"),
    [
        (Health.READY, "True", "False", "False"),
        (Health.PROGRESSING, "False", "True", "False"),
        (Health.STALLED, "False", "False", "True"),
    ],
)
def test_health_maps_to_the_three_kstatus_conditions(
    health: Health, ready: str, reconciling: str, stalled: str
) -> None:
    conditions = by_type(
        compute_conditions(Summary(health, Reason.RUNNING, "why"), generation=3, current=None, now="T1")
    )
    assert conditions["Ready"]["status"] == ready
    assert conditions["Reconciling"]["status"] == reconciling
    assert conditions["Stalled"]["status"] == stalled
    assert all(c["observedGeneration"] == 3 for c in conditions.values())
    assert all(c["lastTransitionTime"] == "T1" for c in conditions.values())


def test_transition_time_moves_only_when_status_flips() -> None:
    first = compute_conditions(
        Summary(Health.PROGRESSING, Reason.CREATING, "a"), generation=1, current=None, now="T1"
    )
    second = compute_conditions(
        Summary(Health.PROGRESSING, Reason.WAITING_FOR_INSTANCE, "b"), generation=1, current=first, now="T2"
    )
    assert all(c["lastTransitionTime"] == "T1" for c in second)
    third = compute_conditions(
        Summary(Health.READY, Reason.RUNNING, "c"), generation=1, current=second, now="T3"
    )
    times = {c["type"]: c["lastTransitionTime"] for c in third}
    assert times == {"Ready": "T3", "Reconciling": "T3", "Stalled": "T1"}


def test_steady_state_produces_no_status_patch() -> None:
    summary = Summary(Health.READY, Reason.RUNNING, "in sync")
    first = compute_conditions(summary, generation=2, current=None, now="T1")
    again = compute_conditions(summary, generation=2, current=first, now="T9")
    assert (
        status_patch({"conditions": first, "phase": "Running"}, {"conditions": again, "phase": "Running"})
        is None
    )


def test_foreign_conditions_are_kept() -> None:
    foreign = {"type": "Audited", "status": "True", "reason": "X", "message": "", "lastTransitionTime": "T0"}
    result = compute_conditions(
        Summary(Health.READY, Reason.RUNNING, ""), generation=1, current=[foreign], now="T1"
    )
    assert find_condition(result, "Audited") == foreign


def test_status_patch_sets_changes_and_removes_missing_keys() -> None:
    current = {
        "phase": "Pending",
        "plan": {"groups": ["Tag"]},
        "intranetIp": "10.0.0.1",
        "nested": {"a": 1, "b": 2},
    }
    desired = {"phase": "Running", "intranetIp": "10.0.0.1", "nested": {"a": 1}}
    assert status_patch(current, desired) == {"phase": "Running", "plan": None, "nested": {"b": None}}
