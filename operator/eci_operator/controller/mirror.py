"""ECI's events as Kubernetes Events on the ContainerGroup (``kubectl describe``, ``kubectl events``).

The change feed hands over each tracked instance's recent ECI events. Warnings are mirrored (image
pull failures, OOM kills, failing probes, scheduling failures, restarts); ECI's Normal lifecycle
steps are not, the operator's own Events and status already tell them.

Aggregated the way the Kubernetes event recorder does: one Event per (instance, type, reason,
message), named after the ContainerGroup and a hash of that identity; a repeat raises its
``count`` and moves ``lastTimestamp`` instead of adding an Event. ECI aggregates repeats itself
(its count grows), and the overlapping feed windows deliver the same event more than once: the
mirror sends only counts it has not sent yet. After a restart the Event may exist already; it is
then updated, not duplicated.

Rate-limited per object like the recorder's spam filter: a burst of ``burst`` writes, then one per
``refill`` seconds; what exceeds it is dropped (and counted). Messages are scrubbed of the object's
secret values (``ObjectMemory.scrubber``, built from the request the reconcile sends); before the
object's first reconcile in this process there is no scrubber and the message is withheld.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from eci_operator.controller.kube import EventRecord, Kube, KubeError, now_rfc3339
from eci_operator.controller.memory import ObjectMemory
from eci_operator.controller.metrics import Metrics
from eci_operator.eci.feeds import FeedEventOut, GroupEventsOut

logger = logging.getLogger(__name__)

COMPONENT = "eci"
"""``source.component`` of a mirrored Event: ECI said it, the operator relays it."""
MESSAGE_LIMIT = 900
KEPT_PER_OBJECT = 64
"""Aggregates remembered per object (least recently seen forgotten first)."""
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$")
_REASON = re.compile(r"[^A-Za-z0-9]")


@dataclass
class _Aggregate:
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    """ECI entry (by first time) -> its count: ECI may keep repeats as separate entries."""
    sent: int = 0


@dataclass
class _Budget:
    tokens: float
    stamp: float


def _stamp(text: str, fallback: str) -> str:
    match = _STAMP.match(text)
    return f"{match.group(1)}Z" if match else fallback


def _reason(text: str) -> str:
    return _REASON.sub("", text)[:128] or "EciEvent"


class EventMirror:
    def __init__(self, kube: Kube, metrics: Metrics, *, burst: int = 25, refill: float = 300.0) -> None:
        self.kube = kube
        self.metrics = metrics
        self.burst = burst
        self.refill = refill
        self._seen: dict[str, OrderedDict[tuple[str, str, str], _Aggregate]] = {}
        self._budgets: dict[str, _Budget] = {}

    def forget(self, uid: str) -> None:
        self._seen.pop(uid, None)
        self._budgets.pop(uid, None)

    def _take(self, uid: str) -> bool:
        now = time.monotonic()
        budget = self._budgets.setdefault(uid, _Budget(float(self.burst), now))
        budget.tokens = min(float(self.burst), budget.tokens + (now - budget.stamp) / self.refill)
        budget.stamp = now
        if budget.tokens < 1.0:
            return False
        budget.tokens -= 1.0
        return True

    async def mirror(self, memory: ObjectMemory, group: GroupEventsOut) -> int:
        """Mirror ``group``'s warnings onto ``memory``'s object; returns the Events written."""
        uid = memory.uid
        if not uid:
            return 0
        written = 0
        for event in group.events:
            if event.type == "Warning" and await self._one(memory, uid, group.container_group_id, event):
                written += 1
        return written

    async def _one(self, memory: ObjectMemory, uid: str, group_id: str, event: FeedEventOut) -> bool:
        reason = _reason(event.reason)
        if memory.scrubber is None:
            text = "(message withheld until the ContainerGroup is reconciled)"
        else:
            text = memory.scrubber.clean(event.message, MESSAGE_LIMIT)
        message = f"ECI instance {group_id}: {text}"
        identity = (group_id, reason, message)
        seen = self._seen.setdefault(uid, OrderedDict())
        aggregate = seen.get(identity)
        if aggregate is None:
            digest = hashlib.sha256("\0".join((uid, *identity)).encode()).hexdigest()[:16]
            aggregate = seen[identity] = _Aggregate(name=f"{memory.meta.get('name')}.eci.{digest}")
            while len(seen) > KEPT_PER_OBJECT:
                seen.popitem(last=False)
        seen.move_to_end(identity)
        entry = event.first_timestamp or event.last_timestamp
        aggregate.counts[entry] = max(aggregate.counts.get(entry, 0), max(1, event.count))
        total = sum(aggregate.counts.values())
        if total <= aggregate.sent:
            return False  # already mirrored (an overlapping window delivered it again)
        if not self._take(uid):
            self.metrics.kube_writes.labels(kind="event_dropped").inc()
            logger.debug("Event rate limit of %s reached; dropping %s", memory.name, reason)
            return False
        now = now_rfc3339()
        last = _stamp(event.last_timestamp, now)
        namespace = str(memory.meta.get("namespace", ""))
        try:
            if aggregate.sent == 0:
                record = EventRecord(
                    name=aggregate.name,
                    reason=reason,
                    message=message,
                    type_="Warning",
                    count=total,
                    first=_stamp(event.first_timestamp, last),
                    last=last,
                    component=COMPONENT,
                )
                if not await self.kube.record_event(memory.body, record):
                    await self.kube.update_event(namespace, aggregate.name, total, last)
            else:
                await self.kube.update_event(namespace, aggregate.name, total, last)
        except KubeError as exc:  # Events are best effort
            logger.warning("Could not mirror ECI event %s for %s: %s", reason, memory.name, exc)
            return False
        aggregate.sent = total
        self.metrics.kube_writes.labels(kind="event").inc()
        logger.info("%s: %s (x%d): %s", memory.name, reason, total, message)
        return True
