"""Client-side rate limits: one token bucket per ECI action, shared by the whole process.

ECI's quotas are per account and per minute (DescribeContainerGroups 2000, Create/Delete 1000,
Update/Restart 500). Each action gets a bucket refilled at that rate and holding ``burst_seconds``
worth of tokens, so a burst cannot spend a whole minute's quota at once.

Priority: ``Priority.USER`` (writes and deletes that follow a user's edit) is served before
``Priority.BACKGROUND`` (periodic drift reads): waiters are queued by priority, and background
callers may not take the last ``user_reserve`` fraction of a bucket, so a user write finds a token
even while reads keep the bucket busy.

When the service answers ``Throttling*`` the transport calls ``pause(action, seconds)``: every
caller of that action then waits, which is the global back-off the account needs.

Each bucket remembers when its tokens of the last minute were taken (``used_last_minute``), which
is what an EciAccount's status reports as its quota use.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

# Calls per minute per account (ECI product limits page).
DEFAULT_PER_MINUTE: dict[str, float] = {
    "DescribeContainerGroups": 2000,
    "DescribeContainerGroupMetric": 2000,
    "CreateContainerGroup": 1000,
    "DeleteContainerGroup": 1000,
    "DescribeContainerGroupPrice": 1000,
    "ExportContainerGroupTemplate": 1000,
    "UpdateContainerGroup": 500,
    "RestartContainerGroup": 500,
    "ExecContainerCommand": 500,
    "DescribeContainerLog": 500,
    "DescribeMultiContainerGroupMetric": 500,
    "CreateImageCache": 200,
    # The change feeds are not on the limits page; ECI's flow-control page
    # (developer-reference/api-eci-2018-08-08-quota) gives both 10000 per 60 s.
    "DescribeContainerGroupStatus": 10000,
    "DescribeContainerGroupEvents": 10000,
}
UNKNOWN_ACTION_PER_MINUTE = 500.0


class Priority(IntEnum):
    """Lower value is served first."""

    USER = 0
    BACKGROUND = 1


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    event: asyncio.Event = field(compare=False)


class TokenBucket:
    """A token bucket with priority-ordered waiters."""

    def __init__(
        self,
        per_minute: float,
        *,
        burst_seconds: float = 10.0,
        user_reserve: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0:
            raise ValueError(f"rate must be positive, got {per_minute}")
        self._burst = burst_seconds
        self._user_reserve = user_reserve
        self._set_rate(per_minute)
        self._tokens = self.capacity
        self._clock = clock
        self._stamp = clock()
        self._paused_until = 0.0
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._spent: collections.deque[float] = collections.deque()

    def _take(self) -> None:
        self._tokens -= 1.0
        self._spent.append(self._clock())
        self._forget()

    def _forget(self) -> None:
        horizon = self._clock() - 60.0
        while self._spent and self._spent[0] <= horizon:
            self._spent.popleft()

    def used_last_minute(self) -> int:
        """Tokens taken in the last 60 seconds."""
        self._forget()
        return len(self._spent)

    def _set_rate(self, per_minute: float) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * self._burst)
        self.reserve = self.capacity * self._user_reserve if self.capacity >= 2 else 0.0

    def rescale(self, per_minute: float) -> None:
        """Change the rate (a replica's share of the account's quota grew or shrank); tokens
        already saved beyond the new burst are dropped."""
        if per_minute <= 0:
            raise ValueError(f"rate must be positive, got {per_minute}")
        self._refill()
        self._set_rate(per_minute)
        self._tokens = min(self._tokens, self.capacity)
        if self._waiters:
            self._waiters[0].event.set()  # the first waiter works out its wait again

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def _needed(self, priority: int) -> float:
        return 1.0 + (self.reserve if priority > Priority.USER else 0.0)

    def pause(self, seconds: float) -> None:
        """Hand out no tokens for ``seconds`` (after a Throttling answer)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def try_acquire(self, priority: Priority = Priority.BACKGROUND) -> bool:
        """Take a token now if one is free and nobody with a claim waits; never blocks."""
        self._refill()
        if self._waiters or self._clock() < self._paused_until:
            return False
        if self._tokens >= self._needed(priority):
            self._take()
            return True
        return False

    async def acquire(self, priority: Priority = Priority.BACKGROUND) -> None:
        """Wait for a token; waiters are served by priority, then in arrival order."""
        if self.try_acquire(priority):
            return
        me = _Waiter(int(priority), next(self._seq), asyncio.Event())
        heapq.heappush(self._waiters, me)
        try:
            while True:
                if self._waiters[0] is me:
                    self._refill()
                    now = self._clock()
                    if now >= self._paused_until and self._tokens >= self._needed(me.priority):
                        self._take()
                        return
                    wait = max(
                        self._paused_until - now,
                        (self._needed(me.priority) - self._tokens) / self.rate,
                        0.001,
                    )
                else:
                    wait = None
                me.event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(me.event.wait(), wait)
        finally:
            self._waiters.remove(me)
            heapq.heapify(self._waiters)
            if self._waiters:
                self._waiters[0].event.set()


class QuotaLimiter:
    """One ``TokenBucket`` per action, created on first use."""

    def __init__(
        self,
        per_minute: Mapping[str, float] | None = None,
        *,
        default_per_minute: float = UNKNOWN_ACTION_PER_MINUTE,
        burst_seconds: float = 10.0,
        user_reserve: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = {**DEFAULT_PER_MINUTE, **(per_minute or {})}
        self.default_per_minute = default_per_minute
        self._burst = burst_seconds
        self._reserve = user_reserve
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self.share = 1.0

    def _rate(self, action: str) -> float:
        return self.per_minute.get(action, self.default_per_minute) * self.share

    def bucket(self, action: str) -> TokenBucket:
        if action not in self._buckets:
            self._buckets[action] = TokenBucket(
                self._rate(action), burst_seconds=self._burst, user_reserve=self._reserve, clock=self._clock
            )
        return self._buckets[action]

    def set_share(self, share: float) -> None:
        """Use only ``share`` (0 < share <= 1) of every quota: the account's quota is split between
        the replicas that share it (``run --shards``: m of K shards held → m/K)."""
        if not 0 < share <= 1:
            raise ValueError(f"a share is in (0, 1], got {share}")
        self.share = share
        for action, bucket in self._buckets.items():
            bucket.rescale(self._rate(action))

    async def acquire(self, action: str, priority: Priority = Priority.BACKGROUND) -> None:
        await self.bucket(action).acquire(priority)

    def pause(self, action: str, seconds: float) -> None:
        self.bucket(action).pause(seconds)

    def usage(self) -> dict[str, tuple[int, float]]:
        """Per action called so far: (calls in the last minute, the per-minute limit)."""
        return {a: (b.used_last_minute(), b.per_minute) for a, b in sorted(self._buckets.items())}


_default: QuotaLimiter | None = None


def default_limiter() -> QuotaLimiter:
    """The process-wide limiter every client uses unless given its own."""
    global _default
    if _default is None:
        _default = QuotaLimiter()
    return _default


def configure_default_limiter(limiter: QuotaLimiter) -> None:
    """Replace the process-wide limiter (e.g. with quotas raised by ticket)."""
    global _default
    _default = limiter
