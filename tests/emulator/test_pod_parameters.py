# ruff: noqa: E501  (the case tables read best one case per line)
"""The parameters behind the Pod-spec fields the operator maps: the emulator validates them as ECI
does, shows in Describe what ECI shows (host aliases, safe sysctls, extra ephemeral storage) and
keeps the rest unreported (hooks, create-only settings, file modes), which an update of the
containers or volumes drops."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.emulator.conftest import Local
from tests.emulator.rpc import container, flat
from tests.emulator.test_validation import create, update

CONFIG = "Volume.1.ConfigFileVolume"


def config_volume(*files: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "Name": "c",
        "Type": "ConfigFileVolume",
        "ConfigFileVolume": {"ConfigFileToPath": list(files), **more},
    }


def b64(size: int) -> str:
    return base64.b64encode(b"x" * size).decode()


CASES: list[tuple[str, dict[str, str], str, str]] = [
    ("a hook with two handlers", create(containers=[container(LifecyclePreStopHandlerExec=["stop"], LifecyclePreStopHandlerTcpSocketPort=80)]), "InvalidParameter", "LifecyclePreStopHandler"),
    ("an HTTP hook without a port", create(containers=[container(LifecyclePostStartHandlerHttpGetPath="/x")]), "MissingParameter", "LifecyclePostStartHandlerHttpGetPort"),
    ("a TCP hook without a port", create(containers=[container(LifecyclePreStopHandlerTcpSocketHost="h")]), "MissingParameter", "LifecyclePreStopHandlerTcpSocketPort"),
    ("a hook header without a name", create(containers=[container(LifecyclePostStartHandlerHttpGetPort=80, LifecyclePostStartHandlerHttpGetHttpHeader=[{"Value": "v"}])]), "MissingParameter", "HttpHeader.1.Name"),
    ("a file mode that is not octal", create(Volume=[config_volume({"Path": "a", "Content": b64(1), "Mode": "0849"})]), "InvalidParameter", "Mode"),
    ("an octal file mode above 0777", create(Volume=[config_volume({"Path": "a", "Content": b64(1)}, DefaultMode="1777")]), "InvalidParameter.ValueExceeded", "DefaultMode"),
    ("a file of 32 KB and one byte as sent", create(Volume=[config_volume({"Path": "a", "Content": base64.b64encode(b"x" * 24577).decode()})]), "InvalidParameter.ValueExceeded", f"{CONFIG}.ConfigFileToPath.1.Content"),
    ("16 files", create(Volume=[config_volume(*({"Path": f"f{i}", "Content": b64(1)} for i in range(16)))]), "InvalidParameter.LengthExceeded", "ConfigFileToPath"),
    ("an unsafe sysctl as a safe one", create(SecurityContext={"Sysctl": [{"Name": "net.core.somaxconn", "Value": "1"}]}), "InvalidParameter", "SecurityContext.Sysctl.1.Name"),
    ("a safe sysctl as a host one", create(HostSecurityContext={"Sysctl": [{"Name": "net.ipv4.ping_group_range", "Value": "0 1"}]}), "InvalidParameter", "HostSecurityContext.Sysctl.1.Name"),
    ("a sysctl ECI does not allow", create(HostSecurityContext={"Sysctl": [{"Name": "kernel.panic", "Value": "1"}]}), "InvalidParameter", "HostSecurityContext.Sysctl.1.Name"),
    ("a host alias that is not an IP", create(HostAliase=[{"Ip": "db", "Hostname": ["db"]}]), "InvalidParameter", "HostAliase.1.Ip"),
    ("a host alias without names", create(HostAliase=[{"Ip": "10.0.0.1"}]), "MissingParameter", "HostAliase.1.Hostname"),
    ("a host name with capitals", create(HostName="Web"), "InvalidParameter", "HostName"),
    ("an unknown termination message policy", create(containers=[container(TerminationMessagePolicy="Never")]), "InvalidParameter", "TerminationMessagePolicy"),
    ("an active deadline of 0", create(ActiveDeadlineSeconds=0), "InvalidParameter.ValueExceeded", "ActiveDeadlineSeconds"),
    ("init container stdin on create", create(InitContainer=[container("init", Stdin=True)]), "InvalidParameter", "InitContainer.1.Stdin"),
    ("init container runAsGroup", create(InitContainer=[container("init", SecurityContextRunAsGroup=1)]), "InvalidParameter", "InitContainer.1.SecurityContextRunAsGroup"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "params", "code", "field"), CASES, ids=[c[0] for c in CASES])
async def test_create_refuses_as_eci_does(
    api: Local, case: str, params: dict[str, str], code: str, field: str
) -> None:
    body = await api.error("CreateContainerGroup", code, None, **params)
    assert field in body["Message"], body["Message"]
    assert api.emulator.store.instances == {}


async def test_files_of_more_than_60_kb_in_all_are_refused(api: Local) -> None:
    params = create(Volume=[config_volume(*({"Path": f"f{i}", "Content": b64(16000)} for i in range(4)))])
    status, body = await api.call("CreateContainerGroup", form=True, **params)  # too long for a URL
    assert (status, body["Code"]) == (400, "InvalidParameter.ValueExceeded"), body
    assert f"{CONFIG}.ConfigFileToPath" in body["Message"] and "60 KB" in body["Message"]


async def test_the_largest_accepted_config_file_is_24576_bytes(api: Local) -> None:
    content = base64.b64encode(b"x" * 24576).decode()
    assert len(content) == 32 * 1024
    await api.ok("CreateContainerGroup", **create(Volume=[config_volume({"Path": "a", "Content": content})]))


async def test_describe_shows_what_eci_shows_and_keeps_the_rest(api: Local) -> None:
    params = create(
        containers=[
            container(
                LifecyclePreStopHandlerExec=["stop"],
                TerminationMessagePolicy="FallbackToLogsOnError",
                SecurityContextRunAsGroup=7,
            )
        ],
        HostAliase=[{"Ip": "10.0.0.5", "Hostname": ["db", "db.local"]}],
        SecurityContext={"Sysctl": [{"Name": "net.ipv4.ping_group_range", "Value": "0 1"}]},
        HostSecurityContext={"Sysctl": [{"Name": "kernel.msgmax", "Value": "65536"}]},
        EphemeralStorage=20,
        TerminationGracePeriodSeconds=45,
        HostName="web-0",
        Volume=[config_volume({"Path": "a", "Content": b64(3), "Mode": "0600"}, DefaultMode="0644")],
    )
    ident = (await api.ok("CreateContainerGroup", **params))["ContainerGroupId"]
    [group] = await api.describe(ident)
    assert group["HostAliases"] == [{"Ip": "10.0.0.5", "Hostnames": ["db", "db.local"]}]
    assert group["EciSecurityContext"] == {"Sysctls": [{"Name": "net.ipv4.ping_group_range", "Value": "0 1"}]}
    assert group["EphemeralStorage"] == 20
    shown = str(group)
    for unreported in (
        "Lifecycle",
        "TerminationMessage",
        "RunAsGroup",
        "msgmax",
        "TerminationGracePeriod",
        "web-0",
        "Mode",
    ):
        assert unreported not in shown, unreported
    hidden = api.emulator.store.instances[ident].hidden
    assert hidden["Container"]["web"]["LifecyclePreStopHandlerExec"] == ["stop"]
    assert hidden["Create"]["HostName"] == "web-0"
    assert hidden["VolumeModes"] == {"c": {"a": 0o600, "DefaultMode": 0o644}}


async def test_an_update_of_the_containers_drops_their_create_only_settings(api: Local) -> None:
    web = container(TerminationMessagePolicy="FallbackToLogsOnError", LifecyclePreStopHandlerExec=["stop"])
    ident = (await api.ok("CreateContainerGroup", **create(containers=[web])))["ContainerGroupId"]
    # the same containers, as UpdateContainerGroup can send them (no create-only field): a change
    await api.ok(
        "UpdateContainerGroup",
        **update(ContainerGroupId=ident, Container=[container(LifecyclePreStopHandlerExec=["stop"])]),
    )
    hidden = api.emulator.store.instances[ident].hidden["Container"]["web"]
    assert "TerminationMessagePolicy" not in hidden and hidden["LifecyclePreStopHandlerExec"] == ["stop"]


async def test_an_update_of_the_volumes_drops_their_file_modes(api: Local) -> None:
    volume = config_volume({"Path": "a", "Content": b64(3), "Mode": "0600"})
    ident = (await api.ok("CreateContainerGroup", **create(Volume=[volume])))["ContainerGroupId"]
    same = config_volume({"Path": "a", "Content": b64(3)})
    await api.ok("UpdateContainerGroup", **update(ContainerGroupId=ident, Volume=[same]))  # not NoNeedUpdate
    assert api.emulator.store.instances[ident].hidden["VolumeModes"] == {}
    await api.error(
        "UpdateContainerGroup", "NoNeedUpdate", 400, **update(ContainerGroupId=ident, Volume=[same])
    )


async def test_hooks_are_updated_in_place_with_the_update_spelling(api: Local) -> None:
    ident = (await api.ok("CreateContainerGroup", **create()))["ContainerGroupId"]
    hooked = container(
        LifecyclePostStartHandlerHttpGetPort=80,
        LifecyclePostStartHandlerHttpGetHttpHeaders=[{"Name": "X", "Value": "1"}],
    )
    await api.ok("UpdateContainerGroup", **update(ContainerGroupId=ident, Container=[hooked]))
    hidden = api.emulator.store.instances[ident].hidden["Container"]["web"]
    assert hidden["LifecyclePostStartHandlerHttpGetHttpHeaders"] == [{"Name": "X", "Value": "1"}]
    # the Create spelling is not an Update parameter
    singular = container(
        LifecyclePostStartHandlerHttpGetPort=80,
        LifecyclePostStartHandlerHttpGetHttpHeader=[{"Name": "X", "Value": "1"}],
    )
    await api.error(
        "UpdateContainerGroup",
        "InvalidParameter",
        400,
        **update(ContainerGroupId=ident, Container=[singular]),
    )


def test_flat_helper_spells_lists_one_based() -> None:
    assert flat("", {"A": [{"B": 1}]}) == {"A.1.B": "1"}
