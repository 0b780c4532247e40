"""ContainerGroup spec + referenced Secrets/ConfigMaps -> the ECI parameters (CreateContainerGroup).

Every rule that maps a Pod-spec field onto ECI lives here; whatever ECI cannot honour is refused
with a ``TranslationError`` naming the field. All problems are collected, not just the first.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from eci_operator.api import quantity
from eci_operator.api.containergroup import INSTANCE_SPECS, ContainerGroup, ContainerGroupSpec
from eci_operator.api.pod import (
    ConfigMapVolumeSource,
    Container,
    EnvVar,
    InitContainer,
    KeyToPath,
    Probe,
    ResourceRequirements,
    SecretVolumeSource,
    SecurityContext,
    Volume,
)
from eci_operator.eci import models as eci
from eci_operator.translate.errors import Problem, TranslationError, from_validation_error
from eci_operator.translate.references import DOCKER_CFG, DOCKER_CONFIG_JSON, References, invalid_names

MAX_CONFIG_FILE_BYTES = 32 * 1024
MAX_ENV_VALUE = 256


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
        self.group = group
        self.spec: ContainerGroupSpec = group.spec
        self.refs = refs
        self.owner_tags = owner_tags
        self.problems: list[Problem] = []
        self.secret_env: dict[str, set[str]] = {}
        self.secret_volumes: set[str] = set()

    def refuse(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # ------------------------------------------------------------------ top level

    def run(self) -> Desired:
        spec = self.spec
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
        self.problems.extend(invalid_names(spec))  # never look a name up that is not one
        names = [v.name for v in spec.volumes or []]
        init = [
            self.container(c, f"spec.initContainers[{i}]", names)
            for i, c in enumerate(spec.init_containers or [])
        ]
        containers = [
            self.container(c, f"spec.containers[{i}]", names) for i, c in enumerate(spec.containers)
        ]
        volumes = [self.volume(v, f"spec.volumes[{i}]") for i, v in enumerate(spec.volumes or [])]
        credentials = self.credentials()
        self.check_instance(containers, init)
        tags = self.tags()
        if self.problems:
            raise TranslationError(self.problems)
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
                containers=[c for c in containers if isinstance(c, eci.Container)],
                volumes=[v for v in volumes if v is not None] or None,
            )
        except ValidationError as exc:  # a limit only the request model knows; no values echoed
            raise from_validation_error(exc, root="CreateContainerGroup") from None
        sensitive = Sensitive(
            env={k: frozenset(v) for k, v in self.secret_env.items() if v},
            volumes=frozenset(self.secret_volumes),
        )
        meta = self.group.metadata
        return Desired(
            request=request,
            sensitive=sensitive,
            owned_tag_keys=frozenset(t.key for t in tags),
            salt=meta.uid or f"{meta.namespace}/{meta.name}",
        )

    def check_unique(self) -> None:
        """Names ECI (or Kubernetes list-map keys) require to be unique, refused at the duplicate."""
        spec = self.spec
        seen: set[str] = set()
        for kind, items in (("containers", spec.containers), ("initContainers", spec.init_containers or [])):
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

    # ------------------------------------------------------------------ containers

    def container(
        self, c: InitContainer, path: str, volume_names: list[str]
    ) -> eci.Container | eci.InitContainer | None:
        before = len(self.problems)
        cpu, memory, gpu = self.resources(c.resources, f"{path}.resources")
        env = self.env(c.name, c.env or [], f"{path}.env")
        mounts = []
        for j, m in enumerate(c.volume_mounts or []):
            if m.name not in volume_names:
                self.refuse(f"{path}.volumeMounts[{j}].name", f"no volume named {m.name!r} in spec.volumes")
            mounts.append(
                eci.VolumeMount(
                    name=m.name,
                    mount_path=m.mount_path,
                    sub_path=m.sub_path,
                    read_only=m.read_only,
                    mount_propagation=m.mount_propagation,
                )
            )
        fields: dict[str, Any] = {
            "name": c.name,
            "image": c.image,
            "cpu": cpu,
            "memory": memory,
            "gpu": gpu,
            "working_dir": c.working_dir,
            "image_pull_policy": c.image_pull_policy,
            "commands": list(c.command) if c.command else None,
            "args": list(c.args) if c.args else None,
            "environment_vars": env or None,
            "ports": [eci.Port(port=p.container_port, protocol=p.protocol) for p in c.ports or []] or None,
            "volume_mounts": mounts or None,
            "security_context": _security_context(c.security_context),
        }
        if isinstance(c, Container):
            fields.update(
                stdin=c.stdin,
                stdin_once=c.stdin_once,
                tty=c.tty,
                readiness_probe=self.probe(c, c.readiness_probe, f"{path}.readinessProbe"),
                liveness_probe=self.probe(c, c.liveness_probe, f"{path}.livenessProbe"),
            )
        if len(self.problems) != before:
            return None
        return eci.Container(**fields) if isinstance(c, Container) else eci.InitContainer(**fields)

    def resources(
        self, resources: ResourceRequirements | None, path: str
    ) -> tuple[float | None, float | None, int | None]:
        if resources is None:
            return None, None, None
        requests = resources.requests or {}
        limits = resources.limits or {}
        values: dict[str, object] = {}
        for key in ("cpu", "memory", "nvidia.com/gpu"):
            req, lim = requests.get(key), limits.get(key)
            if req is not None and lim is not None and quantity.parse(req) != quantity.parse(lim):
                self.refuse(
                    f"{path}.limits.{key}",
                    "ECI gives a container one size: requests and limits must be equal when both are set",
                )
            values[key] = req if req is not None else lim
        cpu = memory = None
        gpu = None
        if values["cpu"] is not None:
            cpu = round(quantity.cores(values["cpu"]), 3)
            if cpu <= 0:
                self.refuse(f"{path}.requests.cpu", "must be greater than 0")
        if values["memory"] is not None:
            memory = quantity.gibibytes(values["memory"])
            if memory <= 0:
                self.refuse(f"{path}.requests.memory", "must be at least 0.001 GiB (1Mi)")
        if values["nvidia.com/gpu"] is not None:
            exact = quantity.parse(values["nvidia.com/gpu"])
            if exact != exact.to_integral_value() or exact < 1:
                self.refuse(f"{path}.limits.nvidia.com/gpu", "must be a whole number of GPUs (1 or more)")
            else:
                gpu = int(exact)
        return cpu, memory, gpu

    def env(self, container: str, env: list[EnvVar], path: str) -> list[eci.EnvironmentVar]:
        out: list[eci.EnvironmentVar] = []
        for j, var in enumerate(env):
            where = f"{path}[{j}]"
            source = var.value_from
            if source is None:
                out.append(eci.EnvironmentVar(key=var.name, value=var.value or ""))
            elif source.field_ref is not None:
                out.append(
                    eci.EnvironmentVar(key=var.name, field_ref=eci.FieldRef(field_path="status.podIP"))
                )
            elif source.secret_key_ref is not None:
                ref = source.secret_key_ref
                secret = self.refs.secrets.get(ref.name)
                raw = secret.data.get(ref.key) if secret is not None else None
                if raw is None:
                    if not ref.optional:
                        what = (
                            f"Secret {ref.name!r}"
                            if secret is None
                            else f"key {ref.key!r} of Secret {ref.name!r}"
                        )
                        self.refuse(f"{where}.valueFrom.secretKeyRef", f"{what} not found")
                    continue
                value = self.env_value(
                    raw, f"{where}.valueFrom.secretKeyRef", f"Secret {ref.name!r} key {ref.key!r}"
                )
                if value is not None:
                    out.append(eci.EnvironmentVar(key=var.name, value=value))
                    self.secret_env.setdefault(container, set()).add(var.name)
            elif source.config_map_key_ref is not None:
                cref = source.config_map_key_ref
                cm = self.refs.config_maps.get(cref.name)
                raw = cm.get(cref.key) if cm is not None else None
                if raw is None:
                    if not cref.optional:
                        what = (
                            f"ConfigMap {cref.name!r}"
                            if cm is None
                            else f"key {cref.key!r} of ConfigMap {cref.name!r}"
                        )
                        self.refuse(f"{where}.valueFrom.configMapKeyRef", f"{what} not found")
                    continue
                value = self.env_value(
                    raw, f"{where}.valueFrom.configMapKeyRef", f"ConfigMap {cref.name!r} key {cref.key!r}"
                )
                if value is not None:
                    out.append(eci.EnvironmentVar(key=var.name, value=value))
        return out

    def env_value(self, raw: bytes, path: str, what: str) -> str | None:
        try:
            value = raw.decode()
        except UnicodeDecodeError:
            self.refuse(path, f"{what} is not UTF-8 text")
            return None
        if len(value) > MAX_ENV_VALUE:
            self.refuse(
                path, f"{what} is {len(value)} characters; ECI allows at most {MAX_ENV_VALUE} in an env value"
            )
            return None
        return value

    def probe(self, c: Container, probe: Probe | None, path: str) -> eci.Probe | None:
        if probe is None:
            return None
        handler: dict[str, Any] = {}
        if probe.http_get is not None:
            port = self.port(c, probe.http_get.port, f"{path}.httpGet.port")
            if port is None:
                return None
            handler["http_get"] = eci.HttpGetAction(
                path=probe.http_get.path, port=port, scheme=probe.http_get.scheme
            )
        elif probe.tcp_socket is not None:
            port = self.port(c, probe.tcp_socket.port, f"{path}.tcpSocket.port")
            if port is None:
                return None
            handler["tcp_socket"] = eci.TcpSocketAction(port=port)
        elif probe.exec_ is not None:
            handler["exec"] = eci.ExecAction(commands=list(probe.exec_.command))
        return eci.Probe(
            **handler,
            initial_delay_seconds=probe.initial_delay_seconds,
            period_seconds=probe.period_seconds,
            timeout_seconds=probe.timeout_seconds,
            success_threshold=probe.success_threshold,
            failure_threshold=probe.failure_threshold,
        )

    def port(self, c: Container, port: int | str, path: str) -> int | None:
        if isinstance(port, int):
            return port
        for p in c.ports or []:
            if p.name == port:
                return p.container_port
        self.refuse(path, f"no port named {port!r} in this container's ports")
        return None

    # ------------------------------------------------------------------ volumes

    def volume(self, v: Volume, path: str) -> eci.Volume | None:
        if v.empty_dir is not None:
            size = v.empty_dir.size_limit
            return eci.Volume(
                name=v.name,
                type="EmptyDirVolume",
                empty_dir_volume=eci.EmptyDirVolume(medium=v.empty_dir.medium, size_limit=size)
                if (v.empty_dir.medium is not None or size is not None)
                else None,
            )
        if v.nfs is not None:
            return eci.Volume(
                name=v.name,
                type="NFSVolume",
                nfs_volume=eci.NFSVolume(server=v.nfs.server, path=v.nfs.path, read_only=v.nfs.read_only),
            )
        if v.config_map is not None:
            files = self.config_files(v.config_map, f"{path}.configMap")
        else:
            assert v.secret is not None
            files = self.config_files(v.secret, f"{path}.secret")
            self.secret_volumes.add(v.name)
        if files is None:
            return None
        return eci.Volume(
            name=v.name,
            type="ConfigFileVolume",
            config_file_volume=eci.ConfigFileVolume(config_file_to_paths=files),
        )

    def config_files(
        self, source: ConfigMapVolumeSource | SecretVolumeSource, path: str
    ) -> list[eci.ConfigFileToPath] | None:
        lookup: Callable[[str], bytes | None] | None
        if isinstance(source, ConfigMapVolumeSource):
            kind, name = "ConfigMap", source.name
            cm = self.refs.config_maps.get(name)
            lookup = cm.get if cm is not None else None
            keys = cm.keys() if cm is not None else []
        else:
            kind, name = "Secret", source.secret_name
            secret = self.refs.secrets.get(name)
            lookup = (lambda key: secret.data.get(key)) if secret is not None else None
            keys = sorted(secret.data) if secret is not None else []
        if lookup is None:
            self.refuse(
                path,
                f"{kind} {name!r} not found"
                + (
                    " (ECI cannot create an empty config-file volume, even when optional)"
                    if source.optional
                    else ""
                ),
            )
            return None
        items: list[KeyToPath] = (
            list(source.items) if source.items else [KeyToPath(key=k, path=k) for k in keys]
        )
        files: list[eci.ConfigFileToPath] = []
        for j, item in enumerate(items):
            where = f"{path}.items[{j}]" if source.items else path
            raw = lookup(item.key)
            if raw is None:
                if not source.optional:
                    self.refuse(
                        f"{where}.key" if source.items else where, f"key {item.key!r} not in {kind} {name!r}"
                    )
                continue
            if len(raw) > MAX_CONFIG_FILE_BYTES:
                self.refuse(
                    where,
                    f"key {item.key!r} of {kind} {name!r} is {len(raw)} bytes; "
                    f"ECI allows at most {MAX_CONFIG_FILE_BYTES} per file",
                )
                continue
            files.append(eci.ConfigFileToPath(path=item.path, content=base64.b64encode(raw).decode()))
        if not files and not any(p.field.startswith(path) for p in self.problems):
            self.refuse(
                path, f"{kind} {name!r} has no keys to write (ECI cannot create an empty config-file volume)"
            )
            return None
        return files

    # ------------------------------------------------------------------ registry credentials

    def credentials(self) -> list[eci.ImageRegistryCredential]:
        out: dict[str, eci.ImageRegistryCredential] = {}
        for i, ref in enumerate(self.spec.image_pull_secrets or []):
            path = f"spec.imagePullSecrets[{i}]"
            secret = self.refs.secrets.get(ref.name)
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


def _security_context(sc: SecurityContext | None) -> eci.SecurityContext | None:
    if sc is None:
        return None
    adds = sc.capabilities.add if sc.capabilities is not None and sc.capabilities.add else None
    if adds is None and sc.read_only_root_filesystem is None and sc.run_as_user is None:
        return None
    return eci.SecurityContext(
        capability=eci.CapabilitySet(adds=list(adds)) if adds else None,
        read_only_root_filesystem=True if sc.read_only_root_filesystem else None,
        run_as_user=sc.run_as_user,
    )


def _is_group_name(name: str) -> bool:
    return re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name) is not None


def _duplicates(t: _Translator, values: list[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            t.refuse(path.format(i), f"duplicate {what} {value!r}")
        seen.add(value)
