"""A DescribeContainerGroups entry for a CreateContainerGroup request, written the way ECI answers.

Independent of the translator's normaliser: it follows the reference's request -> Describe table
(plural names, flattened volume keys, ``InitContainers[].Command`` singular, no SubPath on init
mounts, unset probes as empty objects, ``Cpu: 0`` for unsized containers, one vSwitch and one
instance type out of the lists; registry credentials, lifecycle hooks, create-only container
settings, file modes and the unreported instance settings not returned; host aliases, safe sysctls
and extra ephemeral storage returned).
"""

from __future__ import annotations

from typing import Any

from eci_operator.api.containergroup import INSTANCE_SPECS
from eci_operator.eci import models as eci

EMPTY_PROBE: dict[str, Any] = {"HttpGet": {}, "TcpSocket": {}, "Execs": []}


def _probe(p: eci.Probe | None) -> dict[str, Any]:
    if p is None:
        return dict(EMPTY_PROBE)
    out: dict[str, Any] = {
        "InitialDelaySeconds": p.initial_delay_seconds or 0,
        "PeriodSeconds": p.period_seconds or 10,
        "TimeoutSeconds": p.timeout_seconds or 1,
        "SuccessThreshold": p.success_threshold or 1,
        "FailureThreshold": p.failure_threshold or 3,
        "HttpGet": {},
        "TcpSocket": {},
        "Execs": [],
    }
    if p.http_get is not None:
        out["HttpGet"] = {
            "Path": p.http_get.path or "",
            "Port": p.http_get.port,
            "Scheme": p.http_get.scheme or "HTTP",
        }
    if p.tcp_socket is not None:
        out["TcpSocket"] = {"Host": "", "Port": p.tcp_socket.port}
    if p.exec is not None:
        out["Execs"] = list(p.exec.commands)
    return out


def _container(c: eci.Container | eci.InitContainer, image_env: dict[str, str]) -> dict[str, Any]:
    init = isinstance(c, eci.InitContainer)
    env = [{"Key": k, "Value": v, "ValueFrom": {}} for k, v in image_env.items()]
    for var in c.environment_vars or []:
        if var.field_ref is not None:
            env.append(
                {
                    "Key": var.key,
                    "Value": "",
                    "ValueFrom": {"FieldRef": {"FieldPath": var.field_ref.field_path}},
                }
            )
        else:
            env.append({"Key": var.key, "Value": var.value or "", "ValueFrom": {}})
    sc = c.security_context
    out: dict[str, Any] = {
        "Name": c.name,
        "Image": c.image,
        "Cpu": c.cpu or 0,
        "Memory": c.memory or 0,
        "Gpu": c.gpu or 0,
        "WorkingDir": c.working_dir or "",
        "ImagePullPolicy": c.image_pull_policy or "IfNotPresent",
        ("Command" if init else "Commands"): list(c.commands or []),
        "Args": list(c.args or []),
        "EnvironmentVars": env,
        "Ports": [{"Port": p.port, "Protocol": p.protocol or "TCP"} for p in c.ports or []],
        "VolumeMounts": [
            {
                "Name": m.name,
                "MountPath": m.mount_path,
                **({} if init else {"SubPath": m.sub_path or ""}),
                "ReadOnly": bool(m.read_only),
                "MountPropagation": m.mount_propagation or "None",
            }
            for m in c.volume_mounts or []
        ],
        "SecurityContext": {
            "Capability": {"Adds": list(sc.capability.adds) if sc and sc.capability else []},
            "ReadOnlyRootFilesystem": bool(sc and sc.read_only_root_filesystem),
            **({"RunAsUser": sc.run_as_user} if sc and sc.run_as_user is not None else {}),
        },
        "Ready": True,
        "RestartCount": 0,
        "CurrentState": {"State": "Running"},
    }
    if isinstance(c, eci.Container):
        out.update(
            Stdin=bool(c.stdin),
            StdinOnce=bool(c.stdin_once),
            Tty=bool(c.tty),
            ReadinessProbe=_probe(c.readiness_probe),
            LivenessProbe=_probe(c.liveness_probe),
        )
    return out


def _volume(v: eci.Volume) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": v.name, "Type": v.type}
    if v.nfs_volume is not None:
        out.update(
            NFSVolumeServer=v.nfs_volume.server,
            NFSVolumePath=v.nfs_volume.path,
            NFSVolumeReadOnly=bool(v.nfs_volume.read_only),
        )
    if v.config_file_volume is not None:
        out["ConfigFileVolumeConfigFileToPaths"] = [
            {"Path": f.path, "Content": f.content} for f in v.config_file_volume.config_file_to_paths
        ]
    if v.empty_dir_volume is not None:
        out.update(
            EmptyDirVolumeMedium=v.empty_dir_volume.medium or "",
            EmptyDirVolumeSizeLimit=v.empty_dir_volume.size_limit or "",
        )
    return out


def instance_size(request: eci.CreateContainerGroupRequest) -> tuple[float, float]:
    """ECI's sizing: the spec asked for; else the smallest sold spec that fits the containers
    (their sum, or the largest init container); else 2 vCPU / 4 GiB."""
    if request.cpu and request.memory:
        return request.cpu, request.memory
    cpu = sum(c.cpu or 0 for c in request.containers)
    memory = sum(c.memory or 0 for c in request.containers)
    for c in request.init_containers or []:
        cpu, memory = max(cpu, c.cpu or 0), max(memory, c.memory or 0)
    if not cpu and not memory:
        return 2.0, 4.0
    fits = [(c, m) for c, ms in INSTANCE_SPECS.items() for m in ms if c >= cpu and m >= memory]
    return min(fits)


def describe_dict(
    request: eci.CreateContainerGroupRequest,
    *,
    container_group_id: str = "eci-bp1test000000000001",
    image_env: dict[str, str] | None = None,
    extra_tags: dict[str, str] | None = None,
    status: str = "Running",
) -> dict[str, Any]:
    """The Describe JSON (service names) of an instance created from ``request``."""
    image_env = (
        image_env
        if image_env is not None
        else {"PATH": "/usr/local/sbin:/usr/bin", "NGINX_VERSION": "1.27.0"}
    )
    dns = request.dns_config
    tags = [{"Key": t.key, "Value": t.value} for t in request.tags or []]
    tags += [{"Key": k, "Value": v} for k, v in (extra_tags or {}).items()]
    return {
        "ContainerGroupId": container_group_id,
        "ContainerGroupName": request.container_group_name,
        "RegionId": request.region_id,
        "ZoneId": request.zone_id or f"{request.region_id}-h",
        "Status": status,
        "Cpu": instance_size(request)[0],
        "Memory": instance_size(request)[1],
        "InstanceType": (request.instance_type or "").split(",")[0],
        "RestartPolicy": request.restart_policy or "Always",
        "VSwitchId": (request.v_switch_id or "vsw-default").split(",")[-1],
        "SecurityGroupId": request.security_group_id or "sg-default",
        "ResourceGroupId": request.resource_group_id or "rg-default",
        "IntranetIp": "172.16.0.10",
        "Tags": tags,
        "Containers": [_container(c, image_env) for c in request.containers],
        "InitContainers": [_container(c, {}) for c in request.init_containers or []],
        "Volumes": [_volume(v) for v in request.volumes or []],
        "DnsConfig": {
            "NameServers": list(dns.name_servers or []) if dns else [],
            "Searches": list(dns.searches or []) if dns else [],
            "Options": [{"Name": o.name, "Value": o.value or ""} for o in dns.options or []] if dns else [],
        },
        "EciSecurityContext": {
            "Sysctls": [
                {"Name": x.name, "Value": x.value}
                for x in (request.security_context.sysctls if request.security_context else [])
            ]
        },
        "HostAliases": [{"Ip": a.ip, "Hostnames": list(a.hostnames)} for a in request.host_aliases or []],
        "EphemeralStorage": request.ephemeral_storage or 0,
        "Events": [],
    }


def describe(request: eci.CreateContainerGroupRequest, **kwargs: Any) -> eci.ContainerGroupOut:
    return eci.ContainerGroupOut.model_validate(describe_dict(request, **kwargs))
