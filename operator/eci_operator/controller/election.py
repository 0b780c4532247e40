"""Leader election: the Lease calls around the pure rules of :mod:`~eci_operator.controller.leases`.

:meth:`Elector.acquire` returns once this process holds the Lease; :meth:`Elector.hold` renews it
and returns when leadership is lost (another holder, or no successful renewal for the renew
deadline), which is the moment to stop reconciling: the Lease is still ours for
``lease_duration - renew_deadline`` seconds, so a standby cannot have started yet. Every write is a
create or a replace at the resourceVersion read just before, so two replicas racing for the Lease
cannot both win: the loser gets a conflict and looks again.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from eci_operator.controller.kube import KubeConflict, KubeError, Leases
from eci_operator.controller.leases import (
    JITTER,
    Record,
    Seen,
    Step,
    Timing,
    decide,
    expires_at,
    observe,
    released,
    spec_for,
    still_leading,
)

logger = logging.getLogger(__name__)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Elector:
    def __init__(
        self,
        leases: Leases,
        *,
        namespace: str,
        name: str,
        identity: str,
        timing: Timing,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime.datetime] = _utcnow,
    ) -> None:
        self.leases = leases
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.timing = timing
        self._clock = clock
        self._wall = wall
        self._seen: Seen | None = None
        self._renewed: float | None = None  # local time of the read before our last successful write
        self._looked: float | None = None  # local time of the last see()

    @property
    def seen(self) -> Seen | None:
        """The Lease as last seen, and since when (local time) it has looked so."""
        return self._seen

    def see(self, lease: Mapping[str, Any] | None) -> None:
        """Take in the Lease as read by someone else (a listing), as :meth:`attempt`'s own read would."""
        now = self._looked = self._clock()
        self._seen = None if lease is None else observe(self._seen, Record.of(lease), now)

    def drop(self) -> None:
        """Stop counting the Lease as ours (lost, or about to be released)."""
        self._renewed = None

    @property
    def deadline(self) -> float | None:
        """When (local monotonic time) leadership ends unless renewed before; None when not leading."""
        return None if self._renewed is None else self._renewed + self.timing.renew_deadline

    @property
    def leading(self) -> bool:
        return self._renewed is not None and still_leading(self._renewed, self._clock(), self.timing)

    async def attempt(self, *, renewing: bool = False, read: bool = True) -> bool:
        """One read and, unless another holder's Lease is live, one write. True when the Lease is ours.
        A leader (``renewing``) that finds another holder writes nothing: it has lost. Without
        ``read``, the Lease as last given to :meth:`see` stands for the read (a listing made just
        before), and the renew deadline counts from when that was."""
        if read or self._looked is None:
            now = self._clock()
            lease = await self.leases.get_lease(self.namespace, self.name)
            self._seen = None if lease is None else observe(self._seen, Record.of(lease), now)
        else:
            now = self._looked
        step = decide(self._seen, self.identity, now, self.timing)
        if step is Step.STANDBY or (renewing and step is Step.ACQUIRE and self.taken):
            return False
        spec = spec_for(step, self._seen, self.identity, self._wall(), self.timing)
        try:
            if step is Step.CREATE or self._seen is None:
                answer = await self.leases.create_lease(self.namespace, self.name, spec)
            else:
                version = self._seen.record.resource_version or ""
                answer = await self.leases.replace_lease(self.namespace, self.name, version, spec)
        except KubeConflict:
            return False  # someone else wrote first; the next read says who
        self._seen = Seen(Record.of(answer), now)
        if step is not Step.RENEW:
            logger.info("Acquired the Lease %s/%s as %s", self.namespace, self.name, self.identity)
        self._renewed = now
        return True

    @property
    def taken(self) -> bool:
        """Whether the Lease, as last seen, is held by another identity."""
        holder = self._seen.record.holder if self._seen is not None else None
        return holder is not None and holder != self.identity

    def _sleep_time(self) -> float:
        pause = self.timing.retry_period * (1 + random.random() * (JITTER - 1))
        expiry = expires_at(self._seen, self.identity, self.timing)
        if expiry is not None:
            pause = min(pause, max(0.0, expiry - self._clock()) + 0.01)
        return pause

    async def acquire(self) -> None:
        """Return once this process holds the Lease."""
        logger.info("Waiting for the Lease %s/%s as %s", self.namespace, self.name, self.identity)
        while True:
            try:
                if await asyncio.wait_for(self.attempt(), self.timing.renew_deadline):
                    return
            except (KubeError, TimeoutError) as exc:
                logger.warning("Could not read or take the Lease %s/%s: %s", self.namespace, self.name, exc)
            await asyncio.sleep(self._sleep_time())

    async def hold(self) -> None:
        """Renew the Lease every retry period; return when leadership is lost."""
        while True:
            await asyncio.sleep(self.timing.retry_period)
            if not await self._renew():
                self._renewed = None
                return

    async def _renew(self) -> bool:
        """Retry until renewed, or until the renew deadline has passed (False: leadership is lost)."""
        assert self._renewed is not None
        while True:
            remaining = self._renewed + self.timing.renew_deadline - self._clock()
            if remaining <= 0:
                logger.error(
                    "Could not renew the Lease %s/%s within %ss: leadership lost",
                    self.namespace,
                    self.name,
                    self.timing.renew_deadline,
                )
                return False
            try:
                if await asyncio.wait_for(self.attempt(renewing=True), remaining):
                    return True
            except (KubeError, TimeoutError) as exc:
                logger.warning("Could not renew the Lease %s/%s: %s", self.namespace, self.name, exc)
            if self.taken:
                logger.error(
                    "The Lease %s/%s is held by another replica: leadership lost", self.namespace, self.name
                )
                return False
            remaining = self._renewed + self.timing.renew_deadline - self._clock()
            await asyncio.sleep(max(0.0, min(self.timing.retry_period, remaining)))

    async def release(self) -> None:
        """Hand the Lease back (clean shutdown) so that a standby takes over at once."""
        seen = self._seen
        if not self.leading or seen is None or seen.record.resource_version is None:
            return
        self._renewed = None
        try:
            await asyncio.wait_for(
                self.leases.replace_lease(
                    self.namespace, self.name, seen.record.resource_version, released(seen, self._wall())
                ),
                self.timing.retry_period,
            )
            logger.info("Released the Lease %s/%s", self.namespace, self.name)
        except (KubeError, TimeoutError) as exc:
            logger.warning("Could not release the Lease %s/%s: %s", self.namespace, self.name, exc)
