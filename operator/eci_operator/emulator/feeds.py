"""The change feeds: DescribeContainerGroupStatus and DescribeContainerGroupEvents.

Both answer "what changed in the last ``SinceSecond`` seconds" for the instances matching the
filters (IDs, tags, zone, vSwitch, resource group), ``Limit`` instances per page (default and
maximum 200, ``FEED_MAX_LIMIT``), with ``NextToken`` to the next page. The status feed lists an
instance when its status or a container's state changed within the window (``Instance.changed``);
the event feed lists an instance with its events whose ``LastTimestamp`` falls within the window
(ECI keeps the latest 50 per instance). Without ``SinceSecond`` every matching instance is listed.
Answers follow the official SDK's response models field for field.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from eci_operator.eci.models import FEED_MAX_LIMIT

from . import tags, validation
from .errors import invalid, value_exceeded
from .state import Instance, Store, parse_iso

Body = dict[str, Any]

# Events ECI's own service reports; the others come from the agent inside the instance.
SERVICE_REASONS = frozenset(
    {
        "FailedScheduling",
        "ContainerGroupFailed",
        "ContainerGroupSucceeded",
        "Scheduling",
        "Updating",
        "Restarting",
        "Terminating",
    }
)

_PHASE = {
    "Scheduling": "Pending",
    "ScheduleFailed": "Pending",
    "Pending": "Pending",
    "Running": "Running",
    "Updating": "Running",
    "Restarting": "Pending",
    "Succeeded": "Succeeded",
    "Failed": "Failed",
    "Terminating": "Running",
    "Expired": "Failed",
}


def _uuid(inst: Instance) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"eci-emulator/{inst.id}"))


def _matches(inst: Instance, params: dict[str, Any], region: str, ids: list[str] | None) -> bool:
    view = inst.view
    if view.get("RegionId") != region or (ids is not None and inst.id not in ids):
        return False
    for key in ("ZoneId", "ResourceGroupId"):
        if params.get(key) and view.get(key) != params[key]:
            return False
    return tags.vswitch_and_tags_match(view, params)


def _page(
    store: Store, params: dict[str, Any], included: Callable[[Instance, float | None], bool]
) -> tuple[list[Instance], int, str, float | None]:
    region = params.get("RegionId")
    validation.require(region, "RegionId")
    ids = validation.container_group_ids(params.get("ContainerGroupIds"))
    limit = params.get("Limit", FEED_MAX_LIMIT)
    if not 1 <= limit <= FEED_MAX_LIMIT:
        raise value_exceeded("Limit", f"{limit} is outside 1-{FEED_MAX_LIMIT}")
    token = params.get("NextToken") or ""
    after = 0
    if token:
        try:
            after = int(token, 16)
        except ValueError:
            raise invalid("NextToken", f"{token!r} was not returned by this service") from None
    since = params.get("SinceSecond")
    cutoff = None if since is None else store.clock() - since
    matching = [i for i in store.all() if _matches(i, params, str(region), ids) and included(i, cutoff)]
    rest = [i for i in matching if i.seq > after]
    page = rest[:limit]
    next_token = format(page[-1].seq, "x") if len(rest) > limit else ""
    return page, len(matching), next_token, cutoff


def _state(state: Any) -> Body:
    """ECI's ``CurrentState``/``PreviousState`` → the feed's ``{Running|Terminated|Waiting: ...}``."""
    if not isinstance(state, dict) or not state.get("State"):
        return {}
    kind = state["State"]
    if kind == "Running":
        return {"Running": {"StartedAtstartedAt": state.get("StartTime", "")}}
    if kind == "Terminated":
        return {
            "Terminated": {
                "ContainerID": state.get("ContainerId", ""),
                "ExitCode": state.get("ExitCode", 0),
                "FinishedAt": state.get("FinishTime", ""),
                "Message": state.get("Message", ""),
                "Reason": state.get("Reason", ""),
                "Signal": state.get("Signal", 0),
                "StartedAt": state.get("StartTime", ""),
            }
        }
    return {"Waiting": {"Message": state.get("Message", ""), "Reason": state.get("Reason", "")}}


def _container_status(c: dict[str, Any]) -> Body:
    current = c.get("CurrentState") or {}
    return {
        "Name": c.get("Name", ""),
        "Image": c.get("Image", ""),
        "ImageID": "",
        "Ready": bool(c.get("Ready", False)),
        "Started": current.get("State") == "Running",
        "RestartCount": int(c.get("RestartCount", 0) or 0),
        "State": _state(current),
        "LastState": _state(c.get("PreviousState")),
    }


def _conditions(inst: Instance) -> list[Body]:
    view = inst.view
    containers = view.get("Containers", [])
    ready = view.get("Status") == "Running" and all(c.get("Ready") for c in containers)
    scheduled = view.get("Status") not in ("Scheduling", "ScheduleFailed")
    stamp = view.get("CreationTime", "")

    def condition(kind: str, ok: bool, reason: str = "") -> Body:
        return {
            "type": kind,
            "status": "True" if ok else "False",
            "lastTransitionTime": stamp,
            "Reason": "" if ok else reason,
            "Message": "",
        }

    return [
        condition("PodScheduled", scheduled, "Unschedulable"),
        condition("ContainersReady", ready, "ContainersNotReady"),
        condition("Ready", ready, "ContainersNotReady"),
    ]


def describe_status(store: Store, params: dict[str, Any]) -> Body:
    def changed(inst: Instance, cutoff: float | None) -> bool:
        return cutoff is None or inst.changed >= cutoff

    page, total, token, _ = _page(store, params, changed)
    data = []
    for inst in page:
        view = inst.view
        ip = view.get("IntranetIp", "")
        data.append(
            {
                "ContainerGroupId": inst.id,
                "Name": view.get("ContainerGroupName", ""),
                "Namespace": "default",
                "uuid": _uuid(inst),
                "Status": view.get("Status", ""),
                "Annotations": "{}",
                "PodStatus": {
                    "Phase": _PHASE.get(str(view.get("Status")), "Unknown"),
                    "PodIp": ip,
                    "PodIps": [{"Ip": ip}] if ip else [],
                    "HostIp": "",
                    "QosClass": "Guaranteed",
                    "StartTime": view.get("CreationTime", ""),
                    "Conditions": _conditions(inst),
                    "ContainerStatuses": [_container_status(c) for c in view.get("Containers", [])],
                },
            }
        )
    return {"TotalCount": total, "NextToken": token, "Data": data}


def _recent(inst: Instance, cutoff: float | None) -> list[dict[str, Any]]:
    events = [e for e in inst.view.get("Events", []) if isinstance(e, dict)]
    if cutoff is None:
        return events
    whole = int(cutoff)  # timestamps have whole seconds: keep the second the window starts in
    out = []
    for e in events:
        try:
            if parse_iso(str(e.get("LastTimestamp", ""))) >= whole:
                out.append(e)
        except ValueError:
            continue
    return out


def _source(e: dict[str, Any]) -> str:
    return "EciService" if e.get("Reason") in SERVICE_REASONS else "K8sAgent"


def describe_events(store: Store, params: dict[str, Any]) -> Body:
    source = params.get("EventSource") or ""

    def wanted(e: dict[str, Any]) -> bool:
        return not source or _source(e) == source

    def has_events(inst: Instance, cutoff: float | None) -> bool:
        return any(wanted(e) for e in _recent(inst, cutoff))

    page, total, token, cutoff = _page(store, params, has_events)
    data = []
    for inst in page:
        view = inst.view
        name = view.get("ContainerGroupName", "")
        events = [
            {
                "Count": e.get("Count", 1),
                "Type": e.get("Type", "Normal"),
                "Reason": e.get("Reason", ""),
                "Message": e.get("Message", ""),
                "FirstTimestamp": e.get("FirstTimestamp", ""),
                "LastTimestamp": e.get("LastTimestamp", ""),
                "Metadata": {"Name": e.get("Name", ""), "Namespace": "default"},
                "ReportingComponent": _source(e),
                "ReportingInstance": inst.id,
                "Source": {"Component": _source(e), "Host": ""},
                "involvedObject": {
                    "ApiVersion": "v1",
                    "Kind": "Pod",
                    "Name": name,
                    "Namespace": "default",
                    "Uid": _uuid(inst),
                },
            }
            for e in _recent(inst, cutoff)
            if wanted(e)
        ]
        data.append(
            {
                "ContainerGroupId": inst.id,
                "Name": name,
                "Namespace": "default",
                "uuid": _uuid(inst),
                "Annotations": "{}",
                "Events": events,
            }
        )
    return {"TotalCount": total, "NextToken": token, "Data": data}
