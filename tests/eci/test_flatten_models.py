"""Request models and their flattening into RPC parameters."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError

from eci_operator.eci import models as m
from eci_operator.eci.flatten import flatten, flatten_data, format_scalar


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (True, "true"),
        (False, "false"),
        (2.0, "2"),
        (0.5, "0.5"),
        (0.25, "0.25"),
        (1e-07, "0.0000001"),
        (1.1, "1.1"),
        (3, "3"),
        (0, "0"),
        ("", ""),
    ],
)
def test_scalars(value: object, wire: str) -> None:
    assert format_scalar(value) == wire


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_rejected(value: float) -> None:
    with pytest.raises(ValueError):
        format_scalar(value)


def _update() -> m.UpdateContainerGroupRequest:
    return m.UpdateContainerGroupRequest(
        region_id="cn-hangzhou",
        container_group_id="eci-1",
        client_token="tok-1",
        containers=[
            m.Container(
                name="web",
                image="nginx:1.27",
                cpu=0.5,
                memory=1.0,
                commands=["/bin/sh", "-c", "sleep 1"],
                environment_vars=[
                    m.EnvironmentVar(key="A", value="b"),
                    m.EnvironmentVar(key="IP", field_ref=m.FieldRef(field_path="status.podIP")),
                ],
                ports=[m.Port(port=80, protocol="TCP")],
                volume_mounts=[
                    m.VolumeMount(name="a", mount_path="/a"),
                    m.VolumeMount(name="b", mount_path="/b", read_only=True, sub_path="x"),
                ],
                readiness_probe=m.Probe(http_get=m.HttpGetAction(path="/", port=80), period_seconds=5),
                liveness_probe=m.Probe(exec=m.ExecAction(commands=["cat", "/ok"])),
                security_context=m.SecurityContext(
                    capability=m.CapabilitySet(adds=["NET_ADMIN"]), read_only_root_filesystem=True
                ),
                tty=False,
            )
        ],
        volumes=[
            m.Volume(name="a", type="EmptyDirVolume", empty_dir_volume=m.EmptyDirVolume(medium="Memory")),
            m.Volume(
                name="b",
                type="NFSVolume",
                nfs_volume=m.NFSVolume(server="nas.example", path="/", read_only=False),
            ),
        ],
        dns_config=m.DnsConfig(
            name_servers=["1.2.3.4"], searches=["a.local"], options=[m.DnsOption(name="ndots", value="2")]
        ),
        tags=[m.Tag(key="team", value="shop")],
    )


def test_update_flattens_to_eci_names() -> None:
    params = flatten(_update())
    assert params == {
        "RegionId": "cn-hangzhou",
        "ContainerGroupId": "eci-1",
        "ClientToken": "tok-1",
        "Container.1.Name": "web",
        "Container.1.Image": "nginx:1.27",
        "Container.1.Cpu": "0.5",
        "Container.1.Memory": "1",
        "Container.1.Command.1": "/bin/sh",
        "Container.1.Command.2": "-c",
        "Container.1.Command.3": "sleep 1",
        "Container.1.EnvironmentVar.1.Key": "A",
        "Container.1.EnvironmentVar.1.Value": "b",
        "Container.1.EnvironmentVar.2.Key": "IP",
        "Container.1.EnvironmentVar.2.FieldRef.FieldPath": "status.podIP",
        "Container.1.Port.1.Port": "80",
        "Container.1.Port.1.Protocol": "TCP",
        "Container.1.VolumeMount.1.Name": "a",
        "Container.1.VolumeMount.1.MountPath": "/a",
        "Container.1.VolumeMount.2.Name": "b",
        "Container.1.VolumeMount.2.MountPath": "/b",
        "Container.1.VolumeMount.2.SubPath": "x",
        "Container.1.VolumeMount.2.ReadOnly": "true",
        "Container.1.ReadinessProbe.HttpGet.Path": "/",
        "Container.1.ReadinessProbe.HttpGet.Port": "80",
        "Container.1.ReadinessProbe.PeriodSeconds": "5",
        "Container.1.LivenessProbe.Exec.Command.1": "cat",
        "Container.1.LivenessProbe.Exec.Command.2": "/ok",
        "Container.1.SecurityContext.Capability.Add.1": "NET_ADMIN",
        "Container.1.SecurityContext.ReadOnlyRootFilesystem": "true",
        "Container.1.Tty": "false",
        "Volume.1.Name": "a",
        "Volume.1.Type": "EmptyDirVolume",
        "Volume.1.EmptyDirVolume.Medium": "Memory",
        "Volume.2.Name": "b",
        "Volume.2.Type": "NFSVolume",
        "Volume.2.NFSVolume.Server": "nas.example",
        "Volume.2.NFSVolume.Path": "/",
        "Volume.2.NFSVolume.ReadOnly": "false",
        "DnsConfig.NameServer.1": "1.2.3.4",
        "DnsConfig.Search.1": "a.local",
        "DnsConfig.Option.1.Name": "ndots",
        "DnsConfig.Option.1.Value": "2",
        "Tag.1.Key": "team",
        "Tag.1.Value": "shop",
    }


def test_unsent_groups_are_absent() -> None:
    req = m.UpdateContainerGroupRequest(
        region_id="r", container_group_id="eci-1", tags=[m.Tag(key="k", value="")]
    )
    assert flatten(req) == {"RegionId": "r", "ContainerGroupId": "eci-1", "Tag.1.Key": "k", "Tag.1.Value": ""}
    assert req.containers is None and req.volumes is None and req.dns_config is None


def test_models_accept_eci_names() -> None:
    req = m.UpdateContainerGroupRequest.model_validate(
        {
            "RegionId": "r",
            "ContainerGroupId": "eci-1",
            "Container": [{"Name": "a", "Image": "i", "Command": ["x"]}],
        }
    )
    assert req.containers is not None and req.containers[0].commands == ["x"]


def test_empty_list_sends_nothing() -> None:
    assert flatten_data({"Tag": [], "Container": [{"Name": "a", "Command": []}]}) == {"Container.1.Name": "a"}


def test_describe_ids_json_array() -> None:
    req = m.DescribeContainerGroupsRequest(region_id="r", container_group_ids=["eci-a", "eci-b"], limit=20)
    assert flatten(req) == {"RegionId": "r", "ContainerGroupIds": '["eci-a","eci-b"]', "Limit": "20"}


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (
            lambda: m.DescribeContainerGroupsRequest(
                region_id="r", container_group_ids=[f"e{i}" for i in range(21)]
            ),
            "container_group_ids",
        ),
        (lambda: m.DescribeContainerGroupsRequest(region_id="r", limit=21), "limit"),
        (lambda: m.Container(name="a", image="i", commands=["x"] * 21), "commands"),
        (lambda: m.Container(name="a", image="i", args=["x"] * 11), "args"),
        (lambda: m.Port(port=70000), "port"),
        (lambda: m.EnvironmentVar(key="1BAD"), "key"),
        (
            lambda: m.UpdateContainerGroupRequest(
                region_id="r", container_group_id="e", client_token="x" * 65
            ),
            "client_token",
        ),
        (lambda: m.Probe(), "Exec, HttpGet, TcpSocket"),
        (lambda: m.Volume(name="v", type="NFSVolume"), "nfs_volume"),
        (lambda: m.Tag(key="acs:x"), "acs:"),
        (lambda: m.ImageRegistryCredential(server="https://r", user_name="u", password="p"), "http"),
        (
            lambda: m.UpdateContainerGroupRequest(
                region_id="r",
                container_group_id="e",
                containers=[m.Container(name="a", image="i"), m.Container(name="a", image="j")],
            ),
            "duplicate container name 'a'",
        ),
        (
            lambda: m.UpdateContainerGroupRequest(
                region_id="r",
                container_group_id="e",
                containers=[m.Container(name="a", image="i", environment_var_hide=True)],
            ),
            "Container.1.EnvironmentVarHide",
        ),
        (
            lambda: m.UpdateContainerGroupRequest(
                region_id="r",
                container_group_id="e",
                volumes=[m.Volume(name="d", type="DiskVolume", disk_volume=m.DiskVolume(disk_id="d-1"))],
            ),
            "Volume.1.Type: DiskVolume",
        ),
        (
            lambda: m.CreateContainerGroupRequest(
                region_id="r", container_group_name="Bad_Name", containers=[m.Container(name="a", image="i")]
            ),
            "container_group_name",
        ),
    ],
)
def test_bad_input_names_the_field(build: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    assert field in str(info.value)


def test_registry_password_not_in_repr() -> None:
    cred = m.ImageRegistryCredential(server="r.example", user_name="u", password="hunter2-secret")
    assert "hunter2-secret" not in repr(cred)


def test_describe_response_uses_service_names() -> None:
    body = {
        "RequestId": "R",
        "TotalCount": 1,
        "NextToken": "",
        "ContainerGroups": [
            {
                "ContainerGroupId": "eci-1",
                "Status": "Running",
                "Cpu": 2,
                "Memory": 4.0,
                "Tags": [{"Key": "team", "Value": "shop"}],
                "Containers": [
                    {
                        "Name": "web",
                        "Commands": ["/bin/sh"],
                        "Args": ["-c"],
                        "EnvironmentVars": [
                            {
                                "Key": "IP",
                                "Value": "",
                                "ValueFrom": {"FieldRef": {"FieldPath": "status.podIP"}},
                            }
                        ],
                        "ReadinessProbe": {"HttpGet": {}, "TcpSocket": {}},
                        "LivenessProbe": {"Execs": ["cat", "/ok"], "PeriodSeconds": 10},
                        "SecurityContext": {"Capability": {"Adds": ["NET_ADMIN"]}},
                        "CurrentState": {"State": "Running"},
                        "Unknown": 1,
                    }
                ],
                "InitContainers": [{"Name": "init", "Command": ["sh"]}],
                "Volumes": [
                    {
                        "Name": "n",
                        "Type": "NFSVolume",
                        "NFSVolumeServer": "s",
                        "NFSVolumePath": "/",
                        "NFSVolumeReadOnly": True,
                    },
                    {
                        "Name": "c",
                        "Type": "ConfigFileVolume",
                        "ConfigFileVolumeConfigFileToPaths": [{"Path": "p", "Content": "eA=="}],
                    },
                ],
                "DnsConfig": {
                    "NameServers": ["1.1.1.1"],
                    "Searches": [],
                    "Options": [{"Name": "ndots", "Value": "2"}],
                },
                "EciSecurityContext": {"Sysctls": []},
            }
        ],
    }
    resp = m.DescribeContainerGroupsResponse.model_validate(body)
    g = resp.container_groups[0]
    assert (g.cpu, g.memory, g.status) == (2.0, 4.0, "Running")
    c = g.containers[0]
    assert c.commands == ["/bin/sh"] and c.args == ["-c"]
    assert c.environment_vars[0].value_from is not None
    assert c.environment_vars[0].value_from.field_ref is not None
    assert c.environment_vars[0].value_from.field_ref.field_path == "status.podIP"
    assert c.readiness_probe is not None and c.readiness_probe.is_empty
    assert (
        c.liveness_probe is not None
        and not c.liveness_probe.is_empty
        and c.liveness_probe.execs == ["cat", "/ok"]
    )
    assert c.security_context is not None and c.security_context.capability is not None
    assert c.security_context.capability.adds == ["NET_ADMIN"]
    assert g.init_containers[0].command == ["sh"]
    assert g.volumes[0].nfs_volume_server == "s" and g.volumes[0].nfs_volume_read_only is True
    assert g.volumes[1].config_file_volume_config_file_to_paths[0].content == "eA=="
    assert g.dns_config is not None and g.dns_config.name_servers == ["1.1.1.1"]
    assert g.tags[0].key == "team"
