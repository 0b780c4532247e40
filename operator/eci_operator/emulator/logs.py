"""Container logs: what DescribeContainerLog answers, and how lines get there.

Each container's lines are kept with the time they were written (``hidden["Logs"]``, saved with
the instance): ``current`` for the running container and ``previous`` for the one before the last
restart (``LastTime=true``). The admin API appends lines; a restart (``state.enter``) moves
``current`` to ``previous``. Every line gets its own timestamp, one microsecond after the one before, as a
container runtime stamps lines it reads one by one. Times are kept as whole microseconds: a float
epoch holds only about a quarter of a microsecond, so two lines a microsecond apart could print
the same stamp, and ``logs -f`` would take the second for one it had already shown.
"""

from __future__ import annotations

import time
from typing import Any

from .errors import ApiError, incorrect_status, invalid, missing, value_exceeded
from .state import Instance, parse_iso

DEFAULT_TAIL = 500
MAX_TAIL = 2000
MAX_LIMIT_BYTES = 1024 * 1024
MAX_LINES_KEPT = 10_000
# No containers exist yet (or ever) in these phases, so there is nothing to read.
NO_LOGS = ("Scheduling", "ScheduleFailed")

Line = list[Any]  # [epoch microseconds (int), text]


def micros(ts: float) -> int:
    return round(ts * 1_000_000)


def stamp(us: int) -> str:
    """RFC 3339 UTC with nanoseconds, as container runtimes write them."""
    whole, fraction = divmod(int(us), 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{fraction * 1000:09d}Z"


def _logs(inst: Instance, container: str) -> dict[str, list[Line]]:
    logs: dict[str, dict[str, list[Line]]] = inst.hidden.setdefault("Logs", {})
    return logs.setdefault(container, {"current": [], "previous": []})


def container_names(inst: Instance) -> list[str]:
    return [str(c.get("Name")) for c in inst.view.get("Containers", []) + inst.view.get("InitContainers", [])]


def append(inst: Instance, container: str, lines: list[str], now: float) -> int:
    """Append ``lines`` to ``container``'s current log; returns how many lines it holds."""
    if container not in container_names(inst):
        raise ApiError("InvalidParameter", f"the instance has no container named {container!r}", 404)
    current = _logs(inst, container)["current"]
    first = max(micros(now), int(current[-1][0]) + 1 if current else 0)
    current.extend([first + n, text] for n, text in enumerate(lines))
    del current[:-MAX_LINES_KEPT]
    return len(current)


def describe(inst: Instance, params: dict[str, Any], now: float) -> dict[str, Any]:
    """DescribeContainerLog for one instance (its region and ID already checked)."""
    name = params.get("ContainerName")
    if not name:
        raise missing("ContainerName")
    if name not in container_names(inst):
        raise invalid("ContainerName", f"the instance has no container named {name!r}")
    if inst.status in NO_LOGS:
        raise incorrect_status(inst.status, "DescribeContainerLog")
    tail = params.get("Tail", DEFAULT_TAIL)
    if not 0 <= tail <= MAX_TAIL:
        raise value_exceeded("Tail", f"{tail} is outside 0-{MAX_TAIL}")
    limit = params.get("LimitBytes")
    if limit is not None and not 1 <= limit <= MAX_LIMIT_BYTES:
        raise value_exceeded("LimitBytes", f"{limit} is outside 1-{MAX_LIMIT_BYTES}")
    lines = _logs(inst, name)["previous" if params.get("LastTime") else "current"]
    if "SinceSeconds" in params:
        since = micros(now - params["SinceSeconds"])
        lines = [line for line in lines if line[0] >= since]
    if params.get("StartTime"):
        try:
            start = parse_iso(params["StartTime"])
        except ValueError:
            raise invalid("StartTime", "must be an RFC 3339 UTC time such as 2026-01-02T15:04:05Z") from None
        lines = [line for line in lines if line[0] >= micros(start)]
    lines = lines[-tail:] if tail else []
    with_stamps = bool(params.get("Timestamps"))
    content = "".join((f"{stamp(ts)} {text}" if with_stamps else text) + "\n" for ts, text in lines)
    if limit is not None:
        content = content.encode()[:limit].decode("utf-8", "ignore")
    return {"ContainerName": name, "Content": content}
