"""The events ECI shows for changes made from outside (the admin API): failures and restarts.

``runtime_state`` is the part of an instance the status feed reports; comparing it before and after
a patch says whether the instance changed and which events ECI would record: a failed or
unschedulable instance, an image that cannot be pulled, a crash loop, an OOM kill, a restart, a
readiness probe that fails. Reasons and messages follow the kubelet's, which ECI's agent reports.
"""

from __future__ import annotations

from typing import Any

from .state import Instance, event

Runtime = tuple[str, tuple[tuple[str, bool, int, str, str, str], ...]]


def _state_key(state: Any) -> str:
    return repr(sorted(state.items())) if isinstance(state, dict) else repr(state)


def runtime_state(view: dict[str, Any]) -> Runtime:
    containers = []
    for c in view.get("Containers", []) + view.get("InitContainers", []):
        if not isinstance(c, dict):
            continue
        containers.append(
            (
                str(c.get("Name", "")),
                bool(c.get("Ready", False)),
                int(c.get("RestartCount", 0) or 0),
                _state_key(c.get("CurrentState")),
                _state_key(c.get("PreviousState")),
                str(c.get("Image", "")),
            )
        )
    return str(view.get("Status", "")), tuple(containers)


def _by_name(runtime: Runtime) -> dict[str, tuple[str, bool, int, str, str, str]]:
    return {c[0]: c for c in runtime[1]}


def admin_events(inst: Instance, before: Runtime, at: float) -> None:
    """Record the events of the change from ``before`` to the instance's present state."""
    view = inst.view
    status = str(view.get("Status", ""))
    if status != before[0]:
        if status == "ScheduleFailed":
            event(
                inst,
                at,
                "FailedScheduling",
                "The container group could not be scheduled: no stock of the requested spec in the zone",
                "Warning",
            )
        elif status == "Failed":
            event(inst, at, "ContainerGroupFailed", "The container group failed", "Warning")
        elif status == "Succeeded":
            event(inst, at, "ContainerGroupSucceeded", "All containers exited successfully")
    old = _by_name(before)
    for c in view.get("Containers", []) + view.get("InitContainers", []):
        if isinstance(c, dict):
            _container_events(inst, c, old.get(str(c.get("Name", ""))), at)


def _container_events(
    inst: Instance, c: dict[str, Any], old: tuple[str, bool, int, str, str, str] | None, at: float
) -> None:
    name = str(c.get("Name", ""))
    current = c.get("CurrentState") if isinstance(c.get("CurrentState"), dict) else {}
    previous = c.get("PreviousState") if isinstance(c.get("PreviousState"), dict) else {}
    assert isinstance(current, dict) and isinstance(previous, dict)
    state_moved = old is None or old[3] != _state_key(c.get("CurrentState"))
    previous_moved = old is None or old[4] != _state_key(c.get("PreviousState"))
    restarts = int(c.get("RestartCount", 0) or 0)
    restarted = old is not None and restarts > old[2]
    reason = str(current.get("Reason", ""))
    if state_moved and current.get("State") == "Waiting":
        image = c.get("Image", "")
        if reason == "ErrImagePull":
            detail = str(current.get("Message", "")) or "not found"
            event(inst, at, "Failed", f'Failed to pull image "{image}": {detail}', "Warning")
        elif reason == "ImagePullBackOff":
            event(inst, at, "BackOff", f'Back-off pulling image "{image}"', "Warning")
        elif reason == "CrashLoopBackOff":
            event(inst, at, "BackOff", f"Back-off restarting failed container {name}", "Warning")
    for state, moved in ((current, state_moved), (previous, previous_moved)):
        if moved and state.get("State") == "Terminated" and state.get("Reason") == "OOMKilled":
            event(inst, at, "OOMKilled", f"Container {name} was killed: out of memory", "Warning")
            break
    else:
        if restarted:
            code = previous.get("ExitCode")
            why = f" (exit code {code})" if code is not None else ""
            event(inst, at, "Restarted", f"Container {name} exited{why} and was restarted", "Warning")
    if old is not None and old[1] and not c.get("Ready", False) and current.get("State") == "Running":
        event(inst, at, "Unhealthy", f"Readiness probe of container {name} failed", "Warning")
