"""Describe → a ContainerGroup manifest that adopts the instance and describes it as it is (pure).

The inverse of ``translate`` for what Describe reports, so that applying the manifest plans
nothing: no update, no restart. What Describe cannot give back is never guessed and never copied
out when it may be secret:

- config-file volumes become ``configMap`` references named ``<name>-<volume>``; their files'
  contents stay on the instance (they may hold secrets), so the ConfigMap (or a Secret, by
  switching the volume to ``secret``) is the user's to create, with the keys listed;
- registry credentials are write-only: ECI does not say whether the instance has any, so the
  manifest names none and a note says how to add them (an in-place change, no restart);
- volumes the spec cannot express (disk, flex, host path) and lifecycle hooks are listed in the
  notes.

``References`` with the config files' contents can be rebuilt in memory (``references``) to check
the manifest with ``plan`` before it is printed; they are never part of the output.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from eci_operator.eci import models as eci
from eci_operator.translate.ownership import OWNERSHIP_TAG_KEYS

_KEY = re.compile(r"[^-._a-zA-Z0-9]")


@dataclass
class Exported:
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    config_files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    """ConfigMap name → key → content, for checking the manifest; never printed."""


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _probe(p: eci.ProbeOut | None) -> dict[str, Any] | None:
    if p is None or p.is_empty:
        return None
    out: dict[str, Any] = {}
    if p.execs:
        out["exec"] = {"command": list(p.execs)}
    elif p.http_get is not None and (p.http_get.port or p.http_get.path):
        get: dict[str, Any] = {"port": p.http_get.port}
        if p.http_get.path:
            get["path"] = p.http_get.path
        if p.http_get.scheme:
            get["scheme"] = p.http_get.scheme
        out["httpGet"] = get
    elif p.tcp_socket is not None:
        out["tcpSocket"] = {"port": p.tcp_socket.port}
    for key, value in (
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("periodSeconds", p.period_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("successThreshold", p.success_threshold),
        ("failureThreshold", p.failure_threshold),
    ):
        if value:
            out[key] = value
    return out


def _container(c: eci.ContainerOut | eci.InitContainerOut) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name, "image": c.image}
    command = c.commands if isinstance(c, eci.ContainerOut) else c.command
    if command:
        out["command"] = list(command)
    if c.args:
        out["args"] = list(c.args)
    if c.working_dir:
        out["workingDir"] = c.working_dir
    if c.image_pull_policy:
        out["imagePullPolicy"] = c.image_pull_policy
    env = []
    for var in c.environment_vars:
        path = var.value_from.field_ref.field_path if var.value_from and var.value_from.field_ref else ""
        if path:
            env.append({"name": var.key, "valueFrom": {"fieldRef": {"fieldPath": path}}})
        else:
            env.append({"name": var.key, "value": var.value})
    if env:
        out["env"] = env
    if c.ports:
        out["ports"] = [
            {"containerPort": p.port, **({"protocol": p.protocol} if p.protocol else {})} for p in c.ports
        ]
    limits: dict[str, Any] = {}
    if c.cpu:
        limits["cpu"] = str(_number(c.cpu))
    if c.memory:
        limits["memory"] = f"{_number(c.memory)}Gi"
    if c.gpu:
        limits["nvidia.com/gpu"] = str(c.gpu)
    if limits:
        out["resources"] = {"limits": limits}
    mounts = []
    for m in c.volume_mounts:
        mount: dict[str, Any] = {"name": m.name, "mountPath": m.mount_path}
        if m.read_only:
            mount["readOnly"] = True
        if isinstance(m, eci.VolumeMountOut) and m.sub_path:
            mount["subPath"] = m.sub_path
        if m.mount_propagation and m.mount_propagation != "None":
            mount["mountPropagation"] = m.mount_propagation
        mounts.append(mount)
    if mounts:
        out["volumeMounts"] = mounts
    security: dict[str, Any] = {}
    sc = c.security_context
    if sc is not None:
        if sc.capability is not None and sc.capability.adds:
            security["capabilities"] = {"add": list(sc.capability.adds)}
        if sc.read_only_root_filesystem:
            security["readOnlyRootFilesystem"] = True
        if sc.run_as_user is not None:
            security["runAsUser"] = sc.run_as_user
    if security:
        out["securityContext"] = security
    if isinstance(c, eci.ContainerOut):
        for key, probe in (("livenessProbe", c.liveness_probe), ("readinessProbe", c.readiness_probe)):
            shown = _probe(probe)
            if shown is not None:
                out[key] = shown
        if c.stdin:
            out["stdin"] = True
        if c.stdin_once:
            out["stdinOnce"] = True
        if c.tty:
            out["tty"] = True
    return out


def config_map_key(path: str) -> str:
    """A ConfigMap key for a file path (keys allow only ``-._a-zA-Z0-9``)."""
    return _KEY.sub("_", path.strip("/")) or "file"


def _decoded(content: str) -> bytes:
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return content.encode()


def export(group: eci.ContainerGroupOut, name: str, namespace: str) -> Exported:
    """The manifest adopting ``group`` as ContainerGroup ``namespace/name``."""
    notes: list[str] = []
    files: dict[str, dict[str, bytes]] = {}
    spec: dict[str, Any] = {
        "regionId": group.region_id,
        "containerGroupId": group.container_group_id,
        "containerGroupName": group.container_group_name,
    }
    for key, value in (
        ("zoneId", group.zone_id),
        ("securityGroupId", group.security_group_id),
        ("vSwitchId", group.v_switch_id),
        ("instanceType", group.instance_type),
    ):
        if value:
            spec[key] = value
    if group.cpu:
        spec["cpu"] = _number(group.cpu)
    if group.memory:
        spec["memory"] = _number(group.memory)
    tags = {
        t.key: t.value
        for t in group.tags
        if t.key not in OWNERSHIP_TAG_KEYS and not t.key.lower().startswith(("acs:", "aliyun"))
    }
    if tags:
        spec["tags"] = tags
    if group.restart_policy:
        spec["restartPolicy"] = group.restart_policy
    dns = group.dns_config
    if dns is not None and (dns.name_servers or dns.searches or dns.options):
        config: dict[str, Any] = {}
        if dns.name_servers:
            config["nameservers"] = list(dns.name_servers)
        if dns.searches:
            config["searches"] = list(dns.searches)
        if dns.options:
            config["options"] = [
                {"name": o.name, **({"value": o.value} if o.value else {})} for o in dns.options
            ]
        spec["dnsConfig"] = config
    if group.host_aliases:
        spec["hostAliases"] = [{"ip": h.ip, "hostnames": list(h.hostnames)} for h in group.host_aliases]
    if group.eci_security_context is not None and group.eci_security_context.sysctls:
        spec["securityContext"] = {
            "sysctls": [{"name": s.name, "value": s.value} for s in group.eci_security_context.sysctls]
        }
    if group.init_containers:
        spec["initContainers"] = [_container(c) for c in group.init_containers]
    spec["containers"] = [_container(c) for c in group.containers]
    volumes = []
    for v in group.volumes:
        if v.type == "EmptyDirVolume":
            empty: dict[str, Any] = {}
            if v.empty_dir_volume_medium:
                empty["medium"] = v.empty_dir_volume_medium
            if v.empty_dir_volume_size_limit:
                empty["sizeLimit"] = v.empty_dir_volume_size_limit
            volumes.append({"name": v.name, "emptyDir": empty})
        elif v.type == "NFSVolume":
            nfs: dict[str, Any] = {"server": v.nfs_volume_server, "path": v.nfs_volume_path}
            if v.nfs_volume_read_only:
                nfs["readOnly"] = True
            volumes.append({"name": v.name, "nfs": nfs})
        elif v.type == "ConfigFileVolume":
            config_map = f"{name}-{v.name}"[:253]
            items = [
                {"key": config_map_key(f.path), "path": f.path}
                for f in v.config_file_volume_config_file_to_paths
            ]
            files[config_map] = {
                config_map_key(f.path): _decoded(f.content) for f in v.config_file_volume_config_file_to_paths
            }
            volumes.append({"name": v.name, "configMap": {"name": config_map, "items": items}})
            keys = ", ".join(i["key"] for i in items)
            notes.append(
                f"volume {v.name}: create ConfigMap {config_map} (or a Secret, with the volume's configMap "
                f"changed to secret) holding the files' contents under the keys {keys}; the contents are "
                "not copied here"
            )
        else:
            notes.append(f"volume {v.name}: a {v.type} cannot be written in the spec; left out")
    if volumes:
        spec["volumes"] = volumes
    notes.append(
        "registry credentials: ECI does not report them; if the instance pulls from a private registry, "
        "add imagePullSecrets naming a kubernetes.io/dockerconfigjson Secret (applied in place, no restart)"
    )
    manifest = {
        "apiVersion": "eci.operator.dev/v1alpha1",
        "kind": "ContainerGroup",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    return Exported(manifest, notes, files)
