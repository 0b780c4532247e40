"""The change feed: what changed on ECI in the last few seconds, for every tracked instance.

Per (credentials, region) scope (the default credentials or an EciAccount's), every
``FeedSettings.interval`` seconds, one
``DescribeContainerGroupStatus`` call filtered by this cluster's ownership tag asks which instances
changed status or container state since the previous read began (plus ``overlap``). Each changed
instance that a ContainerGroup tracks loses its cached observation and is reconciled: the reconcile
reads it again, merged with the others into 20-ID Describe calls (``batched.py``). Steady state
costs 12 calls a minute per scope whatever N is; the full sweep stays as the safety net for drift
that changes no status, at a slow interval.

Windows are relative (``SinceSecond``): ECI measures them on its own clock, so a skewed local clock
opens no gap. A window starts when the previous successful read was *sent* (ECI evaluated it
afterwards), so reads overlap rather than leave a hole. When reads fail (throttled, ECI down) the
next window grows to cover the gap; meanwhile full sweeps run at ``fallback_interval``. A gap longer
than ``max_window`` is closed by a full sweep before the feed resumes. Either way nothing that
changed is missed, only seen later.

The event feed (``DescribeContainerGroupEvents``) is read after every read that reported a change,
once more in the next interval (events may be recorded a moment after the change), and at least
every ``event_interval``; the events of tracked instances go to ``on_events``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from eci_operator.controller.batched import BatchedObserver
from eci_operator.controller.cloud import Cloud, Scope
from eci_operator.controller.memory import Key
from eci_operator.controller.settings import FeedSettings
from eci_operator.eci.feeds import GroupEventsOut
from eci_operator.eci.models import ContainerGroupOut

logger = logging.getLogger(__name__)

EventsFn = Callable[[Key, GroupEventsOut], Awaitable[None]]


@dataclass
class _ScopeState:
    read_from: float | None = None
    """Monotonic time the last successful status read was sent."""
    events_from: float | None = None
    """The same for the event feed."""
    events_followup: bool = False
    """The last status read reported changes: read events once more."""
    failing: int = 0
    """Consecutive failed status reads."""
    last_fallback: float | None = None
    """When the last fallback sweep began."""


class ChangeFeed:
    def __init__(
        self,
        cloud_of: Callable[[Scope], Cloud | None],
        observer: BatchedObserver[Key, Scope, ContainerGroupOut],
        settings: FeedSettings,
        cluster: str,
        *,
        on_changed: Callable[[Key], None],
        on_events: EventsFn | None = None,
    ) -> None:
        self._cloud_of = cloud_of
        self.observer = observer
        self.settings = settings
        self.cluster = cluster
        self._on_changed = on_changed
        self._on_events = on_events
        self._state: dict[Scope, _ScopeState] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.interval > 0

    def healthy(self, scope: Scope) -> bool:
        """Whether the last status read of ``scope`` succeeded."""
        state = self._state.get(scope)
        return state is not None and state.read_from is not None and state.failing == 0

    # -- one read ---------------------------------------------------------------------------

    def _window(self, since: float | None, now: float) -> float:
        if since is None:
            return self.settings.interval + self.settings.overlap
        return now - since + self.settings.overlap

    async def poll(self, scope: Scope) -> None:
        """One read of the feed for ``scope`` (the loop's step; tests call it directly)."""
        state = self._state.setdefault(scope, _ScopeState())
        start = time.monotonic()
        window = self._window(state.read_from, start)
        if window > self.settings.max_window:
            # Too long since the last good read for one window: only a full sweep proves nothing
            # was missed meanwhile. The feed resumes from the sweep's start.
            resumed = await self._fallback(scope, state)
            if resumed is not None:
                state.read_from = resumed
            return
        cloud = self._cloud_of(scope)
        if cloud is None:
            return  # the scope's account went away: its objects' reconciles say so
        try:
            changed = await cloud.status_changes(scope, math.ceil(window), self.cluster)
        except Exception as exc:
            state.failing += 1
            logger.warning("Status feed of %s failed (%d in a row): %s", scope[1], state.failing, exc)
            await self._fallback(scope, state)
            return
        if state.failing:
            logger.info("Status feed of %s answers again", scope[1])
        state.read_from = start
        state.failing = 0
        reported = 0
        for group_id in changed:
            keys = self.observer.keys_of(scope, group_id)
            if keys:
                reported += 1
                self.observer.invalidate(group_id)
            for key in keys:
                self._on_changed(key)
        await self._events(cloud, scope, state, start, bool(reported))

    async def _events(
        self, cloud: Cloud, scope: Scope, state: _ScopeState, start: float, changed: bool
    ) -> None:
        if self._on_events is None:
            return
        periodic = state.events_from is None or start - state.events_from >= self.settings.event_interval
        if not (changed or state.events_followup or periodic):
            return
        window = min(self._window(state.events_from, start), self.settings.max_window)
        try:
            groups = await cloud.recent_events(scope, math.ceil(window), self.cluster)
        except Exception as exc:
            logger.warning("Event feed of %s failed: %s", scope[1], exc)
            state.events_followup = True
            return
        state.events_from = start
        state.events_followup = changed
        for group in groups:
            for key in self.observer.keys_of(scope, group.container_group_id):
                try:
                    await self._on_events(key, group)
                except Exception:  # one object's events never stop the others'
                    logger.exception("Mirroring events of %s/%s failed", *key)

    async def _fallback(self, scope: Scope, state: _ScopeState) -> float | None:
        """A full sweep of ``scope`` unless one began within ``fallback_interval``. When it read
        every tracked instance, the time it began: the feed may resume from there."""
        now = time.monotonic()
        if state.last_fallback is not None and now - state.last_fallback < self.settings.fallback_interval:
            return None
        state.last_fallback = now
        logger.info("Status feed of %s unavailable; sweeping every instance instead", scope[1])
        await self.observer.sweep(scope)
        lag = self.observer.lag(scope)
        return now if lag is not None and lag <= time.monotonic() - now else None

    # -- the loop ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="change feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_start = loop.time() + self.settings.interval
        while True:
            # Start to start: a slow read does not stretch the cadence.
            await asyncio.sleep(max(0.0, next_start - loop.time()))
            next_start = max(next_start, loop.time()) + self.settings.interval
            scopes = sorted(self.observer.scopes())
            results = await asyncio.gather(*(self.poll(s) for s in scopes), return_exceptions=True)
            for scope, result in zip(scopes, results, strict=True):
                if isinstance(result, Exception):
                    logger.error("Change feed of %s failed", scope[1], exc_info=result)
