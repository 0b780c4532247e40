"""The Pod-spec parts of a ContainerGroup: core/v1 names and shapes, ECI's limits.

What the operator maps onto ECI (or accepts as already satisfied) is modelled, each attribute
docstring saying what ECI does with it. Every other core/v1 field is kept unmodelled in these
``PodModel`` parts: the translator refuses it by name with the reason ECI cannot honour it, or runs
without it when ``spec.unenforceableFields`` is ``Ignore`` (see ``eci_operator.translate.compatibility``
for the whole table).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, WithJsonSchema, field_validator, model_validator

from eci_operator.api.base import PodModel
from eci_operator.api.markers import list_map, list_set, rule, validations
from eci_operator.api.names import DNS_LABEL, ObjectName
from eci_operator.api.quantity import Quantity, ResourceQuantity

PORT_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
SUPPORTED_RESOURCES = ("cpu", "memory", "nvidia.com/gpu", "ephemeral-storage")
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


class ObjectFieldSelector(PodModel):
    """A field of the ContainerGroup exposed as an environment variable."""

    field_path: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    """status.podIP (the instance's private IP, filled in by ECI at start); or metadata.name,
    metadata.namespace, metadata.uid, metadata.labels['KEY'], metadata.annotations['KEY'] of the
    ContainerGroup, resolved by the operator (a change restarts the instance). Other paths (node,
    service account, host IP) have no meaning on ECI."""
    api_version: Literal["v1"] | None = None
    """Accepted for Pod-spec compatibility; only v1."""


class ResourceFieldSelector(PodModel):
    """A resource of a container exposed as an environment variable (resolved by the operator)."""

    container_name: Name | None = None
    """The container (default: this one)."""
    resource: Literal["limits.cpu", "limits.memory", "requests.cpu", "requests.memory"]
    """The resource: cpu is rounded up to whole divisors (cores by default), memory in bytes by default."""
    divisor: ResourceQuantity | None = None
    """The unit of the value (default 1)."""


class SecretKeySelector(PodModel):
    """A key of a Secret in the ContainerGroup's namespace."""

    name: ObjectName
    """Name of the Secret."""
    key: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """Key in the Secret's data."""
    optional: bool | None = None
    """When true, a missing Secret or key leaves the variable out instead of failing."""


class ConfigMapKeySelector(PodModel):
    """A key of a ConfigMap in the ContainerGroup's namespace."""

    name: ObjectName
    """Name of the ConfigMap."""
    key: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """Key in the ConfigMap's data."""
    optional: bool | None = None
    """When true, a missing ConfigMap or key leaves the variable out instead of failing."""


_ENV_SOURCES = ("fieldRef", "resourceFieldRef", "secretKeyRef", "configMapKeyRef")


class EnvVarSource(PodModel):
    """Where the value comes from: one of fieldRef, resourceFieldRef, secretKeyRef, configMapKeyRef."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "[" + ", ".join(f"has(self.{k})" for k in _ENV_SOURCES) + "].filter(x, x).size() <= 1",
                "only one of fieldRef, resourceFieldRef, secretKeyRef, configMapKeyRef may be set",
            )
        )
    )

    field_ref: ObjectFieldSelector | None = None
    """The instance's IP (status.podIP), or the ContainerGroup's name, namespace, uid, a label or an
    annotation."""
    resource_field_ref: ResourceFieldSelector | None = None
    """A container's cpu or memory request or limit, resolved by the operator."""
    secret_key_ref: SecretKeySelector | None = None
    """A Secret key; the operator resolves it and sends the value (never shown in status or logs)."""
    config_map_key_ref: ConfigMapKeySelector | None = None
    """A ConfigMap key; the operator resolves it and sends the value."""

    @model_validator(mode="after")
    def _one_source(self) -> EnvVarSource:
        sources = (self.field_ref, self.resource_field_ref, self.secret_key_ref, self.config_map_key_ref)
        if sum(x is not None for x in sources) > 1:
            raise ValueError(
                "only one of fieldRef, resourceFieldRef, secretKeyRef, configMapKeyRef may be set"
            )
        return self


class EnvVar(PodModel):
    """An environment variable: a literal value or a value from a source."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule("!(has(self.value) && has(self.valueFrom))", "value and valueFrom are mutually exclusive")
        )
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=ENV_NAME)]
    """Variable name: letters, digits and _, not starting with a digit (ECI's rule), at most 128."""
    value: Annotated[str, StringConstraints(max_length=4096)] | None = None
    """Literal value; $(NAME) refers to a variable defined before it, as in a Pod. ECI takes at most
    256 characters once expanded."""
    value_from: EnvVarSource | None = None
    """Take the value from the instance IP, the ContainerGroup's metadata, a container resource, a
    Secret key or a ConfigMap key."""

    @model_validator(mode="after")
    def _exclusive(self) -> EnvVar:
        if self.value is not None and self.value_from is not None:
            raise ValueError("value and valueFrom are mutually exclusive")
        return self


class ConfigMapEnvSource(PodModel):
    """A ConfigMap whose keys all become variables."""

    name: ObjectName
    """Name of the ConfigMap."""
    optional: bool | None = None
    """When true, a missing ConfigMap adds no variables instead of failing."""


class SecretEnvSource(PodModel):
    """A Secret whose keys all become variables (values never shown in status or logs)."""

    name: ObjectName
    """Name of the Secret."""
    optional: bool | None = None
    """When true, a missing Secret adds no variables instead of failing."""


class EnvFromSource(PodModel):
    """Every key of a ConfigMap or Secret as a variable (resolved by the operator); env wins over it."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "!(has(self.configMapRef) && has(self.secretRef))", "set configMapRef or secretRef, not both"
            )
        )
    )

    prefix: Annotated[str, StringConstraints(max_length=128)] | None = None
    """Prepended to every key."""
    config_map_ref: ConfigMapEnvSource | None = None
    """The ConfigMap."""
    secret_ref: SecretEnvSource | None = None
    """The Secret."""

    @model_validator(mode="after")
    def _one_source(self) -> EnvFromSource:
        if self.config_map_ref is not None and self.secret_ref is not None:
            raise ValueError("set configMapRef or secretRef, not both")
        return self


# ---------------------------------------------------------------- ports, mounts


class ContainerPort(PodModel):
    """A port the container listens on."""

    container_port: Annotated[int, Field(ge=1, le=65535)]
    """Port number, 1-65535."""
    protocol: Literal["TCP", "UDP"] = "TCP"
    """TCP or UDP."""
    name: Annotated[str, StringConstraints(max_length=15, pattern=PORT_NAME)] | None = None
    """Name that probes may refer to instead of the number (not sent to ECI)."""
    host_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    """Accepted only equal to containerPort: the instance has its own IP, where the container port
    already listens; ECI maps no other port."""


class VolumeMount(PodModel):
    """A volume mounted into the container."""

    name: Name
    """Name of one of spec.volumes."""
    mount_path: Path
    """Directory in the container; its previous contents are hidden by the volume."""
    sub_path: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Sub-directory of the volume to mount instead of its root."""
    sub_path_expr: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Like subPath, with $(NAME) expanded from the container's variables by the operator."""
    read_only: bool | None = None
    """Mount read-only (default false)."""
    mount_propagation: Literal["None", "HostToContainer", "Bidirectional"] | None = None
    """Mount propagation (default None)."""


# ---------------------------------------------------------------- probes


class HTTPGetAction(PodModel):
    """An HTTP GET against the container."""

    path: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Request path."""
    port: IntOrString
    """Port number or the name of one of the container's ports."""
    scheme: Literal["HTTP", "HTTPS"] | None = None
    """HTTP (default) or HTTPS."""

    _port = field_validator("port")(staticmethod(_check_port))


class TCPSocketAction(PodModel):
    """A TCP connect to the container."""

    port: IntOrString
    """Port number or the name of one of the container's ports."""

    _port = field_validator("port")(staticmethod(_check_port))


class ExecAction(PodModel):
    """A command run inside the container; exit status 0 is healthy."""

    command: Annotated[list[CommandItem], Field(min_length=1, max_length=20)]
    """The command and its arguments (no shell unless you call one)."""


class Probe(PodModel):
    """A health check: one of httpGet, tcpSocket, exec (ECI has no gRPC probe), with its timing."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "[has(self.httpGet), has(self.tcpSocket), has(self.exec)].filter(x, x).size() <= 1",
                "only one of httpGet, tcpSocket, exec may be set",
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
        if sum(x is not None for x in (self.http_get, self.tcp_socket, self.exec_)) > 1:
            raise ValueError("only one of httpGet, tcpSocket, exec may be set")
        return self


# ---------------------------------------------------------------- lifecycle hooks


class HTTPHeader(PodModel):
    """A header of a hook's HTTP request."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    """Header name."""
    value: Annotated[str, StringConstraints(max_length=4096)]
    """Header value."""


class LifecycleHTTPGetAction(PodModel):
    """An HTTP GET sent by the hook (ECI LifecycleXHandlerHttpGet*)."""

    path: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Request path."""
    port: IntOrString
    """Port number or the name of one of the container's ports."""
    host: Annotated[str, StringConstraints(max_length=253)] | None = None
    """Host to connect to (default: the instance's IP)."""
    scheme: Literal["HTTP", "HTTPS"] | None = None
    """HTTP (default) or HTTPS."""
    http_headers: Annotated[list[HTTPHeader], Field(max_length=20)] | None = None
    """Extra request headers."""

    _port = field_validator("port")(staticmethod(_check_port))


class LifecycleTCPSocketAction(PodModel):
    """A TCP connect made by the hook (ECI LifecycleXHandlerTcpSocket*)."""

    port: IntOrString
    """Port number or the name of one of the container's ports."""
    host: Annotated[str, StringConstraints(max_length=253)] | None = None
    """Host to connect to (default: the instance's IP)."""

    _port = field_validator("port")(staticmethod(_check_port))


class LifecycleHandler(PodModel):
    """What a hook does: one of exec, httpGet, tcpSocket."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "[has(self.httpGet), has(self.tcpSocket), has(self.exec)].filter(x, x).size() <= 1",
                "only one of exec, httpGet, tcpSocket may be set",
            )
        )
    )

    exec_: ExecAction | None = Field(default=None, alias="exec")
    """Run a command in the container (ECI LifecycleXHandlerExec)."""
    http_get: LifecycleHTTPGetAction | None = None
    """Send an HTTP GET."""
    tcp_socket: LifecycleTCPSocketAction | None = None
    """Open a TCP connection."""

    @model_validator(mode="after")
    def _one_handler(self) -> LifecycleHandler:
        if sum(x is not None for x in (self.http_get, self.tcp_socket, self.exec_)) > 1:
            raise ValueError("only one of exec, httpGet, tcpSocket may be set")
        return self


class Lifecycle(PodModel):
    """Hooks run after the container starts and before it stops (ECI does not report them back;
    the operator compares them with what it last sent)."""

    post_start: LifecycleHandler | None = None
    """Run right after the container is created."""
    pre_stop: LifecycleHandler | None = None
    """Run before the container is stopped; the instance waits for it (terminationGracePeriodSeconds)."""


# ---------------------------------------------------------------- security, resources


CAPABILITY = r"^[A-Z][A-Z_]*$"
ID = Annotated[int, Field(ge=0, le=2**31 - 1)]


class Capabilities(PodModel):
    """Linux capabilities to add."""

    add: (
        Annotated[
            list[Annotated[str, StringConstraints(max_length=64, pattern=CAPABILITY)]],
            Field(max_length=64, json_schema_extra=list_set()),
        ]
        | None
    ) = None
    """Capabilities to add; ECI can add only NET_ADMIN and NET_RAW (NET_RAW needs a support ticket)."""


class SecurityContext(PodModel):
    """The security options ECI applies to a container (a pod-level setting is the default)."""

    read_only_root_filesystem: bool | None = None
    """Mount the root filesystem read-only (false is ECI's default: nothing is sent)."""
    run_as_user: ID | None = None
    """UID the entrypoint runs as."""
    run_as_group: ID | None = None
    """GID the entrypoint runs as (ECI sets it only when the instance is created: a later container
    change replaces the instance)."""
    run_as_non_root: bool | None = None
    """Refuse to start as root. With a non-zero runAsUser it holds by construction and nothing is
    sent; otherwise ECI checks it, set only when the instance is created (a later container change
    replaces the instance)."""
    privileged: bool | None = None
    """Run privileged (false is ECI's default: nothing is sent; true is set only when the instance is
    created, and ECI may require approval)."""
    capabilities: Capabilities | None = None
    """Capabilities to add (NET_ADMIN, NET_RAW)."""


class Sysctl(PodModel):
    """A kernel parameter of the instance."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """Parameter name: net.ipv4.ping_group_range and net.ipv4.ip_unprivileged_port_start (ECI's safe
    set), or kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.* and vm.min_free_kbytes (sent
    as host sysctls) within the list ECI documents."""
    value: Annotated[str, StringConstraints(max_length=1024)]
    """Parameter value."""


class PodSecurityContext(PodModel):
    """Security defaults for every container, and the instance's kernel parameters."""

    run_as_user: ID | None = None
    """Default UID of the containers (a container's own setting wins)."""
    run_as_group: ID | None = None
    """Default GID of the containers (a container's own setting wins)."""
    run_as_non_root: bool | None = None
    """Default runAsNonRoot of the containers (a container's own setting wins)."""
    sysctls: Annotated[list[Sysctl], Field(max_length=20, json_schema_extra=list_map("name"))] | None = None
    """Kernel parameters, set when the instance is created (a change replaces the instance)."""


ResourceList = Annotated[dict[str, ResourceQuantity], Field(max_length=16)]


class ResourceRequirements(PodModel):
    """The container's size. ECI gives a container one size, its upper bound: the limit when one is
    set, else the request."""

    requests: ResourceList | None = None
    """cpu (cores: 500m, 0.5, 1.5), memory (512Mi, 2Gi), nvidia.com/gpu (whole GPUs) and
    ephemeral-storage (summed over the containers; what exceeds the 30 GiB ECI includes is added to
    the instance, as ECI's own Kubernetes integration does)."""
    limits: ResourceList | None = None
    """Same resources as requests; where both are set the container gets the limit."""


# ---------------------------------------------------------------- containers

_COMMAND = Field(max_length=20)
_ARGS = Field(max_length=10)


class InitContainer(PodModel):
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
    env_from: Annotated[list[EnvFromSource], Field(max_length=MAX_LIST)] | None = None
    """ConfigMaps and Secrets whose keys all become variables (resolved by the operator)."""
    env: Annotated[list[EnvVar], Field(max_length=MAX_LIST, json_schema_extra=list_map("name"))] | None = None
    """Environment variables; Secret, ConfigMap and metadata references are resolved by the operator,
    $(NAME) references expanded as the kubelet does."""
    ports: (
        Annotated[
            list[ContainerPort],
            Field(max_length=MAX_LIST, json_schema_extra=list_map("containerPort", "protocol")),
        ]
        | None
    ) = None
    """Ports the container listens on."""
    resources: ResourceRequirements | None = None
    """cpu, memory, nvidia.com/gpu and ephemeral-storage of the container (the limit wins)."""
    volume_mounts: (
        Annotated[list[VolumeMount], Field(max_length=MAX_LIST, json_schema_extra=list_map("mountPath"))]
        | None
    ) = None
    """Volumes mounted into the container; each name must be one of spec.volumes."""
    security_context: SecurityContext | None = None
    """runAsUser, runAsGroup, runAsNonRoot, privileged, readOnlyRootFilesystem, capabilities.add."""
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    """When to pull the image."""
    termination_message_path: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    """File the container writes its termination message to; /dev/termination-log (the default)
    sends nothing, another path is set only when the instance is created."""
    termination_message_policy: Literal["File", "FallbackToLogsOnError"] | None = None
    """File (the default, nothing sent) or FallbackToLogsOnError (set only when the instance is
    created)."""


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

    lifecycle: Lifecycle | None = None
    """postStart and preStop hooks (exec, httpGet or tcpSocket)."""
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


class KeyToPath(PodModel):
    """One key of a ConfigMap or Secret written to a file."""

    key: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """Key in the object's data."""
    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    """Relative file path inside the volume."""
    mode: Annotated[int, Field(ge=0, le=0o777)] | None = None
    """File mode bits (0-0777; decimal in JSON), sent as ECI's ConfigFileToPath Mode, which ECI sets
    only when the instance is created (a later change of the volume replaces the instance)."""

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("must be a relative path without '..'")
        return value


_ITEMS = Field(max_length=15)  # ECI ConfigFileToPath: at most 15 files per volume
_DEFAULT_MODE_DOC = (
    "Mode bits of the files (0-0777; decimal in JSON, 420 = 0644), sent as ECI's DefaultMode, which "
    "ECI sets only when the instance is created (a later change of the volume replaces it)."
)


class ConfigMapVolumeSource(PodModel):
    """Files from a ConfigMap (an ECI ConfigFileVolume: at most 15 files, each at most 32 KB once
    base64-encoded, 60 KB in all)."""

    name: ObjectName
    """Name of the ConfigMap."""
    items: Annotated[list[KeyToPath], _ITEMS] | None = None
    """Only these keys, at these paths; default: every key at a file of the same name."""
    default_mode: Annotated[int, Field(ge=0, le=0o777, description=_DEFAULT_MODE_DOC)] | None = None
    optional: bool | None = None
    """When true, missing keys are left out (ECI cannot create an empty config-file volume)."""


class SecretVolumeSource(PodModel):
    """Files from a Secret (an ECI ConfigFileVolume: at most 15 files, each at most 32 KB once
    base64-encoded, 60 KB in all)."""

    secret_name: ObjectName
    """Name of the Secret."""
    items: Annotated[list[KeyToPath], _ITEMS] | None = None
    """Only these keys, at these paths; default: every key at a file of the same name."""
    default_mode: Annotated[int, Field(ge=0, le=0o777, description=_DEFAULT_MODE_DOC)] | None = None
    optional: bool | None = None
    """When true, missing keys are left out (ECI cannot create an empty config-file volume)."""


class EmptyDirVolumeSource(PodModel):
    """A scratch directory that lives as long as the instance."""

    medium: Literal["", "Memory", "LocalRaid0"] | None = None
    """Storage medium: "" (node disk, default), Memory (tmpfs) or LocalRaid0 (local disks)."""
    size_limit: Quantity | None = None
    """Size limit, e.g. 256Mi."""


class NFSVolumeSource(PodModel):
    """An NFS export (e.g. a NAS mount target)."""

    server: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """NFS server address."""
    path: Path
    """Exported path."""
    read_only: bool | None = None
    """Mount read-only (default false)."""


class Volume(PodModel):
    """A volume of the group: one of emptyDir, nfs, configMap, secret (other sources are refused or,
    with spec.unenforceableFields: Ignore, replaced by an empty directory)."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "[has(self.emptyDir), has(self.nfs), has(self.configMap), has(self.secret)]"
                ".filter(x, x).size() <= 1",
                "only one of emptyDir, nfs, configMap, secret may be set",
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
        if sum(x is not None for x in (self.empty_dir, self.nfs, self.config_map, self.secret)) > 1:
            raise ValueError("only one of emptyDir, nfs, configMap, secret may be set")
        return self


# ---------------------------------------------------------------- pod-level


class PodDNSConfigOption(PodModel):
    """A resolver option such as ndots."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    """Option name."""
    value: Annotated[str, StringConstraints(max_length=64)] | None = None
    """Option value."""


class PodDNSConfig(PodModel):
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


class LocalObjectReference(PodModel):
    """A Secret of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg."""

    name: ObjectName
    """Name of the Secret in the ContainerGroup's namespace."""


class HostAlias(PodModel):
    """Extra /etc/hosts entries (ECI HostAliase, set only when the instance is created)."""

    ip: Annotated[str, StringConstraints(min_length=1, max_length=45)]
    """IP address."""
    hostnames: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=253)]], Field(max_length=20)
    ]
    """Host names for the address."""


__all__ = [
    "MAX_CONTAINERS",
    "MAX_VOLUMES",
    "Container",
    "ContainerPort",
    "EnvFromSource",
    "EnvVar",
    "EnvVarSource",
    "HostAlias",
    "InitContainer",
    "Lifecycle",
    "LifecycleHandler",
    "LocalObjectReference",
    "PodDNSConfig",
    "PodSecurityContext",
    "Probe",
    "ResourceRequirements",
    "SecurityContext",
    "Volume",
    "VolumeMount",
]
