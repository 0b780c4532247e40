"""Per-object serialisation of reconciles: at most one run per key, triggers coalesce.

Every trigger (a watch event, the observer seeing a change, a referenced ConfigMap changing, a
backoff timer) only says "this object needs a look". A trigger that arrives while the object's
reconcile runs marks it dirty, and one more run follows; many triggers during one run still cause
only one more. A prompt trigger replaces a pending delayed one, so a user edit is never stuck behind
a backoff timer.

The worker gets the key and the length of its current failure streak, and answers with a
:class:`Requeue`: done, look again after a delay (polling while ECI is Updating), or failed. The
queue alone owns the retry timing, as client-go's rate-limited queue does: a failure waits
``base * 2**(n-1)`` seconds (n = the streak length, jittered ±25 %, capped), and the first run that
does not fail ends the streak. :meth:`WorkQueue.retry_failing` runs every failing key at once — the
controller calls it when ECI answers again after an outage, so recovery does not wait for timers.

When more keys are due than ``concurrency`` allows, urgent ones (a user's edit or delete, a changed
ConfigMap, and the polls and retries that follow them) run before background ones (the periodic
resync).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Requeue:
    """What the worker wants after one run."""

    after: float | None = None
    """Run again after this many seconds (None: only when triggered). With ``failed``, the least wait."""
    failed: bool = False
    """The run failed in a way a retry may fix: the queue backs off."""


DONE = Requeue()
FAILED = Requeue(failed=True)

Worker = Callable[[K, int], Awaitable[Requeue]]


@dataclass(frozen=True)
class Backoff:
    """Delays after consecutive failures: ``base * 2**(n-1)``, jittered, at most ``cap``."""

    base: float = 1.0
    cap: float = 300.0
    jitter: float = 0.25

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        raw = min(self.cap, self.base * 2.0 ** min(max(failures, 1) - 1, 30))
        spread = (rng or random).uniform(1.0 - self.jitter, 1.0 + self.jitter)
        return min(self.cap, raw * spread)


@dataclass
class _Slot:
    running: bool = False
    dirty: bool = False
    urgent: bool = False  # the pending run answers a user's change
    timer: asyncio.TimerHandle | None = None
    timer_urgent: bool = False
    due: float | None = None
    failures: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class WorkQueue(Generic[K]):
    """Runs ``worker(key)`` for triggered keys, never two at once for one key.

    ``concurrency`` bounds how many different keys reconcile at the same time. A key waiting for
    its turn is an entry in a heap (urgent first, then in arrival order), not a task: a sweep or a
    burst of new objects queues thousands of keys, and a task per key cost some 1.7 KiB each.
    """

    def __init__(self, worker: Worker[K], *, concurrency: int = 16, backoff: Backoff | None = None) -> None:
        self._worker = worker
        self._slots: dict[K, _Slot] = {}
        self._failures: dict[K, int] = {}
        self._free = concurrency
        self._ready: list[tuple[int, int, K]] = []  # (0 urgent / 1 not, arrival, key); stale ones skipped
        self._order = itertools.count()
        self._backoff = backoff or Backoff()
        self._closed = False

    @property
    def depth(self) -> int:
        """Keys waiting to run or running (delayed ones not yet due are not counted)."""
        return sum(1 for s in self._slots.values() if s.running or s.dirty)

    def trigger(self, key: K, *, delay: float = 0.0, urgent: bool = False) -> None:
        """Ask for a reconcile of ``key`` now, or after ``delay`` seconds."""
        if self._closed:
            return
        slot = self._slots.setdefault(key, _Slot())
        loop = asyncio.get_running_loop()
        if delay > 0:
            due = loop.time() + delay
            if slot.running or slot.dirty:
                # A run is already coming; remember the later wish only if none is pending.
                if slot.timer is None:
                    slot.timer = loop.call_at(due, self._fire, key)
                    slot.due = due
                    slot.timer_urgent = urgent
                return
            if slot.timer is not None and slot.due is not None and slot.due <= due:
                return  # an earlier timer already covers this
            self._cancel_timer(slot)
            slot.timer = loop.call_at(due, self._fire, key)
            slot.due = due
            slot.timer_urgent = urgent
            return
        self._cancel_timer(slot)
        promoted = urgent and not slot.urgent
        slot.urgent = slot.urgent or urgent
        if slot.running:
            slot.dirty = True
            return
        if slot.dirty:
            if promoted and not self._started(slot):
                self._enqueue(key, urgent=True)  # ahead of its own background entry
            return
        slot.dirty = True
        self._enqueue(key, urgent=slot.urgent)

    @staticmethod
    def _started(slot: _Slot) -> bool:
        return slot.task is not None and not slot.task.done()

    def _enqueue(self, key: K, *, urgent: bool) -> None:
        heapq.heappush(self._ready, (0 if urgent else 1, next(self._order), key))
        self._pump()

    def _pump(self) -> None:
        """Start the next waiting keys while lanes are free."""
        while self._free > 0 and self._ready and not self._closed:
            _, _, key = heapq.heappop(self._ready)
            slot = self._slots.get(key)
            if slot is None or not slot.dirty or slot.running or self._started(slot):
                continue  # forgotten, already run, or queued twice (promoted to urgent)
            self._free -= 1
            slot.task = asyncio.create_task(self._run(key, slot), name=f"reconcile {key}")
            slot.task.add_done_callback(self._finished)

    def _finished(self, _: asyncio.Task[None]) -> None:
        # A done callback, not a ``finally`` in the run: a task cancelled before it ever ran
        # (``drop``, ``close``) must free its lane too.
        self._free += 1
        self._pump()

    def failures(self, key: K) -> int:
        """The length of the key's current failure streak (0 when its last run did not fail)."""
        return self._failures.get(key, 0)

    def retry_failing(self) -> int:
        """Run every key whose last run failed now, urgent ones first; returns how many."""
        keys = sorted(self._failures, key=lambda k: not self._slots.get(k, _Slot()).timer_urgent)
        for key in keys:
            slot = self._slots.get(key)
            self.trigger(key, urgent=slot is not None and slot.timer_urgent)
        return len(keys)

    def forget(self, key: K) -> None:
        """Drop pending timers for a key that no longer exists (a running reconcile finishes)."""
        self._failures.pop(key, None)
        slot = self._slots.get(key)
        if slot is None:
            return
        self._cancel_timer(slot)
        slot.dirty = False
        if not slot.running:
            self._slots.pop(key, None)

    async def drop(self, keys: Iterable[K]) -> None:
        """Stop all work on ``keys`` (their shard went to another replica): pending runs and timers
        are dropped, running ones cancelled and awaited. The queue stays open for other keys."""
        tasks = []
        for key in keys:
            self._failures.pop(key, None)
            slot = self._slots.pop(key, None)
            if slot is None:
                continue
            self._cancel_timer(slot)
            slot.dirty = False
            if slot.task is not None and not slot.task.done():
                slot.task.cancel()
                tasks.append(slot.task)
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_idle(self, key: K) -> None:
        """Wait until the key's current run (if any) and its queued re-run are done."""
        while True:
            slot = self._slots.get(key)
            if slot is None or not (slot.running or slot.dirty):
                return
            if slot.task is not None and not slot.task.done():
                await asyncio.shield(slot.task)
            else:
                await asyncio.sleep(0.01)  # waiting for a lane: no task of its own yet

    async def close(self) -> None:
        self._closed = True
        self._failures.clear()
        tasks = []
        for slot in self._slots.values():
            self._cancel_timer(slot)
            if slot.task is not None and not slot.task.done():
                slot.task.cancel()
                tasks.append(slot.task)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._slots.clear()
        self._ready.clear()

    def _fire(self, key: K) -> None:
        slot = self._slots.get(key)
        if slot is None:
            return
        slot.timer = None
        slot.due = None
        self.trigger(key, urgent=slot.timer_urgent)

    @staticmethod
    def _cancel_timer(slot: _Slot) -> None:
        if slot.timer is not None:
            slot.timer.cancel()
        slot.timer = None
        slot.due = None

    async def _run(self, key: K, slot: _Slot) -> None:
        """One run of ``key`` in a lane; a trigger during it queues the next run."""
        urgent = slot.urgent
        slot.dirty = False
        slot.urgent = False
        slot.running = True
        try:
            result = await self._worker(key, self._failures.get(key, 0))
        except asyncio.CancelledError:
            slot.running = False
            raise
        except Exception:  # the worker reports its own errors; never let one key kill the queue
            logger.exception("Reconcile of %s failed unexpectedly", key)
            result = FAILED
        slot.running = False
        slot.task = None
        delay = result.after
        if result.failed:
            streak = self._failures[key] = self._failures.get(key, 0) + 1
            delay = max(delay or 0.0, self._backoff.delay(streak))
        else:
            self._failures.pop(key, None)
        if slot.dirty and not self._closed:
            self._enqueue(key, urgent=slot.urgent)
        elif delay is not None:
            self.trigger(key, delay=delay, urgent=urgent)  # polls keep the urgency of their cause
        if not slot.dirty and slot.timer is None and self._slots.get(key) is slot:
            self._slots.pop(key, None)
