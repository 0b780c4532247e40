"""UpdateContainerGroup's rules (the seed document), as a plan computed before anything changes.

- Groups not sent keep their values; a group that is sent replaces the old one whole, so what only
  Create can set (a container's runAsGroup or termination message, a config file's mode) is gone
  after the containers or volumes are updated.
- Tag changes do not restart the instance; an ImageRegistryCredential-only change restarts only
  when it grows the number of credentials; every other change restarts it. The document says
  nothing about ResourceGroupId: it restarts here, the assumption the operator's planner makes.
- Nothing would change → NoNeedUpdate. Instance-level Cpu/Memory cannot be changed; containers must
  fit the instance spec (InvalidParameter.CPU.Memory) and mount volumes that exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import describing, specs, validation
from .errors import NO_NEED_UPDATE, ApiError, cpu_memory
from .state import Instance

NO_RESTART = frozenset({"Tag"})


def _runtime_by_name(containers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["Name"]: {k: c[k] for k in describing.RUNTIME_KEYS if k in c} for c in containers}


@dataclass
class UpdatePlan:
    view: dict[str, Any] = field(default_factory=dict)
    hidden: dict[str, Any] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    restart: bool = False

    def apply(self, inst: Instance) -> None:
        for key in ("Containers", "InitContainers"):
            if key in self.view:
                old = _runtime_by_name(inst.view.get(key, []))
                for c in self.view[key]:
                    c.update(
                        old.get(
                            c["Name"],
                            {"Ready": False, "RestartCount": 0, "CurrentState": {"State": "Waiting"}},
                        )
                    )
        inst.view.update(self.view)
        inst.hidden.update(self.hidden)


def _spec(inst: Instance, params: dict[str, Any]) -> None:
    cpu, memory = params.get("Cpu"), params.get("Memory")
    current_cpu, current_memory = float(inst.view.get("Cpu", 0)), float(inst.view.get("Memory", 0))
    if cpu is not None or memory is not None:
        new_cpu = current_cpu if cpu is None else cpu
        new_memory = current_memory if memory is None else memory
        if not specs.in_table(new_cpu, new_memory):
            raise cpu_memory(f"{new_cpu:g} vCPU / {new_memory:g} GiB is not a sold spec")
        if (new_cpu, new_memory) != (current_cpu, current_memory):
            raise ApiError(
                "InvalidParam.CpuOrMemorySpec",
                "The specified specification is invalid: the instance-level Cpu/Memory cannot be changed "
                f"(current {current_cpu:g} vCPU / {current_memory:g} GiB); only container specs may change.",
            )


def plan_update(inst: Instance, params: dict[str, Any]) -> UpdatePlan:
    """What an Update with ``params`` (parsed, validated alone) would do to ``inst``; raises on a rule."""
    _spec(inst, params)
    plan = UpdatePlan()
    view, hidden = inst.view, inst.hidden

    if "RestartPolicy" in params and params["RestartPolicy"] != view.get("RestartPolicy"):
        plan.view["RestartPolicy"] = params["RestartPolicy"]
        plan.changed.add("RestartPolicy")
    if "ResourceGroupId" in params and params["ResourceGroupId"] != view.get("ResourceGroupId"):
        plan.view["ResourceGroupId"] = params["ResourceGroupId"]
        plan.changed.add("ResourceGroupId")
    if "Tag" in params:
        tags = describing.tags(params["Tag"])
        if tags != view.get("Tags", []):
            plan.view["Tags"] = tags
            plan.changed.add("Tag")
    if "DnsConfig" in params:
        dns = describing.dns_config(params["DnsConfig"])
        if dns != view.get("DnsConfig", {}):
            plan.view["DnsConfig"] = dns
            plan.changed.add("DnsConfig")
    if "Volume" in params:
        volumes = [describing.volume(v) for v in params["Volume"]]
        if volumes != view.get("Volumes", []) or hidden.get("VolumeModes"):
            plan.view["Volumes"] = volumes
            plan.hidden["VolumeModes"] = {}
            plan.changed.add("Volume")
    for group, key, init in (("Container", "Containers", False), ("InitContainer", "InitContainers", True)):
        if group not in params:
            continue
        shown = [describing.container(c, init=init) for c in params[group]]
        unseen = {c["Name"]: describing.invisible(c, init=init) for c in params[group]}
        old_unseen = hidden.get(group, {name: {} for name in (c["Name"] for c in view.get(key, []))})
        if shown != describing.without_runtime(view.get(key, [])) or unseen != old_unseen:
            plan.view[key] = shown
            plan.hidden[group] = unseen
            plan.changed.add(group)
    for group in ("ImageRegistryCredential", "AcrRegistryInfo"):
        if group in params and params[group] != hidden.get(group, []):
            plan.hidden[group] = params[group]
            plan.changed.add(group)

    # Rules on the result: containers mount volumes that exist and fit the instance spec.
    containers = params.get("Container") if "Container" in params else None
    inits = params.get("InitContainer") if "InitContainer" in params else None
    final_volumes = plan.view.get("Volumes", view.get("Volumes", []))
    final_containers = plan.view.get("Containers", describing.without_runtime(view.get("Containers", [])))
    final_inits = plan.view.get("InitContainers", describing.without_runtime(view.get("InitContainers", [])))
    validation.mounts(
        _as_request(final_containers) if containers is None else containers,
        _as_request(final_inits) if inits is None else inits,
        {v["Name"] for v in final_volumes},
    )
    specs.check_fits(float(view.get("Cpu", 0)), float(view.get("Memory", 0)), final_containers, final_inits)

    if not plan.changed:
        raise ApiError(*NO_NEED_UPDATE)
    if plan.changed <= NO_RESTART:
        plan.restart = False
    elif plan.changed == {"ImageRegistryCredential"}:
        plan.restart = len(params["ImageRegistryCredential"]) > len(hidden.get("ImageRegistryCredential", []))
    else:
        plan.restart = True
    return plan


def _as_request(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Describe-shaped containers → just what the mount check reads (``VolumeMount`` names)."""
    return [{"Name": c.get("Name"), "VolumeMount": c.get("VolumeMounts", [])} for c in shown]
