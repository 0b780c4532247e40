"""Per-action, per-minute request quotas (ECI's defaults), answered with Throttling.User."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping

from .errors import THROTTLED, ApiError

WINDOW_SECONDS = 60.0
DEFAULT_QUOTAS: dict[str, int] = {
    "DescribeContainerGroups": 2000,
    # The change feeds: ECI's flow-control page (developer-reference/api-eci-2018-08-08-quota).
    "DescribeContainerGroupStatus": 10000,
    "DescribeContainerGroupEvents": 10000,
    "CreateContainerGroup": 1000,
    "DeleteContainerGroup": 1000,
    "UpdateContainerGroup": 500,
    "RestartContainerGroup": 500,
    "ExecContainerCommand": 500,
    "DescribeContainerLog": 500,
}


class Quotas:
    """A sliding one-minute window per action; a limit of 0 means unlimited."""

    def __init__(
        self, overrides: Mapping[str, int] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = {**DEFAULT_QUOTAS, **(overrides or {})}
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def reset(self) -> None:
        self._seen.clear()

    def take(self, action: str) -> None:
        limit = self.limits.get(action, 0)
        if limit <= 0:
            return
        now = self.clock()
        seen = self._seen.setdefault(action, deque())
        while seen and seen[0] <= now - WINDOW_SECONDS:
            seen.popleft()
        if len(seen) >= limit:
            raise ApiError(*THROTTLED)
        seen.append(now)
