"""Leader-election rules, pure: who may take, renew or must wait for the Lease (client-go's rules)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from eci_operator.controller.leases import (
    Record,
    Seen,
    Step,
    Timing,
    decide,
    expires_at,
    observe,
    released,
    spec_for,
    still_leading,
)

TIMING = Timing()  # 15 s lease, 10 s renew deadline, 2 s retry
WALL = datetime.datetime(2026, 12, 2, 5, 0, 0, 123456, tzinfo=datetime.UTC)


def lease(holder: str | None, *, renewed: str = "2026-12-02T05:00:00.000000Z", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "eci-operator", "resourceVersion": "7"},
        "spec": {
            **({"holderIdentity": holder} if holder is not None else {}),
            "leaseDurationSeconds": 15,
            "acquireTime": "2026-12-02T04:00:00.000000Z",
            "renewTime": renewed,
            "leaseTransitions": 3,
            **spec,
        },
    }


def test_no_lease_is_created_and_a_free_one_taken() -> None:
    assert decide(None, "b", 0.0, TIMING) is Step.CREATE
    assert decide(Seen(Record.of(lease(None)), 0.0), "b", 0.0, TIMING) is Step.ACQUIRE
    assert decide(Seen(Record.of(lease("")), 0.0), "b", 0.0, TIMING) is Step.ACQUIRE


def test_our_own_lease_is_renewed() -> None:
    assert decide(Seen(Record.of(lease("b")), 0.0), "b", 100.0, TIMING) is Step.RENEW


def test_another_holder_is_waited_out_by_our_own_clock_not_by_its_renew_time() -> None:
    # The renewTime is far in the past by the wall clock: a skewed node clock must not let us take a
    # Lease that its holder is renewing. Only "unchanged for a lease duration, as we saw it" counts.
    seen = observe(None, Record.of(lease("a", renewed="2000-01-01T00:00:00.000000Z")), 100.0)
    assert decide(seen, "b", 100.0, TIMING) is Step.STANDBY
    assert decide(seen, "b", 114.9, TIMING) is Step.STANDBY
    assert decide(seen, "b", 115.0, TIMING) is Step.ACQUIRE


def test_a_standby_knows_when_to_look_again() -> None:
    seen = observe(None, Record.of(lease("a", leaseDurationSeconds=20)), 100.0)
    assert expires_at(seen, "b", TIMING) == 120.0
    assert expires_at(seen, "a", TIMING) is None  # our own
    assert expires_at(None, "b", TIMING) is None


def test_a_renewal_restarts_the_wait() -> None:
    seen = observe(None, Record.of(lease("a")), 100.0)
    assert observe(seen, Record.of(lease("a")), 110.0) is seen  # unchanged: first-seen time kept
    renewed = observe(seen, Record.of(lease("a", renewed="2026-12-02T05:00:10.000000Z")), 110.0)
    assert renewed.at == 110.0
    assert decide(renewed, "b", 120.0, TIMING) is Step.STANDBY
    assert decide(renewed, "b", 125.0, TIMING) is Step.ACQUIRE


@pytest.mark.parametrize("duration", [None, "15", -1, 0, True, 1.5])
def test_a_malformed_duration_falls_back_to_ours(duration: object) -> None:
    record = Record.of(lease("a", leaseDurationSeconds=duration))
    assert record.duration is None
    seen = observe(None, record, 0.0)
    assert decide(seen, "b", 14.0, TIMING) is Step.STANDBY
    assert decide(seen, "b", 15.0, TIMING) is Step.ACQUIRE


def test_a_lease_of_another_shape_is_read_defensively() -> None:
    record = Record.of({"metadata": "x", "spec": ["y"]})
    assert record == Record(None, None, None, None, 0, None)
    assert Record.of(lease(7, leaseTransitions="2")).holder is None  # type: ignore[arg-type]


def test_taking_over_counts_a_transition_renewing_keeps_the_acquire_time() -> None:
    seen = Seen(Record.of(lease("a")), 0.0)
    taken = spec_for(Step.ACQUIRE, seen, "b", WALL, TIMING)
    assert taken == {
        "holderIdentity": "b",
        "leaseDurationSeconds": 15,
        "acquireTime": "2026-12-02T05:00:00.123456Z",
        "renewTime": "2026-12-02T05:00:00.123456Z",
        "leaseTransitions": 4,
    }
    mine = Seen(Record.of(lease("b")), 0.0)
    renewed = spec_for(Step.RENEW, mine, "b", WALL, TIMING)
    assert renewed["acquireTime"] == "2026-12-02T04:00:00.000000Z"
    assert renewed["renewTime"] == "2026-12-02T05:00:00.123456Z"
    assert renewed["leaseTransitions"] == 3
    assert spec_for(Step.CREATE, None, "b", WALL, TIMING)["leaseTransitions"] == 0
    assert (
        spec_for(Step.ACQUIRE, Seen(Record.of(lease(None)), 0.0), "b", WALL, TIMING)["leaseTransitions"] == 3
    )


def test_a_released_lease_has_no_holder() -> None:
    spec = released(Seen(Record.of(lease("b")), 0.0), WALL)
    assert "holderIdentity" not in spec and spec["leaseDurationSeconds"] == 1
    assert decide(Seen(Record.of({"spec": spec}), 0.0), "c", 0.0, TIMING) is Step.ACQUIRE


def test_a_leader_stops_before_its_lease_can_expire() -> None:
    assert still_leading(100.0, 109.9, TIMING)
    assert not still_leading(100.0, 110.0, TIMING)
    assert TIMING.renew_deadline < TIMING.lease_duration


@pytest.mark.parametrize(
    ("lease_duration", "renew_deadline", "retry_period"), [(10, 10, 2), (15, 2, 2), (15, 10, 0), (5, 10, 2)]
)
def test_timings_that_would_let_two_leaders_overlap_are_refused(
    lease_duration: float, renew_deadline: float, retry_period: float
) -> None:
    with pytest.raises(ValueError):
        Timing(lease_duration, renew_deadline, retry_period)
