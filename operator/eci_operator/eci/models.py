"""Typed models of ECI requests and of the DescribeContainerGroups answer.

Request models mirror the RPC parameter tree: field aliases are the ECI names (PascalCase, list
groups singular: ``Container``, ``VolumeMount``, ``Tag``), Python names are snake_case (plural for
lists). Build them by either name (``populate_by_name``); ``eci.flatten.flatten`` turns a model into
``Container.1.VolumeMount.2.MountPath``-style parameters. ``None`` means "not sent": in
``UpdateContainerGroupRequest`` an unset group is left as it is by the service.

Request models reject unknown fields and enforce the documented hard limits (list lengths, port
range, ClientToken, names) so a bad request fails here, naming the field, before it costs an API
call. Response models use the service's own names (plural, flattened: ``Containers[].Commands``,
``Volumes[].NFSVolumeServer``) and ignore keys they do not know.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_pascal

API_VERSION = "2018-08-08"

RestartPolicy = Literal["Always", "Never", "OnFailure"]
ImagePullPolicy = Literal["Always", "IfNotPresent", "Never"]
Protocol = Literal["TCP", "UDP"]
MountPropagation = Literal["None", "HostToContainer", "Bidirectional"]
Scheme = Literal["HTTP", "HTTPS"]
VolumeType = Literal[
    "EmptyDirVolume", "NFSVolume", "ConfigFileVolume", "FlexVolume", "DiskVolume", "HostPathVolume"
]
UpdateType = Literal["RenewUpdate", "IncrementalUpdate"]
Status = Literal[
    "Scheduling",
    "ScheduleFailed",
    "Pending",
    "Running",
    "Succeeded",
    "Failed",
    "Restarting",
    "Updating",
    "Terminating",
    "Expired",
]

# Phases, by what the operator may do in them (every status ECI reports is in exactly one of the
# last four; the state machine is in eci-api.md §3).
UPDATABLE: frozenset[str] = frozenset({"Pending", "Running"})
"""UpdateContainerGroup and RestartContainerGroup accept only these."""
SETTLED_OK: frozenset[str] = frozenset({"Running", "Succeeded"})
"""The instance is where the spec wants it."""
BUSY: frozenset[str] = frozenset({"Scheduling", "Updating", "Restarting", "Terminating"})
"""ECI is moving the instance; a write now is refused with IncorrectStatus."""
TRANSITIONAL: frozenset[str] = BUSY | {"Pending"}
"""Worth polling: the phase changes on its own soon."""
FAILED: frozenset[str] = frozenset({"Failed", "ScheduleFailed", "Expired"})
"""Final and not what the spec wants; only a new instance helps."""

GROUP_ID = re.compile(r"^eci-[A-Za-z0-9]{1,60}$")
"""What an instance ID looks like (IDs from status or from a server are checked against it)."""

DESCRIBE_MAX_IDS = 20
"""DescribeContainerGroups takes at most 20 IDs (and returns at most 20 groups) per call."""

FEED_MAX_LIMIT = 200
"""The change feeds (DescribeContainerGroupStatus/Events) list at most this many instances per page.
ECI documents 200 as the default ``Limit`` and publishes no maximum; 200 is assumed to be both."""

PortNumber = Annotated[int, Field(ge=1, le=65535)]
CommandItem = Annotated[str, StringConstraints(max_length=256)]
ClientToken = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x20-\x7e]+$")]
EnvKey = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
TagValue = Annotated[str, StringConstraints(max_length=128)]
GroupName = Annotated[
    str, StringConstraints(min_length=2, max_length=128, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
]
Capability = Literal["NET_ADMIN", "NET_RAW"]


class RequestModel(BaseModel):
    """Base of request parts: PascalCase aliases, unknown fields rejected.

    Validation errors name the field and the rule but never echo the input (it may be a secret);
    env values, config-file contents and registry passwords are left out of ``repr``.
    """

    model_config = ConfigDict(
        alias_generator=to_pascal, populate_by_name=True, extra="forbid", hide_input_in_errors=True
    )


class ResponseModel(BaseModel):
    """Base of response parts: the service's names, unknown keys ignored."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="ignore")


# --- request parts ------------------------------------------------------------------------------


class Tag(RequestModel):
    """``Tag.N.{Key,Value}``: no ``acs:``/``aliyun`` prefix, no ``http(s)://`` in keys or values."""

    key: TagKey
    value: TagValue = ""

    @field_validator("key", "value")
    @classmethod
    def _no_reserved(cls, v: str) -> str:
        low = v.lower()
        if low.startswith(("acs:", "aliyun")) and v:
            raise ValueError("must not start with 'acs:' or 'aliyun' (reserved for the system)")
        if "http://" in low or "https://" in low:
            raise ValueError("must not contain 'http://' or 'https://'")
        return v


class FieldRef(RequestModel):
    """``EnvironmentVar.N.FieldRef``: only ``status.podIP`` is supported."""

    field_path: Literal["status.podIP"]


class EnvironmentVar(RequestModel):
    """``EnvironmentVar.N``: a literal ``value`` or a ``field_ref``."""

    key: EnvKey
    value: Annotated[str, StringConstraints(max_length=256)] | None = Field(None, repr=False)
    field_ref: FieldRef | None = None


class Port(RequestModel):
    """``Port.N.{Port,Protocol}``."""

    port: PortNumber
    protocol: Protocol | None = None


class VolumeMount(RequestModel):
    """``VolumeMount.N``: ``name`` must be the name of a ``Volume``."""

    name: str = Field(min_length=1)
    mount_path: str = Field(min_length=1)
    sub_path: str | None = None
    read_only: bool | None = None
    mount_propagation: MountPropagation | None = None


class ExecAction(RequestModel):
    """``...Probe.Exec.Command.N``."""

    commands: list[str] = Field(alias="Command", min_length=1)


class HttpGetAction(RequestModel):
    """``...Probe.HttpGet.{Path,Port,Scheme}``."""

    path: str | None = None
    port: PortNumber
    scheme: Scheme | None = None


class TcpSocketAction(RequestModel):
    """``...Probe.TcpSocket.Port``."""

    port: PortNumber


class Probe(RequestModel):
    """``LivenessProbe`` / ``ReadinessProbe``: exactly one of ``exec``, ``http_get``, ``tcp_socket``."""

    exec: ExecAction | None = None
    http_get: HttpGetAction | None = None
    tcp_socket: TcpSocketAction | None = None
    initial_delay_seconds: int | None = Field(None, ge=0)
    period_seconds: int | None = Field(None, ge=1)
    timeout_seconds: int | None = Field(None, ge=1)
    success_threshold: int | None = Field(None, ge=1)
    failure_threshold: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_handler(self) -> Probe:
        handlers = [h for h in (self.exec, self.http_get, self.tcp_socket) if h is not None]
        if len(handlers) != 1:
            raise ValueError("a probe needs exactly one of Exec, HttpGet, TcpSocket")
        return self


class CapabilitySet(RequestModel):
    """``SecurityContext.Capability.Add.N``."""

    adds: list[Capability] = Field(alias="Add")


class SecurityContext(RequestModel):
    """``Container.N.SecurityContext``: ReadOnlyRootFilesystem only supports ``true``."""

    capability: CapabilitySet | None = None
    read_only_root_filesystem: Literal[True] | None = None
    run_as_user: int | None = None


class HttpHeader(RequestModel):
    """``Lifecycle...HttpGetHttpHeader.N.{Name,Value}``."""

    name: str = Field(min_length=1)
    value: str = ""


class _ContainerBase(RequestModel):
    name: str = Field(min_length=1, max_length=128)
    image: str = Field(min_length=1)
    cpu: float | None = Field(None, ge=0)
    memory: float | None = Field(None, ge=0)
    gpu: int | None = Field(None, ge=0)
    working_dir: str | None = None
    image_pull_policy: ImagePullPolicy | None = None
    commands: list[CommandItem] | None = Field(None, alias="Command", max_length=20)
    args: list[str] | None = Field(None, alias="Arg", max_length=10)
    environment_vars: list[EnvironmentVar] | None = Field(None, alias="EnvironmentVar")
    ports: list[Port] | None = Field(None, alias="Port")
    volume_mounts: list[VolumeMount] | None = Field(None, alias="VolumeMount")
    security_context: SecurityContext | None = None
    stdin: bool | None = None
    stdin_once: bool | None = None
    tty: bool | None = None


# Container fields that CreateContainerGroup accepts but UpdateContainerGroup does not.
CREATE_ONLY_CONTAINER_FIELDS = (
    "environment_var_hide",
    "termination_message_path",
    "termination_message_policy",
    "security_context_privileged",
    "security_context_run_as_group",
    "security_context_run_as_non_root",
)
# Init-container fields that UpdateContainerGroup accepts but CreateContainerGroup does not.
UPDATE_ONLY_INIT_CONTAINER_FIELDS = ("stdin", "stdin_once", "tty")
TerminationMessagePolicy = Literal["File", "FallbackToLogsOnError"]
# Create spells the post-start header list ``...HttpHeader``, Update ``...HttpHeaders``.
POST_START_HEADERS = "LifecyclePostStartHandlerHttpGetHttpHeader"
POST_START_HEADERS_UPDATE = "LifecyclePostStartHandlerHttpGetHttpHeaders"


class Container(_ContainerBase):
    """``Container.N``; the fields in ``CREATE_ONLY_CONTAINER_FIELDS`` are for Create only.

    Each lifecycle hook (``PostStart``, ``PreStop``) takes one handler: ``...HandlerExec``, the
    ``...HandlerHttpGet*`` members, or the ``...HandlerTcpSocket*`` members.
    """

    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    lifecycle_post_start_handler_execs: list[CommandItem] | None = Field(
        None, alias="LifecyclePostStartHandlerExec", max_length=20
    )
    lifecycle_post_start_handler_http_get_host: str | None = None
    lifecycle_post_start_handler_http_get_path: str | None = None
    lifecycle_post_start_handler_http_get_port: PortNumber | None = None
    lifecycle_post_start_handler_http_get_scheme: Scheme | None = None
    lifecycle_post_start_handler_http_get_http_headers: list[HttpHeader] | None = Field(
        None, alias=POST_START_HEADERS
    )
    lifecycle_post_start_handler_tcp_socket_host: str | None = None
    lifecycle_post_start_handler_tcp_socket_port: PortNumber | None = None
    lifecycle_pre_stop_handler_execs: list[CommandItem] | None = Field(
        None, alias="LifecyclePreStopHandlerExec", max_length=20
    )
    lifecycle_pre_stop_handler_http_get_host: str | None = None
    lifecycle_pre_stop_handler_http_get_path: str | None = None
    lifecycle_pre_stop_handler_http_get_port: PortNumber | None = None
    lifecycle_pre_stop_handler_http_get_scheme: Scheme | None = None
    lifecycle_pre_stop_handler_http_get_http_headers: list[HttpHeader] | None = Field(
        None, alias="LifecyclePreStopHandlerHttpGetHttpHeader"
    )
    lifecycle_pre_stop_handler_tcp_socket_host: str | None = None
    lifecycle_pre_stop_handler_tcp_socket_port: PortNumber | None = None
    environment_var_hide: bool | None = None
    termination_message_path: str | None = None
    termination_message_policy: TerminationMessagePolicy | None = None
    security_context_privileged: bool | None = None
    security_context_run_as_group: int | None = Field(None, ge=0)
    security_context_run_as_non_root: bool | None = None


class InitContainer(_ContainerBase):
    """``InitContainer.N``: like a container, without probes or lifecycle hooks. Stdin/StdinOnce/Tty
    are for Update only, TerminationMessagePath/Policy for Create only."""

    termination_message_path: str | None = None
    termination_message_policy: TerminationMessagePolicy | None = None


class NFSVolume(RequestModel):
    """``Volume.N.NFSVolume.{Server,Path,ReadOnly}``."""

    server: str = Field(min_length=1)
    path: str = Field(min_length=1)
    read_only: bool | None = None


# ECI's limits for config files, on the Content parameter as sent (base64): 32 KB per file (the
# UpdateContainerGroup document), 60 KB per volume (the ConfigFile volume guide), 15 files per volume.
CONFIG_FILE_MAX_CONTENT = 32 * 1024
CONFIG_VOLUME_MAX_CONTENT = 60 * 1024
CONFIG_VOLUME_MAX_FILES = 15
FileMode = Annotated[int, Field(ge=0, le=0o777)]


def octal_mode(mode: int | None) -> str | None:
    """ECI takes file modes as four octal digits (``0644``), not as the decimal Kubernetes uses."""
    return None if mode is None else f"{mode:04o}"


class ConfigFileToPath(RequestModel):
    """``ConfigFileToPath.N``: ``content`` is base64, at most 32 KB; ``mode`` is Create-only."""

    path: str = Field(min_length=1)
    content: str = Field(max_length=CONFIG_FILE_MAX_CONTENT, repr=False)
    mode: FileMode | None = None

    @field_serializer("mode")
    def _octal(self, mode: int | None) -> str | None:
        return octal_mode(mode)


class ConfigFileVolume(RequestModel):
    """``Volume.N.ConfigFileVolume``: at most 15 files and 60 KB of contents; ``default_mode`` is
    Create-only."""

    config_file_to_paths: list[ConfigFileToPath] = Field(
        alias="ConfigFileToPath", min_length=1, max_length=CONFIG_VOLUME_MAX_FILES
    )
    default_mode: FileMode | None = None

    @field_serializer("default_mode")
    def _octal(self, mode: int | None) -> str | None:
        return octal_mode(mode)

    @model_validator(mode="after")
    def _total(self) -> ConfigFileVolume:
        total = sum(len(f.content) for f in self.config_file_to_paths)
        if total > CONFIG_VOLUME_MAX_CONTENT:
            raise ValueError(f"the files hold {total} characters of base64, at most 61440 (60 KB) allowed")
        return self

    @property
    def has_modes(self) -> bool:
        return self.default_mode is not None or any(f.mode is not None for f in self.config_file_to_paths)


class EmptyDirVolume(RequestModel):
    """``Volume.N.EmptyDirVolume``: ``medium`` "" (node disk), ``Memory`` or ``LocalRaid0``."""

    medium: Literal["", "Memory", "LocalRaid0"] | None = None
    size_limit: str | None = None


class FlexVolume(RequestModel):
    """``Volume.N.FlexVolume``; ``options`` is a JSON string."""

    driver: str
    fs_type: str | None = None
    options: str | None = None


class DiskVolume(RequestModel):
    """``Volume.N.DiskVolume`` (Create only)."""

    disk_id: str
    disk_size: int | None = None
    fs_type: str | None = None


class HostPathVolume(RequestModel):
    """``Volume.N.HostPathVolume``."""

    path: str
    type: Literal["Directory", "File"] | None = None


_VOLUME_PART = {
    "EmptyDirVolume": "empty_dir_volume",
    "NFSVolume": "nfs_volume",
    "ConfigFileVolume": "config_file_volume",
    "FlexVolume": "flex_volume",
    "DiskVolume": "disk_volume",
    "HostPathVolume": "host_path_volume",
}


class Volume(RequestModel):
    """``Volume.N``: ``type`` names the one sub-structure that may be set."""

    name: str = Field(min_length=1)
    type: VolumeType
    empty_dir_volume: EmptyDirVolume | None = None
    nfs_volume: NFSVolume | None = Field(None, alias="NFSVolume")
    config_file_volume: ConfigFileVolume | None = None
    flex_volume: FlexVolume | None = None
    disk_volume: DiskVolume | None = None
    host_path_volume: HostPathVolume | None = None

    @model_validator(mode="after")
    def _matches_type(self) -> Volume:
        wanted = _VOLUME_PART[self.type]
        for part in _VOLUME_PART.values():
            if part != wanted and getattr(self, part) is not None:
                raise ValueError(f"volume {self.name!r} of Type {self.type} must not set {part}")
        if self.type in ("NFSVolume", "ConfigFileVolume", "FlexVolume", "DiskVolume", "HostPathVolume") and (
            getattr(self, wanted) is None
        ):
            raise ValueError(f"volume {self.name!r} of Type {self.type} needs {wanted}")
        return self


class DnsOption(RequestModel):
    """``DnsConfig.Option.N.{Name,Value}``."""

    name: str
    value: str | None = None


class DnsConfig(RequestModel):
    """``DnsConfig``: sent whole (the service replaces the struct)."""

    name_servers: list[str] | None = Field(None, alias="NameServer")
    searches: list[str] | None = Field(None, alias="Search")
    options: list[DnsOption] | None = Field(None, alias="Option")


class ImageRegistryCredential(RequestModel):
    """``ImageRegistryCredential.N``: ``server`` without scheme. ``password`` is a secret."""

    server: str = Field(min_length=1)
    user_name: str
    password: str = Field(repr=False)

    @field_validator("server")
    @classmethod
    def _no_scheme(cls, v: str) -> str:
        if v.lower().startswith(("http://", "https://")):
            raise ValueError("registry server must not start with http:// or https://")
        return v


class AcrRegistryInfo(RequestModel):
    """``AcrRegistryInfo.N`` (ACR Enterprise Edition instances)."""

    instance_id: str
    instance_name: str | None = None
    region_id: str | None = None
    domains: list[str] | None = Field(None, alias="Domain")


class HostAlias(RequestModel):
    """``HostAliase.N`` (sic)."""

    ip: str
    hostnames: list[str] = Field(alias="Hostname")


# ECI's sysctl lists (the "Configure a security context" guide): the safe ones go in
# SecurityContext.Sysctl, the others it allows in HostSecurityContext.Sysctl.
SAFE_SYSCTLS = frozenset({"net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"})
_HOST_SYSCTL_PREFIXES = ("kernel.shm", "kernel.msg", "fs.mqueue.", "net.")
_NOT_HOST_SYSCTLS = frozenset(
    {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", *SAFE_SYSCTLS}
)


def sysctl_kind(name: str) -> Literal["safe", "host"] | None:
    """Where ECI takes the sysctl ``name``: ``safe``, ``host``, or None when it takes it nowhere."""
    if name in SAFE_SYSCTLS:
        return "safe"
    if name in _NOT_HOST_SYSCTLS:
        return None
    if name.startswith(_HOST_SYSCTL_PREFIXES) or name in ("kernel.sem", "vm.min_free_kbytes"):
        return "host"
    return None


class Sysctl(RequestModel):
    """``SecurityContext.Sysctl.N`` / ``HostSecurityContext.Sysctl.N`` at instance level."""

    name: str = Field(min_length=1)
    value: str


class GroupSecurityContext(RequestModel):
    """Instance-level ``SecurityContext`` (safe sysctls) or ``HostSecurityContext`` (unsafe ones)."""

    sysctls: list[Sysctl] = Field(alias="Sysctl", min_length=1, max_length=20)


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ValueError(f"duplicate {what} name {n!r}")
        seen.add(n)


class _GroupParts(RequestModel):
    """Groups shared by Create and Update."""

    region_id: str = Field(min_length=1)
    restart_policy: RestartPolicy | None = None
    cpu: float | None = Field(None, gt=0)
    memory: float | None = Field(None, gt=0)
    resource_group_id: str | None = None
    client_token: ClientToken | None = None
    tags: list[Tag] | None = Field(None, alias="Tag", max_length=20)
    volumes: list[Volume] | None = Field(None, alias="Volume", max_length=20)
    dns_config: DnsConfig | None = None
    image_registry_credentials: list[ImageRegistryCredential] | None = Field(
        None, alias="ImageRegistryCredential", max_length=20
    )
    acr_registry_infos: list[AcrRegistryInfo] | None = Field(None, alias="AcrRegistryInfo")
    init_containers: list[InitContainer] | None = Field(None, alias="InitContainer", max_length=20)

    def _check_names(self, containers: list[Container] | None) -> None:
        all_containers = [c.name for c in containers or []] + [c.name for c in self.init_containers or []]
        _unique(all_containers, "container")
        _unique([v.name for v in self.volumes or []], "volume")
        if self.tags:
            _unique([t.key for t in self.tags], "tag")


class CreateContainerGroupRequest(_GroupParts):
    """CreateContainerGroup."""

    container_group_name: GroupName
    containers: list[Container] = Field(alias="Container", min_length=1, max_length=20)
    zone_id: str | None = None
    security_group_id: str | None = None
    v_switch_id: str | None = None
    instance_type: str | None = None
    dns_policy: Literal["None", "Default"] | None = None
    host_aliases: list[HostAlias] | None = Field(None, alias="HostAliase", max_length=20)
    security_context: GroupSecurityContext | None = None
    host_security_context: GroupSecurityContext | None = None
    termination_grace_period_seconds: int | None = Field(None, ge=0)
    active_deadline_seconds: int | None = Field(None, ge=1)
    ephemeral_storage: int | None = Field(None, ge=1)
    host_name: str | None = Field(None, min_length=1, max_length=63)
    share_process_namespace: bool | None = None
    cpu_architecture: Literal["AMD64", "ARM64"] | None = None
    os_type: Literal["Linux", "Windows"] | None = None
    ram_role_name: str | None = None
    spot_strategy: Literal["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"] | None = None
    spot_price_limit: float | None = None
    auto_create_eip: bool | None = None
    eip_bandwidth: int | None = None
    eip_instance_id: str | None = None
    auto_match_image_cache: bool | None = None
    image_snapshot_id: str | None = None
    dry_run: bool | None = None

    @model_validator(mode="after")
    def _names(self) -> CreateContainerGroupRequest:
        self._check_names(self.containers)
        for i, c in enumerate(self.init_containers or []):
            for f in UPDATE_ONLY_INIT_CONTAINER_FIELDS:
                if getattr(c, f) is not None:
                    raise ValueError(
                        f"InitContainer.{i + 1}.{InitContainer.model_fields[f].alias}: "
                        "UpdateContainerGroup only; CreateContainerGroup does not accept it"
                    )
        return self


class UpdateContainerGroupRequest(_GroupParts):
    """UpdateContainerGroup: every group optional; an unset group is not sent.

    Each group that is sent must be complete (the service replaces lists and structs whole).
    Create-only container fields are rejected.
    """

    container_group_id: str = Field(min_length=1)
    update_type: UpdateType | None = None
    containers: list[Container] | None = Field(None, alias="Container", max_length=20)

    @model_validator(mode="after")
    def _checks(self) -> UpdateContainerGroupRequest:
        self._check_names(self.containers)
        for i, v in enumerate(self.volumes or []):
            where = f"Volume.{i + 1}"
            if v.type == "DiskVolume":
                raise ValueError(f"{where}.Type: DiskVolume is CreateContainerGroup only")
            cfg = v.config_file_volume
            if cfg is not None and (
                cfg.default_mode is not None or any(p.mode is not None for p in cfg.config_file_to_paths)
            ):
                raise ValueError(f"{where}.ConfigFileVolume: Mode/DefaultMode are CreateContainerGroup only")
        for prefix, items in (
            ("Container", self.containers or []),
            ("InitContainer", self.init_containers or []),
        ):
            for i, c in enumerate(items):
                for f in CREATE_ONLY_CONTAINER_FIELDS:
                    if getattr(c, f, None) is not None:
                        raise ValueError(
                            f"{prefix}.{i + 1}.{type(c).model_fields[f].alias}: "
                            "CreateContainerGroup only; UpdateContainerGroup does not accept it"
                        )
        return self

    @field_serializer("containers")
    def _update_names(self, containers: list[Container] | None) -> list[dict[str, Any]] | None:
        # One model serves both actions; Update spells the post-start header list in the plural.
        if containers is None:
            return None
        out = []
        for c in containers:
            data = c.model_dump(mode="python", by_alias=True, exclude_none=True)
            if POST_START_HEADERS in data:
                data[POST_START_HEADERS_UPDATE] = data.pop(POST_START_HEADERS)
            out.append(data)
        return out


class TagFilter(RequestModel):
    """``Tag.N`` filter of DescribeContainerGroups."""

    key: str
    value: str | None = None


class DescribeContainerGroupsRequest(RequestModel):
    """DescribeContainerGroups; ``container_group_ids`` goes out as a JSON array string."""

    region_id: str = Field(min_length=1)
    container_group_ids: list[str] | None = Field(None, max_length=DESCRIBE_MAX_IDS)
    container_group_name: str | None = None
    status: Status | None = None
    tags: list[TagFilter] | None = Field(None, alias="Tag", max_length=20)
    limit: int | None = Field(None, ge=1, le=DESCRIBE_MAX_IDS)
    next_token: str | None = None
    zone_id: str | None = None
    v_switch_id: str | None = None
    security_group_id: str | None = None
    resource_group_id: str | None = None
    with_event: bool | None = None

    @field_serializer("container_group_ids")
    def _json_array(self, ids: list[str] | None) -> str | None:
        return None if ids is None else json.dumps(ids, separators=(",", ":"))


class DeleteContainerGroupRequest(RequestModel):
    """DeleteContainerGroup."""

    region_id: str = Field(min_length=1)
    container_group_id: str = Field(min_length=1)
    client_token: ClientToken | None = None


class RestartContainerGroupRequest(RequestModel):
    """RestartContainerGroup."""

    region_id: str = Field(min_length=1)
    container_group_id: str = Field(min_length=1)
    client_token: ClientToken | None = None


class DescribeContainerLogRequest(RequestModel):
    """DescribeContainerLog: one container's log, newest ``tail`` lines (at most 2000, 1 MiB).

    ``last_time`` reads the previous container's log (after a restart), as ``kubectl logs -p``.
    """

    region_id: str = Field(min_length=1)
    container_group_id: str = Field(min_length=1)
    container_name: str = Field(min_length=1)
    tail: int | None = Field(None, ge=0, le=2000)
    since_seconds: int | None = Field(None, ge=0)
    start_time: str | None = None
    limit_bytes: int | None = Field(None, ge=1, le=1024 * 1024)
    last_time: bool | None = None
    timestamps: bool | None = None


class ExecContainerCommandRequest(RequestModel):
    """ExecContainerCommand: ``sync`` runs the command and answers with its output; otherwise the
    answer names a WebSocket for an interactive session (``tty`` for a terminal)."""

    region_id: str = Field(min_length=1)
    container_group_id: str = Field(min_length=1)
    container_name: str = Field(min_length=1)
    command: list[CommandItem] = Field(min_length=1, max_length=20)
    tty: bool | None = Field(None, alias="TTY")
    stdin: bool | None = None
    sync: bool | None = None

    @field_serializer("command")
    def _json_array(self, command: list[str]) -> str:
        return json.dumps(command, separators=(",", ":"))

    @model_validator(mode="after")
    def _sync_without_tty(self) -> ExecContainerCommandRequest:
        if self.sync and self.tty:
            raise ValueError("TTY must be false when Sync is true")
        return self


# ECI's tag API (TagResources, UntagResources, ListTagResources) works on any ECI resource type;
# the operator uses it for container groups. It can remove tags, which UpdateContainerGroup cannot
# do for the last ones (an empty Tag list cannot be sent).
TagResourceType = Literal["ContainerGroup", "ImageCache", "VirtualNode", "DataCache"]
MAX_TAGS_PER_RESOURCE = 20
ResourceIds = Annotated[
    list[Annotated[str, StringConstraints(min_length=1)]], Field(min_length=1, max_length=100)
]


class TagResourcesRequest(RequestModel):
    """TagResources: add (or overwrite) tags; a resource holds at most 20."""

    region_id: str = Field(min_length=1)
    resource_type: TagResourceType = "ContainerGroup"
    resource_ids: ResourceIds = Field(alias="ResourceId")
    tags: list[Tag] = Field(alias="Tag", min_length=1, max_length=MAX_TAGS_PER_RESOURCE)

    @model_validator(mode="after")
    def _unique_keys(self) -> TagResourcesRequest:
        _unique([t.key for t in self.tags], "tag")
        return self


class UntagResourcesRequest(RequestModel):
    """UntagResources: remove the tags named by ``tag_keys`` (at most 20), or every tag with ``all``."""

    region_id: str = Field(min_length=1)
    resource_type: TagResourceType = "ContainerGroup"
    resource_ids: ResourceIds = Field(alias="ResourceId")
    tag_keys: list[TagKey] | None = Field(None, alias="TagKey", min_length=1, max_length=20)
    all: bool | None = None
    client_token: ClientToken | None = None

    @model_validator(mode="after")
    def _what(self) -> UntagResourcesRequest:
        if self.tag_keys is None and not self.all:
            raise ValueError("name the tags to remove (TagKey) or set All")
        if self.tag_keys is not None and self.all:
            raise ValueError("All applies only when no TagKey is given")
        return self


class ListTagResourcesRequest(RequestModel):
    """ListTagResources: the tags of the given resources (or of every resource carrying ``tags``)."""

    region_id: str = Field(min_length=1)
    resource_type: TagResourceType = "ContainerGroup"
    resource_ids: list[str] | None = Field(None, alias="ResourceId", max_length=100)
    tags: list[TagFilter] | None = Field(None, alias="Tag", max_length=20)
    limit: int | None = Field(None, ge=1, le=100)
    next_token: str | None = None


REQUEST_ACTIONS: dict[type[RequestModel], str] = {
    CreateContainerGroupRequest: "CreateContainerGroup",
    UpdateContainerGroupRequest: "UpdateContainerGroup",
    DescribeContainerGroupsRequest: "DescribeContainerGroups",
    DeleteContainerGroupRequest: "DeleteContainerGroup",
    RestartContainerGroupRequest: "RestartContainerGroup",
    DescribeContainerLogRequest: "DescribeContainerLog",
    ExecContainerCommandRequest: "ExecContainerCommand",
    TagResourcesRequest: "TagResources",
    UntagResourcesRequest: "UntagResources",
    ListTagResourcesRequest: "ListTagResources",
}

# --- responses ----------------------------------------------------------------------------------


class ActionResponse(ResponseModel):
    """Answer of Update / Delete / Restart."""

    request_id: str = ""


class CreateContainerGroupResponse(ActionResponse):
    container_group_id: str


class TagOut(ResponseModel):
    key: str = ""
    value: str = ""


class FieldRefOut(ResponseModel):
    field_path: str = ""


class ValueFromOut(ResponseModel):
    field_ref: FieldRefOut | None = None


class EnvironmentVarOut(ResponseModel):
    key: str = ""
    value: str = ""
    value_from: ValueFromOut | None = None


class PortOut(ResponseModel):
    port: int = 0
    protocol: str = ""


class InitVolumeMountOut(ResponseModel):
    """An init container's mount as Describe shows it: no ``SubPath`` (ECI does not report it)."""

    name: str = ""
    mount_path: str = ""
    read_only: bool = False
    mount_propagation: str = ""


class VolumeMountOut(InitVolumeMountOut):
    sub_path: str = ""


class HttpGetOut(ResponseModel):
    path: str = ""
    port: int = 0
    scheme: str = ""


class TcpSocketOut(ResponseModel):
    host: str = ""
    port: int = 0


class ProbeOut(ResponseModel):
    """A probe as Describe shows it; an unset probe may come back with empty handlers."""

    execs: list[str] = Field(default_factory=list)
    http_get: HttpGetOut | None = None
    tcp_socket: TcpSocketOut | None = None
    initial_delay_seconds: int = 0
    period_seconds: int = 0
    timeout_seconds: int = 0
    success_threshold: int = 0
    failure_threshold: int = 0

    @property
    def is_empty(self) -> bool:
        """True when no handler is set (Describe's stand-in for "no probe")."""
        http = self.http_get is not None and (self.http_get.port or self.http_get.path)
        tcp = self.tcp_socket is not None and self.tcp_socket.port
        return not (self.execs or http or tcp)


class CapabilityOut(ResponseModel):
    adds: list[str] = Field(default_factory=list)


class SecurityContextOut(ResponseModel):
    capability: CapabilityOut | None = None
    read_only_root_filesystem: bool = False
    run_as_user: int | None = None


class ContainerStateOut(ResponseModel):
    state: str = ""
    detail_status: str = ""
    exit_code: int | None = None
    signal: int | None = None
    reason: str = ""
    message: str = ""
    start_time: str = ""
    finish_time: str = ""


class _ContainerOutBase(ResponseModel):
    name: str = ""
    image: str = ""
    cpu: float = 0
    memory: float = 0
    gpu: int = 0
    working_dir: str = ""
    image_pull_policy: str = ""
    args: list[str] = Field(default_factory=list)
    environment_vars: list[EnvironmentVarOut] = Field(default_factory=list)
    ports: list[PortOut] = Field(default_factory=list)
    security_context: SecurityContextOut | None = None
    ready: bool = False
    restart_count: int = 0
    current_state: ContainerStateOut | None = None
    previous_state: ContainerStateOut | None = None


class ContainerOut(_ContainerOutBase):
    """``Containers[]``: note ``Commands`` (plural)."""

    commands: list[str] = Field(default_factory=list)
    volume_mounts: list[VolumeMountOut] = Field(default_factory=list)
    stdin: bool = False
    stdin_once: bool = False
    tty: bool = False
    liveness_probe: ProbeOut | None = None
    readiness_probe: ProbeOut | None = None


class InitContainerOut(_ContainerOutBase):
    """``InitContainers[]``: note ``Command`` (singular, unlike containers)."""

    command: list[str] = Field(default_factory=list)
    volume_mounts: list[InitVolumeMountOut] = Field(default_factory=list)


class ConfigFileToPathOut(ResponseModel):
    path: str = ""
    content: str = ""


class VolumeOut(ResponseModel):
    """``Volumes[]`` with the dot-less names (``NFSVolumeServer``, ``EmptyDirVolumeMedium``...)."""

    name: str = ""
    type: str = ""
    nfs_volume_server: str = Field("", alias="NFSVolumeServer")
    nfs_volume_path: str = Field("", alias="NFSVolumePath")
    nfs_volume_read_only: bool = Field(False, alias="NFSVolumeReadOnly")
    config_file_volume_config_file_to_paths: list[ConfigFileToPathOut] = Field(default_factory=list)
    empty_dir_volume_medium: str = ""
    empty_dir_volume_size_limit: str = ""
    flex_volume_driver: str = ""
    flex_volume_fs_type: str = ""
    flex_volume_options: str = ""
    disk_volume_disk_id: str = ""
    disk_volume_fs_type: str = ""


class DnsOptionOut(ResponseModel):
    name: str = ""
    value: str = ""


class DnsConfigOut(ResponseModel):
    name_servers: list[str] = Field(default_factory=list)
    searches: list[str] = Field(default_factory=list)
    options: list[DnsOptionOut] = Field(default_factory=list)


class SysctlOut(ResponseModel):
    name: str = ""
    value: str = ""


class EciSecurityContextOut(ResponseModel):
    sysctls: list[SysctlOut] = Field(default_factory=list)


class HostAliasOut(ResponseModel):
    ip: str = ""
    hostnames: list[str] = Field(default_factory=list)


class EventOut(ResponseModel):
    count: int = 0
    type: str = ""
    name: str = ""
    reason: str = ""
    message: str = ""
    first_timestamp: str = ""
    last_timestamp: str = ""


class ContainerGroupOut(ResponseModel):
    """One ``ContainerGroups[]`` entry of DescribeContainerGroups."""

    container_group_id: str = ""
    container_group_name: str = ""
    region_id: str = ""
    zone_id: str = ""
    resource_group_id: str = ""
    status: str = ""
    creation_time: str = ""
    succeeded_time: str = ""
    failed_time: str = ""
    expired_time: str = ""
    cpu: float = 0
    memory: float = 0
    instance_type: str = ""
    restart_policy: str = ""
    ephemeral_storage: int = 0
    compute_category: str = ""
    spot_strategy: str = ""
    spot_price_limit: float = 0
    discount: float = 0
    ram_role_name: str = ""
    intranet_ip: str = ""
    internet_ip: str = ""
    ipv6_address: str = ""
    vpc_id: str = ""
    v_switch_id: str = ""
    security_group_id: str = ""
    eni_instance_id: str = ""
    tags: list[TagOut] = Field(default_factory=list)
    events: list[EventOut] = Field(default_factory=list)
    containers: list[ContainerOut] = Field(default_factory=list)
    init_containers: list[InitContainerOut] = Field(default_factory=list)
    volumes: list[VolumeOut] = Field(default_factory=list)
    host_aliases: list[HostAliasOut] = Field(default_factory=list)
    dns_config: DnsConfigOut | None = None
    eci_security_context: EciSecurityContextOut | None = None

    @field_validator(
        "tags", "events", "containers", "init_containers", "volumes", "host_aliases", mode="before"
    )
    @classmethod
    def _null_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v


class DescribeContainerGroupsResponse(ResponseModel):
    """DescribeContainerGroups; an empty ``next_token`` means the last page."""

    request_id: str = ""
    total_count: int = 0
    next_token: str = ""
    container_groups: list[ContainerGroupOut] = Field(default_factory=list)

    @field_validator("container_groups", mode="before")
    @classmethod
    def _null_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v


class TagResourceOut(ResponseModel):
    """One (resource, tag) pair of ListTagResources."""

    resource_id: str = ""
    resource_type: str = ""
    tag_key: str = ""
    tag_value: str = ""


class ListTagResourcesResponse(ResponseModel):
    """ListTagResources; an empty ``next_token`` means the last page."""

    request_id: str = ""
    next_token: str = ""
    tag_resources: list[TagResourceOut] = Field(default_factory=list)

    @field_validator("tag_resources", mode="before")
    @classmethod
    def _null_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v


class DescribeContainerLogResponse(ResponseModel):
    """DescribeContainerLog: the log text, lines ending in newlines."""

    request_id: str = ""
    container_name: str = ""
    content: str = ""


class ExecContainerCommandResponse(ResponseModel):
    """ExecContainerCommand: ``sync_response`` with Sync, else the session's URLs."""

    request_id: str = ""
    sync_response: str = ""
    web_socket_uri: str = ""
    http_url: str = ""
