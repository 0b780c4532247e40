"""The vCPU/memory combinations ECI sells in every region, and spec arithmetic."""

from __future__ import annotations

from eci_operator.api.containergroup import INSTANCE_SPECS

from .errors import cpu_memory

# ECI's vCPU -> GiB table has one copy, INSTANCE_SPECS, which the CRD's admission rules use too.
DEFAULT_SPEC = (2.0, 4.0)
_EPSILON = 1e-9


def in_table(cpu: float, memory: float) -> bool:
    return any(
        abs(cpu - c) < _EPSILON and any(abs(memory - m) < _EPSILON for m in mems)
        for c, mems in INSTANCE_SPECS.items()
    )


def round_up(cpu: float, memory: float) -> tuple[float, float]:
    """The smallest sold spec that holds ``cpu``/``memory`` (what ECI bills when none is given)."""
    if cpu <= 0 and memory <= 0:
        return DEFAULT_SPEC
    candidates = [
        (float(c), float(m))
        for c, mems in INSTANCE_SPECS.items()
        for m in mems
        if c + _EPSILON >= cpu and m + _EPSILON >= memory
    ]
    if not candidates:
        raise cpu_memory(f"containers need {cpu:g} vCPU / {memory:g} GiB, more than any instance spec")
    return min(candidates, key=lambda spec: (spec[0], spec[1]))


def container_totals(
    containers: list[dict[str, object]], init_containers: list[dict[str, object]]
) -> tuple[float, float]:
    """What the group needs: the sum over containers, or the largest init container if bigger."""

    def num(item: dict[str, object], key: str) -> float:
        value = item.get(key, 0.0)
        return float(value) if isinstance(value, int | float) else 0.0

    cpu = sum(num(c, "Cpu") for c in containers)
    memory = sum(num(c, "Memory") for c in containers)
    cpu = max([cpu, *(num(c, "Cpu") for c in init_containers)])
    memory = max([memory, *(num(c, "Memory") for c in init_containers)])
    return cpu, memory


def check_fits(
    cpu: float, memory: float, containers: list[dict[str, object]], init_containers: list[dict[str, object]]
) -> None:
    need_cpu, need_memory = container_totals(containers, init_containers)
    if need_cpu > cpu + _EPSILON or need_memory > memory + _EPSILON:
        raise cpu_memory(
            f"containers request {need_cpu:g} vCPU / {need_memory:g} GiB in total, "
            f"more than the instance's {cpu:g} vCPU / {memory:g} GiB"
        )
