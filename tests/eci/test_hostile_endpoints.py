"""The client against an endpoint that drips, hangs, floods, lies or goes down (the hostile proxy
in front of the emulator, real HTTP on loopback): every call ends within its budget, memory stays
bounded, odd answers are one retryable error, and an outage costs a few probes, not a stream per
caller."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import time
import tracemalloc
from collections.abc import Callable

import httpx
import pytest

from eci_operator.eci import errors
from eci_operator.eci.breaker import BreakerSettings, BreakerState
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import (
    Container,
    CreateContainerGroupRequest,
    DescribeContainerGroupsRequest,
    EnvironmentVar,
    RestartContainerGroupRequest,
)
from eci_operator.eci.quotas import QuotaLimiter
from eci_operator.eci.redact import WITHHELD
from eci_operator.eci.transport import RetryPolicy
from tests.support.emulator import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION
from tests.support.hostile_proxy import HostileProxy

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, deadline=10, attempt_timeout=2)
DESCRIBE = "DescribeContainerGroups"


def client(
    proxy: HostileProxy, policy: RetryPolicy = FAST, breaker: BreakerSettings | None = None
) -> EciClient:
    """A client with a breaker of its own (fresh credentials: the shared breaker is per credentials)."""
    return EciClient(
        region_id=REGION,
        endpoint=proxy.url,
        credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        retry=policy,
        limiter=QuotaLimiter(),
        breaker_settings=breaker,
    )


def page() -> DescribeContainerGroupsRequest:
    return DescribeContainerGroupsRequest(region_id=REGION)


# -- slow: every attempt is bounded as a whole ---------------------------------------------------


async def test_a_dripping_body_cannot_stretch_an_attempt(hostile_proxy: HostileProxy) -> None:
    """A byte every 0.2 s keeps each read alive; the whole attempt still ends at its timeout."""
    hostile_proxy.drip(interval=0.2, size=1, actions=[DESCRIBE])  # ~100 bytes: ~20 s to send
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, deadline=30, attempt_timeout=0.5)
    async with client(hostile_proxy, policy) as eci:
        started = time.monotonic()
        with pytest.raises(errors.RequestTimeoutError):
            await eci.describe_container_groups(page())
        elapsed = time.monotonic() - started
    assert hostile_proxy.count(DESCRIBE) == 3
    assert elapsed < 10, f"three 0.5 s attempts took {elapsed:.1f}s: an attempt outlived its timeout"


async def test_a_black_hole_costs_one_attempt_timeout_per_attempt(hostile_proxy: HostileProxy) -> None:
    hostile_proxy.black_hole()
    policy = RetryPolicy(max_attempts=10, base_delay=0.01, max_delay=0.02, deadline=1.2, attempt_timeout=0.5)
    async with client(hostile_proxy, policy) as eci:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError) as info:
            await eci.describe_container_groups(page())
        elapsed = time.monotonic() - started
    assert isinstance(info.value.last_error, errors.RequestTimeoutError)
    assert not errors.is_terminal(info.value), "a slow endpoint is worth another try later"
    assert elapsed < 6
    assert 1 <= hostile_proxy.count() <= 3


# -- large: memory is bounded by the cap, not by the answer --------------------------------------


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "streamed"])
async def test_a_huge_answer_is_refused_without_being_read(
    hostile_proxy: HostileProxy, declare_length: bool
) -> None:
    hostile_proxy.huge(50, declare_length=declare_length)
    policy = RetryPolicy(max_attempts=3, deadline=30, attempt_timeout=20, max_response_bytes=2**20)
    async with client(hostile_proxy, policy) as eci:
        tracemalloc.start()
        try:
            with pytest.raises(errors.ResponseTooLargeError) as info:
                await eci.call(DESCRIBE, {"RegionId": REGION})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 6 * 2**20, f"{peak / 2**20:.1f} MiB held for a 1 MiB cap"
    assert "1.0 MiB" in info.value.message and DESCRIBE in info.value.message
    assert hostile_proxy.count() == 1, "the same request would get the same answer: not retried"
    assert not errors.is_terminal(info.value)


async def test_a_compression_bomb_is_refused(hostile_proxy: HostileProxy) -> None:
    bomb = gzip.compress(b'{"RequestId":"r","Padding":"' + b"0" * 50 * 2**20 + b'"}')
    assert len(bomb) < 2**20
    hostile_proxy.answer(200, bomb, {"Content-Encoding": "gzip"})
    policy = RetryPolicy(max_attempts=1, max_response_bytes=2**20)
    async with client(hostile_proxy, policy) as eci:
        tracemalloc.start()
        try:
            with pytest.raises(errors.ResponseTooLargeError, match="after decompression"):
                await eci.call(DESCRIBE, {"RegionId": REGION})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 6 * 2**20


async def test_a_compressed_answer_is_read(hostile_proxy: HostileProxy) -> None:
    body = {"RequestId": "gz", "TotalCount": 0, "ContainerGroups": []}
    hostile_proxy.answer(200, gzip.compress(json.dumps(body).encode()), {"Content-Encoding": "gzip"})
    async with client(hostile_proxy) as eci:
        answer = await eci.describe_container_groups(page())
    assert answer.request_id == "gz"


async def test_an_oversized_describe_page_is_fetched_in_halves(hostile_proxy: HostileProxy) -> None:
    """The cap bounds memory without refusing a legitimate page: 20 IDs become 10 + 10."""
    async with client(hostile_proxy) as eci:
        created = await asyncio.gather(
            *(
                eci.create_container_group(
                    CreateContainerGroupRequest(
                        region_id=REGION,
                        container_group_name=f"half-{i}",
                        containers=[Container(name="web", image="nginx:1.27")],
                    )
                )
                for i in range(20)
            )
        )
    ids = [c.container_group_id for c in created]

    def more_than_ten(params: dict[str, str]) -> bool:
        return len(json.loads(params.get("ContainerGroupIds", "[]"))) > 10

    hostile_proxy.huge(20, actions=[DESCRIBE], when=more_than_ten)
    hostile_proxy.hits.clear()
    policy = RetryPolicy(
        max_attempts=3, base_delay=0.01, deadline=30, attempt_timeout=20, max_response_bytes=4 * 2**20
    )
    async with client(hostile_proxy, policy) as eci:
        found = await eci.describe_by_ids(ids)
    assert set(found) == set(ids)
    assert [h.rule for h in hostile_proxy.hits] == ["huge", "forward", "forward"]


# -- odd: answers that are not ECI's are one retryable error -------------------------------------


@pytest.mark.parametrize(
    ("setup", "problem"),
    [
        (lambda p: p.not_json(), "not JSON"),
        (lambda p: p.json_array(), "a JSON array"),
        (lambda p: p.answer(200, b""), "an empty body"),
        (lambda p: p.answer(200, b"null"), "JSON null"),
        (lambda p: p.ok_with_code("InvalidParameter"), "a 200 answer carrying error code InvalidParameter"),
        (lambda p: p.not_json(403), "HTTP 403: not JSON"),
        (lambda p: p.answer(400, {"error": "no"}), "HTTP 400: a JSON object without a Code"),
    ],
    ids=["html-200", "array", "empty", "null", "200-with-code", "html-403", "no-code-400"],
)
async def test_answers_that_are_not_eci_s_are_one_retryable_error(
    hostile_proxy: HostileProxy, setup: Callable[[HostileProxy], object], problem: str
) -> None:
    setup(hostile_proxy)
    async with client(hostile_proxy) as eci:
        with pytest.raises(errors.InvalidResponseError) as info:
            await eci.describe_container_groups(page())
    assert info.value.message.startswith(f"{DESCRIBE}: ") and problem in info.value.message
    assert info.value.retryable and not errors.is_terminal(info.value)
    assert hostile_proxy.count() == FAST.max_attempts


async def test_a_wrongly_shaped_answer_names_the_field_without_a_traceback(
    hostile_proxy: HostileProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hostile_proxy.answer(
        200,
        {
            "RequestId": "r",
            "TotalCount": "many",
            "ContainerGroups": [{"ContainerGroupId": "eci-1", "Cpu": "hunter2"}],
        },
    )
    async with client(hostile_proxy) as eci:
        with pytest.raises(errors.InvalidResponseError) as info:
            await eci.describe_container_groups(page())
    exc = info.value
    assert "does not have the expected shape" in exc.message
    assert "TotalCount" in exc.message and "ContainerGroups.0.Cpu" in exc.message
    assert "hunter2" not in str(exc) and "many" not in exc.message, "the values are not quoted"
    assert exc.__cause__ is None and exc.__context__ is None
    assert "ValidationError" not in caplog.text and "Traceback" not in caplog.text
    assert hostile_proxy.count() == FAST.max_attempts


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_an_unknown_code_is_neither_retried_nor_terminal(
    hostile_proxy: HostileProxy, status: int
) -> None:
    hostile_proxy.fail(status, "Gateway.Denied", "not today")
    async with client(hostile_proxy) as eci:
        with pytest.raises(errors.EciError) as info:
            await eci.describe_container_groups(page())
    assert type(info.value) is errors.EciError
    assert info.value.code == "Gateway.Denied" and not errors.is_terminal(info.value)
    assert hostile_proxy.count() == 1


async def test_an_instance_too_old_to_update_is_not_an_auth_failure(hostile_proxy: HostileProxy) -> None:
    """The emulator answers InvalidAction for an instance created before 2019-03-07, as ECI does."""
    assert hostile_proxy.upstream is not None
    async with httpx.AsyncClient(base_url=hostile_proxy.upstream) as http:
        seeded = await http.post(
            "/_emulator/instances",
            json={"CreationTime": "2018-12-01T00:00:00Z", "Containers": [{"Name": "app", "Image": "nginx"}]},
        )
    request = RestartContainerGroupRequest(
        region_id=REGION, container_group_id=seeded.json()["ContainerGroupId"]
    )
    async with client(hostile_proxy) as eci:
        with pytest.raises(errors.ActionNotAllowedError) as info:
            await eci.restart_container_group(request)
    assert errors.is_terminal(info.value) and not isinstance(info.value, errors.AuthError)
    assert "2019-03-07" in info.value.message and info.value.code == "InvalidAction"


# -- down: the breaker turns N streams of retries into a few probes ------------------------------

BREAKER = BreakerSettings(failure_threshold=10, first_interval=0.2, max_interval=1.0)


async def run_callers(eci: EciClient, n: int, stop: asyncio.Event, successes: list[float]) -> None:
    """``n`` callers, each calling again as soon as it may: at once after a success, after a short
    back-off after an error, at ``retry_at`` when the breaker is open (as the controller does)."""

    async def caller() -> None:
        while not stop.is_set():
            try:
                await eci.describe_container_groups(page())
                successes.append(time.monotonic())
                await asyncio.sleep(0.05)
            except errors.CircuitOpenError as exc:
                await asyncio.sleep(min(exc.retry_after, 0.5))
            except errors.EciError:
                await asyncio.sleep(0.05)

    await asyncio.gather(*(caller() for _ in range(n)))


@pytest.mark.parametrize("outage", ["503", "black-hole"])
async def test_an_outage_costs_a_few_probes_then_recovery_is_heard(
    hostile_proxy: HostileProxy, outage: str
) -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=0.2, deadline=5, attempt_timeout=0.5)
    callers, down_for = 50, 4.0
    async with client(hostile_proxy, policy, BREAKER) as eci:
        recovered = asyncio.Event()
        eci.breaker.subscribe(recovered.set)
        if outage == "503":
            hostile_proxy.fail(503)
        else:
            hostile_proxy.black_hole()
        stop, successes = asyncio.Event(), list[float]()
        started = time.monotonic()
        crowd = asyncio.create_task(run_callers(eci, callers, stop, successes))
        await asyncio.sleep(down_for)
        during = hostile_proxy.count()
        state_during = eci.breaker.state
        hostile_proxy.clear()
        back = time.monotonic()
        await asyncio.wait_for(recovered.wait(), 10)
        heard = time.monotonic() - back
        await asyncio.sleep(0.5)
        stop.set()
        await crowd
    assert state_during is not BreakerState.CLOSED
    # Before it opens: the threshold plus what was already in flight (at most the 20 connections);
    # then one probe at a time, at least first_interval apart.
    budget = BREAKER.failure_threshold + 20 + int(down_for / BREAKER.first_interval)
    assert during <= budget, f"{during} requests from {callers} callers in {down_for}s (budget {budget})"
    assert heard <= BREAKER.max_interval + policy.attempt_timeout + 5, f"recovery heard after {heard:.1f}s"
    assert eci.breaker.state is BreakerState.CLOSED
    assert any(t > back for t in successes), "calls succeed again after the recovery"
    assert started < back


async def test_retries_inside_one_call_go_through_the_breaker(hostile_proxy: HostileProxy) -> None:
    hostile_proxy.fail(503)
    policy = RetryPolicy(max_attempts=50, base_delay=0.001, max_delay=0.002, deadline=30)
    settings = BreakerSettings(failure_threshold=5, first_interval=30, max_interval=30)
    async with client(hostile_proxy, policy, settings) as eci:
        with pytest.raises(errors.CircuitOpenError) as info:
            await eci.describe_container_groups(page())
    assert hostile_proxy.count() == 5
    assert 29 < info.value.retry_after <= 30 and not errors.is_terminal(info.value)


async def test_throttling_does_not_open_the_breaker(hostile_proxy: HostileProxy) -> None:
    hostile_proxy.fail(400, "Throttling.User", "Request was denied due to user flow control.")
    policy = RetryPolicy(max_attempts=1)
    async with client(hostile_proxy, policy, BreakerSettings(failure_threshold=3)) as eci:
        for _ in range(6):
            with pytest.raises(errors.ThrottledError):
                await eci.describe_container_groups(page())
        assert eci.breaker.state is BreakerState.CLOSED
    assert hostile_proxy.count() == 6


# -- public values: a short env value written in clear does not hide ECI's message ----------------


def _with_env(value: str) -> CreateContainerGroupRequest:
    return CreateContainerGroupRequest(
        region_id=REGION,
        container_group_name="short-env",
        containers=[
            Container(name="web", image="nginx", environment_vars=[EnvironmentVar(key="W", value=value)])
        ],
    )


async def test_a_short_public_env_value_leaves_the_message_readable(hostile_proxy: HostileProxy) -> None:
    hostile_proxy.echo("json", actions=["CreateContainerGroup"])
    async with client(hostile_proxy) as eci:
        with pytest.raises(errors.InvalidParameterError) as public:
            await eci.create_container_group(_with_env("1"), public_values={"1"})
        with pytest.raises(errors.InvalidParameterError) as secret:
            await eci.create_container_group(_with_env("ü§"))
    assert public.value.message != WITHHELD and "short-env" in public.value.message
    assert secret.value.message == WITHHELD  # a short value not declared public may be a secret
