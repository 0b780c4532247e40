"""Client-side quotas: per-action token buckets, priority for user writes, global pause."""

from __future__ import annotations

import asyncio
import time

import pytest

from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.quotas import Priority, QuotaLimiter, TokenBucket, default_limiter


def test_defaults_are_the_real_per_minute_quotas_and_configurable() -> None:
    limiter = QuotaLimiter({"UpdateContainerGroup": 60})
    per_second = {
        a: limiter.bucket(a).per_minute
        for a in (
            "DescribeContainerGroups",
            "CreateContainerGroup",
            "DeleteContainerGroup",
            "UpdateContainerGroup",
            "RestartContainerGroup",
        )
    }
    assert per_second == {
        "DescribeContainerGroups": 2000,
        "CreateContainerGroup": 1000,
        "DeleteContainerGroup": 1000,
        "UpdateContainerGroup": 60,
        "RestartContainerGroup": 500,
    }
    assert QuotaLimiter().bucket("UpdateContainerGroup").per_minute == 500


def test_background_cannot_take_the_user_reserve() -> None:
    bucket = TokenBucket(60, burst_seconds=10, user_reserve=0.1, clock=lambda: 0.0)  # 10 tokens, no refill
    taken = 0
    while bucket.try_acquire(Priority.BACKGROUND):
        taken += 1
    assert taken == 9
    assert bucket.try_acquire(Priority.USER)
    assert not bucket.try_acquire(Priority.USER)


async def test_use_counts_the_calls_of_the_last_minute() -> None:
    now = [0.0]
    limiter = QuotaLimiter({"CreateContainerGroup": 600}, clock=lambda: now[0])
    for _ in range(3):
        await limiter.acquire("CreateContainerGroup")
    now[0] = 30.0
    assert limiter.bucket("DescribeContainerGroups").try_acquire()
    assert limiter.usage() == {"CreateContainerGroup": (3, 600), "DescribeContainerGroups": (1, 2000)}
    now[0] = 60.5  # the three creates are more than a minute old
    assert limiter.usage() == {"CreateContainerGroup": (0, 600), "DescribeContainerGroups": (1, 2000)}


async def test_rate_is_enforced() -> None:
    bucket = TokenBucket(1200, burst_seconds=0.05)  # 20/s, capacity 1
    started = time.monotonic()
    for _ in range(6):
        await bucket.acquire()
    assert time.monotonic() - started >= 0.24


async def test_user_writes_go_before_waiting_reads() -> None:
    bucket = TokenBucket(600, burst_seconds=0.1)  # 10/s, capacity 1
    await bucket.acquire()
    order: list[str] = []

    async def take(label: str, priority: Priority) -> None:
        await bucket.acquire(priority)
        order.append(label)

    reads = [asyncio.create_task(take(f"read{i}", Priority.BACKGROUND)) for i in range(4)]
    await asyncio.sleep(0.01)
    write = asyncio.create_task(take("write", Priority.USER))
    await asyncio.gather(*reads, write)
    assert order[0] == "write"
    assert order[1:] == ["read0", "read1", "read2", "read3"]


async def test_cancelled_waiter_does_not_block_others() -> None:
    bucket = TokenBucket(600, burst_seconds=0.1)
    await bucket.acquire()
    first = asyncio.create_task(bucket.acquire())
    second = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0.01)
    first.cancel()
    await asyncio.wait_for(second, 1.0)
    assert not bucket._waiters


async def test_pause_holds_every_caller() -> None:
    limiter = QuotaLimiter()
    limiter.pause("UpdateContainerGroup", 0.2)
    started = time.monotonic()
    await limiter.acquire("UpdateContainerGroup", Priority.USER)
    assert time.monotonic() - started >= 0.19
    await asyncio.wait_for(limiter.acquire("DescribeContainerGroups"), 0.05)  # other actions unaffected


async def test_clients_share_the_process_wide_limiter() -> None:
    a = EciClient(region_id="cn-hangzhou", credentials=StaticCredentials("i", "s"))
    b = EciClient(region_id="cn-beijing", credentials=StaticCredentials("i", "s"))
    try:
        assert a.transport.limiter is b.transport.limiter is default_limiter()
    finally:
        await a.aclose()
        await b.aclose()


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)


def test_a_share_of_the_quota_scales_every_bucket_now_and_later() -> None:
    now = [0.0]
    limiter = QuotaLimiter(burst_seconds=10, user_reserve=0.0, clock=lambda: now[0])
    describe = limiter.bucket("DescribeContainerGroups")
    assert describe.per_minute == 2000
    limiter.set_share(1 / 3)  # a replica holding one of three shards
    assert describe.per_minute == pytest.approx(2000 / 3)
    assert limiter.bucket("UpdateContainerGroup").per_minute == pytest.approx(500 / 3)  # made later
    taken = 0
    while describe.try_acquire():
        taken += 1
    assert taken == 111  # the burst is a share too: 10 s of 2000/3 a minute
    now[0] = 60.0
    taken = sum(1 for _ in range(2000) if describe.try_acquire())
    assert taken == 111  # capped at the burst again, not a whole minute's full quota
    with pytest.raises(ValueError):
        limiter.set_share(0)
