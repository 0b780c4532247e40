"""The decision step, pure: spec + observation + policies → what to do, as one small typed value.

No I/O and no clock here (like crossplane-runtime's ``ShouldUpdate`` policies): the reconciler
observes, calls :func:`decide` and executes the answer, so every rule about *whether* to create,
update, replace, wait or refuse is in this one module and is tested at translate speed. The plan
itself (which parameter groups differ, what applying them costs) comes from ``translate.plan``, the
same function ``eci-operator plan`` prints, so the command and the controller cannot disagree.

The rules, in order:

1. A missing recorded instance is not re-created until proven gone (``observation``); an adopted ID
   that does not exist is refused (never replaced by a stand-in); an instance another ContainerGroup
   owns, or only a status names, is never touched.
2. Nothing recorded and nothing found → Create (a recorded instance proven gone → Create, evented).
3. ECI busy (Scheduling, Updating, Restarting, Terminating) → wait for it.
   A restart asked for by a new ``eci.operator.dev/restartedAt`` value (not the one status records)
   → Restart, once the instance is Pending or Running; Blocked (RestartNotPossible) when it has
   finished or failed, which no wait will change.
4. In sync → Ready (or Stalled when the instance failed), after finishing a replacement.
5. A difference the spec did not cause (the generation was applied, the instance was Ready, no
   referenced object changed) is drift: ``driftPolicy: Report`` reports it and stops there.
6. ``updatePolicy`` must allow the plan's impact, else Blocked (reported, never skipped silently).
7. Replace → create the new instance first; else Update, only from Pending or Running, and not a
   third time for a plan ECI accepted twice without effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eci_operator.api.containergroup import DriftPolicy, Fingerprints
from eci_operator.controller.claims import Claim
from eci_operator.controller.conditions import Health
from eci_operator.controller.intent import Intent
from eci_operator.controller.observation import (
    Gone,
    InstanceObservation,
    Missing,
    NoInstance,
    Present,
    Unproven,
)
from eci_operator.controller.reasons import Reason, for_phase
from eci_operator.eci.models import (
    BUSY,
    FAILED,
    SETTLED_OK,
    UPDATABLE,
    ContainerGroupOut,
    ContainerOut,
)
from eci_operator.translate import Impact, Plan, plan

MAX_UPDATES_PER_PLAN = 2
"""ECI accepted the same update this often and the instance still differs: stop and say so."""


@dataclass(frozen=True)
class Facts:
    """What the decision knows besides the intent and the observation (from status and memory)."""

    generation: int
    status: Mapping[str, Any]
    """``status`` as last written (a cache: it informs, it never authorises a write)."""
    updates_sent: Mapping[str, int]
    """Plan digest → updates already sent for it."""
    reported_drift: tuple[str, ...] = ()
    restart_requested: str | None = None
    """The ``eci.operator.dev/restartedAt`` annotation's value."""


# -- decisions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """Nothing to send: the instance matches the spec (or has failed, which no update fixes)."""

    group: ContainerGroupOut
    health: Health
    reason: Reason
    message: str


@dataclass(frozen=True)
class Wait:
    """Look again soon; nothing to send now."""

    reason: Reason
    message: str
    plan: Plan | None = None
    """A plan waiting for the instance (shown in status)."""
    keep_plan: bool = False
    """Leave the plan and drift that status shows as they are (ECI is busy applying them)."""
    delay: float | None = None
    """When to look again; None means the poll interval."""


@dataclass(frozen=True)
class Blocked:
    """A change that must not or cannot be applied; reported in status, a Stalled condition, an Event."""

    reason: Reason
    message: str
    plan: Plan | None = None
    drift: bool = False
    recheck: bool = False
    """Look again at the resync interval (the blocker may go away on its own)."""
    forget_instance: bool = False
    """The recorded ID is not ours to manage: drop it from status."""


@dataclass(frozen=True)
class ReportDrift:
    """Drift under ``driftPolicy: Report``: reported, left alone."""

    plan: Plan
    new: bool
    """Not reported before (one Event per new drift)."""


@dataclass(frozen=True)
class Create:
    lost: str | None = None
    """The recorded instance proven gone, when this re-creates it."""


@dataclass(frozen=True)
class Update:
    plan: Plan
    drift: bool


@dataclass(frozen=True)
class Replace:
    plan: Plan
    drift: bool


@dataclass(frozen=True)
class Restart:
    """RestartContainerGroup, once for this annotation value."""

    group: ContainerGroupOut
    requested: str


@dataclass(frozen=True)
class FinishReplace:
    """The new instance runs: delete the ones it replaced (found by the uid tag)."""

    group: ContainerGroupOut


Decision = Settled | Wait | Blocked | ReportDrift | Create | Update | Replace | FinishReplace | Restart


# -- the rules -----------------------------------------------------------------------------------


def was_ready(status: Mapping[str, Any]) -> bool:
    """The instance matched the spec at the last look: a difference now was made out of band."""
    for condition in status.get("conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


def applied_fingerprints(status: Mapping[str, Any]) -> Fingerprints | None:
    raw = status.get("appliedFingerprints")
    if not isinstance(raw, Mapping) or not raw:
        return None
    try:
        return Fingerprints.model_validate(raw)
    except ValueError:
        return None  # not ours any more (edited by hand): as if nothing was recorded


def restart_due(facts: Facts) -> bool:
    """A restartedAt value that status does not record as done (a cache: at worst the restart is
    asked for again, and its ClientToken makes ECI answer it without restarting twice)."""
    requested = facts.restart_requested
    return bool(requested) and requested != facts.status.get("restartedAt")


def replacing(status: Mapping[str, Any]) -> bool:
    previous = status.get("plan")
    return isinstance(previous, Mapping) and previous.get("impact") == Impact.REPLACE.value


def decide(intent: Intent, observation: InstanceObservation, facts: Facts) -> Decision:
    spec = intent.spec
    if isinstance(observation, Missing):
        return Wait(
            Reason.CONFIRMING_LOSS,
            f"instance {observation.group_id} is missing from ECI's answers; confirming before acting",
            delay=observation.recheck,
        )
    if isinstance(observation, Unproven):
        return Wait(
            Reason.CONFIRMING_ABSENCE,
            "no instance found yet; an earlier operator process may have created one that ECI does "
            "not list yet, so making sure before creating",
            delay=observation.recheck,
        )
    if isinstance(observation, Gone | NoInstance):
        lost = observation.group_id if isinstance(observation, Gone) else None
        if spec.container_group_id is not None:
            return Blocked(
                Reason.ADOPTION_TARGET_NOT_FOUND,
                f"spec.containerGroupId {spec.container_group_id} does not exist in {intent.region}",
                recheck=True,
            )
        return Create(lost=lost)
    return _present(intent, observation, facts)


def _present(intent: Intent, observation: Present, facts: Facts) -> Decision:
    group, ownership = observation.group, observation.ownership
    gid = group.container_group_id
    if ownership.claim is Claim.FOREIGN:
        assert ownership.holder is not None
        return Blocked(
            Reason.OWNED_BY_ANOTHER,
            f"instance {gid} is owned by ContainerGroup {ownership.holder.describe()}; "
            "it is never touched from here",
            recheck=True,
            forget_instance=True,
        )
    if ownership.claim is Claim.NOT_ALLOWED:
        return Blocked(
            Reason.ADOPTION_NOT_ALLOWED,
            f"instance {gid} carries no ownership tags and this namespace may not adopt instances "
            "(see the operator's adoption settings)",
            recheck=True,
        )
    if ownership.claim is Claim.UNCLAIMED:
        return Blocked(
            Reason.OWNED_BY_ANOTHER,
            f"instance {gid} carries no ownership tags and the spec does not name it; only status "
            "does, which is not proof of ownership (set spec.containerGroupId to adopt it)",
            recheck=True,
            forget_instance=True,
        )
    phase = group.status
    if phase in BUSY:
        return Wait(for_phase(phase), f"instance {gid} is {phase}", keep_plan=True)
    if restart_due(facts) and phase in UPDATABLE:
        assert facts.restart_requested is not None
        return Restart(group, facts.restart_requested)
    if restart_due(facts) and (phase in FAILED or phase == "Succeeded"):
        return Blocked(
            Reason.RESTART_NOT_POSSIBLE,
            f"a restart was asked for ({facts.restart_requested}) but instance {gid} is {phase}; "
            "ECI restarts only Pending or Running instances",
            recheck=True,
        )

    current = plan(intent.desired, group, applied_fingerprints(facts.status))
    if current.empty:
        return _in_sync(group, facts)

    applied = facts.status.get("appliedFingerprints")
    write_only_changed = isinstance(applied, Mapping) and dict(applied) != intent.fingerprints
    drift = (
        facts.status.get("observedGeneration") == facts.generation
        and not write_only_changed
        and was_ready(facts.status)
    )
    names = tuple(current.groups)
    if drift and intent.spec.drift_policy is DriftPolicy.REPORT:
        return ReportDrift(current, new=facts.reported_drift != names)

    policy = intent.spec.update_policy
    if not current.allowed_by(policy):
        return Blocked(
            Reason.UPDATE_BLOCKED,
            f"the change to {', '.join(names)} needs {current.impact} but updatePolicy is {policy.value}",
            plan=current,
            drift=drift,
        )
    if current.impact is Impact.REPLACE:
        return Replace(current, drift)
    if phase not in UPDATABLE:
        if phase in FAILED or phase in SETTLED_OK:
            return Blocked(
                Reason.INSTANCE_NOT_UPDATABLE,
                f"instance is {phase}; ECI updates only Pending or Running instances",
                plan=current,
                recheck=True,
            )
        return Wait(
            Reason.WAITING_FOR_INSTANCE,
            f"instance is {phase or 'in an unknown phase'}; updates need Pending or Running",
            plan=current,
        )
    if facts.updates_sent.get(current.digest, 0) >= MAX_UPDATES_PER_PLAN:
        return Blocked(
            Reason.UPDATE_NOT_APPLIED,
            f"ECI accepted the update of {', '.join(names)} but the instance still differs",
            plan=current,
            recheck=True,
        )
    return Update(current, drift)


def _in_sync(group: ContainerGroupOut, facts: Facts) -> Decision:
    gid, phase = group.container_group_id, group.status
    if replacing(facts.status):
        if phase not in SETTLED_OK:
            return Wait(Reason.REPLACING, f"waiting for {gid} to run", keep_plan=True)
        return FinishReplace(group)
    if phase == "Running" and not all(c.ready for c in group.containers):
        # As a Pod's: Ready only while every container is ready.
        return Settled(group, Health.PROGRESSING, Reason.CONTAINERS_NOT_READY, not_ready_message(group))
    if phase in SETTLED_OK:
        return Settled(
            group, Health.READY, for_phase(phase), f"instance {gid} is {phase} and matches the spec"
        )
    if phase in FAILED:
        return Settled(group, Health.STALLED, for_phase(phase), failure_message(group))
    return Settled(group, Health.PROGRESSING, for_phase(phase), f"instance {gid} is {phase or 'Unknown'}")


def _container_why(c: ContainerOut) -> str | None:
    """Why a container is not running well, from its current and previous state, or None."""
    parts = []
    current = c.current_state
    if current is not None and current.state == "Terminated":
        parts.append(f"{current.reason or 'Terminated'} (exit {current.exit_code})")
    elif current is not None and current.state == "Waiting" and current.reason:
        parts.append(current.reason)
    previous = c.previous_state
    if (
        previous is not None
        and previous.state == "Terminated"
        and previous.reason not in (None, "", "Completed")
    ):
        parts.append(f"last run {previous.reason} (exit {previous.exit_code})")
    if c.restart_count:
        parts.append(f"{c.restart_count} restarts")
    return f"{c.name}: {', '.join(parts)}" if parts else None


def not_ready_message(group: ContainerGroupOut) -> str:
    shown = [_container_why(c) or f"{c.name}: not ready" for c in group.containers if not c.ready]
    return f"instance {group.container_group_id} is Running; not ready: {'; '.join(shown)}"


def failure_message(group: ContainerGroupOut) -> str:
    reasons = [why for c in group.containers if (why := _container_why(c)) is not None]
    return f"instance {group.container_group_id} is {group.status}" + (
        f": {'; '.join(reasons)}" if reasons else ""
    )
