"""The emulated ECI actions: Create, Describe, Update, Delete, Restart, the change feeds (``feeds``),
DescribeContainerLog (``logs``), ExecContainerCommand (``execs``) and the tag API (``tags``).

Each action takes the flat business parameters (strings, as on the wire), parses them with its own
schema, applies the service's rules and answers with the body ECI returns (without RequestId).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from eci_operator.eci.models import DESCRIBE_MAX_IDS

from . import describing, execs, feeds, logs, schema, specs, tags, validation
from .errors import (
    ApiError,
    cpu_memory,
    incorrect_status,
    invalid,
    not_found,
    value_exceeded,
)
from .params import parse
from .state import UPDATE_CUTOFF, Instance, Store, iso
from .updates import plan_update

Body = dict[str, Any]
Handler = Callable[[Store, dict[str, Any]], Body]

MUTATING = frozenset(
    {
        "CreateContainerGroup",
        "UpdateContainerGroup",
        "DeleteContainerGroup",
        "RestartContainerGroup",
        "TagResources",
        "UntagResources",
    }
)


def _region(params: dict[str, Any]) -> str:
    region = params.get("RegionId")
    validation.require(region, "RegionId")
    return str(region)


def _instance(store: Store, params: dict[str, Any]) -> Instance:
    region = _region(params)
    ident = params.get("ContainerGroupId")
    validation.require(ident, "ContainerGroupId")
    inst = store.get(str(ident))
    if inst is None or inst.view.get("RegionId") != region:
        raise not_found(str(ident))
    return inst


def _check_age(inst: Instance, action: str) -> None:
    if inst.created_at() < UPDATE_CUTOFF:
        raise ApiError(
            "InvalidAction",
            f"The specified action is invalid: {action} is not supported for instances created before "
            f"2019-03-07 15:00:00 (this one was created at {inst.view.get('CreationTime')}).",
            403,
        )


def _check_status(inst: Instance, action: str, allowed: tuple[str, ...] = ("Pending", "Running")) -> None:
    if inst.status not in allowed:
        raise incorrect_status(inst.status, action)


def create(store: Store, params: dict[str, Any]) -> Body:
    region = _region(params)
    validation.group_name(params.get("ContainerGroupName"))
    items = params.get("Container", [])
    inits = params.get("InitContainer", [])
    if not items:
        raise ApiError(
            "MissingParameter", "The input parameter Container.N (at least one container) is not supplied."
        )
    validation.containers(items, inits)
    vols = params.get("Volume", [])
    validation.volumes(vols)
    validation.mounts(items, inits, {v["Name"] for v in vols})
    validation.tags(params.get("Tag", []))
    validation.dns_config(params.get("DnsConfig", {}))
    validation.credentials(params.get("ImageRegistryCredential", []))
    validation.vswitches(params.get("VSwitchId"))
    validation.sysctls(params)
    validation.host_aliases(params.get("HostAliase", []))
    validation.host_name(params.get("HostName"))

    cpu, memory = params.get("Cpu"), params.get("Memory")
    if cpu is not None or memory is not None:
        if cpu is None or memory is None:
            raise ApiError(
                "InvalidParameter.CPU.Memory",
                "The specified cpu and memory are not allowed: give Cpu and Memory together.",
            )
        if not specs.in_table(cpu, memory):
            raise cpu_memory(f"{cpu:g} vCPU / {memory:g} GiB is not a sold spec")
        specs.check_fits(cpu, memory, items, inits)
    else:
        cpu, memory = specs.round_up(*specs.container_totals(items, inits))

    if params.get("DryRun"):
        raise ApiError("DryRunOperation", "Request validation has been passed with DryRun flag set.")

    ident = store.new_id()
    now = store.clock()
    zone = params.get("ZoneId") or f"{region}-a"
    view: dict[str, Any] = {
        "ContainerGroupId": ident,
        "ContainerGroupName": params["ContainerGroupName"],
        "RegionId": region,
        "ZoneId": zone,
        "Status": "Scheduling",
        "CreationTime": iso(now),
        "Cpu": float(cpu),
        "Memory": float(memory),
        "InstanceType": (params.get("InstanceType") or "").split(",")[0],
        "RestartPolicy": params.get("RestartPolicy", "Always"),
        "EphemeralStorage": params.get("EphemeralStorage", 0),
        "ComputeCategory": (params.get("ComputeCategory") or [""])[0],
        "SpotStrategy": params.get("SpotStrategy", "NoSpot"),
        "SpotPriceLimit": params.get("SpotPriceLimit", 0.0),
        "Discount": 10,
        "RamRoleName": params.get("RamRoleName", ""),
        "ResourceGroupId": params.get("ResourceGroupId", "rg-emulator-default"),
        "IntranetIp": store.new_ip(),
        "InternetIp": "47.96.0.1" if params.get("AutoCreateEip") else "",
        "Ipv6Address": "",
        "VpcId": "vpc-emulator",
        "VSwitchId": (params.get("VSwitchId") or "vsw-emulator-default").split(",")[0],
        "SecurityGroupId": params.get("SecurityGroupId", "sg-emulator-default"),
        "EniInstanceId": "eni-" + ident[4:],
        "Tags": describing.tags(params.get("Tag", [])),
        "Events": [],
        "Containers": [describing.container(c) for c in items],
        "InitContainers": [describing.container(c, init=True) for c in inits],
        "Volumes": [describing.volume(v) for v in vols],
        "DnsConfig": describing.dns_config(params.get("DnsConfig")),
        "EciSecurityContext": {"Sysctls": params.get("SecurityContext", {}).get("Sysctl", [])}
        if "SecurityContext" in params
        else {},
        "HostAliases": [
            {"Ip": h.get("Ip", ""), "Hostnames": h.get("Hostname", [])} for h in params.get("HostAliase", [])
        ],
    }
    for c in view["Containers"] + view["InitContainers"]:
        c.update(
            Ready=False, RestartCount=0, CurrentState={"State": "Waiting", "Reason": "ContainerCreating"}
        )
    hidden = {
        "Container": {c["Name"]: describing.invisible(c, init=False) for c in items},
        "InitContainer": {c["Name"]: describing.invisible(c, init=True) for c in inits},
        "ImageRegistryCredential": params.get("ImageRegistryCredential", []),
        "AcrRegistryInfo": params.get("AcrRegistryInfo", []),
        "Create": {k: v for k, v in params.items() if k in describing.CREATE_ONLY_UNREPORTED},
        "VolumeModes": describing.volume_modes(vols),
    }
    inst = store.add(Instance(view=view, hidden=hidden))
    store.begin(inst, "Scheduling", [("Pending", False), ("Running", False)])
    return {"ContainerGroupId": ident}


def _page(params: dict[str, Any]) -> tuple[int, int]:
    limit = params.get("Limit", DESCRIBE_MAX_IDS)
    if not 1 <= limit <= DESCRIBE_MAX_IDS:
        raise value_exceeded("Limit", f"{limit} is outside 1-{DESCRIBE_MAX_IDS}")
    token = params.get("NextToken") or ""
    if not token:
        return limit, 0
    try:
        after = int(token, 16)
    except ValueError:
        raise invalid("NextToken", f"{token!r} was not returned by this service") from None
    return limit, after


def _matches(inst: Instance, params: dict[str, Any], region: str, ids: list[str] | None) -> bool:
    view = inst.view
    if view.get("RegionId") != region or (ids is not None and inst.id not in ids):
        return False
    for key in (
        "ContainerGroupName",
        "Status",
        "ZoneId",
        "SecurityGroupId",
        "ResourceGroupId",
        "ComputeCategory",
    ):
        if params.get(key) and view.get(key) != params[key]:
            return False
    return tags.vswitch_and_tags_match(view, params)


def _select(store: Store, params: dict[str, Any]) -> tuple[list[Instance], int, str]:
    region = _region(params)
    ids = validation.container_group_ids(params.get("ContainerGroupIds"))
    limit, after = _page(params)
    matching = [i for i in store.all() if _matches(i, params, region, ids)]
    rest = [i for i in matching if i.seq > after]
    page = rest[:limit]
    token = format(page[-1].seq, "x") if len(rest) > limit else ""
    return page, len(matching), token


def describe(store: Store, params: dict[str, Any]) -> Body:
    page, total, token = _select(store, params)
    with_events = params.get("WithEvent", True)
    groups = [i.view if with_events else {k: v for k, v in i.view.items() if k != "Events"} for i in page]
    return {"TotalCount": total, "NextToken": token, "ContainerGroups": groups}


def update(store: Store, params: dict[str, Any]) -> Body:
    items, inits = params.get("Container", []), params.get("InitContainer", [])
    validation.containers(items, inits)
    validation.volumes(params.get("Volume", []))
    validation.tags(params.get("Tag", []))
    validation.dns_config(params.get("DnsConfig", {}))
    validation.credentials(params.get("ImageRegistryCredential", []))
    inst = _instance(store, params)
    _check_age(inst, "UpdateContainerGroup")
    _check_status(inst, "UpdateContainerGroup")
    plan = plan_update(inst, params)
    plan.apply(inst)
    if plan.restart:
        store.begin(inst, "Updating", [("Pending", True), ("Running", False)])
    else:
        back = [("Running", False)] if inst.status == "Running" else [("Pending", False), ("Running", False)]
        store.begin(inst, "Updating", back)
    return {}


def delete(store: Store, params: dict[str, Any]) -> Body:
    inst = _instance(store, params)
    if inst.status == "Terminating":
        return {}
    if inst.status in ("Running", "Updating", "Restarting") and store.delay > 0:
        store.begin(inst, "Terminating", [("", False)])
    else:
        store.remove(inst.id)
    return {}


def restart(store: Store, params: dict[str, Any]) -> Body:
    inst = _instance(store, params)
    _check_age(inst, "RestartContainerGroup")
    _check_status(inst, "RestartContainerGroup")
    store.begin(inst, "Restarting", [("Pending", True), ("Running", False)])
    return {}


def describe_log(store: Store, params: dict[str, Any]) -> Body:
    return logs.describe(_instance(store, params), params, store.clock())


def exec_command(store: Store, params: dict[str, Any]) -> Body:
    """Sync: the output. Otherwise a session for the WebSocket endpoint (``execs``); the server makes
    ``WebSocketUri`` absolute."""
    command = execs.parse_command(params.get("Command"))
    inst = _instance(store, params)
    spec = execs.container(inst, params.get("ContainerName"))
    tty = bool(params.get("TTY", False))
    if params.get("Sync"):
        if tty:
            raise invalid("TTY", "must be false when Sync is true")
        if command[0] in execs.SHELLS and len(command) == 1:
            raise invalid("Command", f"{command[0]} needs an interactive session (Sync=false, TTY=true)")
        return {"SyncResponse": execs.run(inst, spec, command)}
    token = execs.open_session(store.sessions, inst, spec["Name"], command, tty, store.clock())
    return {"WebSocketUri": f"/exec/?s={token}", "HttpUrl": f"/terminal?s={token}"}


HANDLERS: dict[str, Handler] = {
    "CreateContainerGroup": create,
    "DescribeContainerGroups": describe,
    "DescribeContainerGroupStatus": feeds.describe_status,
    "DescribeContainerGroupEvents": feeds.describe_events,
    "UpdateContainerGroup": update,
    "DeleteContainerGroup": delete,
    "RestartContainerGroup": restart,
    "DescribeContainerLog": describe_log,
    "ExecContainerCommand": exec_command,
    "TagResources": tags.tag_resources,
    "UntagResources": tags.untag_resources,
    "ListTagResources": tags.list_tag_resources,
}


def _fingerprint(params: dict[str, Any]) -> str:
    payload = json.dumps({k: v for k, v in params.items() if k != "ClientToken"}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def call(store: Store, action: str, flat: dict[str, str]) -> Body:
    """Run ``action`` on the business parameters ``flat``; the same ClientToken replays the first answer."""
    params = parse(flat, schema.SCHEMAS[action])
    token = params.get("ClientToken")
    validation.client_token(token)
    if action not in MUTATING or not token:
        return HANDLERS[action](store, params)
    key = f"{action}\n{token}"
    fingerprint = _fingerprint(params)
    seen = store.tokens.get(key)
    if seen is not None:
        if seen["fingerprint"] != fingerprint:
            raise ApiError(
                "IdempotentParameterMismatch",
                f"The request uses the same ClientToken {token!r} as a previous, but non-identical request.",
            )
        return dict(seen["body"])
    body = HANDLERS[action](store, params)
    store.tokens[key] = {"fingerprint": fingerprint, "body": body}
    return body
