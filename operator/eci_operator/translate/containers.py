"""A container of the spec → ``Container.N`` / ``InitContainer.N``.

Variables are resolved as the kubelet resolves them: envFrom first (later sources win), then env in
order, each literal value expanded against the variables defined before it; command, args and
subPathExpr are expanded against all of them. ECI receives the results. Two things cannot be
resolved here and are refused: a reference to the instance IP (only ECI knows it, at start) from a
value the operator must expand, and a Secret-derived value that would land in the command, args or
a mount path, which Describe shows to anyone who can read the instance.

Sizes: ECI gives a container one size, its upper bound, so the limit wins over the request.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eci_operator.api import quantity
from eci_operator.api.pod import (
    ENV_NAME,
    SUPPORTED_RESOURCES,
    Container,
    EnvVar,
    InitContainer,
    LifecycleHandler,
    Probe,
    ResourceFieldSelector,
    ResourceRequirements,
)
from eci_operator.eci import models as eci
from eci_operator.translate import expansion
from eci_operator.translate.context import Context

MAX_ENV_VALUE = 256
TERMINATION_LOG = "/dev/termination-log"
_ENV_NAME = re.compile(ENV_NAME)
_LABEL_REF = re.compile(r"^metadata\.(labels|annotations)\['([^']*)'\]$")


@dataclass(frozen=True)
class Var:
    """A resolved variable; ``value`` None is the instance IP (ECI's status.podIP field ref).
    ``where`` is the manifest path it came from."""

    value: str | None
    secret: bool = False
    where: str = ""


def container(
    ctx: Context, c: InitContainer, path: str, volume_names: list[str]
) -> eci.Container | eci.InitContainer | None:
    """The ECI container for ``c`` at manifest ``path``; None when a problem was reported."""
    mark = ctx.problems.mark()
    cpu, memory, gpu = resources(ctx, c, path)
    variables = environment(ctx, c, path)
    env = _env_parameters(ctx, c.name, variables, f"{path}.env")
    security = _security(ctx, c, path)
    fields: dict[str, Any] = {
        "name": c.name,
        "image": c.image,
        "cpu": cpu,
        "memory": memory,
        "gpu": gpu,
        "working_dir": c.working_dir,
        "image_pull_policy": c.image_pull_policy,
        "commands": _expanded(ctx, c.command, variables, f"{path}.command"),
        "args": _expanded(ctx, c.args, variables, f"{path}.args"),
        "environment_vars": env or None,
        "ports": _ports(ctx, c, path),
        "volume_mounts": _mounts(ctx, c, variables, path, volume_names),
        "termination_message_path": None
        if c.termination_message_path in (None, TERMINATION_LOG)
        else c.termination_message_path,
        "termination_message_policy": None
        if c.termination_message_policy in (None, "File")
        else c.termination_message_policy,
        **security,
    }
    if isinstance(c, Container):
        fields.update(
            stdin=c.stdin,
            stdin_once=c.stdin_once,
            tty=c.tty,
            readiness_probe=_probe(ctx, c, c.readiness_probe, f"{path}.readinessProbe"),
            liveness_probe=_probe(ctx, c, c.liveness_probe, f"{path}.livenessProbe"),
        )
        if c.lifecycle is not None:
            fields.update(_hook(ctx, c, c.lifecycle.post_start, f"{path}.lifecycle.postStart", "post_start"))
            fields.update(_hook(ctx, c, c.lifecycle.pre_stop, f"{path}.lifecycle.preStop", "pre_stop"))
    else:
        _init_security(ctx, c, fields, path)
    if any(not p.unenforceable for p in ctx.problems.since(mark)):
        return None
    if isinstance(c, Container):
        return eci.Container(**fields)
    return eci.InitContainer(**fields)


# ---------------------------------------------------------------------- resources


def _get(resources: ResourceRequirements | None, kind: str, name: str) -> str | None:
    if resources is None:
        return None
    values = (resources.limits if kind == "limits" else resources.requests) or {}
    return values.get(name)


def resources(ctx: Context, c: InitContainer, path: str) -> tuple[float | None, float | None, int | None]:
    """(cpu, memory GiB, gpus) of the container: the limit, else the request."""
    res = c.resources
    where = f"{path}.resources"
    if res is None:
        return None, None, None
    for kind, values in (("requests", res.requests), ("limits", res.limits)):
        for key in values or {}:
            if key not in SUPPORTED_RESOURCES:
                ctx.problems.unenforceable(
                    f"{where}.{kind}.{key}",
                    "ECI sizes containers by cpu, memory, nvidia.com/gpu and ephemeral-storage only",
                )
    chosen: dict[str, str | None] = {}
    at: dict[str, str] = {}
    for key in SUPPORTED_RESOURCES:
        req, lim = _get(res, "requests", key), _get(res, "limits", key)
        chosen[key] = lim if lim is not None else req
        at[key] = f"{where}.{'limits' if lim is not None else 'requests'}.{key}"
        if req is not None and lim is not None and quantity.parse(req) != quantity.parse(lim):
            if quantity.parse(req) > quantity.parse(lim):
                ctx.problems.refuse(f"{where}.requests.{key}", f"must not exceed limits.{key} ({lim})")
            elif key != "ephemeral-storage":
                ctx.notes.append(
                    f"{where}: requests.{key} {req} and limits.{key} {lim} differ; ECI gives a container one "
                    f"size, its limit ({lim})"
                )
    cpu = memory = None
    gpu = None
    if chosen["cpu"] is not None:
        cpu = round(quantity.cores(chosen["cpu"]), 3)
        if cpu <= 0:
            ctx.problems.refuse(at["cpu"], "must be greater than 0")
    if chosen["memory"] is not None:
        memory = quantity.gibibytes(chosen["memory"])
        if memory <= 0:
            ctx.problems.refuse(at["memory"], "must be at least 0.001 GiB (1Mi)")
    if chosen["nvidia.com/gpu"] is not None:
        exact = quantity.parse(chosen["nvidia.com/gpu"])
        if exact != exact.to_integral_value() or exact < 1:
            ctx.problems.refuse(at["nvidia.com/gpu"], "must be a whole number of GPUs (1 or more)")
        else:
            gpu = int(exact)
    # ECI's own Kubernetes integration reads the request (the limit when no request is set).
    storage = _get(res, "requests", "ephemeral-storage") or _get(res, "limits", "ephemeral-storage")
    if storage is not None:
        ctx.ephemeral_storage[c.name] = float(quantity.parse(storage) / quantity.GIB)
    return cpu, memory, gpu


# ---------------------------------------------------------------------- environment


def environment(ctx: Context, c: InitContainer, path: str) -> dict[str, Var]:
    """Every variable of the container, resolved in the kubelet's order."""
    variables: dict[str, Var] = {}
    for j, source in enumerate(c.env_from or []):
        where = f"{path}.envFrom[{j}]"
        items = _env_from(ctx, source.config_map_ref, source.secret_ref, where)
        if items is None:
            if source.config_map_ref is None and source.secret_ref is None and not source.model_extra:
                ctx.problems.refuse(where, "set configMapRef or secretRef")
            continue
        secret, data, what = items
        for key in sorted(data):
            name = (source.prefix or "") + key
            if not (_ENV_NAME.match(name) and len(name) <= 128):
                ctx.problems.unenforceable(
                    where,
                    f"key {key!r} of {what} makes the variable {name!r}, a name ECI does not take "
                    "(letters, digits and _, not starting with a digit, at most 128): it is left out",
                )
                continue
            value = _text(ctx, data[key], where, f"{what} key {key!r}")
            if value is not None:
                variables[name] = Var(value, secret, where)
    for j, var in enumerate(c.env or []):
        resolved = _env_var(ctx, c, var, f"{path}.env[{j}]", variables)
        if resolved is not None:
            variables[var.name] = resolved
    return variables


def _env_from(
    ctx: Context, config_map: Any, secret: Any, where: str
) -> tuple[bool, dict[str, bytes], str] | None:
    if config_map is not None:
        cm = ctx.refs.config_maps.get(config_map.name)
        if cm is None:
            if not config_map.optional:
                ctx.problems.refuse(f"{where}.configMapRef", f"ConfigMap {config_map.name!r} not found")
            return None
        # As the kubelet: a ConfigMap's text data only (binaryData does not become variables).
        return False, {k: v.encode() for k, v in cm.data.items()}, f"ConfigMap {config_map.name!r}"
    if secret is not None:
        found = ctx.refs.secrets.get(secret.name)
        if found is None:
            if not secret.optional:
                ctx.problems.refuse(f"{where}.secretRef", f"Secret {secret.name!r} not found")
            return None
        return True, dict(found.data), f"Secret {secret.name!r}"
    return None


def _text(ctx: Context, raw: bytes, where: str, what: str) -> str | None:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        ctx.problems.refuse(where, f"{what} is not UTF-8 text")
        return None


def _env_var(ctx: Context, c: InitContainer, var: EnvVar, where: str, defined: dict[str, Var]) -> Var | None:
    source = var.value_from
    if source is None:
        raw = var.value or ""
        if not raw:
            return Var("", where=f"{where}.value")
        names = [n for n in expansion.references(raw) if n in defined]
        for name in names:
            if defined[name].value is None:
                ctx.problems.refuse(
                    f"{where}.value",
                    f"refers to $({name}), the instance IP, which only ECI knows (at start) and ECI expands "
                    "no $(VAR): read it from the environment in the container instead",
                )
                return None
        known = {k: v.value for k, v in defined.items() if v.value is not None}
        return Var(expansion.expand(raw, known), any(defined[n].secret for n in names), f"{where}.value")
    if source.field_ref is not None:
        return _field_ref(ctx, source.field_ref.field_path, f"{where}.valueFrom.fieldRef.fieldPath")
    if source.resource_field_ref is not None:
        at = f"{where}.valueFrom.resourceFieldRef"
        value = _resource_ref(ctx, c, source.resource_field_ref, at)
        return None if value is None else Var(value, where=at)
    if source.secret_key_ref is not None:
        ref = source.secret_key_ref
        secret = ctx.refs.secrets.get(ref.name)
        data = secret.data.get(ref.key) if secret is not None else None
        if data is None:
            if not ref.optional:
                what = f"Secret {ref.name!r}" if secret is None else f"key {ref.key!r} of Secret {ref.name!r}"
                ctx.problems.refuse(f"{where}.valueFrom.secretKeyRef", f"{what} not found")
            return None
        text = _text(ctx, data, f"{where}.valueFrom.secretKeyRef", f"Secret {ref.name!r} key {ref.key!r}")
        return None if text is None else Var(text, True, f"{where}.valueFrom.secretKeyRef")
    if source.config_map_key_ref is not None:
        cref = source.config_map_key_ref
        cm = ctx.refs.config_maps.get(cref.name)
        data = cm.get(cref.key) if cm is not None else None
        if data is None:
            if not cref.optional:
                what = (
                    f"ConfigMap {cref.name!r}"
                    if cm is None
                    else f"key {cref.key!r} of ConfigMap {cref.name!r}"
                )
                ctx.problems.refuse(f"{where}.valueFrom.configMapKeyRef", f"{what} not found")
            return None
        text = _text(
            ctx, data, f"{where}.valueFrom.configMapKeyRef", f"ConfigMap {cref.name!r} key {cref.key!r}"
        )
        return None if text is None else Var(text, where=f"{where}.valueFrom.configMapKeyRef")
    if not source.model_extra:  # an unknown source (fileKeyRef...) is reported as such
        ctx.problems.refuse(
            f"{where}.valueFrom", "needs one of fieldRef, resourceFieldRef, secretKeyRef, configMapKeyRef"
        )
    return None


def _field_ref(ctx: Context, field_path: str, where: str) -> Var | None:
    meta = ctx.group.metadata
    if field_path == "status.podIP":
        return Var(None, where=where)
    simple = {"metadata.name": meta.name, "metadata.namespace": meta.namespace, "metadata.uid": meta.uid}
    if field_path in simple:
        value = simple[field_path]
        if value is None:
            ctx.problems.refuse(where, "metadata.uid is known once the ContainerGroup exists in the cluster")
            return None
        return Var(value, where=where)
    match = _LABEL_REF.match(field_path)
    if match is not None:
        kind, key = match.groups()
        return Var((meta.labels if kind == "labels" else meta.annotations).get(key, ""), where=where)
    ctx.problems.unenforceable(
        where,
        f"{field_path!r} has no value on ECI (it has no node, service account or host IP of its own; "
        "status.podIP, metadata.name/namespace/uid and single labels or annotations do): the variable "
        "is left out",
    )
    return None


def _resource_ref(ctx: Context, c: InitContainer, ref: ResourceFieldSelector, where: str) -> str | None:
    spec = ctx.spec
    target: InitContainer = c
    if ref.container_name is not None:
        everyone: list[InitContainer] = [*spec.containers, *(spec.init_containers or [])]
        named = next((x for x in everyone if x.name == ref.container_name), None)
        if named is None:
            ctx.problems.refuse(f"{where}.containerName", f"no container named {ref.container_name!r}")
            return None
        target = named
    kind, _, name = ref.resource.partition(".")
    value = _get(target.resources, kind, name)
    if value is None and kind == "requests":
        value = _get(target.resources, "limits", name) or "0"  # requests default to limits
    if value is None:
        # The kubelet falls back to the node's allocatable; the instance is the node here.
        size = {"cpu": spec.cpu, "memory": None if spec.memory is None else f"{spec.memory}Gi"}.get(name)
        if size is None:
            ctx.problems.refuse(
                where,
                f"container {target.name!r} has no limits.{name}; set it (or spec.{name}) to refer to it",
            )
            return None
        value = str(size)
    divisor = quantity.parse(ref.divisor or "1") or Decimal(1)
    amount = quantity.parse(value)
    if name == "cpu":
        return str(math.ceil(math.ceil(amount * 1000) / math.ceil(divisor * 1000)))
    return str(math.ceil(math.ceil(amount) / math.ceil(divisor)))


def _env_parameters(
    ctx: Context, container_name: str, variables: dict[str, Var], path: str
) -> list[eci.EnvironmentVar]:
    out: list[eci.EnvironmentVar] = []
    for name, var in variables.items():
        if var.value is None:
            out.append(eci.EnvironmentVar(key=name, field_ref=eci.FieldRef(field_path="status.podIP")))
            continue
        if len(var.value) > MAX_ENV_VALUE:
            source = " (from a Secret)" if var.secret else ""
            ctx.problems.refuse(
                var.where or path,
                f"the value of {name!r}{source} is {len(var.value)} characters; ECI allows at most "
                f"{MAX_ENV_VALUE} in an env value",
            )
            continue
        out.append(eci.EnvironmentVar(key=name, value=var.value))
        if var.secret:
            ctx.secret_env.setdefault(container_name, set()).add(name)
    return out


def _expanded(
    ctx: Context, items: list[str] | None, variables: dict[str, Var], path: str
) -> list[str] | None:
    if not items:
        return None
    known = {k: v.value for k, v in variables.items() if v.value is not None}
    out = []
    for i, text in enumerate(items):
        for name in expansion.references(text):
            var = variables.get(name)
            if var is not None and var.value is None:
                ctx.problems.refuse(
                    f"{path}[{i}]",
                    f"refers to $({name}), the instance IP, which only ECI knows (at start) and ECI "
                    f"expands no $(VAR): use the variable through a shell (sh -c '... ${name}')",
                )
            elif var is not None and var.secret:
                ctx.problems.refuse(
                    f"{path}[{i}]",
                    f"refers to $({name}), a Secret-derived value, which would be shown in the instance's "
                    "command to anyone who can describe it: read it from the environment "
                    f"(sh -c '... ${name}')",
                )
        out.append(expansion.expand(text, known))
    return out


# ---------------------------------------------------------------------- ports, mounts


def _ports(ctx: Context, c: InitContainer, path: str) -> list[eci.Port] | None:
    out = []
    for j, p in enumerate(c.ports or []):
        if p.host_port is not None and p.host_port != p.container_port:
            ctx.problems.unenforceable(
                f"{path}.ports[{j}].hostPort",
                "ECI maps no host port: the container port listens on the instance's own IP",
            )
        out.append(eci.Port(port=p.container_port, protocol=p.protocol))
    return out or None


def _mounts(
    ctx: Context, c: InitContainer, variables: dict[str, Var], path: str, volume_names: list[str]
) -> list[eci.VolumeMount] | None:
    out = []
    for j, m in enumerate(c.volume_mounts or []):
        where = f"{path}.volumeMounts[{j}]"
        if m.name not in volume_names:
            ctx.problems.refuse(f"{where}.name", f"no volume named {m.name!r} in spec.volumes")
        sub_path = m.sub_path
        if m.sub_path_expr is not None:
            if m.sub_path is not None:
                ctx.problems.refuse(f"{where}.subPathExpr", "subPath and subPathExpr are mutually exclusive")
            expanded = _expanded(ctx, [m.sub_path_expr], variables, f"{where}.subPathExpr")
            sub_path = expanded[0] if expanded else None
        out.append(
            eci.VolumeMount(
                name=m.name,
                mount_path=m.mount_path,
                sub_path=sub_path,
                read_only=m.read_only,
                mount_propagation=m.mount_propagation,
            )
        )
    return out or None


# ---------------------------------------------------------------------- security


def _security(ctx: Context, c: InitContainer, path: str) -> dict[str, Any]:
    """The container's security parameters; the pod's securityContext supplies the defaults."""
    own = c.security_context
    pod = ctx.spec.security_context
    where = f"{path}.securityContext"

    def pick(name: str) -> Any:
        value = getattr(own, name) if own is not None else None
        return value if value is not None or pod is None else getattr(pod, name, None)

    run_as_user, run_as_group, non_root = pick("run_as_user"), pick("run_as_group"), pick("run_as_non_root")
    adds: list[str] = []
    capabilities = own.capabilities if own is not None else None
    for i, cap in enumerate(capabilities.add or [] if capabilities is not None else []):
        if cap in ("NET_ADMIN", "NET_RAW"):
            adds.append(cap)
        else:
            ctx.problems.unenforceable(
                f"{where}.capabilities.add[{i}]", f"ECI can add only NET_ADMIN and NET_RAW, not {cap}"
            )
    out: dict[str, Any] = {}
    if adds or run_as_user is not None or (own is not None and own.read_only_root_filesystem):
        out["security_context"] = eci.SecurityContext(
            capability=eci.CapabilitySet(adds=adds) if adds else None,
            read_only_root_filesystem=True if own is not None and own.read_only_root_filesystem else None,
            run_as_user=run_as_user,
        )
    if run_as_group is not None:
        out["security_context_run_as_group"] = run_as_group
    if non_root:
        if run_as_user == 0:
            ctx.problems.refuse(f"{where}.runAsNonRoot", "contradicts runAsUser 0")
        elif run_as_user is None:  # with a non-zero runAsUser it holds by construction
            out["security_context_run_as_non_root"] = True
    if own is not None and own.privileged:
        out["security_context_privileged"] = True
    return out


_INIT_UNSUPPORTED = (
    ("security_context_run_as_group", "runAsGroup", "run_as_group"),
    ("security_context_run_as_non_root", "runAsNonRoot", "run_as_non_root"),
    ("security_context_privileged", "privileged", "privileged"),
)


def _init_security(ctx: Context, c: InitContainer, fields: dict[str, Any], path: str) -> None:
    """ECI's init containers take only runAsUser, readOnlyRootFilesystem and capabilities."""
    for key, name, attr in _INIT_UNSUPPORTED:
        if fields.pop(key, None) is None:
            continue
        own = c.security_context is not None and getattr(c.security_context, attr) is not None
        where = f"{path}.securityContext.{name}" if own else f"spec.securityContext.{name}"
        inherited = "" if own else f" ({path} inherits it)"
        ctx.problems.unenforceable(where, f"ECI has no {name} for init containers{inherited}")


# ---------------------------------------------------------------------- probes, hooks


def _port(ctx: Context, c: InitContainer, port: int | str, path: str) -> int | None:
    if isinstance(port, int):
        return port
    for p in c.ports or []:
        if p.name == port:
            return p.container_port
    ctx.problems.refuse(path, f"no port named {port!r} in this container's ports")
    return None


def _probe(ctx: Context, c: Container, probe: Probe | None, path: str) -> eci.Probe | None:
    if probe is None:
        return None
    handler: dict[str, Any] = {}
    if probe.http_get is not None:
        port = _port(ctx, c, probe.http_get.port, f"{path}.httpGet.port")
        if port is None:
            return None
        handler["http_get"] = eci.HttpGetAction(
            path=probe.http_get.path, port=port, scheme=probe.http_get.scheme
        )
    elif probe.tcp_socket is not None:
        port = _port(ctx, c, probe.tcp_socket.port, f"{path}.tcpSocket.port")
        if port is None:
            return None
        handler["tcp_socket"] = eci.TcpSocketAction(port=port)
    elif probe.exec_ is not None:
        handler["exec"] = eci.ExecAction(commands=list(probe.exec_.command))
    else:
        if not probe.model_extra:  # a handler ECI lacks (grpc) is reported as such; the probe is left out
            ctx.problems.refuse(path, "needs one of httpGet, tcpSocket, exec")
        return None
    return eci.Probe(
        **handler,
        initial_delay_seconds=probe.initial_delay_seconds,
        period_seconds=probe.period_seconds,
        timeout_seconds=probe.timeout_seconds,
        success_threshold=probe.success_threshold,
        failure_threshold=probe.failure_threshold,
    )


def _hook(
    ctx: Context, c: Container, handler: LifecycleHandler | None, path: str, hook: str
) -> dict[str, Any]:
    """The ``Lifecycle<Hook>Handler*`` parameters of one hook."""
    if handler is None:
        return {}
    prefix = f"lifecycle_{hook}_handler_"
    if handler.exec_ is not None:
        return {f"{prefix}execs": list(handler.exec_.command)}
    if handler.http_get is not None:
        get = handler.http_get
        port = _port(ctx, c, get.port, f"{path}.httpGet.port")
        headers = [eci.HttpHeader(name=h.name, value=h.value) for h in get.http_headers or []]
        return {
            f"{prefix}http_get_path": get.path,
            f"{prefix}http_get_port": port,
            f"{prefix}http_get_host": get.host,
            f"{prefix}http_get_scheme": get.scheme,
            f"{prefix}http_get_http_headers": headers or None,
        }
    if handler.tcp_socket is not None:
        port = _port(ctx, c, handler.tcp_socket.port, f"{path}.tcpSocket.port")
        return {f"{prefix}tcp_socket_port": port, f"{prefix}tcp_socket_host": handler.tcp_socket.host}
    if not handler.model_extra:  # a handler ECI lacks (sleep) is reported as such; the hook is left out
        ctx.problems.refuse(path, "needs one of exec, httpGet, tcpSocket")
    return {}
