"""Pure leader-election rules on a ``coordination.k8s.io/v1`` Lease (no I/O; ``election`` does the calls).

The rules are client-go's (``leaderelection.tryAcquireOrRenew``), which controller-runtime uses:

- nobody holds the Lease (no Lease, or its holder is empty) → take it;
- we hold it → renew it (a new ``renewTime``);
- another identity holds it → stand by until the Lease has not changed for ``leaseDurationSeconds``
  *by our own clock*, then take it over.

Expiry is judged from when *we* last saw the record change, never from the ``renewTime`` written in
it: the clocks of two nodes may disagree by more than a lease, a local monotonic clock cannot jump.
A leader that has not renewed for ``renew_deadline`` (shorter than the lease) must stop reconciling:
by then a standby may be about to take over.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

JITTER = 1.2  # client-go's: the retry period may grow by this factor, and must still fit the deadline


@dataclass(frozen=True)
class Timing:
    """Leader-election durations in seconds; defaults are controller-runtime's."""

    lease_duration: float = 15.0
    """How long a standby waits, after the Lease last changed, before it takes over."""

    renew_deadline: float = 10.0
    """How long a leader keeps trying to renew before it stops reconciling."""

    retry_period: float = 2.0
    """Time between two attempts (to acquire, or to renew)."""

    def __post_init__(self) -> None:
        if not self.lease_duration > self.renew_deadline:
            raise ValueError("the lease duration must be longer than the renew deadline")
        if not self.renew_deadline > JITTER * self.retry_period:
            raise ValueError(f"the renew deadline must be longer than {JITTER} x the retry period")
        if self.retry_period <= 0:
            raise ValueError("the retry period must be positive")


@dataclass(frozen=True)
class Record:
    """What a Lease says, as far as the election cares. Values are validated, never trusted."""

    holder: str | None
    duration: float | None
    acquired: str | None
    renewed: str | None
    transitions: int
    resource_version: str | None

    @classmethod
    def of(cls, lease: Mapping[str, Any]) -> Record:
        spec = lease.get("spec")
        spec = spec if isinstance(spec, Mapping) else {}
        meta = lease.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        holder = spec.get("holderIdentity")
        duration = spec.get("leaseDurationSeconds")
        transitions = spec.get("leaseTransitions")
        return cls(
            holder=holder if isinstance(holder, str) and holder else None,
            duration=float(duration)
            if isinstance(duration, int) and not isinstance(duration, bool) and duration > 0
            else None,
            acquired=_text(spec.get("acquireTime")),
            renewed=_text(spec.get("renewTime")),
            transitions=transitions if isinstance(transitions, int) and transitions >= 0 else 0,
            resource_version=_text(meta.get("resourceVersion")),
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Seen:
    """A record and when (local monotonic time) it was first seen as it is."""

    record: Record
    at: float


def observe(previous: Seen | None, record: Record, now: float) -> Seen:
    """The record as seen now: its first-seen time is kept for as long as it does not change."""
    if previous is not None and previous.record == record:
        return previous
    return Seen(record, now)


class Step(enum.Enum):
    CREATE = "create"  # no Lease yet
    ACQUIRE = "acquire"  # free, or expired: write ourselves in as holder
    RENEW = "renew"  # ours: write a new renewTime
    STANDBY = "standby"  # another identity holds a live Lease


def decide(seen: Seen | None, identity: str, now: float, timing: Timing) -> Step:
    if seen is None:
        return Step.CREATE
    record = seen.record
    if record.holder == identity:
        return Step.RENEW
    if record.holder is None:
        return Step.ACQUIRE
    duration = record.duration if record.duration is not None else timing.lease_duration
    return Step.STANDBY if now < seen.at + duration else Step.ACQUIRE


def expires_at(seen: Seen | None, identity: str, timing: Timing) -> float | None:
    """When (local monotonic time) another holder's Lease runs out if it is not renewed meanwhile;
    a standby looks again right then rather than up to a retry period later."""
    if seen is None or seen.record.holder in (None, identity):
        return None
    duration = seen.record.duration if seen.record.duration is not None else timing.lease_duration
    return seen.at + duration


def microtime(moment: datetime.datetime) -> str:
    """A Kubernetes MicroTime (RFC 3339, microseconds, UTC)."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def spec_for(
    step: Step, seen: Seen | None, identity: str, wall: datetime.datetime, timing: Timing
) -> dict[str, Any]:
    """The Lease spec to write for ``step`` (CREATE, ACQUIRE or RENEW)."""
    now = microtime(wall)
    record = seen.record if seen is not None else None
    spec: dict[str, Any] = {
        "holderIdentity": identity,
        "leaseDurationSeconds": max(1, round(timing.lease_duration)),
        "renewTime": now,
    }
    if step is Step.RENEW and record is not None:
        spec["acquireTime"] = record.acquired or now
        spec["leaseTransitions"] = record.transitions
    else:
        spec["acquireTime"] = now
        changed_hands = record is not None and record.holder not in (None, identity)
        spec["leaseTransitions"] = (
            (record.transitions + 1)
            if record is not None and changed_hands
            else (record.transitions if record is not None else 0)
        )
    return spec


def released(seen: Seen, wall: datetime.datetime) -> dict[str, Any]:
    """The spec that hands the Lease back on a clean shutdown, so a standby need not wait it out."""
    now = microtime(wall)
    return {
        "leaseDurationSeconds": 1,
        "acquireTime": now,
        "renewTime": now,
        "leaseTransitions": seen.record.transitions,
    }


def still_leading(last_renewed: float, now: float, timing: Timing) -> bool:
    """Whether a leader whose last successful renewal was at ``last_renewed`` may go on reconciling."""
    return now - last_renewed < timing.renew_deadline
