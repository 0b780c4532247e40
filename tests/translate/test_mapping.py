"""Table of mapping rules: a Pod-spec fragment -> the exact ECI parameters it becomes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from eci_operator.eci.flatten import flatten
from eci_operator.translate import ownership_tags, parse_group, translate
from tests.translate.helpers import config_map, container, dockerconfigjson, manifest, params, refs, secret

C = "Container.1."


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


Patch = Callable[[dict[str, Any]], Any]
MAPPINGS: list[tuple[str, Patch, dict[str, str]]] = [
    (
        "command and args kept apart",
        lambda s: container(s, command=["/bin/sh", "-c"], args=["echo hi", "x"]),
        {C + "Command.1": "/bin/sh", C + "Command.2": "-c", C + "Arg.1": "echo hi", C + "Arg.2": "x"},
    ),
    (
        "env literal value",
        lambda s: container(s, env=[{"name": "A", "value": "b"}]),
        {C + "EnvironmentVar.1.Key": "A", C + "EnvironmentVar.1.Value": "b"},
    ),
    (
        "env empty value",
        lambda s: container(s, env=[{"name": "A"}]),
        {C + "EnvironmentVar.1.Key": "A", C + "EnvironmentVar.1.Value": ""},
    ),
    (
        "env fieldRef status.podIP",
        lambda s: container(
            s, env=[{"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
        ),
        {C + "EnvironmentVar.1.Key": "IP", C + "EnvironmentVar.1.FieldRef.FieldPath": "status.podIP"},
    ),
    (
        "ports with protocol (TCP default)",
        lambda s: container(s, ports=[{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]),
        {
            C + "Port.1.Port": "80",
            C + "Port.1.Protocol": "TCP",
            C + "Port.2.Port": "53",
            C + "Port.2.Protocol": "UDP",
        },
    ),
    (
        "volumeMount subPath readOnly mountPropagation",
        lambda s: (
            s.update(volumes=[{"name": "d", "emptyDir": {}}]),
            container(
                s,
                volumeMounts=[
                    {
                        "name": "d",
                        "mountPath": "/d",
                        "subPath": "x",
                        "readOnly": True,
                        "mountPropagation": "HostToContainer",
                    }
                ],
            ),
        ),
        {
            C + "VolumeMount.1.Name": "d",
            C + "VolumeMount.1.MountPath": "/d",
            C + "VolumeMount.1.SubPath": "x",
            C + "VolumeMount.1.ReadOnly": "true",
            C + "VolumeMount.1.MountPropagation": "HostToContainer",
        },
    ),
    (
        "httpGet probe with named port resolved, every timing field",
        lambda s: container(
            s,
            ports=[{"containerPort": 8080, "name": "http"}],
            readinessProbe={
                "httpGet": {"path": "/ready", "port": "http", "scheme": "HTTPS"},
                "initialDelaySeconds": 3,
                "periodSeconds": 7,
                "timeoutSeconds": 2,
                "successThreshold": 2,
                "failureThreshold": 5,
            },
        ),
        {
            C + "ReadinessProbe.HttpGet.Path": "/ready",
            C + "ReadinessProbe.HttpGet.Port": "8080",
            C + "ReadinessProbe.HttpGet.Scheme": "HTTPS",
            C + "ReadinessProbe.InitialDelaySeconds": "3",
            C + "ReadinessProbe.PeriodSeconds": "7",
            C + "ReadinessProbe.TimeoutSeconds": "2",
            C + "ReadinessProbe.SuccessThreshold": "2",
            C + "ReadinessProbe.FailureThreshold": "5",
        },
    ),
    (
        "tcpSocket liveness probe with named port",
        lambda s: container(
            s,
            ports=[{"containerPort": 6379, "name": "redis"}],
            livenessProbe={"tcpSocket": {"port": "redis"}},
        ),
        {C + "LivenessProbe.TcpSocket.Port": "6379"},
    ),
    (
        "tcpSocket probe port given as a numeric string",
        lambda s: container(s, livenessProbe={"tcpSocket": {"port": "6379"}}),
        {C + "LivenessProbe.TcpSocket.Port": "6379"},
    ),
    (
        "exec probe",
        lambda s: container(
            s, livenessProbe={"exec": {"command": ["cat", "/tmp/ok"]}, "successThreshold": 1}
        ),
        {
            C + "LivenessProbe.Exec.Command.1": "cat",
            C + "LivenessProbe.Exec.Command.2": "/tmp/ok",
            C + "LivenessProbe.SuccessThreshold": "1",
        },
    ),
    (
        "securityContext",
        lambda s: container(
            s,
            securityContext={
                "readOnlyRootFilesystem": True,
                "runAsUser": 1337,
                "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]},
            },
        ),
        {
            C + "SecurityContext.ReadOnlyRootFilesystem": "true",
            C + "SecurityContext.RunAsUser": "1337",
            C + "SecurityContext.Capability.Add.1": "NET_ADMIN",
            C + "SecurityContext.Capability.Add.2": "NET_RAW",
        },
    ),
    (
        "cpu millicores to cores",
        lambda s: container(s, resources={"requests": {"cpu": "500m"}}),
        {C + "Cpu": "0.5"},
    ),
    ("cpu decimal", lambda s: container(s, resources={"requests": {"cpu": "1.5"}}), {C + "Cpu": "1.5"}),
    ("memory Gi", lambda s: container(s, resources={"requests": {"memory": "1Gi"}}), {C + "Memory": "1"}),
    ("memory Mi", lambda s: container(s, resources={"requests": {"memory": "512Mi"}}), {C + "Memory": "0.5"}),
    (
        "memory decimal G (rounded to 1/1000 GiB)",
        lambda s: container(s, resources={"requests": {"memory": "1G"}}),
        {C + "Memory": "0.931"},
    ),
    (
        "limits used when requests are absent",
        lambda s: container(s, resources={"limits": {"cpu": "2", "memory": "4Gi"}}),
        {C + "Cpu": "2", C + "Memory": "4"},
    ),
    (
        "equal requests and limits",
        lambda s: container(s, resources={"requests": {"cpu": "250m"}, "limits": {"cpu": "0.25"}}),
        {C + "Cpu": "0.25"},
    ),
    (
        "nvidia.com/gpu to Gpu",
        lambda s: (
            s.update(instanceType="ecs.gn6i-c4g1.xlarge"),
            container(s, resources={"limits": {"nvidia.com/gpu": 2}}),
        ),
        {C + "Gpu": "2", "InstanceType": "ecs.gn6i-c4g1.xlarge"},
    ),
    (
        "stdin stdinOnce tty workingDir imagePullPolicy",
        lambda s: container(
            s, stdin=True, stdinOnce=True, tty=True, workingDir="/srv", imagePullPolicy="Always"
        ),
        {
            C + "Stdin": "true",
            C + "StdinOnce": "true",
            C + "Tty": "true",
            C + "WorkingDir": "/srv",
            C + "ImagePullPolicy": "Always",
        },
    ),
    (
        "init containers, in order",
        lambda s: s.update(
            initContainers=[
                {"name": "a", "image": "busybox", "command": ["sh"], "args": ["-c", "true"]},
                {"name": "b", "image": "busybox", "resources": {"requests": {"cpu": "100m"}}},
            ]
        ),
        {
            "InitContainer.1.Name": "a",
            "InitContainer.1.Command.1": "sh",
            "InitContainer.1.Arg.2": "true",
            "InitContainer.2.Name": "b",
            "InitContainer.2.Cpu": "0.1",
        },
    ),
    (
        "emptyDir medium and sizeLimit",
        lambda s: s.update(volumes=[{"name": "m", "emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}}]),
        {
            "Volume.1.Name": "m",
            "Volume.1.Type": "EmptyDirVolume",
            "Volume.1.EmptyDirVolume.Medium": "Memory",
            "Volume.1.EmptyDirVolume.SizeLimit": "256Mi",
        },
    ),
    (
        "plain emptyDir",
        lambda s: s.update(volumes=[{"name": "m", "emptyDir": {}}]),
        {"Volume.1.Name": "m", "Volume.1.Type": "EmptyDirVolume"},
    ),
    (
        "nfs",
        lambda s: s.update(
            volumes=[{"name": "n", "nfs": {"server": "nas.example", "path": "/share", "readOnly": True}}]
        ),
        {
            "Volume.1.Type": "NFSVolume",
            "Volume.1.NFSVolume.Server": "nas.example",
            "Volume.1.NFSVolume.Path": "/share",
            "Volume.1.NFSVolume.ReadOnly": "true",
        },
    ),
    (
        "dnsConfig",
        lambda s: s.update(
            dnsConfig={
                "nameservers": ["1.2.3.4"],
                "searches": ["a.local", "b.local"],
                "options": [{"name": "ndots", "value": "2"}, {"name": "rotate"}],
            }
        ),
        {
            "DnsConfig.NameServer.1": "1.2.3.4",
            "DnsConfig.Search.2": "b.local",
            "DnsConfig.Option.1.Name": "ndots",
            "DnsConfig.Option.1.Value": "2",
            "DnsConfig.Option.2.Name": "rotate",
        },
    ),
    ("restartPolicy", lambda s: s.update(restartPolicy="OnFailure"), {"RestartPolicy": "OnFailure"}),
    ("restartPolicy default", lambda s: None, {"RestartPolicy": "Always"}),
    (
        "tags",
        lambda s: s.update(tags={"team": "shop", "env": "prod"}),
        {"Tag.1.Key": "env", "Tag.1.Value": "prod", "Tag.2.Key": "team"},
    ),
    ("instance cpu/memory", lambda s: s.update(cpu=2, memory=4), {"Cpu": "2", "Memory": "4"}),
    ("fractional instance spec", lambda s: s.update(cpu=0.25, memory=0.5), {"Cpu": "0.25", "Memory": "0.5"}),
    (
        "instance fields",
        lambda s: s.update(
            zoneId="cn-hangzhou-h",
            securityGroupId="sg-1",
            vSwitchId="vsw-a,vsw-b",
            instanceType="ecs.c6.large",
            resourceGroupId="rg-9",
            containerGroupName="shop-web-1",
        ),
        {
            "ZoneId": "cn-hangzhou-h",
            "SecurityGroupId": "sg-1",
            "VSwitchId": "vsw-a,vsw-b",
            "InstanceType": "ecs.c6.large",
            "ResourceGroupId": "rg-9",
            "ContainerGroupName": "shop-web-1",
        },
    ),
    (
        "default name <namespace>-<name>",
        lambda s: None,
        {"ContainerGroupName": "shop-web", "RegionId": "cn-hangzhou"},
    ),
]


@pytest.mark.parametrize(("patch", "expected"), [m[1:] for m in MAPPINGS], ids=[m[0] for m in MAPPINGS])
def test_mapping(patch: Patch, expected: dict[str, str]) -> None:
    got = params(patch)
    assert {k: got.get(k) for k in expected} == expected


def test_unset_fields_are_not_sent() -> None:
    got = params()
    assert got == {
        "RegionId": "cn-hangzhou",
        "ContainerGroupName": "shop-web",
        "RestartPolicy": "Always",
        "Container.1.Name": "web",
        "Container.1.Image": "nginx:1.27",
    }


def test_default_name_replaces_dots() -> None:
    m = manifest()
    m["metadata"]["name"] = "api.v2"
    assert translate(parse_group(m)).request.container_group_name == "shop-api-v2"


# ------------------------------------------------------------------ referenced objects


def test_secret_and_configmap_env_resolved() -> None:
    r = refs(secret("db", {"password": "s3cret"}), config_map("cfg", {"mode": "fast"}))
    got = params(
        lambda s: container(
            s,
            env=[
                {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}},
            ],
        ),
        r,
    )
    assert got[C + "EnvironmentVar.1.Value"] == "s3cret"
    assert got[C + "EnvironmentVar.2.Value"] == "fast"


def test_optional_missing_env_is_left_out() -> None:
    got = params(
        lambda s: container(
            s,
            env=[
                {
                    "name": "PW",
                    "valueFrom": {"secretKeyRef": {"name": "absent", "key": "k", "optional": True}},
                },
                {"name": "A", "value": "1"},
            ],
        )
    )
    assert got[C + "EnvironmentVar.1.Key"] == "A"
    assert C + "EnvironmentVar.2.Key" not in got


def test_configmap_volume_every_key_base64() -> None:
    r = refs(config_map("cm", {"b.conf": "bee", "a.conf": "ay"}, binary={"logo.png": b"\x89PNG"}))
    got = params(lambda s: s.update(volumes=[{"name": "c", "configMap": {"name": "cm"}}]), r)
    prefix = "Volume.1.ConfigFileVolume.ConfigFileToPath."
    assert got["Volume.1.Type"] == "ConfigFileVolume"
    files = {got[f"{prefix}{i}.Path"]: got[f"{prefix}{i}.Content"] for i in (1, 2, 3)}
    assert files == {
        "a.conf": b64("ay"),
        "b.conf": b64("bee"),
        "logo.png": base64.b64encode(b"\x89PNG").decode(),
    }


def test_configmap_volume_items_honoured() -> None:
    r = refs(config_map("cm", {"a": "1", "b": "2"}))
    got = params(
        lambda s: s.update(
            volumes=[{"name": "c", "configMap": {"name": "cm", "items": [{"key": "b", "path": "sub/b.txt"}]}}]
        ),
        r,
    )
    prefix = "Volume.1.ConfigFileVolume.ConfigFileToPath."
    assert got[prefix + "1.Path"] == "sub/b.txt"
    assert got[prefix + "1.Content"] == b64("2")
    assert prefix + "2.Path" not in got


def test_secret_volume() -> None:
    r = refs(secret("tls", {"tls.crt": "CERT", "tls.key": "KEY"}))
    d = translate(
        parse_group(manifest(lambda s: s.update(volumes=[{"name": "t", "secret": {"secretName": "tls"}}]))), r
    )
    got = flatten(d.request)
    prefix = "Volume.1.ConfigFileVolume.ConfigFileToPath."
    assert {got[prefix + "1.Path"], got[prefix + "2.Path"]} == {"tls.crt", "tls.key"}
    assert got[prefix + "2.Content"] == b64("KEY")
    assert d.sensitive.volumes == {"t"}


def test_a_config_file_whose_base64_is_exactly_32_kib_is_accepted() -> None:
    """The 32 KB limit is on the Content parameter as sent, which is base64: 24576 bytes of file."""
    r = refs(config_map("cm", {"big": "x" * 24 * 1024}))
    got = params(lambda s: s.update(volumes=[{"name": "c", "configMap": {"name": "cm"}}]), r)
    content = got["Volume.1.ConfigFileVolume.ConfigFileToPath.1.Content"]
    assert len(content) == 32 * 1024
    assert base64.b64decode(content) == b"x" * 24576


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("https://registry.example.com", "registry.example.com"),
        ("http://registry.example.com:5000/", "registry.example.com:5000"),
        ("registry-vpc.cn-hangzhou.aliyuncs.com", "registry-vpc.cn-hangzhou.aliyuncs.com"),
    ],
)
def test_dockerconfigjson_to_registry_credential(server: str, expected: str) -> None:
    r = refs(dockerconfigjson("reg", {server: {"username": "u", "password": "p"}}))
    got = params(lambda s: s.update(imagePullSecrets=[{"name": "reg"}]), r)
    assert got["ImageRegistryCredential.1.Server"] == expected
    assert got["ImageRegistryCredential.1.UserName"] == "u"
    assert got["ImageRegistryCredential.1.Password"] == "p"


def test_dockerconfigjson_auth_field() -> None:
    auth = base64.b64encode(b"robot:pa:ss").decode()
    r = refs(dockerconfigjson("reg", {"reg.example": {"auth": auth}}))
    got = params(lambda s: s.update(imagePullSecrets=[{"name": "reg"}]), r)
    assert (got["ImageRegistryCredential.1.UserName"], got["ImageRegistryCredential.1.Password"]) == (
        "robot",
        "pa:ss",
    )


def test_dockercfg_to_registry_credential() -> None:
    import json

    r = refs(
        secret(
            "old",
            {".dockercfg": json.dumps({"https://a.example": {"username": "x", "password": "y"}})},
            "kubernetes.io/dockercfg",
        )
    )
    got = params(lambda s: s.update(imagePullSecrets=[{"name": "old"}]), r)
    assert got["ImageRegistryCredential.1.Server"] == "a.example"


def test_several_pull_secrets_merge_by_server() -> None:
    r = refs(
        dockerconfigjson("one", {"b.example": {"username": "u1", "password": "p1"}}),
        dockerconfigjson(
            "two",
            {
                "a.example": {"username": "u2", "password": "p2"},
                "b.example": {"username": "dup", "password": "x"},
            },
        ),
    )
    got = params(lambda s: s.update(imagePullSecrets=[{"name": "one"}, {"name": "two"}]), r)
    servers = {
        got[f"ImageRegistryCredential.{i}.Server"]: got[f"ImageRegistryCredential.{i}.UserName"]
        for i in (1, 2)
    }
    assert servers == {"a.example": "u2", "b.example": "u1"}  # the first secret naming a server wins
    assert "ImageRegistryCredential.3.Server" not in got


def test_owner_tags_added() -> None:
    tags = ownership_tags(cluster="prod", namespace="shop", name="web", uid="0f1e")
    d = translate(parse_group(manifest(lambda s: s.update(tags={"team": "shop"}))), owner_tags=tags)
    got = {t.key: t.value for t in d.request.tags or []}
    assert got == {"team": "shop", **tags}
    assert d.owned_tag_keys == {"team", *tags}


def test_sensitive_env_recorded_and_repr_hides_values() -> None:
    r = refs(secret("db", {"password": "hunter2-secret"}))
    d = translate(
        parse_group(
            manifest(
                lambda s: container(
                    s, env=[{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
                )
            )
        ),
        r,
    )
    assert d.sensitive.env == {"web": {"PW"}}
    assert "hunter2" not in repr(d)
    assert "hunter2" not in repr(r)


def test_long_owner_tag_values_are_cut_to_the_eci_limit() -> None:
    tags = ownership_tags(cluster="c", namespace="shop", name="n" * 200, uid="0f1e")
    d = translate(parse_group(manifest()), owner_tags=tags)
    got = {t.key: t.value for t in d.request.tags or []}
    assert got["eci.operator.dev/name"] == "n" * 128
    assert got["eci.operator.dev/uid"] == "0f1e"
