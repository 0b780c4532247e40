"""What the controller remembers about one ContainerGroup between reconciles (in memory only).

Nothing here is authority: the object (from the watch), ECI and its tags are re-read every cycle, and
a restarted operator, which remembers nothing, must reach the same decisions. Memory only saves
work (a failed input not sent again, a drift reported once) or makes a decision more careful than
facts alone allow (a loss confirmed over time, a create known never to have been sent).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eci_operator.eci.models import CreateContainerGroupRequest
from eci_operator.eci.redact import Scrubber

Key = tuple[str, str]
"""(namespace, name) of a ContainerGroup."""


@dataclass
class Absence:
    """Direct reads of one recorded instance ID that found nothing."""

    since: float
    """Monotonic time of the first direct read that found nothing."""
    last: float
    """Monotonic time of the latest such read."""
    reads: int = 1

    def proven(self, now: float, grace: float, reads: int) -> bool:
        """The existence rule: gone only when nothing was found for ``grace`` seconds, in ``reads`` reads."""
        return now - self.since >= grace and self.reads >= reads

    def next_read(self, now: float, grace: float, spacing: float) -> float:
        """Seconds until another read counts: ``spacing`` after the last, or the end of the window."""
        return max(0.5, min(spacing - (now - self.last), self.since + grace - now))


def pack_body(body: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    """An object's body as kept between reconciles: its metadata as it is (read on every watch
    event), the rest as compressed JSON (about 0.7 KiB where the parsed dicts cost some 8 KiB).
    ``metadata.managedFields``, often the largest part of a body, is dropped: nothing reads it."""
    meta = body.get("metadata")
    rest = {k: v for k, v in body.items() if k != "metadata"}
    packed = zlib.compress(json.dumps(rest, separators=(",", ":")).encode(), 1)
    kept = {k: v for k, v in meta.items() if k != "managedFields"} if isinstance(meta, Mapping) else {}
    return kept, packed


@dataclass(slots=True)
class ObjectMemory:
    """The per-object memory of the controller."""

    kept: tuple[dict[str, Any], bytes]
    """The newest version of the object seen (watch event or our own write's answer), packed:
    read and replace it as :attr:`body`."""

    last_write: float = 0.0
    """Monotonic time of our last ECI write for this object (older observations are stale)."""

    observed_at: float = 0.0
    """Wall time of the observation the current plan is based on (mixed into Update tokens)."""

    stalled_on: tuple[int, str, str] | None = None
    """(generation, inputs hash, credentials) that ECI refused for good: not sent again."""

    update_attempts: dict[str, int] = field(default_factory=dict)
    """Plan digest -> updates sent for it (ECI accepting an update that changes nothing stalls)."""

    reported_drift: tuple[str, ...] = ()
    """Groups of the drift last reported under ``driftPolicy: Report`` (one Event per new drift)."""

    polls: int = 0
    """Consecutive polls of an ECI transition, for pacing."""

    phase: str | None = None
    """The ECI phase last observed (for metrics)."""

    absences: dict[str, Absence] = field(default_factory=dict)
    """Recorded instance IDs that direct reads did not find, and since when."""

    deleted: set[str] = field(default_factory=set)
    """Instance IDs whose DeleteContainerGroup ECI accepted: once unlisted they are gone."""

    created_ids: list[str] = field(default_factory=list)
    """Instances this process created for the object (known even if recording the ID in status
    failed)."""

    pending_create: CreateContainerGroupRequest | None = None
    """A Create sent whose answer never came (a timeout, a dropped connection, a 5xx): ECI may have
    made the instance, and its reads may not list it yet. The next Create resends exactly this
    request (same ClientToken, so ECI answers with that instance rather than making a second), and a
    deletion waits until the uid-tag search has stayed empty over the grace window."""

    create_sent: bool = False
    """Whether this process sent a Create (or Replace) for this object, answered or not."""

    seen_from_start: bool = False
    """This process saw the object before our finalizer was on it, so every Create ever sent for it
    was sent by this process: when ``create_sent`` is False and nothing is recorded, no instance can
    exist and a deletion need not wait to prove it."""

    missing_since: float | None = None
    """Monotonic time since when a referenced Secret/ConfigMap has been missing."""

    scrubber: Scrubber | None = None
    """Removes this object's secret values (from the request last built for it) from ECI's event
    messages before they are mirrored; None until the first reconcile in this process."""

    scrubbed_inputs: str = ""
    """The inputs hash ``scrubber`` was built for."""

    failures: int = 0
    """Consecutive failed reconciles (kept by the work queue; here for messages and Events)."""

    @classmethod
    def of(cls, body: Mapping[str, Any], **fields: Any) -> ObjectMemory:
        return cls(pack_body(body), **fields)

    @property
    def body(self) -> dict[str, Any]:
        """A fresh copy of the object's body: changing it changes nothing kept; assign to keep."""
        meta, packed = self.kept
        return {"metadata": dict(meta), **json.loads(zlib.decompress(packed))}

    @body.setter
    def body(self, body: Mapping[str, Any]) -> None:
        self.kept = pack_body(body)

    def absent(self, key: str, now: float) -> Absence:
        """Count one more direct read of ``key`` (an instance ID, or the uid lookup) that found nothing."""
        absence = self.absences.get(key)
        if absence is None:
            absence = self.absences[key] = Absence(since=now, last=now)
        else:
            absence.reads += 1
            absence.last = now
        return absence

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.kept[0]

    @property
    def status(self) -> Mapping[str, Any]:
        status: Mapping[str, Any] = self.body.get("status") or {}
        return status

    @property
    def key(self) -> Key:
        return (str(self.meta.get("namespace", "")), str(self.meta.get("name", "")))

    @property
    def uid(self) -> str:
        return str(self.meta.get("uid", ""))

    @property
    def generation(self) -> int:
        return int(self.meta.get("generation") or 0)

    @property
    def name(self) -> str:
        """``namespace/name`` for messages."""
        return f"{self.meta.get('namespace')}/{self.meta.get('name')}"
