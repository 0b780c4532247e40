"""Describe -> observed state, from a literal answer in the service's own names (the metadata's
sample instance, extended with every group), independent of any request builder."""

from __future__ import annotations

import base64
from typing import Any

from eci_operator.eci.models import ContainerGroupOut
from eci_operator.translate.fingerprints import digest
from eci_operator.translate.normalise import PROBE_DEFAULTS, Redacted, observed_state

DESCRIBE: dict[str, Any] = {
    "ContainerGroupId": "eci-2ze0000000000000001",
    "ContainerGroupName": "shop-web",
    "RegionId": "cn-beijing",
    "ZoneId": "cn-beijing-h",
    "Cpu": 2,
    "Memory": 4.0,
    "InstanceType": "ecs.c6.large",
    "VSwitchId": "vsw-b",
    "SecurityGroupId": "sg-1",
    "RestartPolicy": "Always",
    "Status": "Running",
    "Tags": [{"Key": "team", "Value": "shop"}, {"Key": "acs:ecs:x", "Value": "y"}],
    "Containers": [
        {
            "Name": "nginx",
            "Image": "nginx:1.27",
            "Cpu": 0,
            "Memory": 0,
            "Gpu": 0,
            "WorkingDir": "",
            "ImagePullPolicy": "IfNotPresent",
            "Commands": ["nginx"],
            "Args": ["-g", "daemon off;"],
            "EnvironmentVars": [
                {"Key": "PATH", "Value": "/usr/local/sbin:/usr/bin", "ValueFrom": {}},
                {"Key": "NGINX_VERSION", "Value": "1.27.0", "ValueFrom": {"FieldRef": {"FieldPath": ""}}},
                {"Key": "POD_IP", "Value": "", "ValueFrom": {"FieldRef": {"FieldPath": "status.podIP"}}},
                {"Key": "PW", "Value": "hunter2"},
            ],
            "Ports": [{"Port": 80, "Protocol": "TCP"}, {"Port": 53, "Protocol": ""}],
            "VolumeMounts": [
                {
                    "Name": "conf",
                    "MountPath": "/etc/nginx",
                    "ReadOnly": True,
                    "SubPath": "",
                    "MountPropagation": "None",
                }
            ],
            "ReadinessProbe": {"HttpGet": {}, "TcpSocket": {}},
            "LivenessProbe": {
                "Execs": ["cat", "/tmp/ok"],
                "HttpGet": {},
                "TcpSocket": {},
                "InitialDelaySeconds": 5,
                "PeriodSeconds": 0,
                "TimeoutSeconds": 0,
                "SuccessThreshold": 0,
                "FailureThreshold": 0,
            },
            "SecurityContext": {
                "Capability": {"Adds": ["NET_RAW", "NET_ADMIN"]},
                "ReadOnlyRootFilesystem": False,
            },
            "Stdin": False,
            "Tty": True,
        }
    ],
    "InitContainers": [
        {
            "Name": "init",
            "Image": "busybox",
            "Cpu": 0.5,
            "Memory": 1,
            "Command": ["sh", "-c", "true"],
            "Args": [],
            "EnvironmentVars": [],
            "VolumeMounts": [{"Name": "conf", "MountPath": "/conf"}],
        }
    ],
    "Volumes": [
        {
            "Name": "data",
            "Type": "NFSVolume",
            "NFSVolumeServer": "nas",
            "NFSVolumePath": "/",
            "NFSVolumeReadOnly": True,
        },
        {
            "Name": "conf",
            "Type": "ConfigFileVolume",
            "ConfigFileVolumeConfigFileToPaths": [
                {"Path": "a.conf", "Content": base64.b64encode(b"x=1").decode()}
            ],
        },
        {
            "Name": "tmp",
            "Type": "EmptyDirVolume",
            "EmptyDirVolumeMedium": "",
            "EmptyDirVolumeSizeLimit": "1024Mi",
        },
    ],
    "DnsConfig": {"NameServers": ["1.1.1.1"], "Searches": [], "Options": [{"Name": "ndots", "Value": "2"}]},
    "EciSecurityContext": {},
}


def state() -> Any:
    return observed_state(ContainerGroupOut.model_validate(DESCRIBE), {"nginx": frozenset({"NGINX_VERSION"})})


def test_instance_fields() -> None:
    s = state()
    assert (s.container_group_id, s.container_group_name, s.region_id, s.zone_id) == (
        "eci-2ze0000000000000001",
        "shop-web",
        "cn-beijing",
        "cn-beijing-h",
    )
    assert (s.cpu, s.memory, s.instance_type, s.v_switch_id, s.security_group_id) == (
        2.0,
        4.0,
        "ecs.c6.large",
        "vsw-b",
        "sg-1",
    )
    assert s.restart_policy == "Always"
    assert s.tags == {"team": "shop", "acs:ecs:x": "y"}  # filtering what is ours happens in plan


def test_container_plural_names_and_unset_values() -> None:
    c = state().containers["nginx"]
    assert (c["Cpu"], c["Memory"], c["Gpu"], c["WorkingDir"]) == (None, None, None, None)  # 0 / "" = unset
    assert c["Commands"] == ["nginx"] and c["Args"] == ["-g", "daemon off;"]
    assert c["Ports"] == ["53/TCP", "80/TCP"]
    assert c["VolumeMounts"] == {
        "/etc/nginx": {"Name": "conf", "SubPath": None, "ReadOnly": True, "MountPropagation": None}
    }
    assert c["SecurityContext"] == {
        "Capabilities": ["NET_ADMIN", "NET_RAW"],
        "ReadOnlyRootFilesystem": None,
        "RunAsUser": None,
    }
    assert (c["Stdin"], c["StdinOnce"], c["Tty"]) == (False, False, True)


def test_env_value_from_and_secret_values_as_digests() -> None:
    env = state().containers["nginx"]["EnvironmentVars"]
    assert env["POD_IP"] == {"FieldRef": "status.podIP"}
    assert env["NGINX_VERSION"] == {"Value": "1.27.0"}  # an empty FieldRef is no FieldRef
    assert env["PW"] == {"Value": Redacted(digest("hunter2"))}  # not set in clear by the spec: a digest
    assert env["PATH"] == {"Value": Redacted(digest("/usr/local/sbin:/usr/bin"))}
    assert "hunter2" not in repr(env)


def test_probes_empty_is_absent_and_zero_timings_are_defaults() -> None:
    c = state().containers["nginx"]
    assert c["ReadinessProbe"] is None
    assert c["LivenessProbe"] == {
        "Handler": {"Exec": ["cat", "/tmp/ok"]},
        **PROBE_DEFAULTS,
        "InitialDelaySeconds": 5,
    }


def test_init_container_singular_command() -> None:
    (init,) = state().init_containers
    assert init["Commands"] == ["sh", "-c", "true"]
    assert (init["Cpu"], init["Memory"]) == (0.5, 1.0)
    assert "ReadinessProbe" not in init


def test_volumes_flattened_names() -> None:
    v = state().volumes
    assert v["data"] == {"Type": "NFSVolume", "Server": "nas", "Path": "/", "ReadOnly": True}
    files = {"a.conf": Redacted(digest(b"x=1"))}
    assert v["conf"] == {"Type": "ConfigFileVolume", "Files": files, "Modes": None}
    assert v["tmp"] == {"Type": "EmptyDirVolume", "Medium": None, "SizeLimit": format(1024 * 2**20, "d")}


def test_dns_config_plural_names() -> None:
    assert state().dns_config == {"NameServers": ["1.1.1.1"], "Searches": [], "Options": [["ndots", "2"]]}


def test_empty_dns_config_is_absent() -> None:
    data = {**DESCRIBE, "DnsConfig": {}}
    assert observed_state(ContainerGroupOut.model_validate(data)).dns_config is None


def test_null_lists_are_empty() -> None:
    data = {**DESCRIBE, "Tags": None, "InitContainers": None, "Volumes": None}
    s = observed_state(ContainerGroupOut.model_validate(data))
    assert (s.tags, s.init_containers, s.volumes) == ({}, [], {})
