"""Reasons are what alerting rules and ``kubectl wait`` match on: always valid, never server text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from eci_operator.controller.reasons import Reason, for_phase

METAV1_REASON = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")  # metav1.Condition's pattern


def test_every_reason_is_a_valid_condition_reason() -> None:
    assert all(METAV1_REASON.match(reason.value) for reason in Reason)
    assert len({reason.value for reason in Reason}) == len(Reason)


def test_known_phases_have_their_own_reason() -> None:
    assert for_phase("Running") is Reason.RUNNING
    assert for_phase("Scheduling") is Reason.INSTANCE_SCHEDULING
    assert for_phase("ScheduleFailed") is Reason.INSTANCE_SCHEDULE_FAILED


@given(st.text(max_size=40))
def test_any_phase_a_server_sends_maps_to_a_valid_reason(phase: str) -> None:
    reason = for_phase(phase)
    assert METAV1_REASON.match(reason.value)
