"""A circuit breaker per ECI endpoint and credentials, shared by every client that uses them.

When the endpoint is down (every answer a 5xx, a black hole that accepts connections and never
answers, garbage instead of JSON), each object retrying on its own schedule would keep a stream of
requests going — N objects, N streams. The breaker turns that into a few probes::

    CLOSED ──(failure_threshold endpoint failures in a row)──▶ OPEN
    OPEN ──(retry_at passed: the next attempt goes out as the probe)──▶ PROBING
    PROBING ──(the probe gets any answer from ECI)──▶ CLOSED   (subscribers hear "recovered")
    PROBING ──(the probe fails too)──▶ OPEN, the wait doubled up to max_interval

- CLOSED: every attempt goes out. Endpoint failures (``errors.is_endpoint_failure``: network
  errors, timeouts, invalid answers, 5xx) are counted across all callers; any other outcome,
  business errors and Throttling included, proves the endpoint is up and resets the count.
  Throttling is left to the quota limiter, which already pauses the action for everyone.
- OPEN: attempts are not sent; they fail at once with ``CircuitOpenError`` carrying ``retry_at``.
  That includes the retries inside a call, so a call in its back-off loop stops too.
- PROBING: one attempt — whichever comes first after ``retry_at`` — is the probe; the others
  keep failing fast until it has answered. The first success (of the probe, or of an attempt
  that was already in flight) closes the breaker and calls every subscriber (``subscribe``), so
  the caller can re-queue what failed, user edits first.

Numbers, with the defaults (``BreakerSettings``): the breaker opens after 10 endpoint failures in
a row; probes follow 2, 4, 8 and 16 s after the failure before them, then every 20 s. Before it
opens, at most 10 failures plus the attempts already on their way go out — one per connection
slot of each client (20 by default, see ``Transport``), however many objects are waiting. During a
130 s outage that is at most 30 requests and 5 probes in the first minute and 3 probes a minute
after it, for 10 objects or 1000: under the 60 calls/min the operator may spend with 10 objects
and the 120/min with 1000. A black-holed probe holds its whole attempt timeout (15 s) before it
counts as failed, so probes are rarer still. Recovery is seen by the first probe after the
endpoint is back: at most ``max_interval`` (20 s) plus one attempt later, provided something calls
— the controller re-queues work at ``CircuitOpenError.retry_at`` — which leaves most of the 90 s
convergence budget for the work queued behind it.
"""

from __future__ import annotations

import enum
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from eci_operator.eci.errors import CircuitOpenError, EciError, error_label, is_endpoint_failure

log = logging.getLogger("eci_operator.eci.breaker")


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    PROBING = "probing"


@dataclass(frozen=True)
class BreakerSettings:
    """How quickly the breaker opens and how often it probes; times in seconds."""

    failure_threshold: int = 10
    """Endpoint failures in a row (across all callers) that open the breaker. Ten: an endpoint
    failing one call in five (the chaos tests' fault rate) opens it about once in ten million
    calls, while a real outage opens it within the first round of calls."""

    first_interval: float = 2.0
    """From opening to the first probe: a blip of a few seconds costs one short pause."""

    max_interval: float = 20.0
    """The longest wait between probes. It bounds how late recovery is seen (≤ 20 s plus one
    attempt) while keeping a long outage at 3 probes a minute."""

    growth: float = 2.0
    """Factor by which the wait grows after each failed probe."""

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, got {self.failure_threshold}")
        if not 0 < self.first_interval <= self.max_interval:
            raise ValueError("intervals must satisfy 0 < first_interval <= max_interval")
        if self.growth < 1:
            raise ValueError(f"growth must be at least 1, got {self.growth}")


@dataclass(frozen=True)
class BreakerStatus:
    """A snapshot for metrics and logs."""

    endpoint: str
    state: BreakerState
    consecutive_failures: int
    retry_at: float | None  # monotonic; None while closed
    probes: int  # probes sent since the breaker last opened
    opened: int  # how many times it opened since it was made


class Ticket:
    """One admitted attempt; report its outcome exactly once (``record`` or ``release``)."""

    def __init__(self, breaker: CircuitBreaker, probe: bool, epoch: int) -> None:
        self._breaker = breaker
        self.probe = probe
        self.epoch = epoch  # how many recoveries the breaker had seen when this attempt went out
        self._done = False

    def record(self, error: BaseException | None) -> None:
        """The attempt ended: ``None`` for a usable answer, else the error it ended with."""
        if not self._done:
            self._done = True
            self._breaker._record(self, error)

    def release(self) -> None:
        """The attempt ended without an outcome (cancelled): it proves nothing either way."""
        if not self._done:
            self._done = True
            self._breaker._release(self)


class CircuitBreaker:
    """The breaker of one endpoint (see the module docstring). Not thread-safe: one event loop."""

    def __init__(
        self,
        endpoint: str,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings or BreakerSettings()
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._interval = self.settings.first_interval
        self._retry_at = 0.0
        self._probes = 0
        self._opened = 0
        self._epoch = 0
        self._subscribers: list[Callable[[], None]] = []

    @property
    def state(self) -> BreakerState:
        return self._state

    def status(self) -> BreakerStatus:
        return BreakerStatus(
            endpoint=self.endpoint,
            state=self._state,
            consecutive_failures=self._failures,
            retry_at=None if self._state is BreakerState.CLOSED else self._retry_at,
            probes=self._probes,
            opened=self._opened,
        )

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` each time the breaker closes after being open; returns an unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    # -- admission -------------------------------------------------------------------------------

    def _refusal(self, action: str | None, now: float) -> CircuitOpenError | None:
        if self._state is BreakerState.CLOSED:
            return None
        if self._state is BreakerState.OPEN and now >= self._retry_at:
            return None
        retry_at = self._retry_at if self._state is BreakerState.OPEN else now + self.settings.first_interval
        return CircuitOpenError(
            f"{action or 'call'} not sent: {self.endpoint} failed {self._failures} calls in a row "
            f"(circuit {self._state.value}); next try in {max(0.0, retry_at - now):.1f}s",
            action=action,
            retry_at=retry_at,
        )

    def check(self, action: str | None = None) -> None:
        """Raise ``CircuitOpenError`` now if an attempt would not be admitted; changes nothing."""
        refusal = self._refusal(action, self._clock())
        if refusal is not None:
            raise refusal

    def admit(self, action: str | None = None) -> Ticket:
        """Let one attempt go out (the probe, when one is due) or raise ``CircuitOpenError``."""
        now = self._clock()
        refusal = self._refusal(action, now)
        if refusal is not None:
            raise refusal
        if self._state is BreakerState.OPEN:
            self._state = BreakerState.PROBING
            self._probes += 1
            log.info("ECI endpoint %s: probing (probe %d)", self.endpoint, self._probes)
            return Ticket(self, probe=True, epoch=self._epoch)
        return Ticket(self, probe=False, epoch=self._epoch)

    # -- outcomes --------------------------------------------------------------------------------

    def _record(self, ticket: Ticket, error: BaseException | None) -> None:
        if error is None or not is_endpoint_failure(error):
            self._close("OK" if error is None else _label(error), ticket.probe)
            return
        now = self._clock()
        if ticket.probe:
            self._interval = min(self.settings.max_interval, self._interval * self.settings.growth)
            self._state = BreakerState.OPEN
            self._retry_at = now + self._interval
            log.info(
                "ECI endpoint %s: probe failed (%s); next probe in %.1fs",
                self.endpoint,
                _label(error),
                self._interval,
            )
            return
        if self._state is not BreakerState.CLOSED or ticket.epoch != self._epoch:
            # Sent before the breaker opened, or before it last closed (a black hole's timeouts
            # arriving after the recovery): already accounted for.
            return
        self._failures += 1
        if self._failures >= self.settings.failure_threshold:
            self._state = BreakerState.OPEN
            self._interval = self.settings.first_interval
            self._retry_at = now + self._interval
            self._probes = 0
            self._opened += 1
            log.warning(
                "ECI endpoint %s is failing: %d calls in a row failed (last: %s); calls fail fast, "
                "first probe in %.1fs",
                self.endpoint,
                self._failures,
                _label(error),
                self._interval,
            )

    def _release(self, ticket: Ticket) -> None:
        if ticket.probe and self._state is BreakerState.PROBING:
            self._state = BreakerState.OPEN
            self._retry_at = self._clock()  # the next attempt may probe at once

    def _close(self, outcome: str, probe: bool) -> None:
        was_open = self._state is not BreakerState.CLOSED
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._interval = self.settings.first_interval
        if not was_open:
            return
        self._epoch += 1
        log.warning(
            "ECI endpoint %s answers again (%s, %s) after %d probe(s); circuit closed",
            self.endpoint,
            outcome,
            "the probe" if probe else "an attempt sent before it opened",
            self._probes,
        )
        for callback in list(self._subscribers):
            try:
                callback()
            except Exception:  # one subscriber's bug must not stop the others or the call
                log.exception("a circuit-recovered subscriber failed")


def _label(error: BaseException) -> str:
    return error_label(error) if isinstance(error, EciError) else type(error).__name__


class BreakerRegistry:
    """One breaker per (endpoint, credentials provider), made on first use."""

    def __init__(self) -> None:
        self._weak: weakref.WeakKeyDictionary[object, dict[str, CircuitBreaker]] = weakref.WeakKeyDictionary()
        self._strong: dict[int, tuple[object, dict[str, CircuitBreaker]]] = {}

    def _per_endpoint(self, credentials: object) -> dict[str, CircuitBreaker]:
        try:
            return self._weak.setdefault(credentials, {})
        except TypeError:  # not weakly referenceable: keep it alive so its id stays unique
            return self._strong.setdefault(id(credentials), (credentials, {}))[1]

    def get(
        self, endpoint: str, credentials: object, settings: BreakerSettings | None = None
    ) -> CircuitBreaker:
        """The breaker for ``endpoint`` and ``credentials``; ``settings`` apply when it is made."""
        breakers = self._per_endpoint(credentials)
        if endpoint not in breakers:
            breakers[endpoint] = CircuitBreaker(endpoint, settings)
        return breakers[endpoint]


_registry = BreakerRegistry()


def shared_breaker(
    endpoint: str, credentials: object, settings: BreakerSettings | None = None
) -> CircuitBreaker:
    """The process-wide breaker every client of ``endpoint`` with ``credentials`` uses."""
    return _registry.get(endpoint, credentials, settings)
