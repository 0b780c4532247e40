"""The Pod-spec subset a ContainerGroup accepts: core/v1 names and shapes, ECI's limits.

Only what ECI can honour is modelled. Anything else (a Pod field ECI has no parameter for) is an
unknown field: the apiserver refuses it under strict field validation (kubectl's default) and the
translator refuses it always, naming the field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, WithJsonSchema, field_validator, model_validator

from eci_operator.api.base import SpecModel
from eci_operator.api.names import DNS_LABEL, ObjectName
from eci_operator.api.quantity import Quantity
from eci_operator.api.schema import list_map, list_set, rule, validations

PORT_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
SUPPORTED_RESOURCES = ("cpu", "memory", "nvidia.com/gpu")
MAX_CONTAINERS = 20
MAX_VOLUMES = 20
MAX_LIST = 100  # per-container lists (env, ports, mounts): ECI metadata allows 100

Name = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL)]
Path = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
CommandItem = Annotated[str, StringConstraints(max_length=256)]
ArgItem = Annotated[str, StringConstraints(max_length=4096)]

_PORT_RULE = rule(
    "type(self) == int ? (self >= 1 && self <= 65535) : self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
    "must be a port number 1-65535 or the name of one of the container's ports",
)
IntOrString = Annotated[
    int | str,
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True,
            "maxLength": 15,
            **validations(_PORT_RULE),
        }
    ),
]
"""A port number or the name of a container port (resolved to its number for ECI)."""


def _check_port(value: int | str) -> int | str:
    import re

    if isinstance(value, bool):
        raise ValueError("must be a port number or a port name")
    if isinstance(value, int):
        if not 1 <= value <= 65535:
            raise ValueError("must be between 1 and 65535")
        return value
    if value.isdigit():
        return _check_port(int(value))
    if not (len(value) <= 15 and re.fullmatch(PORT_NAME, value)):
        raise ValueError("must be a port number 1-65535 or the name of one of the container's ports")
    return value


# ---------------------------------------------------------------- env


class ObjectFieldSelector(SpecModel):
    """A field of the instance exposed as an environment variable."""

    field_path: Literal["status.podIP"]
    """The field to expose; ECI supports only status.podIP (the instance's private IP)."""
    api_version: Literal["v1"] | None = None
    """Accepted for Pod-spec compatibility; only v1."""


class SecretKeySelector(SpecModel):
    """A key of a Secret in the ContainerGroup's namespace."""

    name: ObjectName
    """Name of the Secret."""
    key: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """Key in the Secret's data."""
    optional: bool | None = None
    """When true, a missing Secret or key leaves the variable out instead of failing."""


class ConfigMapKeySelector(SpecModel):
    """A key of a ConfigMap in the ContainerGroup's namespace."""

    name: ObjectName
    """Name of the ConfigMap."""
    key: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """Key in the ConfigMap's data."""
    optional: bool | None = None
    """When true, a missing ConfigMap or key leaves the variable out instead of failing."""


class EnvVarSource(SpecModel):
    """Where the value comes from: exactly one of fieldRef, secretKeyRef, configMapKeyRef."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "[has(self.fieldRef), has(self.secretKeyRef), has(self.configMapKeyRef)]"
                ".filter(x, x).size() == 1",
                "exactly one of fieldRef, secretKeyRef, configMapKeyRef must be set",
            )
        )
    )

    field_ref: ObjectFieldSelector | None = None
    """The instance's IP (status.podIP), filled in by ECI at start."""
    secret_key_ref: SecretKeySelector | None = None
    """A Secret key; the operator resolves it and sends the value (never shown in status or logs)."""
    config_map_key_ref: ConfigMapKeySelector | None = None
    """A ConfigMap key; the operator resolves it and sends the value."""

    @model_validator(mode="after")
    def _one_source(self) -> EnvVarSource:
        if sum(x is not None for x in (self.field_ref, self.secret_key_ref, self.config_map_key_ref)) != 1:
            raise ValueError("exactly one of fieldRef, secretKeyRef, configMapKeyRef must be set")
        return self


class EnvVar(SpecModel):
    """An environment variable: a literal value or a value from a source."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule("!(has(self.value) && has(self.valueFrom))", "value and valueFrom are mutually exclusive")
        )
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=ENV_NAME)]
    """Variable name: letters, digits and _, not starting with a digit (ECI's rule), at most 128."""
    value: Annotated[str, StringConstraints(max_length=256)] | None = None
    """Literal value, at most 256 characters."""
    value_from: EnvVarSource | None = None
    """Take the value from the instance IP, a Secret key or a ConfigMap key."""

    @model_validator(mode="after")
    def _exclusive(self) -> EnvVar:
        if self.value is not None and self.value_from is not None:
            raise ValueError("value and valueFrom are mutually exclusive")
        return self


# ---------------------------------------------------------------- ports, mounts


class ContainerPort(SpecModel):
    """A port the container listens on."""

    container_port: Annotated[int, Field(ge=1, le=65535)]
    """Port number, 1-65535."""
    protocol: Literal["TCP", "UDP"] = "TCP"
    """TCP or UDP."""
    name: Annotated[str, StringConstraints(max_length=15, pattern=PORT_NAME)] | None = None
    """Name that probes may refer to instead of the number (not sent to ECI)."""


class VolumeMount(SpecModel):
    """A volume mounted into the container."""

    name: Name
    """Name of one of spec.volumes."""
    mount_path: Path
    """Directory in the container; its previous contents are hidden by the volume."""
    sub_path: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Sub-directory of the volume to mount instead of its root."""
    read_only: bool | None = None
    """Mount read-only (default false)."""
    mount_propagation: Literal["None", "HostToContainer", "Bidirectional"] | None = None
    """Mount propagation (default None)."""


# ---------------------------------------------------------------- probes


class HTTPGetAction(SpecModel):
    """An HTTP GET against the container."""

    path: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Request path."""
    port: IntOrString
    """Port number or the name of one of the container's ports."""
    scheme: Literal["HTTP", "HTTPS"] | None = None
    """HTTP (default) or HTTPS."""

    _port = field_validator("port")(staticmethod(_check_port))


class TCPSocketAction(SpecModel):
    """A TCP connect to the container."""

    port: IntOrString
    """Port number or the name of one of the container's ports."""

    _port = field_validator("port")(staticmethod(_check_port))


class ExecAction(SpecModel):
    """A command run inside the container; exit status 0 is healthy."""

    command: Annotated[list[CommandItem], Field(min_length=1, max_length=20)]
    """The command and its arguments (no shell unless you call one)."""


class Probe(SpecModel):
    """A health check: exactly one of httpGet, tcpSocket, exec, with its timing."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "[has(self.httpGet), has(self.tcpSocket), has(self.exec)].filter(x, x).size() == 1",
                "exactly one of httpGet, tcpSocket, exec must be set",
            )
        )
    )

    http_get: HTTPGetAction | None = None
    """Check with an HTTP GET; 2xx/3xx is healthy."""
    tcp_socket: TCPSocketAction | None = None
    """Check that a TCP port accepts connections."""
    exec_: ExecAction | None = Field(default=None, alias="exec")
    """Check by running a command in the container."""
    initial_delay_seconds: Annotated[int, Field(ge=0, le=86400)] | None = None
    """Seconds after the container started before the first check (default 0)."""
    period_seconds: Annotated[int, Field(ge=1, le=86400)] | None = None
    """Seconds between checks (default 10, minimum 1)."""
    timeout_seconds: Annotated[int, Field(ge=1, le=86400)] | None = None
    """Seconds before a check times out (default 1, minimum 1)."""
    success_threshold: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Consecutive successes to count as healthy after a failure (default 1; must be 1 for liveness)."""
    failure_threshold: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Consecutive failures to count as unhealthy (default 3)."""

    @model_validator(mode="after")
    def _one_handler(self) -> Probe:
        if sum(x is not None for x in (self.http_get, self.tcp_socket, self.exec_)) != 1:
            raise ValueError("exactly one of httpGet, tcpSocket, exec must be set")
        return self


# ---------------------------------------------------------------- security, resources


class Capabilities(SpecModel):
    """Linux capabilities to add."""

    add: (
        Annotated[
            list[Literal["NET_ADMIN", "NET_RAW"]],
            Field(max_length=2, json_schema_extra=list_set()),
        ]
        | None
    ) = None
    """Capabilities to add; ECI supports only NET_ADMIN and NET_RAW (NET_RAW needs a support ticket)."""


class SecurityContext(SpecModel):
    """The security options ECI supports for a container."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "!has(self.readOnlyRootFilesystem) || self.readOnlyRootFilesystem",
                "ECI supports only true; leave readOnlyRootFilesystem out for a writable root filesystem",
                field_path=".readOnlyRootFilesystem",
            )
        )
    )

    read_only_root_filesystem: bool | None = None
    """Mount the root filesystem read-only; ECI supports only true."""
    run_as_user: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    """UID the entrypoint runs as."""
    capabilities: Capabilities | None = None
    """Capabilities to add (NET_ADMIN, NET_RAW)."""

    @field_validator("read_only_root_filesystem")
    @classmethod
    def _only_true(cls, value: bool | None) -> bool | None:
        if value is False:
            raise ValueError(
                "ECI supports only true; leave readOnlyRootFilesystem out for a writable root filesystem"
            )
        return value


_RESOURCE_KEYS = validations(
    rule(
        "self.all(k, k in ['cpu', 'memory', 'nvidia.com/gpu'])",
        "only cpu, memory and nvidia.com/gpu are supported by ECI",
    )
)
ResourceList = Annotated[dict[str, Quantity], Field(max_length=3, json_schema_extra=_RESOURCE_KEYS)]


class ResourceRequirements(SpecModel):
    """The container's size. ECI gives a container one size: when both requests and limits name a
    resource they must be equal."""

    requests: ResourceList | None = None
    """cpu (cores: 500m, 1.5), memory (512Mi, 2Gi) and nvidia.com/gpu (whole GPUs)."""
    limits: ResourceList | None = None
    """Same resources as requests; used when requests does not name the resource."""

    @field_validator("requests", "limits")
    @classmethod
    def _supported(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            if key not in SUPPORTED_RESOURCES:
                raise ValueError(f"{key!r}: only cpu, memory and nvidia.com/gpu are supported by ECI")
        return value


# ---------------------------------------------------------------- containers

_COMMAND = Field(max_length=20)
_ARGS = Field(max_length=10)


class InitContainer(SpecModel):
    """A container run to completion, in order, before the containers start."""

    name: Name
    """Unique among containers and initContainers (DNS label)."""
    image: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    """Image reference, e.g. registry.cn-hangzhou.aliyuncs.com/acs/busybox:1.36."""
    command: Annotated[list[CommandItem], _COMMAND] | None = None
    """Entrypoint (ECI Command): at most 20 items of at most 256 characters. Kept apart from args."""
    args: Annotated[list[ArgItem], _ARGS] | None = None
    """Arguments (ECI Arg): at most 10."""
    working_dir: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Working directory."""
    env: Annotated[list[EnvVar], Field(max_length=MAX_LIST, json_schema_extra=list_map("name"))] | None = None
    """Environment variables; Secret and ConfigMap references are resolved by the operator."""
    ports: (
        Annotated[
            list[ContainerPort],
            Field(max_length=MAX_LIST, json_schema_extra=list_map("containerPort", "protocol")),
        ]
        | None
    ) = None
    """Ports the container listens on."""
    resources: ResourceRequirements | None = None
    """cpu, memory and nvidia.com/gpu of the container."""
    volume_mounts: (
        Annotated[list[VolumeMount], Field(max_length=MAX_LIST, json_schema_extra=list_map("mountPath"))]
        | None
    ) = None
    """Volumes mounted into the container; each name must be one of spec.volumes."""
    security_context: SecurityContext | None = None
    """readOnlyRootFilesystem, runAsUser, capabilities.add."""
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    """When to pull the image."""


def _probe_port_cel(probe: str, action: str) -> str:
    ref = f"self.{probe}.{action}.port"
    return (
        f"!has(self.{probe}) || !has(self.{probe}.{action}) || type({ref}) == int"
        f" || (has(self.ports) && self.ports.exists(p, has(p.name) && p.name == {ref}))"
    )


class Container(InitContainer):
    """A long-running container of the group."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "!has(self.livenessProbe) || !has(self.livenessProbe.successThreshold)"
                " || self.livenessProbe.successThreshold == 1",
                "must be 1 for a liveness probe",
                field_path=".livenessProbe.successThreshold",
            ),
            *(
                rule(
                    _probe_port_cel(probe, action),
                    "must be a port number or the name of one of the container's ports",
                    field_path=f".{probe}.{action}.port",
                )
                for probe in ("readinessProbe", "livenessProbe")
                for action in ("httpGet", "tcpSocket")
            ),
        )
    )

    readiness_probe: Probe | None = None
    """When the container is ready to serve."""
    liveness_probe: Probe | None = None
    """When the container must be restarted; successThreshold must be 1."""
    stdin: bool | None = None
    """Allocate a stdin buffer (default false)."""
    stdin_once: bool | None = None
    """Close stdin after the first attach ends."""
    tty: bool | None = None
    """Allocate a TTY (needed for an interactive shell)."""


# ---------------------------------------------------------------- volumes


class KeyToPath(SpecModel):
    """One key of a ConfigMap or Secret written to a file."""

    key: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """Key in the object's data."""
    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    """Relative file path inside the volume."""

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("must be a relative path without '..'")
        return value


_ITEMS = Field(max_length=15)  # ECI ConfigFileToPath: at most 15 files per volume


class ConfigMapVolumeSource(SpecModel):
    """Files from a ConfigMap (sent as an ECI ConfigFileVolume, base64, at most 32 KB per file)."""

    name: ObjectName
    """Name of the ConfigMap."""
    items: Annotated[list[KeyToPath], _ITEMS] | None = None
    """Only these keys, at these paths; default: every key at a file of the same name."""
    optional: bool | None = None
    """When true, a missing ConfigMap gives an empty volume."""


class SecretVolumeSource(SpecModel):
    """Files from a Secret (sent as an ECI ConfigFileVolume, base64, at most 32 KB per file)."""

    secret_name: ObjectName
    """Name of the Secret."""
    items: Annotated[list[KeyToPath], _ITEMS] | None = None
    """Only these keys, at these paths; default: every key at a file of the same name."""
    optional: bool | None = None
    """When true, a missing Secret gives an empty volume."""


class EmptyDirVolumeSource(SpecModel):
    """A scratch directory that lives as long as the instance."""

    medium: Literal["", "Memory", "LocalRaid0"] | None = None
    """Storage medium: "" (node disk, default), Memory (tmpfs) or LocalRaid0 (local disks)."""
    size_limit: Quantity | None = None
    """Size limit, e.g. 256Mi."""


class NFSVolumeSource(SpecModel):
    """An NFS export (e.g. a NAS mount target)."""

    server: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """NFS server address."""
    path: Path
    """Exported path."""
    read_only: bool | None = None
    """Mount read-only (default false)."""


class Volume(SpecModel):
    """A volume of the group: exactly one of emptyDir, nfs, configMap, secret."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "[has(self.emptyDir), has(self.nfs), has(self.configMap), has(self.secret)]"
                ".filter(x, x).size() == 1",
                "exactly one of emptyDir, nfs, configMap, secret must be set",
            )
        )
    )

    name: Name
    """Unique volume name, referred to by volumeMounts."""
    empty_dir: EmptyDirVolumeSource | None = None
    """Scratch space (ECI EmptyDirVolume)."""
    nfs: NFSVolumeSource | None = None
    """An NFS export (ECI NFSVolume)."""
    config_map: ConfigMapVolumeSource | None = None
    """Files from a ConfigMap (ECI ConfigFileVolume)."""
    secret: SecretVolumeSource | None = None
    """Files from a Secret (ECI ConfigFileVolume)."""

    @model_validator(mode="after")
    def _one_source(self) -> Volume:
        if sum(x is not None for x in (self.empty_dir, self.nfs, self.config_map, self.secret)) != 1:
            raise ValueError("exactly one of emptyDir, nfs, configMap, secret must be set")
        return self


# ---------------------------------------------------------------- pod-level


class PodDNSConfigOption(SpecModel):
    """A resolver option such as ndots."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    """Option name."""
    value: Annotated[str, StringConstraints(max_length=64)] | None = None
    """Option value."""


class PodDNSConfig(SpecModel):
    """Resolver configuration of the instance."""

    nameservers: (
        Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=20)] | None
    ) = None
    """DNS server IP addresses."""
    searches: (
        Annotated[list[Annotated[str, StringConstraints(max_length=253)]], Field(max_length=20)] | None
    ) = None
    """Search domains."""
    options: Annotated[list[PodDNSConfigOption], Field(max_length=20)] | None = None
    """Resolver options."""


class LocalObjectReference(SpecModel):
    """A Secret of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg."""

    name: ObjectName
    """Name of the Secret in the ContainerGroup's namespace."""


__all__ = [
    "MAX_CONTAINERS",
    "MAX_VOLUMES",
    "Container",
    "ContainerPort",
    "EnvVar",
    "EnvVarSource",
    "InitContainer",
    "LocalObjectReference",
    "PodDNSConfig",
    "Probe",
    "ResourceRequirements",
    "SecurityContext",
    "Volume",
    "VolumeMount",
]
