"""Cross-field rules of CreateContainerGroup and UpdateContainerGroup, with the documented codes.

Type, enum and length checks happen while parsing (``schema``); here are the rules that look at
more than one parameter: required members, unique names, probes, lifecycle hooks, env vars,
capabilities, volume references, config-file sizes, tags, credentials, sysctls, host aliases and
the instance spec.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from typing import Any

from eci_operator.eci.models import DESCRIBE_MAX_IDS, sysctl_kind

from .errors import ApiError, invalid, length_exceeded, missing, value_exceeded

# The Content parameter (base64) of one config file: 32 KB (the UpdateContainerGroup document);
# all files of a volume: 60 KB (the ConfigFile volume guide).
CONFIG_FILE_MAX_CONTENT = 32 * 1024
CONFIG_VOLUME_MAX_CONTENT = 60 * 1024
_HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GROUP_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,126}[a-z0-9])?$")
_CONTAINER_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
CAPABILITIES = ("NET_ADMIN", "NET_RAW")
FIELD_PATHS = ("status.podIP",)


def require(value: Any, field: str) -> None:
    if value is None or value == "":
        raise missing(field)


def client_token(token: str | None) -> None:
    if token is None:
        return
    if len(token) > 64:
        raise invalid("ClientToken", f"{len(token)} characters, at most 64 allowed")
    if not token.isascii():
        raise invalid("ClientToken", "only ASCII characters are allowed")


def container_group_ids(raw: str | None) -> list[str] | None:
    """``ContainerGroupIds`` of the Describe actions: a JSON array of at most 20 IDs (None: absent)."""
    if raw is None or raw == "":
        return None
    try:
        ids = json.loads(raw)
    except ValueError:
        raise invalid("ContainerGroupIds", 'must be a JSON array of IDs, e.g. ["eci-a","eci-b"]') from None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise invalid("ContainerGroupIds", 'must be a JSON array of IDs, e.g. ["eci-a","eci-b"]')
    if len(ids) > DESCRIBE_MAX_IDS:
        raise length_exceeded("ContainerGroupIds", f"{len(ids)} IDs, at most {DESCRIBE_MAX_IDS} allowed")
    return ids


def group_name(name: str | None) -> None:
    require(name, "ContainerGroupName")
    assert name is not None
    if len(name) < 2 or not _GROUP_NAME.match(name):
        raise invalid(
            "ContainerGroupName",
            f"{name!r}: 2-128 lowercase letters, digits and '-', not starting or ending with '-'",
        )


def _probe(probe: dict[str, Any], path: str, liveness: bool) -> None:
    handlers = [h for h in ("HttpGet", "TcpSocket", "Exec") if probe.get(h)]
    if len(handlers) != 1:
        raise invalid(path, f"exactly one of HttpGet, TcpSocket, Exec is required, got {len(handlers)}")
    if "HttpGet" in handlers:
        require(probe["HttpGet"].get("Port"), f"{path}.HttpGet.Port")
    if "TcpSocket" in handlers:
        require(probe["TcpSocket"].get("Port"), f"{path}.TcpSocket.Port")
    if "Exec" in handlers and not probe["Exec"].get("Command"):
        raise missing(f"{path}.Exec.Command")
    if liveness and probe.get("SuccessThreshold", 1) != 1:
        raise invalid(f"{path}.SuccessThreshold", "must be 1 for a liveness probe")


def _container(c: dict[str, Any], path: str) -> None:
    require(c.get("Name"), f"{path}.Name")
    require(c.get("Image"), f"{path}.Image")
    if not _CONTAINER_NAME.match(c["Name"]):
        raise invalid(f"{path}.Name", f"{c['Name']!r}: lowercase letters, digits and '-', at most 63")
    for i, env in enumerate(c.get("EnvironmentVar", []), 1):
        epath = f"{path}.EnvironmentVar.{i}"
        require(env.get("Key"), f"{epath}.Key")
        if not _ENV_KEY.match(env["Key"]):
            raise invalid(
                f"{epath}.Key", f"{env['Key']!r}: letters, digits and '_', not starting with a digit"
            )
        field_ref = env.get("FieldRef")
        if field_ref is not None:
            if field_ref.get("FieldPath") not in FIELD_PATHS:
                raise invalid(
                    f"{epath}.FieldRef.FieldPath",
                    f"{field_ref.get('FieldPath')!r}: only status.podIP is supported",
                )
            if env.get("Value"):
                raise invalid(f"{epath}.Value", "a variable takes either Value or FieldRef, not both")
    for i, port in enumerate(c.get("Port", []), 1):
        require(port.get("Port"), f"{path}.Port.{i}.Port")
    for i, mount in enumerate(c.get("VolumeMount", []), 1):
        require(mount.get("Name"), f"{path}.VolumeMount.{i}.Name")
        require(mount.get("MountPath"), f"{path}.VolumeMount.{i}.MountPath")
    security = c.get("SecurityContext", {})
    for i, cap in enumerate(security.get("Capability", {}).get("Add", []), 1):
        if cap not in CAPABILITIES:
            raise invalid(
                f"{path}.SecurityContext.Capability.Add.{i}",
                f"{cap!r}: only NET_ADMIN and NET_RAW are supported",
            )
    if security.get("ReadOnlyRootFilesystem") is False:
        raise invalid(f"{path}.SecurityContext.ReadOnlyRootFilesystem", "only true is supported")
    for name in ("LivenessProbe", "ReadinessProbe"):
        if name in c:
            _probe(c[name], f"{path}.{name}", liveness=name == "LivenessProbe")
    for hook in ("PostStart", "PreStop"):
        _hook(c, f"{path}.Lifecycle{hook}Handler")


def _hook(c: dict[str, Any], prefix: str) -> None:
    """One lifecycle hook: Exec, the HttpGet members or the TcpSocket members, not two of them."""
    start = prefix.rsplit(".", 1)[-1]
    members = {k.removeprefix(start) for k in c if k.startswith(start)}
    kinds = {m for m in ("Exec", "HttpGet", "TcpSocket") if any(x.startswith(m) for x in members)}
    if len(kinds) > 1:
        raise invalid(prefix, f"a hook takes one of Exec, HttpGet, TcpSocket, got {', '.join(sorted(kinds))}")
    if "HttpGet" in kinds and "HttpGetPort" not in members:
        raise missing(f"{prefix}HttpGetPort")
    if "TcpSocket" in kinds and "TcpSocketPort" not in members:
        raise missing(f"{prefix}TcpSocketPort")
    for key in ("HttpGetHttpHeader", "HttpGetHttpHeaders"):
        for i, header in enumerate(c.get(start + key, []), 1):
            require(header.get("Name"), f"{prefix}{key}.{i}.Name")


def containers(items: list[dict[str, Any]], init_items: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for prefix, group in (("Container", items), ("InitContainer", init_items)):
        for i, c in enumerate(group, 1):
            _container(c, f"{prefix}.{i}")
            if c["Name"] in seen:
                raise ApiError(
                    "InvalidParameter.DuplicatedName",
                    "The container group include containers with duplicate names: "
                    f"{prefix}.{i}.Name {c['Name']!r}.",
                )
            seen.add(c["Name"])


_VOLUME_MEMBERS = (
    "NFSVolume",
    "ConfigFileVolume",
    "EmptyDirVolume",
    "FlexVolume",
    "DiskVolume",
    "HostPathVolume",
)


def volumes(items: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for i, v in enumerate(items, 1):
        path = f"Volume.{i}"
        require(v.get("Name"), f"{path}.Name")
        require(v.get("Type"), f"{path}.Type")
        if v["Name"] in seen:
            raise ApiError(
                "InvalidParameter.DuplicatedVolumeName",
                f"The container group includes volumes with duplicate names: {path}.Name {v['Name']!r}.",
            )
        seen.add(v["Name"])
        kind = v["Type"]
        for member in _VOLUME_MEMBERS:
            if member in v and member != kind:
                raise invalid(f"{path}.{member}", f"does not match Type {kind}")
        if kind == "HostPathVolume":
            raise invalid(f"{path}.Type", "HostPathVolume is not open for use")
        if kind == "NFSVolume":
            require(v.get("NFSVolume", {}).get("Server"), f"{path}.NFSVolume.Server")
            require(v.get("NFSVolume", {}).get("Path"), f"{path}.NFSVolume.Path")
        if kind == "FlexVolume":
            require(v.get("FlexVolume", {}).get("Driver"), f"{path}.FlexVolume.Driver")
        if kind == "DiskVolume":
            require(v.get("DiskVolume", {}).get("DiskId"), f"{path}.DiskVolume.DiskId")
        if kind == "ConfigFileVolume":
            _config_files(v.get("ConfigFileVolume", {}).get("ConfigFileToPath", []), path)


def _config_files(files: list[dict[str, Any]], path: str) -> None:
    if not files:
        raise missing(f"{path}.ConfigFileVolume.ConfigFileToPath")
    total = 0
    for j, item in enumerate(files, 1):
        fpath = f"{path}.ConfigFileVolume.ConfigFileToPath.{j}"
        require(item.get("Path"), f"{fpath}.Path")
        content = item.get("Content", "")
        try:
            base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"{fpath}.Content", "not valid base64") from None
        if len(content) > CONFIG_FILE_MAX_CONTENT:
            raise value_exceeded(f"{fpath}.Content", f"{len(content)} characters, at most 32 KB allowed")
        total += len(content)
    if total > CONFIG_VOLUME_MAX_CONTENT:
        raise value_exceeded(
            f"{path}.ConfigFileVolume.ConfigFileToPath", f"{total} characters in all, at most 60 KB allowed"
        )


def mounts(items: list[dict[str, Any]], init_items: list[dict[str, Any]], volume_names: set[str]) -> None:
    for prefix, group in (("Container", items), ("InitContainer", init_items)):
        for i, c in enumerate(group, 1):
            for j, mount in enumerate(c.get("VolumeMount", []), 1):
                if mount["Name"] not in volume_names:
                    raise invalid(
                        f"{prefix}.{i}.VolumeMount.{j}.Name",
                        f"{mount['Name']!r} names no volume of the container group",
                    )


def tags(items: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for i, tag in enumerate(items, 1):
        key = tag.get("Key")
        require(key, f"Tag.{i}.Key")
        assert isinstance(key, str)
        if key.startswith(("acs:", "aliyun")) or "http://" in key or "https://" in key:
            raise invalid(
                f"Tag.{i}.Key", f"{key!r}: must not start with 'acs:' or 'aliyun' or contain http(s)://"
            )
        if key in seen:
            raise invalid(f"Tag.{i}.Key", f"duplicate tag key {key!r}")
        seen.add(key)


def dns_config(dns: dict[str, Any]) -> None:
    for i, option in enumerate(dns.get("Option", []), 1):
        require(option.get("Name"), f"DnsConfig.Option.{i}.Name")


def credentials(items: list[dict[str, Any]]) -> None:
    for i, cred in enumerate(items, 1):
        for member in ("Server", "UserName", "Password"):
            require(cred.get(member), f"ImageRegistryCredential.{i}.{member}")
        if "://" in cred["Server"]:
            raise invalid(
                f"ImageRegistryCredential.{i}.Server", "give the registry address without http:// or https://"
            )


def vswitches(value: str | None) -> None:
    if value and len(value.split(",")) > 10:
        raise ApiError(
            "InvalidParameter.LengthExceeded", "The parameter VSwitchId lists more than 10 vSwitches."
        )


def sysctls(params: dict[str, Any]) -> None:
    """Safe sysctls in SecurityContext, the others ECI lists in HostSecurityContext."""
    for group, wanted in (("SecurityContext", "safe"), ("HostSecurityContext", "host")):
        for i, sysctl in enumerate(params.get(group, {}).get("Sysctl", []), 1):
            name = sysctl.get("Name")
            require(name, f"{group}.Sysctl.{i}.Name")
            require(sysctl.get("Value"), f"{group}.Sysctl.{i}.Value")
            if sysctl_kind(name) != wanted:
                raise invalid(f"{group}.Sysctl.{i}.Name", f"{name!r} cannot be set through {group}")


def host_aliases(items: list[dict[str, Any]]) -> None:
    for i, alias in enumerate(items, 1):
        require(alias.get("Ip"), f"HostAliase.{i}.Ip")
        try:
            ipaddress.ip_address(alias["Ip"])
        except ValueError:
            raise invalid(f"HostAliase.{i}.Ip", f"{alias['Ip']!r} is not an IP address") from None
        if not alias.get("Hostname"):
            raise missing(f"HostAliase.{i}.Hostname.N")


def host_name(value: str | None) -> None:
    if value is not None and not _HOST_NAME.match(value):
        raise invalid("HostName", f"{value!r}: lowercase letters, digits and '-', at most 63")
