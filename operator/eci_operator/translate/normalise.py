"""One normalised, comparable shape for the desired parameters and for what Describe returns.

Both sides are reduced to plain data per ECI parameter group, so that comparing them means "would
sending the desired group change anything":
- Describe's plural names are mapped back (``Commands``, ``EnvironmentVars``, ``Execs``...);
- container ``Cpu``/``Memory``/``Gpu`` of 0 are unset; empty strings are unset;
- a probe with no handler is absent; probe timings carry ECI's defaults on both sides;
- lists whose order ECI does not keep meaningfully are keyed (containers and volumes by name, env by
  key, mounts by path, ports as a set); command/args/init-container order is kept;
- config-file contents, Secret-derived env values and (on the observed side) every env value not
  known to be clear are replaced by ``Redacted`` digests, so the state (and any diff of it) never
  holds a secret. Known clear means: the spec sets it in clear now, and the last applied record
  says it was not sent from a Secret (an env var switched from a Secret to a literal still holds
  the Secret's value on the instance until the change is applied);
- what Describe does not report (``unreported``: lifecycle hooks, create-only settings, file modes)
  is taken as the desired value when its fingerprint matches what was last applied, and shown as
  ``NOT_REPORTED`` otherwise.
Filtering what the operator does not own (image env vars, foreign tags) is ``normalise``: the
observed state reduced to what the desired state owns.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eci_operator.api import quantity
from eci_operator.api.containergroup import Fingerprints
from eci_operator.eci import models as eci
from eci_operator.translate import unreported
from eci_operator.translate.desired import Desired
from eci_operator.translate.fingerprints import digest, fingerprints

# ECI's probe defaults: an unset timing and the default value are the same thing.
PROBE_DEFAULTS = {
    "InitialDelaySeconds": 0,
    "PeriodSeconds": 10,
    "TimeoutSeconds": 1,
    "SuccessThreshold": 1,
    "FailureThreshold": 3,
}


@dataclass(frozen=True)
class Redacted:
    """A value that must not be shown: compared by digest, rendered as ``(sensitive value)``."""

    digest: str

    def __repr__(self) -> str:
        return "(sensitive value)"


@dataclass(frozen=True)
class NotReported:
    """A value ECI does not report back, which differs from what the operator last applied (or was
    never applied by it)."""

    def __repr__(self) -> str:
        return "(not reported by ECI; differs from what was last applied)"


NOT_REPORTED = NotReported()


@dataclass(frozen=True)
class State:
    """Normalised ECI state. ``None`` for an instance field means "not specified" (desired) or
    "not reported" (observed)."""

    region_id: str | None = None
    container_group_id: str | None = None
    container_group_name: str | None = None
    zone_id: str | None = None
    v_switch_id: str | None = None
    security_group_id: str | None = None
    instance_type: str | None = None
    cpu: float | None = None
    memory: float | None = None
    resource_group_id: str | None = None
    restart_policy: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    dns_config: dict[str, Any] | None = None
    create_only: dict[str, Any] = field(default_factory=dict)
    """Instance parameters only CreateContainerGroup sets, by ECI name (None values left out)."""


def _none(value: Any) -> Any:
    """Unset-equivalent values (``""``, 0 for sizes, empty lists/dicts) become None."""
    if value in ("", None) or value == [] or value == {}:
        return None
    return value


def _num(value: float | None) -> float | None:
    if value is None or value == 0:
        return None
    return round(float(value), 3)


def _size(value: str | None) -> str | None:
    """A size limit compared by value (``1Gi`` == ``1024Mi``)."""
    if not value:
        return None
    try:
        return format(quantity.parse(value).normalize(), "f")
    except ValueError:
        return value


def _probe(kind: str, handler: Any, p: eci.Probe | eci.ProbeOut) -> dict[str, Any]:
    """One probe on either side: its handler, and its timings with ECI's defaults filled in."""
    timings = {
        "InitialDelaySeconds": p.initial_delay_seconds,
        "PeriodSeconds": p.period_seconds,
        "TimeoutSeconds": p.timeout_seconds,
        "SuccessThreshold": p.success_threshold,
        "FailureThreshold": p.failure_threshold,
    }
    out: dict[str, Any] = {"Handler": {kind: handler}}
    for name, default in PROBE_DEFAULTS.items():
        value = timings.get(name)
        # 0 is not a valid period/timeout/threshold: Describe's 0 means "unset".
        out[name] = default if value is None or (value == 0 and default != 0) else value
    return out


def _http_get(h: eci.HttpGetAction | eci.HttpGetOut) -> dict[str, Any]:
    return {"Path": _none(h.path), "Port": h.port, "Scheme": h.scheme or "HTTP"}


def _container(
    c: eci.Container | eci.InitContainer | eci.ContainerOut | eci.InitContainerOut,
    *,
    image_pull_policy: str | None,
    commands: list[str],
    args: list[str],
    env: dict[str, Any],
    ports: Sequence[eci.Port | eci.PortOut],
    create_only: Any,
) -> dict[str, Any]:
    """The fields every container compares by, on either side (each side reads a few its own way)."""
    return {
        "Name": c.name,
        "Image": c.image,
        "Cpu": _num(c.cpu),
        "Memory": _num(c.memory),
        "Gpu": c.gpu or None,
        "WorkingDir": _none(c.working_dir),
        "ImagePullPolicy": image_pull_policy,
        "Commands": commands,
        "Args": args,
        "EnvironmentVars": env,
        "Ports": sorted(f"{p.port}/{p.protocol or 'TCP'}" for p in ports),
        "VolumeMounts": _mounts(c.volume_mounts),
        "SecurityContext": _security(c.security_context),
        "CreateOnly": create_only,
    }


def _placement(x: eci.CreateContainerGroupRequest | eci.ContainerGroupOut) -> dict[str, Any]:
    """Where and how large the instance is, compared the same way on both sides."""
    return {
        "zone_id": _none(x.zone_id),
        "v_switch_id": _none(x.v_switch_id),
        "security_group_id": _none(x.security_group_id),
        "instance_type": _none(x.instance_type),
        "cpu": _num(x.cpu),
        "memory": _num(x.memory),
        "resource_group_id": _none(x.resource_group_id),
    }


# ---------------------------------------------------------------------- desired side


def _env_in(vars_: list[eci.EnvironmentVar] | None, secret_keys: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for var in vars_ or []:
        if var.field_ref is not None:
            out[var.key] = {"FieldRef": var.field_ref.field_path}
        elif var.key in secret_keys:
            out[var.key] = {"Value": Redacted(digest(var.value or ""))}
        else:
            out[var.key] = {"Value": var.value or ""}
    return out


def _mounts(mounts: Sequence[eci.VolumeMount | eci.InitVolumeMountOut] | None) -> dict[str, Any]:
    return {
        m.mount_path: {
            "Name": m.name,
            "SubPath": _none(getattr(m, "sub_path", None)),
            "ReadOnly": bool(m.read_only),
            "MountPropagation": None if m.mount_propagation in (None, "", "None") else m.mount_propagation,
        }
        for m in mounts or []
    }


def _security(sc: eci.SecurityContext | eci.SecurityContextOut | None) -> dict[str, Any] | None:
    if sc is None:
        return None
    out = {
        "Capabilities": sorted(sc.capability.adds) if sc.capability and sc.capability.adds else None,
        "ReadOnlyRootFilesystem": True if sc.read_only_root_filesystem else None,
        "RunAsUser": sc.run_as_user,
    }
    return out if any(v is not None for v in out.values()) else None


def _probe_in(p: eci.Probe | None) -> dict[str, Any] | None:
    if p is None:
        return None
    if p.exec is not None:
        return _probe("Exec", list(p.exec.commands), p)
    if p.http_get is not None:
        return _probe("HttpGet", _http_get(p.http_get), p)
    assert p.tcp_socket is not None
    return _probe("TcpSocket", {"Port": p.tcp_socket.port}, p)


def _container_in(c: eci.Container | eci.InitContainer, secret_keys: frozenset[str]) -> dict[str, Any]:
    out = _container(
        c,
        image_pull_policy=c.image_pull_policy,
        commands=list(c.commands or []),
        args=list(c.args or []),
        env=_env_in(c.environment_vars, secret_keys),
        ports=c.ports or [],
        create_only=unreported.container_create_only(c),
    )
    if isinstance(c, eci.Container):
        out.update(
            Stdin=bool(c.stdin),
            StdinOnce=bool(c.stdin_once),
            Tty=bool(c.tty),
            ReadinessProbe=_probe_in(c.readiness_probe),
            LivenessProbe=_probe_in(c.liveness_probe),
            Lifecycle=unreported.hooks(c),
        )
    return out


def _files(paths: list[tuple[str, str]]) -> dict[str, Redacted]:
    """Config files by path, contents as digests of the decoded bytes (empty content: unknown)."""
    out: dict[str, Redacted] = {}
    for path, content in paths:
        try:
            raw = base64.b64decode(content, validate=True) if content else None
        except (binascii.Error, ValueError):
            raw = content.encode()
        out[path] = Redacted(digest(raw) if raw is not None else "")
    return out


def _volume_in(v: eci.Volume) -> dict[str, Any]:
    if v.type == "NFSVolume" and v.nfs_volume is not None:
        nfs = v.nfs_volume
        return {"Type": v.type, "Server": nfs.server, "Path": nfs.path, "ReadOnly": bool(nfs.read_only)}
    if v.type == "ConfigFileVolume" and v.config_file_volume is not None:
        paths = [(f.path, f.content) for f in v.config_file_volume.config_file_to_paths]
        return {"Type": v.type, "Files": _files(paths), "Modes": unreported.volume_modes(v)}
    if v.type == "EmptyDirVolume":
        ed = v.empty_dir_volume
        return {
            "Type": v.type,
            "Medium": _none(ed.medium) if ed else None,
            "SizeLimit": _size(ed.size_limit) if ed else None,
        }
    return {"Type": v.type}


def _dns_in(dns: eci.DnsConfig | None) -> dict[str, Any] | None:
    if dns is None:
        return None
    out = {
        "NameServers": list(dns.name_servers or []),
        "Searches": list(dns.searches or []),
        "Options": [[o.name, o.value or ""] for o in dns.options or []],
    }
    return out if any(out.values()) else None


def _aliases(aliases: list[tuple[str, list[str]]]) -> list[list[Any]] | None:
    return [[ip, list(names)] for ip, names in aliases] or None


def _sysctls(pairs: list[tuple[str, str]]) -> list[list[str]] | None:
    return sorted([name, value] for name, value in pairs) or None


def _create_only_in(request: eci.CreateContainerGroupRequest) -> dict[str, Any]:
    safe = request.security_context.sysctls if request.security_context else []
    out = {
        "HostAliase": _aliases([(a.ip, a.hostnames) for a in request.host_aliases or []]),
        "SecurityContext": _sysctls([(x.name, x.value) for x in safe]),
        "EphemeralStorage": request.ephemeral_storage or None,
        **unreported.instance_create_only(request),
    }
    return {k: v for k, v in out.items() if v is not None}


def desired_state(
    request: eci.CreateContainerGroupRequest,
    secret_env: dict[str, frozenset[str]] | None = None,
) -> State:
    """The normalised state of a CreateContainerGroup request."""
    secret_env = secret_env or {}
    return State(
        region_id=request.region_id,
        container_group_name=request.container_group_name,
        **_placement(request),
        restart_policy=request.restart_policy or "Always",
        tags={t.key: t.value for t in request.tags or []},
        containers={
            c.name: _container_in(c, secret_env.get(c.name, frozenset())) for c in request.containers
        },
        init_containers=[
            _container_in(c, secret_env.get(c.name, frozenset())) for c in request.init_containers or []
        ],
        volumes={v.name: _volume_in(v) for v in request.volumes or []},
        dns_config=_dns_in(request.dns_config),
        create_only=_create_only_in(request),
    )


# ---------------------------------------------------------------------- observed side


def _env_out(vars_: list[eci.EnvironmentVarOut], visible: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for var in vars_:
        ref = var.value_from.field_ref if var.value_from is not None else None
        if ref is not None and ref.field_path:
            out[var.key] = {"FieldRef": ref.field_path}
        elif var.key in visible:
            out[var.key] = {"Value": var.value}
        else:
            out[var.key] = {"Value": Redacted(digest(var.value))}
    return out


def _probe_out(p: eci.ProbeOut | None) -> dict[str, Any] | None:
    if p is None or p.is_empty:
        return None
    if p.execs:
        return _probe("Exec", list(p.execs), p)
    if p.http_get is not None and (p.http_get.port or p.http_get.path):
        return _probe("HttpGet", _http_get(p.http_get), p)
    assert p.tcp_socket is not None
    return _probe("TcpSocket", {"Port": p.tcp_socket.port}, p)


def _container_out(c: eci.ContainerOut | eci.InitContainerOut, visible: frozenset[str]) -> dict[str, Any]:
    is_init = isinstance(c, eci.InitContainerOut)
    out = _container(
        c,
        image_pull_policy=_none(c.image_pull_policy),
        commands=list(c.command if isinstance(c, eci.InitContainerOut) else c.commands),
        args=list(c.args),
        env=_env_out(c.environment_vars, visible),
        ports=c.ports,
        create_only=None,  # not reported: see normalise
    )
    if not is_init:
        assert isinstance(c, eci.ContainerOut)
        out.update(
            Stdin=c.stdin,
            StdinOnce=c.stdin_once,
            Tty=c.tty,
            ReadinessProbe=_probe_out(c.readiness_probe),
            LivenessProbe=_probe_out(c.liveness_probe),
            Lifecycle=None,  # not reported: see normalise
        )
    return out


def _volume_out(v: eci.VolumeOut) -> dict[str, Any]:
    if v.type == "NFSVolume":
        return {
            "Type": v.type,
            "Server": v.nfs_volume_server,
            "Path": v.nfs_volume_path,
            "ReadOnly": bool(v.nfs_volume_read_only),
        }
    if v.type == "ConfigFileVolume":
        paths = [(f.path, f.content) for f in v.config_file_volume_config_file_to_paths]
        return {"Type": v.type, "Files": _files(paths), "Modes": None}  # modes are not reported
    if v.type == "EmptyDirVolume":
        return {
            "Type": v.type,
            "Medium": _none(v.empty_dir_volume_medium),
            "SizeLimit": _size(v.empty_dir_volume_size_limit),
        }
    return {"Type": v.type}


def observed_state(
    group: eci.ContainerGroupOut, visible_env: Mapping[str, frozenset[str]] | None = None
) -> State:
    """The normalised state of a DescribeContainerGroups entry.

    Env values are digests unless ``visible_env`` (per container) names the key: only values the
    spec itself sets in clear (literals, ConfigMap keys) are shown. Any other value may come from a
    Secret (now or before the spec changed), so the observed state never holds one in clear.
    """
    visible_env = visible_env or {}
    dns = group.dns_config
    return State(
        region_id=_none(group.region_id),
        container_group_id=_none(group.container_group_id),
        container_group_name=_none(group.container_group_name),
        **_placement(group),
        restart_policy=_none(group.restart_policy),
        tags={t.key: t.value for t in group.tags},
        containers={
            c.name: _container_out(c, visible_env.get(c.name, frozenset())) for c in group.containers
        },
        init_containers=[
            _container_out(c, visible_env.get(c.name, frozenset())) for c in group.init_containers
        ],
        volumes={v.name: _volume_out(v) for v in group.volumes},
        dns_config=_dns_in(
            eci.DnsConfig(
                name_servers=dns.name_servers,
                searches=dns.searches,
                options=[eci.DnsOption(name=o.name, value=o.value) for o in dns.options],
            )
        )
        if dns is not None
        else None,
        create_only=_create_only_out(group),
    )


def _create_only_out(group: eci.ContainerGroupOut) -> dict[str, Any]:
    safe = group.eci_security_context.sysctls if group.eci_security_context else []
    out = {
        "HostAliase": _aliases([(a.ip, a.hostnames) for a in group.host_aliases]),
        "SecurityContext": _sysctls([(x.name, x.value) for x in safe]),
        "EphemeralStorage": group.ephemeral_storage or None,
    }
    return {k: v for k, v in out.items() if v is not None}


# ---------------------------------------------------------------------- normalisation against desired


def _owned_env(state: dict[str, Any], keep: Iterable[str]) -> dict[str, Any]:
    keep = set(keep)
    return {k: v for k, v in state.items() if k in keep}


def visible_env(desired: Desired, applied: Fingerprints | None = None) -> dict[str, frozenset[str]]:
    """Per container, the env keys whose observed values may be shown (the others are digests).

    A key qualifies when the spec sets it in clear (a literal, a ConfigMap key, the pod IP) and
    ``applied`` shows it was not last sent from a Secret. Without a record of what was last sent to
    a container (an adopted instance, a lost status, a record older than the Secret key names), no
    observed value of that container is shown.
    """
    applied = applied or Fingerprints()
    sent = applied.env_keys or {}
    secret_sent = applied.secret_env_keys or {}
    request = desired.request
    out: dict[str, frozenset[str]] = {}
    for c in [*request.containers, *(request.init_containers or [])]:
        secret = desired.sensitive.env.get(c.name, frozenset())
        unknown = c.name not in sent or (c.name in (applied.secret_env or {}) and c.name not in secret_sent)
        if unknown:
            out[c.name] = frozenset()
            continue
        was_secret = set(secret_sent.get(c.name, []))
        out[c.name] = frozenset(
            v.key for v in c.environment_vars or [] if v.key not in secret and v.key not in was_secret
        )
    return out


def _same_as_wanted(have: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """Observed env entries hidden as digests that equal the desired clear value are that value: not
    showing a value must not make an unchanged variable look changed."""
    out = dict(have)
    for key, entry in have.items():
        wanted = want.get(key)
        if (
            isinstance(entry.get("Value"), Redacted)
            and wanted is not None
            and isinstance(wanted.get("Value"), str)
            and entry["Value"].digest == digest(wanted["Value"])
        ):
            out[key] = wanted
    return out


def normalise(
    observed: eci.ContainerGroupOut, desired: Desired, applied: Fingerprints | None = None
) -> State:
    """The observed state reduced to what ``desired`` owns, in ``desired_state``'s shape.

    - env vars neither desired nor last applied by the operator are the image's own: dropped;
    - tags neither desired nor last applied are someone else's: dropped;
    - fields ECI fills in when unset (imagePullPolicy) count as equal when the spec leaves them out;
    - write-only values (Secret env, config-file contents) whose applied fingerprint equals the
      desired one are taken as applied (Describe may hide or mangle them).
    """
    applied = applied or Fingerprints()
    d = desired_state(desired.request, dict(desired.sensitive.env))
    o = observed_state(observed, visible_env(desired, applied))
    view = _OwnedView(desired, applied)
    d_init = {c["Name"]: c for c in d.init_containers}
    owned_tags = set(d.tags) | set(applied.tag_keys or [])
    return State(
        region_id=o.region_id,
        container_group_id=d.container_group_id,
        container_group_name=o.container_group_name,
        zone_id=_owned(d.zone_id, o.zone_id),
        v_switch_id=_chosen(d.v_switch_id, o.v_switch_id),
        security_group_id=_owned(d.security_group_id, o.security_group_id),
        instance_type=_chosen(d.instance_type, o.instance_type),
        cpu=_owned(d.cpu, o.cpu),
        memory=_owned(d.memory, o.memory),
        resource_group_id=_owned(d.resource_group_id, o.resource_group_id),
        restart_policy=o.restart_policy,
        tags={k: v for k, v in o.tags.items() if k in owned_tags},
        containers={n: view.container(n, d.containers.get(n), c, False) for n, c in o.containers.items()},
        init_containers=[
            view.container(c["Name"], d_init.get(c["Name"]), c, True) for c in o.init_containers
        ],
        volumes=view.volumes(d.volumes, o.volumes),
        dns_config=o.dns_config,
        create_only=view.create_only(d.create_only, o.create_only),
    )


def _owned(wanted: Any, have: Any) -> Any:
    """Instance fields the spec leaves to ECI are not compared."""
    return None if wanted is None else have


def _chosen(wanted: str | None, have: str | None) -> str | None:
    """ECI picks one of a comma list: the pick stands for the list."""
    if wanted is None:
        return None
    return wanted if _in_list(have, wanted) else have


class _OwnedView:
    """How ``normalise`` reads the observed parts against what the operator wants and last applied."""

    def __init__(self, desired: Desired, applied: Fingerprints) -> None:
        self.desired = desired
        self.applied = applied
        self.want = fingerprints(desired)
        self.applied_unreported = applied.unreported or {}
        self.wanted_unreported = self.want.unreported or {}

    def unreported_as(self, key: str, wanted: Any) -> Any:
        """The desired value when it is what was last applied; otherwise NOT_REPORTED."""
        if self.applied_unreported.get(key) == self.wanted_unreported.get(key):
            return wanted
        return NOT_REPORTED

    def container(
        self, name: str, dc: dict[str, Any] | None, oc: dict[str, Any], init: bool
    ) -> dict[str, Any]:
        applied, want = self.applied, self.want
        oc = copy.deepcopy(oc)
        keep = set((applied.env_keys or {}).get(name, []))
        if dc is not None:
            keep |= set(dc["EnvironmentVars"])
        oc["EnvironmentVars"] = _owned_env(oc["EnvironmentVars"], keep)
        kind = "InitContainer" if init else "Container"
        oc["CreateOnly"] = self.unreported_as(f"{kind}/{name}/CreateOnly", dc["CreateOnly"] if dc else None)
        if not init:
            oc["Lifecycle"] = self.unreported_as(
                f"Container/{name}/Lifecycle", dc["Lifecycle"] if dc else None
            )
        if dc is None:
            return oc
        oc["EnvironmentVars"] = _same_as_wanted(oc["EnvironmentVars"], dc["EnvironmentVars"])
        if dc["ImagePullPolicy"] is None:
            oc["ImagePullPolicy"] = None
        secret_keys = self.desired.sensitive.env.get(name, frozenset())
        applied_secret = (applied.secret_env or {}).get(name)
        if secret_keys and applied_secret is not None and applied_secret == (want.secret_env or {}).get(name):
            for key in secret_keys:
                if key in oc["EnvironmentVars"] and key in dc["EnvironmentVars"]:
                    oc["EnvironmentVars"][key] = dc["EnvironmentVars"][key]
        if init:  # Describe does not return SubPath for init containers: unobservable
            for mount_path, mount in oc["VolumeMounts"].items():
                wanted = dc["VolumeMounts"].get(mount_path)
                if wanted is not None and mount["SubPath"] is None:
                    mount["SubPath"] = wanted["SubPath"]
        return oc

    def volumes(
        self, desired: dict[str, dict[str, Any]], observed: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        volumes = copy.deepcopy(observed)
        for name, vol in volumes.items():
            wanted = desired.get(name)
            applied_files = (self.applied.config_files or {}).get(name)
            if (
                wanted is not None
                and wanted["Type"] == vol["Type"] == "ConfigFileVolume"
                and applied_files is not None
                and applied_files == (self.want.config_files or {}).get(name)
            ):
                vol["Files"] = {p: wanted["Files"].get(p, c) for p, c in vol["Files"].items()}
            if vol["Type"] == "ConfigFileVolume":
                modes = wanted.get("Modes") if wanted is not None and wanted["Type"] == vol["Type"] else None
                vol["Modes"] = self.unreported_as(f"Volume/{name}/Modes", modes)
        return volumes

    def create_only(self, desired: dict[str, Any], observed: dict[str, Any]) -> dict[str, Any]:
        create_only = dict(observed)
        for key in [*self.applied_unreported, *self.wanted_unreported]:
            if key.startswith("Instance/"):
                name = key.removeprefix("Instance/")
                create_only[name] = self.unreported_as(key, desired.get(name))
        return {k: v for k, v in create_only.items() if v is not None}


def _in_list(value: str | None, wanted: str) -> bool:
    return value is not None and value in [w.strip() for w in wanted.split(",")]
