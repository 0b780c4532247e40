# ruff: noqa: E501  (the rule tables read best one rule per line)
"""UpdateContainerGroup's rules from the seed document, one test (or table row) per rule."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import Local, StartLocal
from tests.emulator.rpc import container, flat

REGION = "cn-hangzhou"
WEB = container("web", "nginx:1.25", Cpu=1, Memory=2, EnvironmentVar=[{"Key": "A", "Value": "1"}], Port=[{"Port": 80}],
                VolumeMount=[{"Name": "scratch", "MountPath": "/s"}])  # fmt: skip
SIDE = container("side", "busybox:1", Command=["sleep", "3600"])
INIT = container("init-a", "busybox:1", Command=["true"])
SCRATCH = {"Name": "scratch", "Type": "EmptyDirVolume"}
CRED = {"Server": "r1.example", "UserName": "u", "Password": "p1"}
BASE: dict[str, Any] = {
    "Container": [WEB, SIDE],
    "InitContainer": [INIT],
    "Volume": [SCRATCH],
    "Tag": [{"Key": "team", "Value": "a"}],
    "DnsConfig": {"NameServer": ["1.1.1.1"], "Search": ["svc.local"]},
    "ImageRegistryCredential": [CRED],
    "RestartPolicy": "Always",
    "Cpu": 2,
    "Memory": 4,
}


async def make(api: Local, **base: Any) -> str:
    body = {"RegionId": REGION, "ContainerGroupName": "web-1", **(base or BASE)}
    created = await api.ok("CreateContainerGroup", **flat("", body))
    ident: str = created["ContainerGroupId"]
    return ident


async def update(api: Local, ident: str, **groups: Any) -> dict[str, Any]:
    return await api.ok(
        "UpdateContainerGroup", **flat("", {"RegionId": REGION, "ContainerGroupId": ident, **groups})
    )


def restarts(view: dict[str, Any]) -> dict[str, int]:
    return {c["Name"]: c["RestartCount"] for c in view["Containers"]}


# (rule, groups sent, whether the instance restarts)
RESTART_RULES: list[tuple[str, dict[str, Any], bool]] = [
    ("Tag only: no restart", {"Tag": [{"Key": "team", "Value": "b"}]}, False),
    ("ResourceGroupId: restart (undocumented; the planner assumes the same)", {"ResourceGroupId": "rg-other"}, True),
    ("ImageRegistryCredential only, same count: no restart", {"ImageRegistryCredential": [{**CRED, "Password": "p2"}]}, False),
    ("ImageRegistryCredential only, another registry: no restart", {"ImageRegistryCredential": [{**CRED, "Server": "r9.example"}]}, False),
    ("ImageRegistryCredential only, growing: restart", {"ImageRegistryCredential": [CRED, {**CRED, "Server": "r2.example"}]}, True),
    ("ImageRegistryCredential with Tag: restart", {"ImageRegistryCredential": [{**CRED, "Password": "p2"}], "Tag": [{"Key": "x"}]}, True),
    ("Container: restart", {"Container": [{**WEB, "Image": "nginx:1.27"}, SIDE]}, True),
    ("InitContainer: restart", {"InitContainer": [{**INIT, "Image": "busybox:2"}]}, True),
    ("Volume: restart", {"Volume": [{**SCRATCH, "EmptyDirVolume": {"Medium": "Memory"}}]}, True),
    ("DnsConfig: restart", {"DnsConfig": {"NameServer": ["8.8.8.8"]}}, True),
    ("RestartPolicy: restart", {"RestartPolicy": "OnFailure"}, True),
    ("container spec within the instance: restart", {"Container": [{**WEB, "Cpu": 1.5, "Memory": 3}, SIDE]}, True),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "groups", "restart"), RESTART_RULES, ids=[r[0] for r in RESTART_RULES])
async def test_restart_rule(api: Local, rule: str, groups: dict[str, Any], restart: bool) -> None:
    ident = await make(api)
    before = api.get(ident)
    assert before["Status"] == "Running"
    starts = {c["Name"]: c["CurrentState"]["StartTime"] for c in before["Containers"]}
    await update(api, ident, **groups)
    after = api.get(ident)
    assert after["Status"] == "Running"
    if restart:
        assert restarts(after) == {"web": 1, "side": 1}
        for c in after["Containers"]:
            assert c["PreviousState"]["State"] == "Terminated"
            assert c["CurrentState"]["StartTime"] >= starts[c["Name"]]
    else:
        assert restarts(after) == {"web": 0, "side": 0}
        assert {c["Name"]: c["CurrentState"]["StartTime"] for c in after["Containers"]} == starts


async def test_fewer_registry_credentials_alone_do_not_restart(api: Local) -> None:
    ident = await make(api, **{**BASE, "ImageRegistryCredential": [CRED, {**CRED, "Server": "r2.example"}]})
    await update(api, ident, ImageRegistryCredential=[CRED])
    assert restarts(api.get(ident)) == {"web": 0, "side": 0}
    await update(api, ident, ImageRegistryCredential=[CRED, {**CRED, "Server": "r3.example"}])
    assert restarts(api.get(ident)) == {"web": 1, "side": 1}, "growing again past the previous count restarts"


async def test_groups_not_sent_keep_their_values(api: Local) -> None:
    ident = await make(api)
    before = api.get(ident)
    await update(api, ident, Tag=[{"Key": "team", "Value": "b"}])
    after = api.get(ident)
    for key in ("Containers", "InitContainers", "Volumes", "DnsConfig", "RestartPolicy", "Cpu", "Memory"):
        if key in ("Containers", "InitContainers"):
            assert [c["Image"] for c in after[key]] == [c["Image"] for c in before[key]]
        else:
            assert after[key] == before[key], key


@pytest.mark.parametrize("update_type", ["RenewUpdate", "IncrementalUpdate"])
async def test_update_type_keeps_unsent_groups_either_way(api: Local, update_type: str) -> None:
    ident = await make(api)
    await update(api, ident, UpdateType=update_type, RestartPolicy="Never")
    after = api.get(ident)
    assert after["RestartPolicy"] == "Never"
    assert [c["Name"] for c in after["Containers"]] == ["web", "side"]
    assert after["Tags"] == [{"Key": "team", "Value": "a"}]


async def test_a_sent_list_replaces_the_old_one_whole(api: Local) -> None:
    ident = await make(api)
    await update(api, ident, Container=[WEB], Tag=[{"Key": "env", "Value": "prod"}])
    after = api.get(ident)
    assert [c["Name"] for c in after["Containers"]] == ["web"]
    assert after["Tags"] == [{"Key": "env", "Value": "prod"}]


async def test_a_sent_struct_replaces_the_old_one_whole(api: Local) -> None:
    ident = await make(api)
    await update(api, ident, DnsConfig={"Search": ["other.local"]})
    assert api.get(ident)["DnsConfig"] == {"NameServers": [], "Searches": ["other.local"], "Options": []}


async def test_a_sent_container_replaces_every_member(api: Local) -> None:
    ident = await make(api)
    await update(
        api,
        ident,
        Container=[
            container("web", "nginx:1.27", VolumeMount=[{"Name": "scratch", "MountPath": "/s"}]),
            SIDE,
        ],
    )
    web = api.get(ident)["Containers"][0]
    assert web["Image"] == "nginx:1.27"
    assert (web["Cpu"], web["Memory"], web["Ports"]) == (0.0, 0.0, [])
    assert [e["Key"] for e in web["EnvironmentVars"]] == ["PATH"], "A=1 was not resent, so it is gone"


async def test_adding_an_init_container_to_an_instance_with_only_containers(api: Local) -> None:
    ident = await make(api, Container=[WEB], Volume=[SCRATCH], Cpu=2, Memory=4)
    assert api.get(ident)["InitContainers"] == []
    await update(api, ident, InitContainer=[INIT], Container=[{**WEB, "Image": "nginx:1.27"}])
    after = api.get(ident)
    assert [c["Name"] for c in after["InitContainers"]] == ["init-a"]
    assert after["InitContainers"][0]["Command"] == ["true"], "init containers keep the singular Command"
    assert restarts(after) == {"web": 1}


NO_CHANGE: list[tuple[str, dict[str, Any]]] = [
    ("nothing sent", {}),
    ("same tags", {"Tag": [{"Key": "team", "Value": "a"}]}),
    ("same containers", {"Container": [WEB, SIDE]}),
    ("same everything", {k: v for k, v in BASE.items() if k not in ("Cpu", "Memory")}),
    ("same instance spec", {"Cpu": 2, "Memory": 4}),
    ("same values, other spellings", {"Container": [{**WEB, "Cpu": "1.0", "Memory": "2.00"}, SIDE]}),
]


@pytest.mark.parametrize(("case", "groups"), NO_CHANGE, ids=[c[0] for c in NO_CHANGE])
async def test_no_need_update_when_nothing_would_change(
    api: Local, case: str, groups: dict[str, Any]
) -> None:
    ident = await make(api)
    before = api.get(ident)
    params = flat("", {"RegionId": REGION, "ContainerGroupId": ident, **groups})
    body = await api.error("UpdateContainerGroup", "NoNeedUpdate", 400, **params)
    assert body["Message"] == "There are no changes to be updated for current resource."
    assert api.get(ident) == before


async def test_changing_instance_level_cpu_memory_is_refused(api: Local) -> None:
    ident = await make(api)
    body = await api.error(
        "UpdateContainerGroup", "InvalidParam.CpuOrMemorySpec", 400,
        **flat("", {"RegionId": REGION, "ContainerGroupId": ident, "Cpu": 4, "Memory": 8}),
    )  # fmt: skip
    assert "cannot be changed" in body["Message"]
    assert (api.get(ident)["Cpu"], api.get(ident)["Memory"]) == (2.0, 4.0)


async def test_request_only_fields_count_as_changes(api: Local) -> None:
    """A pre-stop hook is not shown by Describe, yet changing it is an update (and restarts)."""
    ident = await make(api)
    await update(
        api, ident, Container=[{**WEB, "LifecyclePreStopHandlerExec": ["nginx", "-s", "quit"]}, SIDE]
    )
    assert restarts(api.get(ident)) == {"web": 1, "side": 1}


async def test_update_reverts_console_drift(api: Local) -> None:
    ident = await make(api)
    api.emulator.store.get(ident)  # drift as from the console: an image changed out of band
    from eci_operator.emulator import admin

    admin.patch(api.emulator.store, ident, {"Containers": [{"Name": "web", "Image": "nginx:1.99"}]})
    await update(api, ident, Container=[WEB, SIDE])
    assert api.get(ident)["Containers"][0]["Image"] == "nginx:1.25"


@pytest.mark.parametrize(
    "status", ["Scheduling", "Updating", "Restarting", "Succeeded", "Failed", "Terminating"]
)
async def test_update_only_from_pending_or_running(api: Local, status: str) -> None:
    ident = await make(api)
    api.get(ident)["Status"] = status
    body = await api.error(
        "UpdateContainerGroup", "IncorrectStatus", 400,
        **flat("", {"RegionId": REGION, "ContainerGroupId": ident, "Tag": [{"Key": "x"}]}),
    )  # fmt: skip
    assert status in body["Message"]


@pytest.mark.parametrize(
    ("created", "allowed"),
    [("2019-01-01T00:00:00Z", False), ("2019-03-07T06:59:59Z", False), ("2019-03-07T07:00:00Z", True)],
)
async def test_instances_created_before_2019_03_07_15_00_cannot_be_updated_or_restarted(
    api: Local, created: str, allowed: bool
) -> None:
    from eci_operator.emulator import admin

    inst = admin.seed(
        api.emulator.store, {"CreationTime": created, "Containers": [{"Name": "web", "Image": "nginx"}]}
    )
    params = {"RegionId": REGION, "ContainerGroupId": inst.id}
    if allowed:
        await api.ok("UpdateContainerGroup", **params, **flat("", {"Tag": [{"Key": "x"}]}))
        await api.ok("RestartContainerGroup", **params)
    else:
        body = await api.error(
            "UpdateContainerGroup", "InvalidAction", 403, **params, **flat("", {"Tag": [{"Key": "x"}]})
        )
        assert "2019-03-07 15:00:00" in body["Message"]
        await api.error("RestartContainerGroup", "InvalidAction", 403, **params)


async def test_updating_then_pending_then_running_with_the_change(start_local: StartLocal) -> None:
    api = await start_local(transition_delay=1.0, fake_clock=True)
    ident = await make(api)  # with a fake clock nothing moves until we say so
    assert api.get(ident)["Status"] == "Scheduling"
    api.clock.advance(2)
    assert api.get(ident)["Status"] == "Running"
    await update(api, ident, Container=[{**WEB, "Image": "nginx:1.27"}, SIDE])
    view = api.get(ident)
    assert view["Status"] == "Updating"
    assert view["Containers"][0]["Image"] == "nginx:1.27"
    api.clock.advance(1)
    view = api.get(ident)
    assert view["Status"] == "Pending"
    assert [c["CurrentState"]["State"] for c in view["Containers"]] == ["Waiting", "Waiting"]
    api.clock.advance(1)
    view = api.get(ident)
    assert view["Status"] == "Running"
    assert all(c["Ready"] and c["CurrentState"]["State"] == "Running" for c in view["Containers"])
    assert restarts(view) == {"web": 1, "side": 1}
