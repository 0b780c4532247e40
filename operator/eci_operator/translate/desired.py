"""ContainerGroup spec + referenced Secrets/ConfigMaps -> the ECI parameters (CreateContainerGroup).

The pod-level rules live here; containers and volumes have their own modules. Whatever ECI cannot
honour is refused with a ``TranslationError`` naming the field; all problems are collected, not
just the first. A field ECI cannot *enforce* (see ``compatibility``) is refused the same way unless
the spec says ``unenforceableFields: Ignore``: then the request is built without it and the field
is listed in ``Desired.ignored``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from eci_operator.api.containergroup import (
    INSTANCE_SPECS,
    ContainerGroup,
    ContainerGroupSpec,
    UnenforceableFields,
)
from eci_operator.api.pod import Container, InitContainer
from eci_operator.eci import models as eci
from eci_operator.translate import compatibility, containers, volumes
from eci_operator.translate.compatibility import Support
from eci_operator.translate.context import Context
from eci_operator.translate.errors import Problem, TranslationError, from_validation_error
from eci_operator.translate.references import DOCKER_CFG, DOCKER_CONFIG_JSON, References, invalid_names

INCLUDED_EPHEMERAL_GIB = 30  # the temporary storage every ECI instance has without paying for more
_OS_KEYS = ("kubernetes.io/os", "beta.kubernetes.io/os")
_ARCH_KEYS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")
_ARCHITECTURES = {"amd64": "AMD64", "arm64": "ARM64"}


@dataclass(frozen=True)
class Sensitive:
    """Which parts of the desired parameters come from Secrets (redacted in every rendering)."""

    env: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Per container name: env keys whose values come from a Secret."""
    volumes: frozenset[str] = frozenset()
    """Names of config-file volumes filled from a Secret."""


@dataclass(frozen=True)
class Desired:
    """The ECI parameters a ContainerGroup asks for.

    ``request`` is complete except for ``client_token`` (the controller derives it). ``sensitive``
    says which values are secret. ``plan`` and ``fingerprints`` take a ``Desired``.
    """

    request: eci.CreateContainerGroupRequest
    sensitive: Sensitive
    owned_tag_keys: frozenset[str]
    salt: str = ""
    """Per-object salt of the write-only fingerprints (the object's uid), so equal secrets in
    different objects do not have equal fingerprints in status."""
    ignored: tuple[Problem, ...] = ()
    """Fields ECI cannot enforce that the request leaves out (``unenforceableFields: Ignore``)."""
    notes: tuple[str, ...] = ()
    """How parts of the spec were mapped that the user may not expect (e.g. limits over requests)."""

    def __repr__(self) -> str:  # the request holds secret values; keep them out of reprs and logs
        return f"Desired(name={self.request.container_group_name!r}, region={self.request.region_id!r})"


def default_group_name(namespace: str, name: str) -> str:
    """``<namespace>-<name>`` with dots (allowed in Kubernetes names, not in ECI's) as dashes."""
    return f"{namespace}-{name}".replace(".", "-").lower()


def translate(
    group: ContainerGroup,
    refs: References | None = None,
    *,
    owner_tags: Mapping[str, str] | None = None,
) -> Desired:
    """The CreateContainerGroup parameters for ``group`` (raises ``TranslationError``).

    ``owner_tags`` (see ``ownership_tags``) are added to the user's tags; ``refs`` holds the
    Secrets and ConfigMaps the spec refers to.
    """
    return _Translator(group, refs or References(), dict(owner_tags or {})).run()


class _Translator:
    def __init__(self, group: ContainerGroup, refs: References, owner_tags: dict[str, str]) -> None:
        self.ctx = Context(group=group, refs=refs)
        self.group = group
        self.spec: ContainerGroupSpec = group.spec
        self.owner_tags = owner_tags

    def refuse(self, path: str, message: str) -> None:
        self.ctx.problems.refuse(path, message)

    # ------------------------------------------------------------------ top level

    def run(self) -> Desired:
        spec = self.spec
        ctx = self.ctx
        self.check_unmodelled()
        name = spec.container_group_name or default_group_name(
            self.group.metadata.namespace, self.group.metadata.name
        )
        if spec.container_group_name is None and not (2 <= len(name) <= 128 and _is_group_name(name)):
            self.refuse(
                "spec.containerGroupName",
                f"the default name {name!r} (<namespace>-<name>) is not a valid ECI name "
                "(2-128 lowercase letters, digits, '-'); set spec.containerGroupName",
            )
        self.check_unique()
        self.ctx.problems.items.extend(invalid_names(spec))  # never look a name up that is not one
        names = [v.name for v in spec.volumes or []]
        init = [
            containers.container(ctx, c, f"spec.initContainers[{i}]", names)
            for i, c in enumerate(spec.init_containers or [])
        ]
        mains = [
            containers.container(ctx, c, f"spec.containers[{i}]", names)
            for i, c in enumerate(spec.containers)
        ]
        vols = [volumes.volume(ctx, v, f"spec.volumes[{i}]") for i, v in enumerate(spec.volumes or [])]
        credentials = self.credentials()
        self.check_instance(mains, init)
        pod = self.pod_parameters()
        tags = self.tags()
        problems = ctx.problems.items
        ignoring = spec.unenforceable_fields is UnenforceableFields.IGNORE
        refused = [p for p in problems if not (ignoring and p.unenforceable)]
        if refused:
            raise TranslationError(refused)
        try:
            request = eci.CreateContainerGroupRequest(
                region_id=spec.region_id,
                container_group_name=name,
                zone_id=spec.zone_id,
                security_group_id=spec.security_group_id,
                v_switch_id=spec.v_switch_id,
                instance_type=spec.instance_type,
                cpu=spec.cpu,
                memory=spec.memory,
                resource_group_id=spec.resource_group_id,
                restart_policy=spec.restart_policy,
                tags=tags or None,
                dns_config=self.dns_config(),
                image_registry_credentials=credentials or None,
                init_containers=[c for c in init if isinstance(c, eci.InitContainer)] or None,
                containers=[c for c in mains if isinstance(c, eci.Container)],
                volumes=[v for v in vols if v is not None] or None,
                **pod,
            )
        except ValidationError as exc:  # a limit only the request model knows; no values echoed
            raise from_validation_error(exc, root="CreateContainerGroup") from None
        sensitive = Sensitive(
            env={k: frozenset(v) for k, v in ctx.secret_env.items() if v},
            volumes=frozenset(ctx.secret_volumes),
        )
        meta = self.group.metadata
        return Desired(
            request=request,
            sensitive=sensitive,
            owned_tag_keys=frozenset(t.key for t in tags),
            salt=meta.uid or f"{meta.namespace}/{meta.name}",
            ignored=tuple(p for p in problems if p.unenforceable),
            notes=tuple(ctx.notes),
        )

    def check_unmodelled(self) -> None:
        """Every field the models kept without mapping: ECI cannot enforce it, or it is unknown."""
        for path, value in compatibility.unmodelled_fields(self.spec):
            entry = compatibility.lookup(path)
            leaf = path.rsplit(".", 1)[-1]
            if entry is None:
                self.refuse(
                    path, f"unknown field: the Pod spec and the ContainerGroup spec have no {leaf!r} here"
                )
            elif entry.support is Support.SATISFIED or (entry.accepted is not None and entry.accepted(value)):
                continue
            elif entry.support is Support.UNENFORCEABLE:
                self.ctx.problems.unenforceable(path, entry.how)
            else:
                self.refuse(path, entry.how)

    def pod_parameters(self) -> dict[str, object]:
        """The instance-level parameters of the Pod spec (all CreateContainerGroup-only)."""
        spec = self.spec
        problems = self.ctx.problems
        out: dict[str, object] = {
            "termination_grace_period_seconds": spec.termination_grace_period_seconds,
            "active_deadline_seconds": spec.active_deadline_seconds,
            "host_name": spec.hostname,
            "share_process_namespace": True if spec.share_process_namespace else None,
        }
        if spec.dns_policy in ("Default", "None"):
            out["dns_policy"] = spec.dns_policy
            if spec.dns_policy == "None" and not (spec.dns_config and spec.dns_config.nameservers):
                self.refuse("spec.dnsConfig.nameservers", "dnsPolicy None needs at least one nameserver")
        elif spec.dns_policy is not None:
            problems.unenforceable(
                "spec.dnsPolicy",
                f"ECI has no cluster DNS for {spec.dns_policy}: the instance uses the VPC's resolver "
                "(as with Default)",
            )
        aliases = []
        for i, alias in enumerate(spec.host_aliases or []):
            try:
                ipaddress.ip_address(alias.ip)
            except ValueError:
                self.refuse(f"spec.hostAliases[{i}].ip", f"{alias.ip!r} is not an IP address")
            aliases.append(eci.HostAlias(ip=alias.ip, hostnames=list(alias.hostnames)))
        out["host_aliases"] = aliases or None
        out.update(self.node_selector())
        out.update(self.sysctls())
        out["ephemeral_storage"] = self.ephemeral_storage()
        return out

    def node_selector(self) -> dict[str, object]:
        out: dict[str, object] = {}
        selector = self.spec.node_selector or {}
        for key, value in selector.items():
            where = f"spec.nodeSelector[{key!r}]"
            if key in _OS_KEYS:
                if value != "linux":
                    self.ctx.problems.unenforceable(
                        where, f"the operator creates Linux instances, not {value}"
                    )
            elif key in _ARCH_KEYS:
                arch = _ARCHITECTURES.get(value)
                if arch is None:
                    self.ctx.problems.unenforceable(where, f"ECI runs amd64 and arm64 instances, not {value}")
                elif out.get("cpu_architecture", arch) != arch:
                    self.refuse(where, "contradicts the other architecture label")
                else:
                    out["cpu_architecture"] = arch
            else:
                self.ctx.problems.unenforceable(where, "ECI has no nodes to select by label")
        return out

    def sysctls(self) -> dict[str, object]:
        context = self.spec.security_context
        safe: list[eci.Sysctl] = []
        host: list[eci.Sysctl] = []
        for i, sysctl in enumerate(context.sysctls or [] if context is not None else []):
            kind = eci.sysctl_kind(sysctl.name)
            if kind is None:
                self.ctx.problems.unenforceable(
                    f"spec.securityContext.sysctls[{i}].name",
                    f"ECI does not let instances set {sysctl.name}",
                )
                continue
            (safe if kind == "safe" else host).append(eci.Sysctl(name=sysctl.name, value=sysctl.value))
        return {
            "security_context": eci.GroupSecurityContext(sysctls=safe) if safe else None,
            "host_security_context": eci.GroupSecurityContext(sysctls=host) if host else None,
        }

    def ephemeral_storage(self) -> int | None:
        """GiB beyond the included 30, from the containers' ephemeral-storage (ECI's own rule)."""
        asked = self.ctx.ephemeral_storage
        if not asked:
            return None
        mains = sum(asked.get(c.name, 0.0) for c in self.spec.containers)
        total = max([mains, *(asked.get(c.name, 0.0) for c in self.spec.init_containers or [])])
        extra = math.ceil(total - INCLUDED_EPHEMERAL_GIB - 1e-9)
        return extra if extra > 0 else None

    def check_unique(self) -> None:
        """Names ECI (or Kubernetes list-map keys) require to be unique, refused at the duplicate."""
        spec = self.spec
        seen: set[str] = set()
        kinds: tuple[tuple[str, list[Container] | list[InitContainer]], ...] = (
            ("containers", spec.containers),
            ("initContainers", spec.init_containers or []),
        )
        for kind, items in kinds:
            for i, c in enumerate(items):
                if c.name in seen:
                    self.refuse(f"spec.{kind}[{i}].name", f"duplicate container name {c.name!r}")
                seen.add(c.name)
                self.check_container_lists(c, f"spec.{kind}[{i}]")
        _duplicates(self, [v.name for v in spec.volumes or []], "spec.volumes[{}].name", "volume name")
        _duplicates(
            self, [r.name for r in spec.image_pull_secrets or []], "spec.imagePullSecrets[{}].name", "name"
        )

    def check_container_lists(self, c: InitContainer, path: str) -> None:
        _duplicates(self, [e.name for e in c.env or []], path + ".env[{}].name", "env name")
        _duplicates(
            self, [f"{p.container_port}/{p.protocol}" for p in c.ports or []], path + ".ports[{}]", "port"
        )
        _duplicates(
            self,
            [m.mount_path for m in c.volume_mounts or []],
            path + ".volumeMounts[{}].mountPath",
            "mountPath",
        )
        named: set[str] = set()
        for j, port in enumerate(c.ports or []):
            if port.name and port.name in named:
                self.refuse(f"{path}.ports[{j}].name", f"duplicate port name {port.name!r}")
            named.add(port.name or "")
        live = c.liveness_probe if isinstance(c, Container) else None
        if live is not None and live.success_threshold not in (None, 1):
            self.refuse(f"{path}.livenessProbe.successThreshold", "must be 1 for a liveness probe")

    def check_instance(
        self,
        containers: list[eci.Container | eci.InitContainer | None],
        init: list[eci.Container | eci.InitContainer | None],
    ) -> None:
        spec = self.spec
        if (spec.cpu is None) != (spec.memory is None):
            self.refuse(
                "spec.memory" if spec.memory is None else "spec.cpu", "cpu and memory must be set together"
            )
        elif spec.cpu is not None and spec.memory is not None:
            allowed = INSTANCE_SPECS.get(spec.cpu)
            if allowed is None or spec.memory not in allowed:
                self.refuse(
                    "spec.cpu",
                    f"{spec.cpu:g} vCPU / {spec.memory:g} GiB is not a combination ECI sells in every region "
                    f"(for {spec.cpu:g} vCPU: {', '.join(f'{m:g}' for m in allowed) if allowed else 'none'})",
                )
        total = len(spec.containers) + len(spec.init_containers or [])
        if total > 20:
            self.refuse(
                "spec.initContainers",
                f"ECI allows at most 20 containers and init containers in all, got {total}",
            )
        # The instance must hold the containers together, and each init container alone.
        if spec.cpu is not None:
            used = max(
                [
                    sum(c.cpu or 0 for c in containers if c is not None),
                    *(c.cpu or 0 for c in init if c is not None),
                ]
            )
            if used > spec.cpu + 1e-9:
                self.refuse(
                    "spec.cpu", f"the containers request {used:g} vCPU, more than the instance's {spec.cpu:g}"
                )
        if spec.memory is not None:
            used = max(
                [
                    sum(c.memory or 0 for c in containers if c is not None),
                    *(c.memory or 0 for c in init if c is not None),
                ]
            )
            if used > spec.memory + 1e-9:
                self.refuse(
                    "spec.memory",
                    f"the containers request {used:g} GiB, more than the instance's {spec.memory:g}",
                )
        if spec.instance_type is None and any(c is not None and c.gpu for c in [*containers, *init]):
            self.refuse(
                "spec.instanceType", "containers that request nvidia.com/gpu need a GPU instance type"
            )

    def tags(self) -> list[eci.Tag]:
        # Ownership values are informative except the uid; ECI caps values at 128 characters.
        owner = {k: v[:128] for k, v in self.owner_tags.items()}
        merged = {**(self.spec.tags or {}), **owner}
        return [eci.Tag(key=k, value=v) for k, v in sorted(merged.items())]

    def dns_config(self) -> eci.DnsConfig | None:
        dns = self.spec.dns_config
        if dns is None:
            return None
        return eci.DnsConfig(
            name_servers=list(dns.nameservers) if dns.nameservers else None,
            searches=list(dns.searches) if dns.searches else None,
            options=[eci.DnsOption(name=o.name, value=o.value) for o in dns.options] if dns.options else None,
        )

    # ------------------------------------------------------------------ registry credentials

    def credentials(self) -> list[eci.ImageRegistryCredential]:
        out: dict[str, eci.ImageRegistryCredential] = {}
        for i, ref in enumerate(self.spec.image_pull_secrets or []):
            path = f"spec.imagePullSecrets[{i}]"
            secret = self.ctx.refs.secrets.get(ref.name)
            if secret is None:
                self.refuse(path, f"Secret {ref.name!r} not found")
                continue
            if secret.type == DOCKER_CONFIG_JSON:
                raw, nested = secret.data.get(".dockerconfigjson"), True
            elif secret.type == DOCKER_CFG:
                raw, nested = secret.data.get(".dockercfg"), False
            else:
                self.refuse(path, f"Secret {ref.name!r} must be of type {DOCKER_CONFIG_JSON} or {DOCKER_CFG}")
                continue
            entries = _docker_auths(raw, nested)
            if entries is None:
                self.refuse(path, f"Secret {ref.name!r} does not hold a valid docker config")
                continue
            for server, user, password in entries:
                if not user or not password:
                    self.refuse(
                        path, f"Secret {ref.name!r}: the entry for {server!r} has no username and password"
                    )
                    continue
                out.setdefault(
                    server, eci.ImageRegistryCredential(server=server, user_name=user, password=password)
                )
        return [out[s] for s in sorted(out)]


def _docker_auths(raw: bytes | None, nested: bool) -> list[tuple[str, str, str]] | None:
    """(server without scheme, username, password) of a docker config; None when malformed."""
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    auths = doc.get("auths") if nested and isinstance(doc, dict) else doc
    if not isinstance(auths, dict):
        return None
    out = []
    for server, entry in sorted(auths.items()):
        if not isinstance(entry, dict):
            return None
        user, password = entry.get("username"), entry.get("password")
        if (not user or not password) and entry.get("auth"):
            try:
                user, _, password = base64.b64decode(str(entry["auth"])).decode().partition(":")
            except (binascii.Error, ValueError):
                return None
        host = str(server).split("://", 1)[-1].rstrip("/")
        out.append((host, str(user or ""), str(password or "")))
    return out


def _is_group_name(name: str) -> bool:
    return re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name) is not None


def _duplicates(t: _Translator, values: list[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            t.refuse(path.format(i), f"duplicate {what} {value!r}")
        seen.add(value)
