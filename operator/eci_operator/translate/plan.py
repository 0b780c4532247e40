"""Desired vs observed -> the changed ECI parameter groups, what applying them costs, and the request.

Impact rules (UpdateContainerGroup documentation):
- Tag: in place, no restart.
- ImageRegistryCredential: no restart only when it is the only group updated and the number of
  credentials does not grow; otherwise a restart.
- Container, InitContainer, Volume, DnsConfig, RestartPolicy: in place with a restart.
- Instance cpu/memory, zone, vSwitch, security group, instance type, name: not updatable -> a new
  instance (Replace).
- A group that would have to become empty (all volumes, init containers, the DNS config or the
  registry credentials removed) cannot be sent: the RPC form cannot express an empty list, and an
  omitted group is kept. That too needs a new instance.
- Parameters only CreateContainerGroup sets (grace period, deadline, DNS policy, host name, host
  aliases, sysctls, extra ephemeral storage, CPU architecture, shared process namespace): a change
  needs a new instance. So does any change of containers (or volumes) that carry create-only
  settings (termination message, runAsGroup, runAsNonRoot, privileged; file modes):
  UpdateContainerGroup replaces the list whole and has no parameter for them, so an in-place
  update would drop them.
- ResourceGroupId: the documentation does not say; assumed to restart (the safe assumption; the
  emulator does the same).
- Volume: a change of the volume names (added, removed, renamed) is sent together with the
  containers, which refer to volumes by name.

Each changed in-place group goes into the UpdateContainerGroup request whole; unchanged groups are
left out (``UpdateType=IncrementalUpdate`` keeps them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eci_operator.api.containergroup import ChangeSummary, Fingerprints, PlanStatus, UpdatePolicy
from eci_operator.eci import models as eci
from eci_operator.eci.flatten import flatten
from eci_operator.translate.desired import Desired
from eci_operator.translate.fingerprints import digest, fingerprints
from eci_operator.translate.normalise import NotReported, Redacted, State, desired_state, normalise


class Impact(StrEnum):
    """What applying a change costs."""

    NO_RESTART = "NoRestart"
    RESTART = "Restart"
    REPLACE = "Replace"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Impact.NO_RESTART: 0, Impact.RESTART: 1, Impact.REPLACE: 2}
_ALLOWED = {
    UpdatePolicy.IN_PLACE_ONLY: Impact.NO_RESTART,
    UpdatePolicy.ALLOW_RESTART: Impact.RESTART,
    UpdatePolicy.ALLOW_REPLACE: Impact.REPLACE,
}
# Groups no update can change: a change needs a new instance.
REPLACE_ONLY = (
    "ContainerGroupName",
    "ZoneId",
    "VSwitchId",
    "SecurityGroupId",
    "InstanceType",
    "Cpu",
    "Memory",
    "CpuArchitecture",
    "EphemeralStorage",
    "HostName",
    "HostAliase",
    "DnsPolicy",
    "ShareProcessNamespace",
    "SecurityContext",
    "HostSecurityContext",
    "TerminationGracePeriodSeconds",
    "ActiveDeadlineSeconds",
)
# Groups UpdateContainerGroup changes in place, each with the request field it is sent as (the whole
# group, taken from the Create request; tags also keep the foreign ones).
UPDATABLE = {
    "RestartPolicy": "restart_policy",
    "ResourceGroupId": "resource_group_id",
    "Tag": "tags",
    "ImageRegistryCredential": "image_registry_credentials",
    "DnsConfig": "dns_config",
    "Volume": "volumes",
    "InitContainer": "init_containers",
    "Container": "containers",
}
# Display order: replacement groups first, then in-place groups.
GROUP_ORDER = (*REPLACE_ONLY, *UPDATABLE)


@dataclass(frozen=True)
class GroupChange:
    """One changed ECI parameter group."""

    group: str
    impact: Impact
    changes: tuple[str, ...]
    """Readable diff lines (observed -> desired), secret values redacted."""
    reason: str | None = None
    """Why the impact is higher than the group's usual one, if it is."""

    def summary(self) -> ChangeSummary:
        lines = [*self.changes, *([self.reason] if self.reason else [])]
        return ChangeSummary(group=self.group, impact=self.impact.value, changes=lines)


@dataclass(frozen=True)
class Plan:
    """The changes between a ContainerGroup and its ECI instance.

    ``update`` is the UpdateContainerGroup request for every in-place group (each group whole), or
    None when no group can change in place. With a ``Replace`` group, the instance must be
    recreated from ``Desired.request`` instead. ``fingerprints`` go to status once applied.
    """

    changes: tuple[GroupChange, ...]
    update: eci.UpdateContainerGroupRequest | None = field(default=None, repr=False)
    fingerprints: Fingerprints = field(default_factory=Fingerprints, repr=False)
    notes: tuple[str, ...] = ()
    """How the spec maps onto ECI where users may not expect it (from ``Desired.notes``)."""

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def impact(self) -> Impact | None:
        """The highest impact, None when nothing changed."""
        return max((c.impact for c in self.changes), key=lambda i: i.rank, default=None)

    @property
    def groups(self) -> list[str]:
        return [c.group for c in self.changes]

    def get(self, group: str) -> GroupChange | None:
        return next((c for c in self.changes if c.group == group), None)

    def allowed_by(self, policy: UpdatePolicy) -> bool:
        """Whether ``updatePolicy`` lets the operator apply the whole plan."""
        impact = self.impact
        return impact is None or impact.rank <= _ALLOWED[policy].rank

    @property
    def digest(self) -> str:
        """Stable hash of what the plan sends (for an idempotent ClientToken); reveals no values."""
        params = flatten(self.update) if self.update is not None else {}
        params.pop("ClientToken", None)
        body = json.dumps({"groups": self.groups, "params": params}, sort_keys=True)
        return digest(body)

    def status(self, reason: str | None = None) -> PlanStatus | None:
        """``status.plan``; None when there is nothing to do."""
        impact = self.impact
        if impact is None:
            return None
        return PlanStatus(impact=impact.value, groups=[c.summary() for c in self.changes], reason=reason)

    def render(self) -> str:
        """Human-readable plan, group by group with its impact (like ``terraform plan``), then notes."""
        notes = [f"note: {n}" for n in self.notes]
        if self.empty:
            return "\n".join(["No changes. The ECI instance matches the spec.", *notes])
        out = []
        for change in self.changes:
            out.append(f"~ {change.group}  ({change.impact.value})")
            out.extend(f"    {line}" for line in change.changes)
            if change.reason:
                out.append(f"    note: {change.reason}")
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.impact.value] = counts.get(change.impact.value, 0) + 1
        tally = ", ".join(f"{n} {impact}" for impact, n in counts.items())
        out.append(f"Plan: {len(self.changes)} group(s) to change ({tally}); overall impact: {self.impact}.")
        return "\n".join([*out, *notes])

    def __repr__(self) -> str:
        return f"Plan(groups={self.groups!r}, impact={self.impact!r})"


# ---------------------------------------------------------------------- readable diff


def _fmt(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, Redacted):
        return "(sensitive value)"
    if isinstance(value, NotReported):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict | list):
        return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)
    return json.dumps(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Redacted | NotReported):
        return repr(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# Normalised dicts keyed by user data (names, env keys, paths) rather than by field names.
MAP_FIELDS = frozenset({"EnvironmentVars", "VolumeMounts", "Files"})


def diff_lines(path: str, old: Any, new: Any, *, keyed: bool = False) -> list[str]:
    """``path: old -> new`` for every differing leaf; map entries as ``[key]``, fields as ``.Field``."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        lines = []
        for key in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}[{key}]" if keyed else f"{path}.{key}"
            lines.extend(diff_lines(sub, old.get(key), new.get(key), keyed=not keyed and key in MAP_FIELDS))
        return lines
    if isinstance(old, Redacted) and isinstance(new, Redacted):
        return [f"{path}: (sensitive value changed)"]
    return [f"{path}: {_fmt(old)} -> {_fmt(new)}"]


# ---------------------------------------------------------------------- plan


def container_totals(request: eci.CreateContainerGroupRequest) -> tuple[float, float]:
    """What the containers need of the instance: their sum, or the largest init container if bigger."""
    cpu = sum(c.cpu or 0 for c in request.containers)
    memory = sum(c.memory or 0 for c in request.containers)
    for c in request.init_containers or []:
        cpu, memory = max(cpu, c.cpu or 0), max(memory, c.memory or 0)
    return cpu, memory


def plan(desired: Desired, observed: eci.ContainerGroupOut, applied: Fingerprints | None = None) -> Plan:
    """Compare ``desired`` with the Describe entry ``observed``; ``applied`` is
    ``status.appliedFingerprints`` (None when nothing was recorded, e.g. an adopted instance)."""
    applied = applied or Fingerprints()
    want = fingerprints(desired)
    d = desired_state(desired.request, dict(desired.sensitive.env))
    o = normalise(observed, desired, applied)
    # Tags set by others survive the whole-group update; system tags (acs:, aliyun) cannot be sent.
    foreign_tags = {
        t.key: t.value
        for t in observed.tags
        if t.key not in o.tags and t.key not in d.tags and not t.key.lower().startswith(("acs:", "aliyun"))
    }
    changes = _Changes()
    _instance_changes(changes, d, o, desired.request, observed)
    _in_place_changes(changes, d, o, want, applied, foreign_tags)
    _credentials_impact(changes, want, applied)
    ordered = tuple(
        changes[g] for g in [*GROUP_ORDER, *sorted(set(changes) - set(GROUP_ORDER))] if g in changes
    )
    update = _update_request(desired, observed, ordered, foreign_tags)
    ignored = tuple(
        f"{p.field} is ignored (unenforceableFields: Ignore): {p.message}" for p in desired.ignored
    )
    return Plan(changes=ordered, update=update, fingerprints=want, notes=desired.notes + ignored)


class _Changes(dict[str, GroupChange]):
    """The changed groups of one plan, by group."""

    def add(self, group: str, impact: Impact, lines: list[str], reason: str | None = None) -> None:
        self[group] = GroupChange(group, impact, tuple(lines), reason)

    def add_whole(
        self, group: str, lines: list[str], emptied: str | None, carried: str | None = None
    ) -> None:
        """A group UpdateContainerGroup replaces whole: a new instance when it would become empty
        (``emptied`` says why) or its items carry create-only settings; else in place with a restart."""
        reason = emptied or carried
        self.add(group, Impact.REPLACE if reason else Impact.RESTART, lines, reason)


def _instance_changes(
    changes: _Changes,
    d: State,
    o: State,
    request: eci.CreateContainerGroupRequest,
    observed: eci.ContainerGroupOut,
) -> None:
    """Instance fields: no update changes them, so a change needs a new instance."""
    if d.container_group_name != o.container_group_name and o.container_group_name is not None:
        changes.add(
            "ContainerGroupName",
            Impact.REPLACE,
            diff_lines("ContainerGroupName", o.container_group_name, d.container_group_name),
        )
    for group, want_v, have in (
        ("ZoneId", d.zone_id, o.zone_id),
        ("SecurityGroupId", d.security_group_id, o.security_group_id),
        ("VSwitchId", d.v_switch_id, o.v_switch_id),
        ("InstanceType", d.instance_type, o.instance_type),
        ("Cpu", d.cpu, o.cpu),
        ("Memory", d.memory, o.memory),
    ):
        if want_v is not None and have is not None and want_v != have:
            changes.add(group, Impact.REPLACE, diff_lines(group, have, want_v))

    # An instance ECI sized from its containers cannot grow: containers that need more replace it.
    need_cpu, need_memory = container_totals(request)
    for name, wanted_n, have_n, need, unit in (
        ("Cpu", d.cpu, observed.cpu, need_cpu, "vCPU"),
        ("Memory", d.memory, observed.memory, need_memory, "GiB"),
    ):
        if wanted_n is None and have_n and need > have_n + 1e-9 and name not in changes:
            changes.add(
                name,
                Impact.REPLACE,
                [f"{name}: {have_n:g} -> at least {need:g} (what the containers need)"],
                f"the containers need {need:g} {unit}, more than the instance has; "
                "ECI cannot resize an instance",
            )

    # Set only by CreateContainerGroup.
    for group in sorted({*d.create_only, *o.create_only}):
        want_v, have = d.create_only.get(group), o.create_only.get(group)
        if want_v != have:
            changes.add(group, Impact.REPLACE, diff_lines(group, have, want_v), CREATE_ONLY_REASON)


def _in_place_changes(
    changes: _Changes,
    d: State,
    o: State,
    want: Fingerprints,
    applied: Fingerprints,
    foreign_tags: dict[str, str],
) -> None:
    """The groups UpdateContainerGroup can change, and what changing each costs."""
    if o.restart_policy is not None and d.restart_policy != o.restart_policy:
        changes.add(
            "RestartPolicy", Impact.RESTART, diff_lines("RestartPolicy", o.restart_policy, d.restart_policy)
        )
    if (
        d.resource_group_id is not None
        and o.resource_group_id is not None
        and d.resource_group_id != o.resource_group_id
    ):
        changes.add(
            "ResourceGroupId",
            Impact.RESTART,
            diff_lines("ResourceGroupId", o.resource_group_id, d.resource_group_id),
        )
    if d.tags != o.tags:
        lines = diff_lines("Tag", o.tags, d.tags, keyed=True)
        if {**foreign_tags, **d.tags}:
            changes.add("Tag", Impact.NO_RESTART, lines)
        else:
            changes.add("Tag", Impact.REPLACE, lines, "ECI cannot remove every tag in place")
    if want.image_registry_credential != applied.image_registry_credential:
        old_n, new_n = applied.image_registry_credential_count, want.image_registry_credential_count or 0
        line = (
            f"ImageRegistryCredential: (sensitive value changed), "
            f"{'unknown' if old_n is None else old_n} -> {new_n} credential(s)"
        )
        if new_n == 0:
            changes.add(
                "ImageRegistryCredential",
                Impact.REPLACE,
                [line],
                "ECI cannot remove every registry credential in place",
            )
        else:
            changes.add("ImageRegistryCredential", Impact.NO_RESTART, [line])  # see _credentials_impact
    if d.dns_config != o.dns_config:
        changes.add_whole(
            "DnsConfig",
            diff_lines("DnsConfig", o.dns_config, d.dns_config),
            "ECI cannot remove the DNS configuration in place" if d.dns_config is None else None,
        )
    if d.volumes != o.volumes:
        changes.add_whole(
            "Volume",
            diff_lines("Volume", o.volumes, d.volumes, keyed=True),
            None if d.volumes else "ECI cannot remove every volume in place",
            _carried(d.volumes, o.volumes, "Modes"),
        )
    if d.init_containers != o.init_containers:
        old_i = {c["Name"]: c for c in o.init_containers}
        new_i = {c["Name"]: c for c in d.init_containers}
        lines = diff_lines("InitContainer", old_i, new_i, keyed=True)
        if list(old_i) != list(new_i) and old_i.keys() == new_i.keys():
            lines.append(f"InitContainer order: {list(old_i)} -> {list(new_i)}")
        changes.add_whole(
            "InitContainer",
            lines,
            None if d.init_containers else "ECI cannot remove every init container in place",
            _carried(new_i, old_i, "CreateOnly"),
        )
    carried = _carried(d.containers, o.containers, "CreateOnly")
    if d.containers != o.containers:
        changes.add_whole(
            "Container", diff_lines("Container", o.containers, d.containers, keyed=True), None, carried
        )
    elif (
        "Volume" in changes
        and changes["Volume"].impact is Impact.RESTART
        and set(d.volumes) != set(o.volumes)
    ):
        # Containers find their volumes by name: when volumes come or go, ECI wants the containers
        # updated in the same request.
        if carried:
            changes.add("Container", Impact.REPLACE, [], carried)
            changes["Volume"] = GroupChange("Volume", Impact.REPLACE, changes["Volume"].changes, carried)
        else:
            changes.add("Container", Impact.RESTART, [], "sent with the volumes, whose names changed")


def _credentials_impact(changes: _Changes, want: Fingerprints, applied: Fingerprints) -> None:
    """Registry credentials update without a restart only when they are the only in-place group and
    their number does not grow."""
    creds = changes.get("ImageRegistryCredential")
    if creds is None or creds.impact is not Impact.NO_RESTART:
        return
    in_place = [g for g, c in changes.items() if c.impact is not Impact.REPLACE]
    old_n = applied.image_registry_credential_count
    new_n = want.image_registry_credential_count or 0
    if in_place != ["ImageRegistryCredential"]:
        changes["ImageRegistryCredential"] = GroupChange(
            creds.group, Impact.RESTART, creds.changes, "updated together with other groups: ECI restarts"
        )
    elif old_n is None or new_n > old_n:
        changes["ImageRegistryCredential"] = GroupChange(
            creds.group, Impact.RESTART, creds.changes, "more credentials than before: ECI restarts"
        )


CREATE_ONLY_REASON = "only CreateContainerGroup sets it: a change needs a new instance"


def _carried(desired: dict[str, dict[str, Any]], observed: dict[str, dict[str, Any]], key: str) -> str | None:
    """Why the changed list cannot be updated in place, when its items carry create-only settings."""
    changed = [n for n, item in desired.items() if item.get(key) != observed.get(n, {}).get(key)]
    if changed:
        return f"create-only settings of {', '.join(changed)} changed: {CREATE_ONLY_REASON}"
    carrying = [n for n, item in desired.items() if item.get(key)]
    if carrying:
        return (
            f"UpdateContainerGroup cannot carry the create-only settings of {', '.join(carrying)} and "
            "replaces the list whole: an in-place update would drop them, so a change needs a new instance"
        )
    return None


def _update_request(
    desired: Desired,
    observed: eci.ContainerGroupOut,
    changes: tuple[GroupChange, ...],
    foreign_tags: dict[str, str],
) -> eci.UpdateContainerGroupRequest | None:
    groups = {c.group for c in changes if c.impact is not Impact.REPLACE}
    if not groups:
        return None
    r = desired.request
    fields: dict[str, Any] = {UPDATABLE[g]: getattr(r, UPDATABLE[g]) for g in groups}
    if "Tag" in groups:
        merged = {**foreign_tags, **{t.key: t.value for t in r.tags or []}}
        fields["tags"] = [eci.Tag(key=k, value=v) for k, v in sorted(merged.items())]
    return eci.UpdateContainerGroupRequest(
        region_id=r.region_id,
        container_group_id=observed.container_group_id,
        update_type="IncrementalUpdate",
        **fields,
    )
