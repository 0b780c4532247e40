"""Instances, their lifecycle over time, and the idempotency record.

Each instance is kept in the shape DescribeContainerGroups returns (``view``) plus the request-only
parts Describe does not show (``hidden``: registry credentials, lifecycle hooks, ...). Status
changes are scheduled as ``[due, status, restart]`` steps and applied lazily whenever the store is
read, so the lifecycle needs no background task and survives a save and reload.
"""

from __future__ import annotations

import calendar
import copy
import random
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_EVENTS = 50
GONE = ""  # a scheduled step to this "status" removes the instance

# Instances created before 2019-03-07 15:00:00 (Beijing time, UTC+8) cannot be updated or restarted.
UPDATE_CUTOFF = calendar.timegm((2019, 3, 7, 7, 0, 0, 0, 0, 0))


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_iso(text: str) -> float:
    """RFC 3339 UTC (``2019-03-07T07:00:00Z``, fractions allowed) → epoch seconds."""
    base = text.rstrip("Z").split(".")[0]
    return float(calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")))


@dataclass
class Instance:
    view: dict[str, Any]
    hidden: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    schedule: list[list[Any]] = field(default_factory=list)
    changed: float = 0.0  # when the status or a container's state last changed (the status feed)

    @property
    def id(self) -> str:
        return str(self.view["ContainerGroupId"])

    @property
    def status(self) -> str:
        return str(self.view.get("Status", ""))

    def created_at(self) -> float:
        try:
            return parse_iso(str(self.view.get("CreationTime", "")))
        except ValueError:
            return time.time()

    def to_json(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "hidden": self.hidden,
            "seq": self.seq,
            "schedule": self.schedule,
            "changed": self.changed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Instance:
        return cls(
            view=data["view"],
            hidden=data.get("hidden", {}),
            seq=data["seq"],
            schedule=data.get("schedule", []),
            changed=float(data.get("changed", 0.0)),
        )


def event(inst: Instance, at: float, reason: str, message: str, kind: str = "Normal") -> None:
    """Record an ECI event; a repeat of the same (type, reason, message) is aggregated into the
    earlier one (Count and LastTimestamp), as ECI and the Kubernetes event recorder do."""
    events = inst.view.setdefault("Events", [])
    stamp = iso(at)
    for earlier in events:
        if (earlier.get("Type"), earlier.get("Reason"), earlier.get("Message")) == (kind, reason, message):
            earlier["Count"] = int(earlier.get("Count", 1)) + 1
            earlier["LastTimestamp"] = stamp
            events.remove(earlier)
            events.append(earlier)
            return
    events.append(
        {
            "Count": 1,
            "Type": kind,
            "Name": f"{inst.view.get('ContainerGroupName', inst.id)}.{reason.lower()}",
            "Reason": reason,
            "Message": message,
            "FirstTimestamp": stamp,
            "LastTimestamp": stamp,
        }
    )
    del events[:-MAX_EVENTS]


def _containers(inst: Instance) -> Iterator[dict[str, Any]]:
    yield from inst.view.get("Containers", [])


def _rotate_log(inst: Instance, container: str) -> None:
    """A restarted container's log starts anew; the old one is what ``LastTime=true`` reads."""
    logs = inst.hidden.get("Logs", {}).get(container)
    if logs is not None:
        logs["previous"], logs["current"] = logs["current"], []


def enter(inst: Instance, status: str, at: float, restart: bool = False) -> None:
    """Move ``inst`` to ``status`` at time ``at`` and update container states the way ECI shows them."""
    stamp = iso(at)
    inst.view["Status"] = status
    inst.changed = at
    if status == "Pending":
        for c in _containers(inst):
            current = c.get("CurrentState", {})
            if restart and current.get("State") == "Running":
                c["PreviousState"] = {
                    "State": "Terminated",
                    "Reason": "Completed",
                    "DetailStatus": "Completed",
                    "ExitCode": 0,
                    "StartTime": current.get("StartTime", stamp),
                    "FinishTime": stamp,
                }
                c["RestartCount"] = int(c.get("RestartCount", 0)) + 1
                _rotate_log(inst, str(c.get("Name")))
            c["CurrentState"] = {
                "State": "Waiting",
                "Reason": "ContainerCreating",
                "DetailStatus": "ContainerCreating",
            }
            c["Ready"] = False
        event(inst, at, "Pulling" if not restart else "Restarting", "Containers are being started")
    elif status == "Running":
        for init in inst.view.get("InitContainers", []):
            init["CurrentState"] = {
                "State": "Terminated",
                "Reason": "Completed",
                "DetailStatus": "Completed",
                "ExitCode": 0,
                "StartTime": stamp,
                "FinishTime": stamp,
            }
            init["Ready"] = False
        for c in _containers(inst):
            if c.get("CurrentState", {}).get("State") != "Running":
                c["CurrentState"] = {"State": "Running", "DetailStatus": "", "StartTime": stamp}
            c["Ready"] = True
        event(inst, at, "Started", "All containers are running")
    elif status in ("Updating", "Restarting", "Terminating", "Scheduling"):
        event(inst, at, status, f"The container group is {status.lower()}")
    elif status in ("Succeeded", "Failed"):
        inst.view[f"{status}Time"] = stamp


class Store:
    """All instances of all regions, plus ClientToken answers and counters, in one process."""

    def __init__(
        self, transition_delay: float, seed: int | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.delay = transition_delay
        self.clock = clock
        self.rng = random.Random(seed)
        self.instances: dict[str, Instance] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.next_seq = 1
        self.next_ip = 1
        self._busy: set[str] = set()
        self.sessions: dict[str, Any] = {}  # exec sessions by token (execs.Session), never saved

    # -- identity ------------------------------------------------------------------------------

    def new_id(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        while True:
            candidate = "eci-" + "".join(self.rng.choice(alphabet) for _ in range(20))
            if candidate not in self.instances:
                return candidate

    def new_ip(self) -> str:
        n = self.next_ip
        self.next_ip += 1
        return f"172.16.{n // 250 % 256}.{n % 250 + 2}"

    # -- lifecycle -----------------------------------------------------------------------------

    def add(self, inst: Instance) -> Instance:
        inst.seq = self.next_seq
        self.next_seq += 1
        self.instances[inst.id] = inst
        if inst.schedule:
            self._busy.add(inst.id)
        return inst

    def begin(self, inst: Instance, first: str, steps: list[tuple[str, bool]]) -> None:
        """Enter ``first`` now, then each of ``steps`` one transition delay apart."""
        now = self.clock()
        inst.schedule = []
        enter(inst, first, now)
        for n, (status, restart) in enumerate(steps, 1):
            inst.schedule.append([now + n * self.delay, status, restart])
        if inst.schedule:
            self._busy.add(inst.id)
        self.advance(now)

    def cancel(self, inst: Instance) -> None:
        inst.schedule = []
        self._busy.discard(inst.id)

    def advance(self, now: float | None = None) -> bool:
        """Apply every step that is due; returns whether anything changed."""
        if not self._busy:
            return False
        now = self.clock() if now is None else now
        changed = False
        for ident in list(self._busy):
            inst = self.instances.get(ident)
            if inst is None:
                self._busy.discard(ident)
                continue
            while inst.schedule and inst.schedule[0][0] <= now:
                due, status, restart = inst.schedule.pop(0)
                changed = True
                if status == GONE:
                    del self.instances[ident]
                    break
                enter(inst, status, due, restart)
            if not inst.schedule:
                self._busy.discard(ident)
        return changed

    def remove(self, ident: str) -> None:
        self.instances.pop(ident, None)
        self._busy.discard(ident)

    def get(self, ident: str) -> Instance | None:
        self.advance()
        return self.instances.get(ident)

    def all(self) -> list[Instance]:
        self.advance()
        return sorted(self.instances.values(), key=lambda i: i.seq)

    # -- persistence ---------------------------------------------------------------------------

    def reset(self) -> None:
        self.instances.clear()
        self.tokens.clear()
        self._busy.clear()

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "version": 1,
                "next_seq": self.next_seq,
                "next_ip": self.next_ip,
                "instances": [i.to_json() for i in sorted(self.instances.values(), key=lambda i: i.seq)],
                "tokens": self.tokens,
            }
        )

    def restore(self, data: dict[str, Any]) -> None:
        self.reset()
        self.next_seq = int(data.get("next_seq", 1))
        self.next_ip = int(data.get("next_ip", 1))
        for raw in data.get("instances", []):
            inst = Instance.from_json(raw)
            self.instances[inst.id] = inst
            if inst.schedule:
                self._busy.add(inst.id)
        self.tokens = dict(data.get("tokens", {}))
