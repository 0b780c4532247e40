"""What the reconcile loop shares: per-object memory, settings, outcomes, ECI phases, helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eci_operator.controller.conditions import Health, Summary
from eci_operator.eci.errors import (
    AuthError,
    DryRunError,
    EciError,
    IdempotentParameterMismatchError,
    IncorrectStatusError,
    InvalidParameterError,
    NotFoundError,
    QuotaExceededError,
)
from eci_operator.eci.models import ContainerGroupOut

FINALIZER = "eci.operator.dev/finalizer"  # owned by the controller; Kopf never touches it

KUBE_RETRY_CAP = 30.0  # seconds; the longest wait after a failed Kubernetes API call

UPDATABLE = ("Pending", "Running")
SETTLED_OK = ("Running", "Succeeded")
TRANSITIONAL = ("Scheduling", "Pending", "Updating", "Restarting", "Terminating")
FAILED = ("Failed", "ScheduleFailed", "Expired")

# Stalls whose Event is posted where they happen (with more detail than the condition).
EVENTED_STALLS = frozenset({"UpdateBlockedByPolicy", "EciRejected", "AuthFailed"})

IMPACT_ALLOWED = {
    "InPlaceOnly": ("NoRestart",),
    "AllowRestart": ("NoRestart", "Restart"),
    "AllowReplace": ("NoRestart", "Restart", "Replace"),
}

Key = tuple[str, str]


def is_permanent(error: EciError) -> bool:
    """Errors that retrying the same request cannot fix."""
    return isinstance(
        error,
        InvalidParameterError
        | AuthError
        | QuotaExceededError
        | IdempotentParameterMismatchError
        | DryRunError,
    ) or not (error.retryable or isinstance(error, IncorrectStatusError | NotFoundError))


@dataclass
class ObjectState:
    """What the controller remembers about one ContainerGroup between reconciles (memory only)."""

    body: dict[str, Any]
    last_write: float = 0.0  # monotonic time of our last ECI write for this object
    failures: int = 0  # consecutive retryable failures, for backoff
    stalled_on: tuple[int, str, str] | None = None  # (generation, inputs, credentials) that failed for good
    verify_attempts: dict[str, int] = field(default_factory=dict)  # plan hash -> updates sent
    reported_drift: tuple[str, ...] = ()
    observed_at: float = 0.0  # wall time of the observation the current plan is based on
    polls: int = 0  # consecutive polls of an ECI transition, for pacing
    phase: str | None = None


@dataclass(frozen=True)
class Settings:
    cluster_id: str = "default"
    resync_interval: float = 60.0
    poll_interval: float = 2.0
    max_backoff: float = 300.0


@dataclass
class Outcome:
    """What a step concluded: the summary for conditions, status fields to set, when to look again."""

    summary: Summary
    delay: float | None = None
    status: dict[str, Any] = field(default_factory=dict)
    result: str = ""


def object_name(body: Mapping[str, Any]) -> str:
    meta = body.get("metadata", {})
    return f"{meta.get('namespace')}/{meta.get('name')}"


def summary_from(status: Mapping[str, Any], health: Health) -> Summary:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Stalled" and condition.get("status") == "True":
            return Summary(
                health, str(condition.get("reason") or "Stalled"), str(condition.get("message") or "")
            )
    return Summary(health, "Stalled", "")


def was_ready(status: Mapping[str, Any]) -> bool:
    """The instance matched the spec at the last look: a difference now was made out of band."""
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


def failure_message(group: ContainerGroupOut) -> str:
    reasons = [
        f"{c.name}: {c.current_state.reason or c.current_state.state} (exit {c.current_state.exit_code})"
        for c in group.containers
        if c.current_state is not None and c.current_state.state == "Terminated"
    ]
    return f"instance {group.container_group_id} is {group.status}" + (
        f": {'; '.join(reasons)}" if reasons else ""
    )


def observed_status(group: ContainerGroupOut) -> dict[str, Any]:
    containers = []
    for c in group.containers:
        entry: dict[str, Any] = {"name": c.name, "ready": c.ready, "restartCount": c.restart_count}
        if c.current_state is not None and c.current_state.state:
            entry["state"] = c.current_state.state
            if c.current_state.reason:
                entry["reason"] = c.current_state.reason
        containers.append(entry)
    return {
        "phase": group.status or None,
        "intranetIp": group.intranet_ip or None,
        "internetIp": group.internet_ip or None,
        "containers": containers or None,
    }
