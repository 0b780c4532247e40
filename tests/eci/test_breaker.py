"""The circuit breaker's states, on a clock the test moves; and who shares one."""

from __future__ import annotations

import pytest

from eci_operator.eci import errors
from eci_operator.eci.breaker import (
    BreakerRegistry,
    BreakerSettings,
    BreakerState,
    CircuitBreaker,
    shared_breaker,
)
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials

SETTINGS = BreakerSettings(failure_threshold=3, first_interval=2.0, max_interval=10.0, growth=2.0)
DOWN = errors.ServerError("ServiceUnavailable", "503", http_status=503)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker() -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    return CircuitBreaker("http://eci.test/", SETTINGS, clock=clock), clock


def fail(b: CircuitBreaker, n: int, error: BaseException = DOWN) -> None:
    for _ in range(n):
        b.admit("DescribeContainerGroups").record(error)


def test_endpoint_failures_in_a_row_open_it() -> None:
    b, clock = breaker()
    fail(b, 2)
    after_two = b.state
    fail(b, 1)
    assert (after_two, b.state) == (BreakerState.CLOSED, BreakerState.OPEN)
    with pytest.raises(errors.CircuitOpenError) as info:
        b.check("CreateContainerGroup")
    assert info.value.retry_at == clock.now + 2.0
    assert info.value.action == "CreateContainerGroup" and not errors.is_terminal(info.value)
    with pytest.raises(errors.CircuitOpenError):
        b.admit("CreateContainerGroup")


@pytest.mark.parametrize(
    "answer",
    [
        None,
        errors.ThrottledError("Throttling.User", "slow down"),
        errors.InvalidParameterError("InvalidParameter", "bad"),
        errors.NotFoundError("InvalidParameter.NotFound", "gone"),
        errors.EciError("Brand.NewCode", "unknown"),
    ],
    ids=["ok", "throttled", "business-4xx", "not-found", "unknown-code"],
)
def test_any_answer_from_eci_resets_the_count(answer: errors.EciError | None) -> None:
    b, _ = breaker()
    fail(b, 2)
    b.admit().record(answer)
    fail(b, 2)
    assert b.state is BreakerState.CLOSED


@pytest.mark.parametrize(
    "failure",
    [
        errors.NetworkError("reset"),
        errors.RequestTimeoutError("slow"),
        errors.InvalidResponseError("html"),
        errors.ResponseTooLargeError("50 MiB"),
        DOWN,
    ],
    ids=lambda e: type(e).__name__,
)
def test_what_counts_as_the_endpoint_failing(failure: errors.EciError) -> None:
    b, _ = breaker()
    fail(b, 3, failure)
    assert b.state is BreakerState.OPEN


def test_one_probe_at_a_time_at_a_growing_interval_with_a_cap() -> None:
    b, clock = breaker()
    fail(b, 3)
    waits = []
    for _ in range(6):
        status = b.status()
        assert status.retry_at is not None
        waits.append(status.retry_at - clock.now)
        clock.now = status.retry_at
        probe = b.admit("DescribeContainerGroups")
        assert probe.probe and b.state is BreakerState.PROBING
        with pytest.raises(errors.CircuitOpenError):
            b.admit("DescribeContainerGroups")  # the others keep failing fast meanwhile
        clock.now += 1.0  # the probe takes a second to fail
        probe.record(DOWN)
    assert waits == [2.0, 4.0, 8.0, 10.0, 10.0, 10.0]  # from each failure: doubling, capped at 10 s
    assert b.status().probes == 6 and b.status().opened == 1


def test_the_first_success_closes_it_and_tells_subscribers_once() -> None:
    b, clock = breaker()
    heard: list[str] = []
    b.subscribe(lambda: heard.append("first"))
    unsubscribe = b.subscribe(lambda: heard.append("gone"))

    def broken() -> None:
        raise RuntimeError("a subscriber's bug")

    b.subscribe(broken)  # does not stop the others
    b.subscribe(lambda: heard.append("last"))
    unsubscribe()
    fail(b, 3)
    clock.now += 2.0
    b.admit().record(None)
    assert b.state is BreakerState.CLOSED and b.status().consecutive_failures == 0
    assert heard == ["first", "last"]
    b.admit().record(None)
    assert heard == ["first", "last"], "only a recovery is news"
    fail(b, 2)
    assert b.state is BreakerState.CLOSED, "the count starts again from zero"


def test_a_late_answer_of_an_attempt_sent_before_it_opened() -> None:
    b, _ = breaker()
    early = [b.admit() for _ in range(4)]
    for ticket in early[:3]:
        ticket.record(DOWN)
    assert b.state is BreakerState.OPEN
    retry_at = b.status().retry_at
    early[3].record(DOWN)  # already accounted for: the wait does not move
    assert b.status().retry_at == retry_at and b.state is BreakerState.OPEN
    b, _ = breaker()
    early = [b.admit() for _ in range(4)]
    for ticket in early[:3]:
        ticket.record(DOWN)
    early[3].record(None)  # but a success, even late, proves the endpoint is back
    assert b.state is BreakerState.CLOSED


def test_timeouts_of_attempts_sent_before_a_recovery_do_not_reopen_it() -> None:
    """A black hole's hung attempts time out after the endpoint came back: old news."""
    b, clock = breaker()
    hung = [b.admit() for _ in range(8)]
    fail(b, 3)
    clock.now += 2.0
    b.admit().record(None)
    assert b.state is BreakerState.CLOSED
    for ticket in hung:
        ticket.record(errors.RequestTimeoutError("hung"))
    assert b.state is BreakerState.CLOSED and b.status().consecutive_failures == 0


def test_a_cancelled_probe_lets_the_next_attempt_probe() -> None:
    b, clock = breaker()
    fail(b, 3)
    clock.now += 2.0
    b.admit().release()
    assert b.state is BreakerState.OPEN
    assert b.admit().probe


def test_outcomes_are_recorded_once() -> None:
    b, _ = breaker()
    ticket = b.admit()
    for _ in range(5):
        ticket.record(DOWN)
    assert b.status().consecutive_failures == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"failure_threshold": 0},
        {"first_interval": 0},
        {"first_interval": 5, "max_interval": 1},
        {"growth": 0.5},
    ],
)
def test_settings_are_checked(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BreakerSettings(**kwargs)  # type: ignore[arg-type]


def test_one_breaker_per_endpoint_and_credentials() -> None:
    registry = BreakerRegistry()
    a, b = StaticCredentials("a", "secret-a"), StaticCredentials("b", "secret-b")
    first = registry.get("http://eci.test/", a)
    assert registry.get("http://eci.test/", a) is first
    assert registry.get("http://other.test/", a) is not first
    assert registry.get("http://eci.test/", b) is not first


async def test_every_client_of_an_endpoint_shares_its_breaker() -> None:
    """The controller makes one client per region; with one endpoint they must share the breaker."""
    creds = StaticCredentials("id", "secret")
    clients = [
        EciClient(region_id=region, endpoint="http://127.0.0.1:9", credentials=creds)
        for region in ("cn-hangzhou", "cn-shanghai", "cn-beijing")
    ]
    try:
        assert len({id(c.breaker) for c in clients}) == 1
        assert clients[0].breaker is shared_breaker("http://127.0.0.1:9/", creds)
        regional = EciClient(region_id="cn-hangzhou", credentials=creds)  # eci.cn-hangzhou.aliyuncs.com
        assert regional.breaker is not clients[0].breaker
        await regional.aclose()
    finally:
        for c in clients:
            await c.aclose()
