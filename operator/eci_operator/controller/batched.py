"""The batched observer: one reader per (credentials, region) scope, 20 IDs per Describe call.

Drift detection must not cost one DescribeContainerGroups call per object per interval (what every
per-object timer does). Instead each scope runs one loop that, every ``interval`` seconds (start to
start; jitter only shortens it, so many operators do not beat in step), reads all tracked instance
IDs in chunks of ``batch_size`` and stores what it saw. Steady state costs ceil(N / 20) calls per
interval.

Reconciles that need a fresh observation outside the sweep (a user edit, a resume after restart,
verification after a write) ask :meth:`BatchedObserver.observe`: requests arriving within a short
window are merged into the same chunked calls, so resuming N objects after a restart also costs
about ceil(N / 20) calls rather than N.

The cache holds each observation packed (``pack``/``unpack``, e.g. compressed JSON): a parsed
Describe model costs some 20 KiB of heap, its compressed JSON about 1 KiB, and a sweep compares
the packed forms. Reads unpack it again; they are a reconcile's, far rarer than the bytes kept.

After each sweep the ``on_sweep`` callback hears, per tracked key, what was observed (None when
the ID was not returned, i.e. the instance is gone) and whether it differs from the last sweep.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from eci_operator.eci.models import DESCRIBE_MAX_IDS

K = TypeVar("K", bound=Hashable)  # object key, e.g. (namespace, name)
S = TypeVar("S", bound=Hashable)  # scope, e.g. (credentials id, region)
T = TypeVar("T")  # what Describe returns for one instance

logger = logging.getLogger(__name__)

BATCH_SIZE = DESCRIBE_MAX_IDS

DescribeFn = Callable[[S, Sequence[str]], Awaitable[Mapping[str, T]]]


@dataclass(frozen=True)
class Observation(Generic[T]):
    """What one Describe saw for one instance ID; ``group`` is None when ECI did not return it."""

    group_id: str
    group: T | None
    at: float  # time.monotonic() when the answer arrived
    wall: float  # time.time() of the same moment, for status.lastObservedTime


@dataclass(frozen=True)
class _Kept:
    group_id: str
    packed: bytes | None
    at: float
    wall: float


def chunks(ids: Sequence[str], size: int = BATCH_SIZE) -> list[list[str]]:
    """Split IDs into Describe-sized chunks, keeping order and dropping duplicates."""
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


class BatchedObserver(Generic[K, S, T]):
    def __init__(
        self,
        describe: DescribeFn[S, T],
        *,
        interval: float,
        jitter: float = 0.1,
        batch_size: int = BATCH_SIZE,
        batch_window: float = 0.05,
        on_sweep: Callable[[K, Observation[T], bool], None] | None = None,
        on_error: Callable[[S, Exception], None] | None = None,
        pack: Callable[[T], bytes] | None = None,
        unpack: Callable[[bytes], T] | None = None,
    ) -> None:
        if not 1 <= batch_size <= BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {BATCH_SIZE}")
        self._describe = describe
        self.interval = interval
        self._jitter = jitter
        self._batch_size = batch_size
        self._batch_window = batch_window
        self._on_sweep = on_sweep
        self._on_error = on_error
        self._tracked: dict[K, tuple[S, str]] = {}
        self._keys: dict[str, set[K]] = {}  # group ID -> keys tracking it
        self._pack = pack
        self._unpack = unpack
        self._cache: dict[str, _Kept] = {}
        self._plain: dict[str, Observation[T]] = {}  # without pack/unpack: the observations as they are
        self._loops: dict[S, asyncio.Task[None]] = {}
        self._pending: dict[S, dict[str, list[asyncio.Future[Observation[T]]]]] = {}
        self._flushers: dict[S, asyncio.Task[None]] = {}
        self._answering: set[asyncio.Task[None]] = set()
        self._last_sweep: dict[S, float] = {}
        self._running = False

    # -- registry ---------------------------------------------------------------------------

    def track(self, key: K, scope: S, group_id: str) -> None:
        """Include ``group_id`` in the sweeps of ``scope`` on behalf of ``key``."""
        previous = self._tracked.get(key)
        self._tracked[key] = (scope, group_id)
        if previous is not None and previous[1] != group_id:
            self._forget_key(key, previous[1])
            self._cache.pop(previous[1], None)
            self._plain.pop(previous[1], None)
        self._keys.setdefault(group_id, set()).add(key)
        if self._running and scope not in self._loops:
            self._loops[scope] = asyncio.create_task(self._loop(scope), name=f"observer {scope}")

    def untrack(self, key: K) -> None:
        entry = self._tracked.pop(key, None)
        if entry is None:
            return
        self._forget_key(key, entry[1])
        if entry[1] not in self._keys:
            self._cache.pop(entry[1], None)
            self._plain.pop(entry[1], None)

    def _forget_key(self, key: K, group_id: str) -> None:
        keys = self._keys.get(group_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._keys[group_id]

    def keys_of(self, scope: S, group_id: str) -> list[K]:
        """The keys tracking ``group_id`` in ``scope``."""
        return [k for k in self._keys.get(group_id, ()) if self._tracked[k][0] == scope]

    def tracked(self, scope: S) -> list[str]:
        return [g for s, g in self._tracked.values() if s == scope]

    def scopes(self) -> set[S]:
        return {s for s, _ in self._tracked.values()}

    def cached(self, group_id: str, *, max_age: float | None = None) -> Observation[T] | None:
        """The last observation of ``group_id``, if not older than ``max_age`` seconds."""
        if self._pack is None or self._unpack is None:
            observation = self._plain.get(group_id)
            if observation is None:
                return None
            if max_age is not None and time.monotonic() - observation.at > max_age:
                return None
            return observation
        kept = self._cache.get(group_id)
        if kept is None:
            return None
        if max_age is not None and time.monotonic() - kept.at > max_age:
            return None
        group = None if kept.packed is None else self._unpack(kept.packed)
        return Observation(group_id, group, kept.at, kept.wall)

    def invalidate(self, group_id: str) -> None:
        """Forget a cached observation (after a write, the old one no longer tells the truth)."""
        self._cache.pop(group_id, None)
        self._plain.pop(group_id, None)

    def lag(self, scope: S) -> float | None:
        """Seconds since the last complete sweep of ``scope`` (None before the first)."""
        last = self._last_sweep.get(scope)
        return None if last is None else time.monotonic() - last

    # -- reading ----------------------------------------------------------------------------

    async def observe(self, scope: S, group_id: str) -> Observation[T]:
        """A fresh observation of one instance, batched with concurrent requests of the scope."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Observation[T]] = loop.create_future()
        waiting = self._pending.setdefault(scope, {})
        waiting.setdefault(group_id, []).append(future)
        if len(waiting) >= self._batch_size:
            self._flush(scope)
        elif scope not in self._flushers:
            self._flushers[scope] = asyncio.create_task(self._flush_later(scope))
        return await future

    async def _flush_later(self, scope: S) -> None:
        await asyncio.sleep(self._batch_window)
        self._flushers.pop(scope, None)
        self._flush(scope)

    def _flush(self, scope: S) -> None:
        waiting = self._pending.pop(scope, {})
        flusher = self._flushers.pop(scope, None)
        if flusher is not None and flusher is not asyncio.current_task():
            flusher.cancel()
        for chunk in chunks(list(waiting), self._batch_size):
            task = asyncio.create_task(self._answer(scope, chunk, {g: waiting[g] for g in chunk}))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(
        self, scope: S, chunk: list[str], futures: dict[str, list[asyncio.Future[Observation[T]]]]
    ) -> None:
        try:
            observations = await self._read(scope, chunk)
        except Exception as exc:
            for waiters in futures.values():
                for future in waiters:
                    if not future.done():
                        future.set_exception(exc)
            return
        for group_id, waiters in futures.items():
            for future in waiters:
                if not future.done():
                    future.set_result(observations[group_id])

    async def _read(self, scope: S, ids: Sequence[str]) -> dict[str, Observation[T]]:
        found = await self._describe(scope, list(ids))
        at, wall = time.monotonic(), time.time()
        result = {g: Observation(g, found.get(g), at, wall) for g in ids}
        self._keep(result)
        return result

    def _keep(self, observations: Mapping[str, Observation[T]]) -> None:
        if self._pack is None:
            self._plain.update(observations)
            return
        for group_id, o in observations.items():
            packed = None if o.group is None else self._pack(o.group)
            self._cache[group_id] = _Kept(group_id, packed, o.at, o.wall)

    def _fingerprint(self, group_id: str) -> object:
        """What a sweep compares: the packed form, or the observation itself."""
        if self._pack is None:
            plain = self._plain.get(group_id)
            return None if plain is None else ("seen", plain.group)
        kept = self._cache.get(group_id)
        return None if kept is None else ("seen", kept.packed)

    # -- sweeping ---------------------------------------------------------------------------

    async def sweep(self, scope: S) -> int:
        """Read every tracked instance of ``scope`` once; returns the number of Describe calls."""
        ids = self.tracked(scope)
        seen: set[str] = set()  # IDs only: the observations stay packed in the cache
        changed: dict[str, bool] = {}
        calls = 0
        for chunk in chunks(ids, self._batch_size):
            calls += 1
            # Compare chunk by chunk: holding every previous observation until the sweep ends
            # would keep two copies of all instances in memory at its peak.
            before = {g: self._fingerprint(g) for g in chunk}
            try:
                fresh = await self._read(scope, chunk)
            except Exception as exc:
                logger.warning("Observer read of %d instances in %s failed: %s", len(chunk), scope, exc)
                if self._on_error is not None:
                    self._on_error(scope, exc)
                continue
            for group_id in fresh:
                old = before.get(group_id)
                changed[group_id] = old is None or old != self._fingerprint(group_id)
            seen.update(fresh)
            del fresh
        if len(seen) == len(set(ids)):
            self._last_sweep[scope] = time.monotonic()
        if self._on_sweep is not None:
            for key, (key_scope, group_id) in list(self._tracked.items()):
                if key_scope != scope or group_id not in seen:
                    continue
                observation = self.cached(group_id)
                if observation is None:  # invalidated meanwhile: its reconcile reads it again
                    continue
                self._on_sweep(key, observation, changed[group_id])
        return calls

    def start(self) -> None:
        self._running = True
        for scope in self.scopes():
            if scope not in self._loops:
                self._loops[scope] = asyncio.create_task(self._loop(scope), name=f"observer {scope}")

    async def stop(self) -> None:
        self._running = False
        tasks = [*self._loops.values(), *self._flushers.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loops.clear()
        self._flushers.clear()

    def _next_period(self) -> float:
        # Jitter only shortens the period: sweeps start at most ``interval`` apart, so an
        # out-of-band change is seen within one interval (plus the time to reach its chunk).
        return self.interval * (1.0 - random.uniform(0.0, self._jitter))

    async def _loop(self, scope: S) -> None:
        loop = asyncio.get_running_loop()
        next_start = loop.time() + self._next_period()
        while self._running:
            # Start to start, not end to start: a long sweep does not stretch the cadence.
            await asyncio.sleep(max(0.0, next_start - loop.time()))
            next_start = max(next_start, loop.time()) + self._next_period()
            if not self.tracked(scope):
                self._loops.pop(scope, None)
                return
            try:
                await self.sweep(scope)
            except Exception:  # never let one bad sweep end the loop
                logger.exception("Observer sweep of %s failed", scope)
