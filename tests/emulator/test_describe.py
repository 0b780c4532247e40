# ruff: noqa: E501  (expected shapes read best on one line)
"""DescribeContainerGroups: IDs, paging, filters, and the response's names and shapes."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.emulator.conftest import Local
from tests.emulator.rpc import container, flat

REGION = "cn-hangzhou"


async def make(api: Local, name: str, **more: Any) -> str:
    ident: str = (await api.ok("CreateContainerGroup", **api.group(name, **more)))["ContainerGroupId"]
    return ident


def seed(api: Local, count: int) -> list[str]:
    """Instances put straight into the store: paging is about Describe, not Create."""
    from eci_operator.emulator import admin

    return [admin.seed(api.emulator.store, {"ContainerGroupName": f"g-{i}"}).id for i in range(count)]


async def test_ids_json_array_of_up_to_20(api: Local) -> None:
    ids = seed(api, 22)
    groups = await api.describe(*ids[:20])
    assert [g["ContainerGroupId"] for g in groups] == ids[:20]
    # Unknown IDs are left out, not an error: a batched reader learns which ones are gone.
    groups = await api.describe(ids[0], "eci-doesnotexist", ids[21])
    assert [g["ContainerGroupId"] for g in groups] == [ids[0], ids[21]]


async def test_limit_next_token_and_total_count(api: Local) -> None:
    ids = seed(api, 45)
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        params = {"RegionId": REGION, "Limit": "20", **({"NextToken": token} if token else {})}
        body = await api.ok("DescribeContainerGroups", **params)
        assert body["TotalCount"] == 45
        seen += [g["ContainerGroupId"] for g in body["ContainerGroups"]]
        pages += 1
        token = body["NextToken"]
        if not token:
            break
    assert (seen, pages) == (ids, 3)
    body = await api.ok("DescribeContainerGroups", RegionId=REGION)
    assert len(body["ContainerGroups"]) == 20, "Limit defaults to 20"


async def test_filters_by_status_tag_and_name(api: Local) -> None:
    a = await make(
        api, "alpha", **flat("", {"Tag": [{"Key": "team", "Value": "shop"}, {"Key": "tier", "Value": "web"}]})
    )
    b = await make(api, "beta", **flat("", {"Tag": [{"Key": "team", "Value": "shop"}]}))
    c = await make(api, "gamma")
    api.get(c)["Status"] = "Failed"

    async def ids(**params: str) -> list[str]:
        body = await api.ok("DescribeContainerGroups", RegionId=REGION, **params)
        assert body["TotalCount"] == len(body["ContainerGroups"])
        return [g["ContainerGroupId"] for g in body["ContainerGroups"]]

    assert await ids(Status="Running") == [a, b]
    assert await ids(Status="Failed") == [c]
    assert await ids(ContainerGroupName="beta") == [b]
    assert await ids(**{"Tag.1.Key": "team", "Tag.1.Value": "shop"}) == [a, b]
    assert await ids(
        **{"Tag.1.Key": "team", "Tag.1.Value": "shop", "Tag.2.Key": "tier", "Tag.2.Value": "web"}
    ) == [a]
    assert await ids(**{"Tag.1.Key": "tier"}) == [a]
    assert await ids(**{"Tag.1.Key": "team", "Tag.1.Value": "other"}) == []


async def test_describe_uses_the_plural_and_flattened_names(api: Local) -> None:
    content = base64.b64encode(b"listen 80;").decode()
    ident = await make(
        api,
        "shapes",
        containers=[
            container(
                Command=["/bin/sh", "-c"],
                Arg=["echo hi"],
                EnvironmentVar=[{"Key": "A", "Value": "1"}, {"Key": "IP", "FieldRef": {"FieldPath": "status.podIP"}}],
                Port=[{"Port": 80, "Protocol": "TCP"}],
                VolumeMount=[{"Name": "nfs", "MountPath": "/n", "ReadOnly": True, "SubPath": "x"}],
                LivenessProbe={"Exec": {"Command": ["cat", "/ok"]}},
                SecurityContext={"Capability": {"Add": ["NET_ADMIN"]}, "RunAsUser": 1337},
                Tty=True,
            )
        ],
        **flat(
            "",
            {
                "InitContainer": [container("init", "busybox", Command=["true"])],
                "Volume": [
                    {"Name": "nfs", "Type": "NFSVolume", "NFSVolume": {"Server": "nas", "Path": "/", "ReadOnly": False}},
                    {"Name": "cfg", "Type": "ConfigFileVolume",
                     "ConfigFileVolume": {"ConfigFileToPath": [{"Path": "nginx.conf", "Content": content}]}},
                    {"Name": "tmp", "Type": "EmptyDirVolume", "EmptyDirVolume": {"Medium": "Memory", "SizeLimit": "1Gi"}},
                ],
                "DnsConfig": {"NameServer": ["1.1.1.1"], "Search": ["a.local"], "Option": [{"Name": "ndots", "Value": "2"}]},
                "Tag": [{"Key": "team", "Value": "shop"}],
                "ImageRegistryCredential": [{"Server": "r.example", "UserName": "u", "Password": "hunter2"}],
            },
        ),
    )  # fmt: skip
    [group] = await api.describe(ident)
    [c] = group["Containers"]
    assert c["Commands"] == ["/bin/sh", "-c"] and c["Args"] == ["echo hi"]
    assert c["EnvironmentVars"][:2] == [
        {"Key": "A", "Value": "1"},
        {"Key": "IP", "ValueFrom": {"FieldRef": {"FieldPath": "status.podIP"}}},
    ]
    assert {"Key": "PATH", "Value": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} in c[
        "EnvironmentVars"
    ]
    assert c["Ports"] == [{"Port": 80, "Protocol": "TCP"}]
    assert c["VolumeMounts"] == [{"Name": "nfs", "MountPath": "/n", "ReadOnly": True, "SubPath": "x"}]
    assert c["LivenessProbe"]["Execs"] == ["cat", "/ok"]
    assert c["LivenessProbe"]["PeriodSeconds"] == 10 and c["LivenessProbe"]["FailureThreshold"] == 3
    assert c["ReadinessProbe"] == {"HttpGet": {}, "TcpSocket": {}}, "an unset probe shows as empty handlers"
    assert c["SecurityContext"] == {"Capability": {"Adds": ["NET_ADMIN"]}, "RunAsUser": 1337}
    assert (c["Cpu"], c["Memory"], c["Gpu"], c["Tty"], c["Stdin"]) == (0.0, 0.0, 0, True, False)
    assert group["InitContainers"][0]["Command"] == ["true"]
    nfs, cfg, tmp = group["Volumes"]
    assert (nfs["NFSVolumeServer"], nfs["NFSVolumePath"], nfs["NFSVolumeReadOnly"]) == ("nas", "/", False)
    assert cfg["ConfigFileVolumeConfigFileToPaths"] == [{"Path": "nginx.conf", "Content": content}]
    assert (tmp["EmptyDirVolumeMedium"], tmp["EmptyDirVolumeSizeLimit"]) == ("Memory", "1Gi")
    assert group["DnsConfig"] == {
        "NameServers": ["1.1.1.1"],
        "Searches": ["a.local"],
        "Options": [{"Name": "ndots", "Value": "2"}],
    }
    assert group["Tags"] == [{"Key": "team", "Value": "shop"}]
    assert "hunter2" not in json.dumps(group), "registry credentials are never returned"
    for key in (
        "RegionId",
        "ZoneId",
        "CreationTime",
        "IntranetIp",
        "VSwitchId",
        "SecurityGroupId",
        "VpcId",
        "Cpu",
        "Memory",
    ):
        assert group[key] != "" and group[key] is not None, key


async def test_with_event_false_leaves_events_out(api: Local) -> None:
    ident = await make(api, "ev")
    [group] = await api.describe(ident)
    assert group["Events"]
    [group] = await api.describe(ident, WithEvent="false")
    assert "Events" not in group


async def test_describe_container_group_status(api: Local) -> None:
    ident = await make(api, "st")
    body = await api.ok(
        "DescribeContainerGroupStatus", RegionId=REGION, ContainerGroupIds=json.dumps([ident])
    )
    [item] = body["Data"]
    assert (item["ContainerGroupId"], item["Status"], item["PodStatus"]["Phase"]) == (
        ident,
        "Running",
        "Running",
    )
    assert item["PodStatus"]["ContainerStatuses"][0]["Ready"] is True
