"""Out-of-band changes for tests and demos: seed an instance, drift one as if from the console.

Instances are given and returned in DescribeContainerGroups' shape. A patch is deep-merged:
objects merge key by key, ``Containers``/``InitContainers``/``Volumes`` merge item by item on
``Name`` (unknown names are appended), every other list is replaced whole. Setting ``Status``
stops any transition in progress; setting it to ``Running`` also starts the containers (running,
ready) as the lifecycle does, unless the patch gives their state.

A patch that changes ``Status`` or a container's ``RestartCount``, ``Ready``, ``CurrentState`` or
``PreviousState`` (also accepted under the Kubernetes name ``LastTerminationState``) is a status
change: the instance's change time moves (``DescribeContainerGroupStatus`` with ``SinceSecond``
reports it) and the events ECI would show for it are recorded (``lifecycle.admin_events``).
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError
from .lifecycle import admin_events, runtime_state
from .state import Instance, Store, enter, iso

MERGED_BY_NAME = ("Containers", "InitContainers", "Volumes")


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        current = target.get(key)
        if key in MERGED_BY_NAME and isinstance(value, list) and isinstance(current, list):
            by_name = {item.get("Name"): item for item in current if isinstance(item, dict)}
            for item in value:
                if not isinstance(item, dict) or "Name" not in item:
                    raise ApiError("InvalidParameter", f"{key}: every item of a patch needs a Name")
                if item["Name"] in by_name:
                    _merge(by_name[item["Name"]], item)
                else:
                    current.append(copy.deepcopy(item))
        elif isinstance(value, dict) and isinstance(current, dict):
            _merge(current, value)
        else:
            target[key] = copy.deepcopy(value)


def _container_runtime(c: dict[str, Any], status: str, started: str) -> None:
    running = status in ("Running", "Updating")
    c.setdefault("RestartCount", 0)
    c.setdefault("Ready", running)
    c.setdefault(
        "CurrentState", {"State": "Running", "StartTime": started} if running else {"State": "Waiting"}
    )


def seed(store: Store, obj: Any, default_region: str = "cn-hangzhou") -> Instance:
    if not isinstance(obj, dict):
        raise ApiError("InvalidParameter", "the body must be a Describe-shaped container group object")
    view = copy.deepcopy(obj)
    ident = view.get("ContainerGroupId") or store.new_id()
    if ident in store.instances:
        raise ApiError("InvalidParameter", f"ContainerGroupId {ident} already exists", 409)
    now = iso(store.clock())
    defaults: dict[str, Any] = {
        "ContainerGroupId": ident,
        "ContainerGroupName": ident,
        "RegionId": default_region,
        "ZoneId": f"{view.get('RegionId', default_region)}-a",
        "Status": "Running",
        "CreationTime": now,
        "Cpu": 2.0,
        "Memory": 4.0,
        "RestartPolicy": "Always",
        "IntranetIp": store.new_ip(),
        "InternetIp": "",
        "VpcId": "vpc-emulator",
        "VSwitchId": "vsw-emulator-default",
        "SecurityGroupId": "sg-emulator-default",
        "ResourceGroupId": "rg-emulator-default",
        "InstanceType": "",
        "Tags": [],
        "Events": [],
        "Containers": [],
        "InitContainers": [],
        "Volumes": [],
        "DnsConfig": {},
        "EciSecurityContext": {},
    }
    for key, value in defaults.items():
        view.setdefault(key, value)
    for c in view["Containers"]:
        _container_runtime(c, view["Status"], view["CreationTime"])
    return store.add(Instance(view=view, changed=store.clock()))


def patch(store: Store, ident: str, obj: Any) -> Instance:
    inst = store.get(ident)
    if inst is None:
        raise ApiError(
            "InvalidParameter.NotFound", f"The specified ContainerGroupId {ident} is not found.", 404
        )
    if not isinstance(obj, dict):
        raise ApiError("InvalidParameter", "the body must be a partial Describe-shaped object")
    if obj.get("ContainerGroupId", ident) != ident:
        raise ApiError("InvalidParameter", "ContainerGroupId cannot be changed")
    obj = _kubernetes_names(obj)
    if "Status" in obj:
        store.cancel(inst)
        if obj["Status"] == "Running" and inst.status != "Running":
            # As when the lifecycle gets there: containers running and ready, unless the patch
            # says otherwise below.
            enter(inst, "Running", store.clock())
    before = runtime_state(inst.view)
    _merge(inst.view, obj)
    if runtime_state(inst.view) != before:
        now = store.clock()
        inst.changed = now
        admin_events(inst, before, now)
    return inst


def _kubernetes_names(obj: dict[str, Any]) -> dict[str, Any]:
    """``Containers[].LastTerminationState`` (the Kubernetes name) is ECI's ``PreviousState``."""
    out = dict(obj)
    for key in ("Containers", "InitContainers"):
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [
                {("PreviousState" if k == "LastTerminationState" else k): v for k, v in item.items()}
                if isinstance(item, dict)
                else item
                for item in items
            ]
    return out
