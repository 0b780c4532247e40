"""The ContainerGroup resource (eci.operator.dev/v1alpha1): spec, status and the whole object."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from eci_operator.api.base import PodModel, SpecModel, StatusModel
from eci_operator.api.markers import list_map, rule, validations
from eci_operator.api.names import DNS_LABEL, LABEL_RULE, ObjectName, check_object_name, is_namespace_name
from eci_operator.api.pod import (
    MAX_CONTAINERS,
    MAX_VOLUMES,
    Container,
    HostAlias,
    InitContainer,
    LocalObjectReference,
    PodDNSConfig,
    PodSecurityContext,
    Volume,
)

GROUP = "eci.operator.dev"
VERSION = "v1alpha1"
KIND = "ContainerGroup"
PLURAL = "containergroups"
RESTART_ANNOTATION = f"{GROUP}/restartedAt"
"""Set to a new value (``kubectl eci restart`` writes the time) to have the instance restarted once."""
API_VERSION = f"{GROUP}/{VERSION}"

# vCPU -> GiB combinations ECI sells in every region (reference: ECI spec table).
INSTANCE_SPECS: dict[float, tuple[float, ...]] = {
    0.25: (0.5, 1),
    0.5: (1, 2),
    1: (2, 4, 8),
    2: (1, 2, 4, 8, 16),
    4: (2, 4, 8, 16, 32),
    8: (4, 8, 16, 32, 64),
    12: (12, 24, 48, 96),
    16: (16, 32, 64, 128),
    24: (24, 48, 96, 192),
    32: (32, 64, 128, 256),
    52: (96, 192, 384),
    64: (128, 256, 512),
}
# Tag keys the operator itself sets on every instance it manages.
RESERVED_TAG_PREFIX = "eci.operator.dev/"
_RESERVED_TAG_PREFIXES = ("acs:", "aliyun", RESERVED_TAG_PREFIX)
MAX_USER_TAGS = 16  # ECI allows 20; the operator keeps 4 for its ownership tags
CONTAINER_GROUP_NAME = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"


class DeletionPolicy(StrEnum):
    """What happens to the ECI instance when the ContainerGroup is deleted."""

    DELETE = "Delete"
    ORPHAN = "Orphan"


class UpdatePolicy(StrEnum):
    """How far the operator may go to apply a change."""

    IN_PLACE_ONLY = "InPlaceOnly"
    ALLOW_RESTART = "AllowRestart"
    ALLOW_REPLACE = "AllowReplace"


class DriftPolicy(StrEnum):
    """What the operator does about changes made outside Kubernetes."""

    ENFORCE = "Enforce"
    REPORT = "Report"


class UnenforceableFields(StrEnum):
    """What the operator does with Pod-spec fields ECI cannot enforce."""

    REFUSE = "Refuse"
    IGNORE = "Ignore"


def _spec_pairs_cel() -> str:
    pairs = ", ".join(f"[{float(c)!r}, {float(m)!r}]" for c, ms in INSTANCE_SPECS.items() for m in ms)
    return f"!has(self.cpu) || [{pairs}].exists(p, p[0] == self.cpu && p[1] == self.memory)"


def _spec_table_text() -> str:
    return "; ".join(f"{c:g}: {', '.join(f'{m:g}' for m in ms)}" for c, ms in INSTANCE_SPECS.items())


def _mounts_exist_cel(field: str) -> str:
    return (
        f"!has(self.{field}) || self.{field}.all(c, !has(c.volumeMounts) || c.volumeMounts.all(m, "
        "has(self.volumes) && self.volumes.exists(v, v.name == m.name)))"
    )


_TAG_KEY_RULE = rule(
    "self.all(k, size(k) >= 1 && size(k) <= 64 && !k.lowerAscii().startsWith('acs:')"
    " && !k.lowerAscii().startsWith('aliyun') && !k.lowerAscii().contains('http://')"
    " && !k.lowerAscii().contains('https://') && !k.startsWith('eci.operator.dev/'))",
    "tag keys must be 1-64 characters, must not start with acs:, aliyun or eci.operator.dev/ "
    "(reserved for the system and the operator) and must not contain http:// or https://",
)
_TAG_VALUE_RULE = rule(
    "self.all(k, !self[k].lowerAscii().startsWith('acs:') && !self[k].lowerAscii().startsWith('aliyun')"
    " && !self[k].lowerAscii().contains('http://') && !self[k].lowerAscii().contains('https://'))",
    "tag values must not start with acs: or aliyun and must not contain http:// or https://",
)
Tags = Annotated[
    dict[str, Annotated[str, StringConstraints(max_length=128)]],
    Field(max_length=MAX_USER_TAGS, json_schema_extra=validations(_TAG_KEY_RULE, _TAG_VALUE_RULE)),
]


def _has_url(text: str) -> bool:
    return "http://" in text or "https://" in text


class AccountReference(SpecModel):
    """An EciAccount (cluster-scoped) whose credentials and endpoint this ContainerGroup uses."""

    name: ObjectName
    """Name of the EciAccount; it must allow this ContainerGroup's namespace."""


class ContainerGroupSpec(PodModel):
    """The desired ECI container group: ECI instance fields plus a Pod spec. Pod-spec fields ECI
    cannot enforce are refused by name unless unenforceableFields is Ignore."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "!has(self.initContainers) || self.initContainers.all(i, "
                "!self.containers.exists(c, c.name == i.name))",
                "names must be unique across containers and initContainers",
                field_path=".initContainers",
            ),
            rule(
                _mounts_exist_cel("containers"),
                "every volumeMounts[].name must be the name of one of spec.volumes",
                field_path=".containers",
            ),
            rule(
                _mounts_exist_cel("initContainers"),
                "every volumeMounts[].name must be the name of one of spec.volumes",
                field_path=".initContainers",
            ),
            rule(
                "has(self.cpu) == has(self.memory)",
                "cpu and memory must be set together",
                field_path=".memory",
            ),
            rule(
                _spec_pairs_cel(),
                "cpu/memory must be a vCPU/GiB combination ECI sells in every region: " + _spec_table_text(),
                field_path=".cpu",
            ),
            rule(
                "has(self.accountRef) == has(oldSelf.accountRef) && (!has(self.accountRef)"
                " || self.accountRef.name == oldSelf.accountRef.name)",
                "accountRef cannot be added, changed or removed: the instance lives in its account",
                field_path=".accountRef",
            ),
            rule(
                "!has(oldSelf.containerGroupId) || (has(self.containerGroupId)"
                " && self.containerGroupId == oldSelf.containerGroupId)",
                "containerGroupId cannot be changed or removed once set",
                field_path=".containerGroupId",
            ),
        )
    )

    # ---- ECI instance
    region_id: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z]+(-[a-z0-9]+)+$"),
        Field(json_schema_extra=validations(rule("self == oldSelf", "regionId cannot be changed"))),
    ]
    """Region of the instance, e.g. cn-hangzhou. Cannot be changed."""
    account_ref: AccountReference | None = None
    """The EciAccount whose credentials and endpoint are used (default: the operator's own
    credentials). The account must allow this namespace. Cannot be changed."""
    container_group_id: (
        Annotated[str, StringConstraints(min_length=5, max_length=64, pattern=r"^eci-[A-Za-z0-9]+$")] | None
    ) = None
    """Adopt this existing instance instead of creating one. Cannot be changed once set."""
    container_group_name: (
        Annotated[str, StringConstraints(min_length=2, max_length=128, pattern=CONTAINER_GROUP_NAME)] | None
    ) = None
    """Instance name (default <namespace>-<name>). Changing it replaces the instance."""
    zone_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    """Zone, e.g. cn-hangzhou-h (default: ECI picks). Changing it replaces the instance."""
    security_group_id: (
        Annotated[str, StringConstraints(max_length=64, pattern=r"^sg-[A-Za-z0-9]+$")] | None
    ) = None
    """Security group (default: the region's default). Changing it replaces the instance."""
    v_switch_id: (
        Annotated[
            str, StringConstraints(max_length=700, pattern=r"^vsw-[A-Za-z0-9]+(,vsw-[A-Za-z0-9]+){0,9}$")
        ]
        | None
    ) = Field(default=None, alias="vSwitchId")
    """vSwitch, or up to 10 comma-separated vSwitches across zones (ECI uses one). Changing it replaces
    the instance."""
    instance_type: (
        Annotated[
            str,
            StringConstraints(max_length=500, pattern=r"^ecs\.[A-Za-z0-9.-]+(,ecs\.[A-Za-z0-9.-]+){0,9}$"),
        ]
        | None
    ) = None
    """ECS instance type(s), comma-separated (ECI uses one); needed for GPU types. Changing it replaces
    the instance."""
    cpu: Annotated[float, Field(gt=0, le=64)] | None = None
    """Instance vCPUs (set together with memory). Changing it replaces the instance."""
    memory: Annotated[float, Field(gt=0, le=512)] | None = None
    """Instance memory in GiB (set together with cpu). Changing it replaces the instance."""
    resource_group_id: (
        Annotated[str, StringConstraints(max_length=64, pattern=r"^rg-[A-Za-z0-9]+$")] | None
    ) = None
    """Resource group of the instance."""
    tags: Tags | None = None
    """Tags of the instance (at most 16; changed in place without restart). Tags set by others are
    left alone."""

    # ---- policies
    deletion_policy: DeletionPolicy = DeletionPolicy.DELETE
    """Delete: delete the instance with the resource. Orphan: remove the ownership tags and keep it."""
    update_policy: UpdatePolicy = UpdatePolicy.ALLOW_RESTART
    """InPlaceOnly: apply only changes that need no restart. AllowRestart: also changes that restart
    the instance. AllowReplace: also changes that need a new instance. Changes not allowed are
    reported in status.plan."""
    drift_policy: DriftPolicy = DriftPolicy.ENFORCE
    """Enforce: undo changes made outside Kubernetes. Report: only report them in status.drift."""
    unenforceable_fields: UnenforceableFields = UnenforceableFields.REFUSE
    """Pod-spec fields ECI cannot enforce (capabilities.drop, fsGroup, affinity, serviceAccountName,
    persistent volume claims, gRPC probes, ...; docs/pod-compatibility.md has the table). Refuse:
    stop with a Stalled condition naming each field and why. Ignore: run without them, list them in
    status.ignoredFields and a Warning Event (a volume ECI cannot mount becomes an empty directory)."""

    # ---- Pod spec
    restart_policy: Literal["Always", "OnFailure", "Never"] = "Always"
    """Restart policy of the containers."""
    termination_grace_period_seconds: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    """Seconds between the stop signal and the kill (ECI TerminationGracePeriodSeconds; set only when
    the instance is created, a change replaces it)."""
    active_deadline_seconds: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    """Seconds the instance may run before ECI stops it (ECI ActiveDeadlineSeconds; set only when the
    instance is created, a change replaces it)."""
    dns_policy: Literal["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"] | None = None
    """Default (the VPC's resolver, also ECI's default) or None (only dnsConfig); sent as ECI
    DnsPolicy, set only when the instance is created. ECI has no cluster DNS: ClusterFirst and
    ClusterFirstWithHostNet cannot be enforced."""
    dns_config: PodDNSConfig | None = None
    """Resolver configuration (nameservers, searches, options)."""
    host_aliases: Annotated[list[HostAlias], Field(max_length=20)] | None = None
    """Extra /etc/hosts entries (ECI HostAliase; set only when the instance is created)."""
    hostname: Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL)] | None = None
    """Host name of the instance (ECI HostName; set only when the instance is created)."""
    share_process_namespace: bool | None = None
    """One process namespace for all containers (ECI ShareProcessNamespace; set only when the instance
    is created)."""
    node_selector: (
        Annotated[dict[str, Annotated[str, StringConstraints(max_length=63)]], Field(max_length=16)] | None
    ) = None
    """Only kubernetes.io/os: linux (ECI runs Linux) and kubernetes.io/arch: amd64 or arm64 (ECI
    CpuArchitecture, set only when the instance is created) can be honoured; ECI has no nodes to
    select by other labels."""
    security_context: PodSecurityContext | None = None
    """runAsUser, runAsGroup and runAsNonRoot for every container (a container's own setting wins);
    sysctls of the instance."""
    image_pull_secrets: (
        Annotated[list[LocalObjectReference], Field(max_length=20, json_schema_extra=list_map("name"))] | None
    ) = None
    """Secrets of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg with registry
    credentials (sent as ECI ImageRegistryCredential; the passwords never appear in the resource)."""
    init_containers: (
        Annotated[list[InitContainer], Field(max_length=MAX_CONTAINERS, json_schema_extra=list_map("name"))]
        | None
    ) = None
    """Containers run to completion, in order, before the containers start."""
    containers: Annotated[
        list[Container],
        Field(
            min_length=1,
            max_length=MAX_CONTAINERS,
            json_schema_extra=list_map("name"),
        ),
    ]
    """The containers of the group (1-20)."""
    volumes: (
        Annotated[list[Volume], Field(max_length=MAX_VOLUMES, json_schema_extra=list_map("name"))] | None
    ) = None
    """Volumes the containers may mount (at most 20)."""

    @field_validator("tags")
    @classmethod
    def _tag_keys(cls, tags: dict[str, str] | None) -> dict[str, str] | None:
        for key, value in (tags or {}).items():
            low = key.lower()
            if not 1 <= len(key) <= 64 or low.startswith(_RESERVED_TAG_PREFIXES) or _has_url(low):
                raise ValueError(
                    f"tag key {key!r}: keys must be 1-64 characters, must not start with acs:, aliyun or "
                    "eci.operator.dev/ (reserved for the system and the operator) and must not contain "
                    "http:// or https://"
                )
            if value.lower().startswith(("acs:", "aliyun")) or _has_url(value.lower()):
                raise ValueError(
                    f"tag {key!r}: values must not start with acs: or aliyun and must not contain "
                    "http:// or https://"
                )
        return tags


class Condition(StatusModel):
    """A metav1.Condition: Ready, Reconciling or Stalled."""

    type: Annotated[str, StringConstraints(max_length=316)]
    """Ready, Reconciling or Stalled."""
    status: Literal["True", "False", "Unknown"]
    """True, False or Unknown."""
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    """CamelCase reason."""
    message: Annotated[str, StringConstraints(max_length=32768)] = ""
    """Human-readable explanation (never contains secret values)."""
    last_transition_time: datetime
    """When status last changed."""
    observed_generation: Annotated[int, Field(ge=0)] | None = None
    """The metadata.generation the condition was set for."""


class ChangeSummary(StatusModel):
    """One changed ECI parameter group: its impact and a readable, redacted diff."""

    group: str
    """ECI parameter group, e.g. Container, Tag, Cpu."""
    impact: Literal["NoRestart", "Restart", "Replace"]
    """What applying it costs: nothing, a restart of the instance, or a new instance."""
    changes: list[str] = Field(default_factory=list)
    """Changed fields, one per line, secret values redacted."""


class PlanStatus(StatusModel):
    """Changes that are pending because updatePolicy does not allow them (or they are in progress)."""

    impact: Literal["NoRestart", "Restart", "Replace"]
    """The highest impact of the groups."""
    groups: list[ChangeSummary] = Field(default_factory=list)
    """The changed groups."""
    reason: str | None = None
    """Why the plan is not applied, e.g. updatePolicy InPlaceOnly forbids a restart."""


class Fingerprints(StatusModel):
    """What the operator last applied of the groups ECI does not return in full. Values are hashes
    (never secret values) or key names."""

    image_registry_credential: str | None = None
    """Hash of the registry credentials last sent."""
    image_registry_credential_count: Annotated[int, Field(ge=0)] | None = None
    """Number of registry credentials last sent (a change that adds credentials needs a restart)."""
    config_files: dict[str, str] | None = None
    """Per ConfigFile volume name: hash of the file contents last sent."""
    secret_env: dict[str, str] | None = None
    """Per container name: hash of the Secret-derived environment values last sent."""
    secret_env_keys: dict[str, list[str]] | None = None
    """Per container name: environment variable names whose values were last sent from a Secret
    (names only). Their values as read back from ECI are never shown, even once the spec sets them
    in clear."""
    env_keys: dict[str, list[str]] | None = None
    """Per container name: environment variable names last sent (others are the image's own)."""
    tag_keys: list[str] | None = None
    """Tag keys last sent (other tags on the instance belong to someone else)."""
    unreported: dict[str, str] | None = None
    """Hashes of what ECI does not report back, per part (Container/<name>/Lifecycle,
    Container/<name>/CreateOnly, Volume/<name>/Modes, Instance/<parameter>...)."""


class ContainerLastState(StatusModel):
    """How a container's previous run ended (a Pod's ``lastState``)."""

    state: str | None = None
    """Terminated, as a rule."""
    reason: str | None = None
    """Why it ended: OOMKilled, Error, Completed..."""
    exit_code: int | None = None
    """The exit code of that run."""
    finished_at: str | None = None
    """When that run ended (as ECI reports it)."""


class ContainerState(StatusModel):
    """State of one container as ECI reports it."""

    name: str
    """Container name."""
    ready: bool | None = None
    """Whether the readiness probe passes."""
    restart_count: int | None = None
    """How often ECI restarted the container."""
    state: str | None = None
    """Waiting, Running or Terminated."""
    reason: str | None = None
    """Reason of the current state: CrashLoopBackOff, ErrImagePull, OOMKilled..."""
    exit_code: int | None = None
    """Exit code, when the container is Terminated."""
    last_state: ContainerLastState | None = None
    """How the previous run ended, when the container was restarted."""


class IgnoredField(StatusModel):
    """A Pod-spec field ECI cannot enforce, run without it (spec.unenforceableFields: Ignore)."""

    field: str
    """The field, e.g. spec.containers[0].securityContext.capabilities.drop."""
    reason: str
    """Why ECI cannot enforce it, and what the instance runs with instead."""


class ContainerGroupStatus(StatusModel):
    """Observed state, written by the operator."""

    observed_generation: int | None = None
    """The metadata.generation last reconciled; -1 until the operator first reconciles the object."""
    container_group_id: str | None = None
    """ID of the ECI instance."""
    account: str | None = None
    """The EciAccount whose credentials and quota the instance's calls use (spec.accountRef); absent
    for the operator's own."""
    phase: str | None = None
    """ECI status: Scheduling, Pending, Running, Updating, Succeeded, Failed, ..."""
    intranet_ip: str | None = None
    """Private IP."""
    internet_ip: str | None = None
    """Public IP, when the instance has an EIP."""
    conditions: Annotated[list[Condition], Field(json_schema_extra=list_map("type"))] | None = None
    """Ready, Reconciling and Stalled (kstatus-compatible)."""
    plan: PlanStatus | None = None
    """Pending changes with their impact, when not applied."""
    drift: list[ChangeSummary] | None = None
    """Last differences detected between the spec and the instance (secrets redacted)."""
    ignored_fields: list[IgnoredField] | None = None
    """Pod-spec fields ECI cannot enforce that the instance runs without (spec.unenforceableFields:
    Ignore)."""
    applied_fingerprints: Fingerprints | None = None
    """What was last applied of the groups ECI does not return (hashes, never values)."""
    containers: list[ContainerState] | None = None
    """Per-container state."""
    last_observed_time: datetime | None = None
    """When the instance was last read."""
    restarted_at: str | None = None
    """The eci.operator.dev/restartedAt annotation value last acted on: RestartContainerGroup is sent
    once per value (an instance created since counts as restarted)."""


class ObjectMeta(StatusModel):
    """The metadata fields the translation needs (others are kept by Kubernetes). Name and namespace
    are checked as the apiserver checks them: a manifest read from a file is not trusted more.
    Labels and annotations feed env fieldRefs."""

    name: str = ""
    namespace: str = "default"
    uid: str | None = None
    generation: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_object_name(value) if value else value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not is_namespace_name(value):
            raise ValueError(LABEL_RULE)
        return value


class ContainerGroup(StatusModel):
    """A whole ContainerGroup object as read from Kubernetes or a manifest."""

    api_version: Literal["eci.operator.dev/v1alpha1"] = "eci.operator.dev/v1alpha1"
    kind: Literal["ContainerGroup"] = "ContainerGroup"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ContainerGroupSpec
    status: ContainerGroupStatus | None = None

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> ContainerGroup:
        """Validate a manifest dict (``pydantic.ValidationError`` names the failing fields)."""
        return cls.model_validate(manifest)
