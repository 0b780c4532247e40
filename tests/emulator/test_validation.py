# ruff: noqa: E501  (the case tables read best one case per line)
"""Parameter validation of Create/Update/Describe with UpdateContainerGroup's documented codes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.emulator.conftest import Local
from tests.emulator.rpc import container, flat

REGION = "cn-hangzhou"


def create(
    *, containers: list[dict[str, Any]] | None = None, drop: tuple[str, ...] = (), **more: Any
) -> dict[str, str]:
    body: dict[str, Any] = {"RegionId": REGION, "ContainerGroupName": "web-1"}
    body["Container"] = containers if containers is not None else [container()]
    body.update(more)
    params = flat("", body)
    for key in drop:
        params.pop(key)
    return params


def update(*, containers: list[dict[str, Any]] | None = None, **more: Any) -> dict[str, str]:
    body: dict[str, Any] = {"RegionId": REGION}
    if containers is not None:
        body["Container"] = containers
    body.update(more)
    return flat("", body)


def probe(**handler: Any) -> dict[str, Any]:
    return handler or {"TcpSocket": {"Port": 80}}


NFS = {"Name": "data", "Type": "NFSVolume", "NFSVolume": {"Server": "nas.example", "Path": "/"}}
EMPTY = {"Name": "scratch", "Type": "EmptyDirVolume"}

# (case, action, params, code, http status, text that the message must contain)
CASES: list[tuple[str, str, dict[str, str], str, int, str]] = [
    # MissingParameter
    ("RegionId", "CreateContainerGroup", create(drop=("RegionId",)), "MissingParameter", 400, "RegionId"),
    ("name", "CreateContainerGroup", create(drop=("ContainerGroupName",)), "MissingParameter", 400, "ContainerGroupName"),
    ("image", "CreateContainerGroup", create(drop=("Container.1.Image",)), "MissingParameter", 400, "Container.1.Image"),
    ("no container", "CreateContainerGroup", flat("", {"RegionId": REGION, "ContainerGroupName": "a-b"}),
     "MissingParameter", 400, "Container"),
    ("volume type", "CreateContainerGroup", create(Volume=[{"Name": "v"}]), "MissingParameter", 400, "Volume.1.Type"),
    ("nfs server", "CreateContainerGroup", create(Volume=[{"Name": "v", "Type": "NFSVolume", "NFSVolume": {"Path": "/"}}]),
     "MissingParameter", 400, "Volume.1.NFSVolume.Server"),
    ("tag key", "CreateContainerGroup", create(Tag=[{"Value": "x"}]), "MissingParameter", 400, "Tag.1.Key"),
    ("password", "CreateContainerGroup",
     create(ImageRegistryCredential=[{"Server": "r.example", "UserName": "u"}]),
     "MissingParameter", 400, "ImageRegistryCredential.1.Password"),
    ("mount path", "CreateContainerGroup",
     create(containers=[container(VolumeMount=[{"Name": "data"}])], Volume=[NFS]),
     "MissingParameter", 400, "Container.1.VolumeMount.1.MountPath"),
    ("update id", "UpdateContainerGroup", update(Tag=[{"Key": "a"}]), "MissingParameter", 400, "ContainerGroupId"),
    ("delete id", "DeleteContainerGroup", {"RegionId": REGION}, "MissingParameter", 400, "ContainerGroupId"),
    # InvalidParameter.DuplicatedName / DuplicatedVolumeName
    ("dup containers", "CreateContainerGroup", create(containers=[container("a"), container("a")]),
     "InvalidParameter.DuplicatedName", 400, "Container.2.Name"),
    ("dup init", "CreateContainerGroup", create(containers=[container("a")], InitContainer=[container("a")]),
     "InvalidParameter.DuplicatedName", 400, "InitContainer.1.Name"),
    ("dup volumes", "CreateContainerGroup", create(Volume=[EMPTY, EMPTY]),
     "InvalidParameter.DuplicatedVolumeName", 400, "Volume.2.Name"),
    # InvalidParameter.LengthExceeded
    ("21 commands", "CreateContainerGroup", create(containers=[container(Command=["x"] * 21)]),
     "InvalidParameter.LengthExceeded", 400, "Container.1.Command"),
    ("long command", "CreateContainerGroup", create(containers=[container(Command=["x" * 257])]),
     "InvalidParameter.LengthExceeded", 400, "Container.1.Command.1"),
    ("11 args", "CreateContainerGroup", create(containers=[container(Arg=["x"] * 11)]),
     "InvalidParameter.LengthExceeded", 400, "Container.1.Arg"),
    ("21 containers", "CreateContainerGroup", create(containers=[container(f"c{i}") for i in range(21)]),
     "InvalidParameter.LengthExceeded", 400, "Container"),
    ("21 volumes", "CreateContainerGroup", create(Volume=[{"Name": f"v{i}", "Type": "EmptyDirVolume"} for i in range(21)]),
     "InvalidParameter.LengthExceeded", 400, "Volume"),
    ("21 tags", "CreateContainerGroup", create(Tag=[{"Key": f"k{i}", "Value": "v"} for i in range(21)]),
     "InvalidParameter.LengthExceeded", 400, "Tag"),
    ("tag key 65", "CreateContainerGroup", create(Tag=[{"Key": "k" * 65}]),
     "InvalidParameter.LengthExceeded", 400, "Tag.1.Key"),
    ("21 ids", "DescribeContainerGroups",
     {"RegionId": REGION, "ContainerGroupIds": str([f"eci-{i}" for i in range(21)]).replace("'", '"')},
     "InvalidParameter.LengthExceeded", 400, "ContainerGroupIds"),
    # InvalidParameter.ValueExceeded
    ("port 0", "CreateContainerGroup", create(containers=[container(Port=[{"Port": 0}])]),
     "InvalidParameter.ValueExceeded", 400, "Container.1.Port.1.Port"),
    ("port 65536", "CreateContainerGroup", create(containers=[container(Port=[{"Port": 65536, "Protocol": "TCP"}])]),
     "InvalidParameter.ValueExceeded", 400, "Container.1.Port.1.Port"),
    ("probe port", "CreateContainerGroup",
     create(containers=[container(ReadinessProbe={"HttpGet": {"Port": 70000}})]),
     "InvalidParameter.ValueExceeded", 400, "Container.1.ReadinessProbe.HttpGet.Port"),
    ("period 0", "CreateContainerGroup",
     create(containers=[container(LivenessProbe={"TcpSocket": {"Port": 80}, "PeriodSeconds": 0})]),
     "InvalidParameter.ValueExceeded", 400, "Container.1.LivenessProbe.PeriodSeconds"),
    ("config 32KB", "CreateContainerGroup",
     create(Volume=[{"Name": "cfg", "Type": "ConfigFileVolume", "ConfigFileVolume": {"ConfigFileToPath": [
         {"Path": "big", "Content": base64.b64encode(b"x" * (32 * 1024 + 1)).decode()}]}}]),
     "InvalidParameter.ValueExceeded", 400, "Volume.1.ConfigFileVolume.ConfigFileToPath.1.Content"),
    ("limit 21", "DescribeContainerGroups", {"RegionId": REGION, "Limit": "21"},
     "InvalidParameter.ValueExceeded", 400, "Limit"),
    # InvalidParameter
    ("protocol enum", "CreateContainerGroup", create(containers=[container(Port=[{"Port": 80, "Protocol": "SCTP"}])]),
     "InvalidParameter", 400, "Container.1.Port.1.Protocol"),
    ("volume type enum", "CreateContainerGroup", create(Volume=[{"Name": "v", "Type": "CephVolume"}]),
     "InvalidParameter", 400, "Volume.1.Type"),
    ("status filter enum", "DescribeContainerGroups", {"RegionId": REGION, "Status": "Sleeping"},
     "InvalidParameter", 400, "Status"),
    ("liveness success 2", "CreateContainerGroup",
     create(containers=[container(LivenessProbe={"TcpSocket": {"Port": 80}, "SuccessThreshold": 2})]),
     "InvalidParameter", 400, "Container.1.LivenessProbe.SuccessThreshold"),
    ("two handlers", "CreateContainerGroup",
     create(containers=[container(ReadinessProbe={"TcpSocket": {"Port": 80}, "HttpGet": {"Port": 80}})]),
     "InvalidParameter", 400, "Container.1.ReadinessProbe"),
    ("fieldRef", "CreateContainerGroup",
     create(containers=[container(EnvironmentVar=[{"Key": "N", "FieldRef": {"FieldPath": "metadata.name"}}])]),
     "InvalidParameter", 400, "Container.1.EnvironmentVar.1.FieldRef.FieldPath"),
    ("env key", "CreateContainerGroup", create(containers=[container(EnvironmentVar=[{"Key": "1BAD", "Value": "x"}])]),
     "InvalidParameter", 400, "Container.1.EnvironmentVar.1.Key"),
    ("capability", "CreateContainerGroup",
     create(containers=[container(SecurityContext={"Capability": {"Add": ["NET_ADMIN", "SYS_ADMIN"]}})]),
     "InvalidParameter", 400, "Container.1.SecurityContext.Capability.Add.2"),
    ("read-only root false", "CreateContainerGroup",
     create(containers=[container(SecurityContext={"ReadOnlyRootFilesystem": False})]),
     "InvalidParameter", 400, "Container.1.SecurityContext.ReadOnlyRootFilesystem"),
    ("mount names no volume", "CreateContainerGroup",
     create(containers=[container(VolumeMount=[{"Name": "nope", "MountPath": "/x"}])], Volume=[EMPTY]),
     "InvalidParameter", 400, "Container.1.VolumeMount.1.Name"),
    ("client token 65", "CreateContainerGroup", create(ClientToken="t" * 65), "InvalidParameter", 400, "ClientToken"),
    ("client token ascii", "CreateContainerGroup", create(ClientToken="令牌"), "InvalidParameter", 400, "ClientToken"),
    ("group name", "CreateContainerGroup", create(ContainerGroupName="Web_1"), "InvalidParameter", 400,
     "ContainerGroupName"),
    ("tag prefix", "CreateContainerGroup", create(Tag=[{"Key": "acs:owner", "Value": "x"}]), "InvalidParameter", 400,
     "Tag.1.Key"),
    ("registry scheme", "CreateContainerGroup",
     create(ImageRegistryCredential=[{"Server": "https://r.example", "UserName": "u", "Password": "p"}]),
     "InvalidParameter", 400, "ImageRegistryCredential.1.Server"),
    ("ids not json", "DescribeContainerGroups", {"RegionId": REGION, "ContainerGroupIds": "eci-1,eci-2"},
     "InvalidParameter", 400, "ContainerGroupIds"),
    ("next token", "DescribeContainerGroups", {"RegionId": REGION, "NextToken": "zzz"}, "InvalidParameter", 400,
     "NextToken"),
    # InvalidParameter.CPU.Memory
    ("spec not sold", "CreateContainerGroup", create(Cpu=3, Memory=5), "InvalidParameter.CPU.Memory", 400, "3 vCPU"),
    ("containers exceed", "CreateContainerGroup",
     create(containers=[container("a", Cpu=1, Memory=2), container("b", Cpu=1.5, Memory=1)], Cpu=2, Memory=2),
     "InvalidParameter.CPU.Memory", 400, "2.5 vCPU"),
    ("beyond any spec", "CreateContainerGroup", create(containers=[container(Cpu=80, Memory=100)]),
     "InvalidParameter.CPU.Memory", 400, "80 vCPU"),
    # InvalidParameter.NotFound (404)
    ("update unknown", "UpdateContainerGroup", update(ContainerGroupId="eci-missing", Tag=[{"Key": "a"}]),
     "InvalidParameter.NotFound", 404, "eci-missing"),
    ("delete unknown", "DeleteContainerGroup", {"RegionId": REGION, "ContainerGroupId": "eci-missing"},
     "InvalidParameter.NotFound", 404, "eci-missing"),
    ("restart unknown", "RestartContainerGroup", {"RegionId": REGION, "ContainerGroupId": "eci-missing"},
     "InvalidParameter.NotFound", 404, "eci-missing"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "action", "params", "code", "status", "field"), CASES, ids=[c[0] for c in CASES]
)
async def test_invalid_request_gets_documented_code(
    api: Local, case: str, action: str, params: dict[str, str], code: str, status: int, field: str
) -> None:
    body = await api.error(action, code, status, **params)
    assert field in body["Message"], body["Message"]
    assert api.emulator.store.instances == {}, "a refused request changes nothing"


UPDATE_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("dup names", {"Container": [container("a"), container("a")]}, "InvalidParameter.DuplicatedName", "Container.2.Name"),
    ("dup volumes", {"Volume": [EMPTY, EMPTY]}, "InvalidParameter.DuplicatedVolumeName", "Volume.2.Name"),
    ("21 commands", {"Container": [container(Command=["x"] * 21)]}, "InvalidParameter.LengthExceeded", "Command"),
    ("port", {"Container": [container(Port=[{"Port": 99999}])]}, "InvalidParameter.ValueExceeded", "Port.1.Port"),
    ("image missing", {"Container": [{"Name": "web"}]}, "MissingParameter", "Container.1.Image"),
    ("capability", {"Container": [container(SecurityContext={"Capability": {"Add": ["SYS_TIME"]}})]},
     "InvalidParameter", "Capability.Add.1"),
    # Create-only container fields are not Update parameters.
    ("create-only field", {"Container": [container(SecurityContextPrivileged=True)]},
     "InvalidParameter", "Container.1.SecurityContextPrivileged"),
    # Dropping the volume a container still mounts needs the containers updated too.
    ("volume still mounted", {"Volume": [{"Name": "other", "Type": "EmptyDirVolume"}]},
     "InvalidParameter", "VolumeMount.1.Name"),
    ("mount unknown volume", {"Container": [container(VolumeMount=[{"Name": "ghost", "MountPath": "/g"}])]},
     "InvalidParameter", "Container.1.VolumeMount.1.Name"),
    ("spec not sold", {"Cpu": 3, "Memory": 3}, "InvalidParameter.CPU.Memory", "3 vCPU"),
    ("containers exceed", {"Container": [container(Cpu=2, Memory=2), container("b", Cpu=1)]},
     "InvalidParameter.CPU.Memory", "3 vCPU"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "groups", "code", "field"), UPDATE_CASES, ids=[c[0] for c in UPDATE_CASES])
async def test_invalid_update_gets_documented_code(
    api: Local, case: str, groups: dict[str, Any], code: str, field: str
) -> None:
    created = await api.ok(
        "CreateContainerGroup",
        **create(
            containers=[container(VolumeMount=[{"Name": "scratch", "MountPath": "/s"}])],
            Volume=[EMPTY],
            Cpu=2,
            Memory=4,
        ),
    )
    ident = created["ContainerGroupId"]
    before = api.get(ident)
    body = await api.error("UpdateContainerGroup", code, 400, **update(ContainerGroupId=ident, **groups))
    assert field in body["Message"], body["Message"]
    after = api.get(ident)
    assert after == before, "a refused update changes nothing"
    assert after["Status"] == "Running"
