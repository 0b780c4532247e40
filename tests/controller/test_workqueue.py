"""The work queue never runs one object twice at once and coalesces bursts of triggers."""

from __future__ import annotations

import asyncio

from eci_operator.controller.workqueue import WorkQueue


async def test_one_run_at_a_time_per_key_and_bursts_coalesce() -> None:
    running: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}
    runs: list[str] = []
    gate = asyncio.Event()

    async def worker(key: str) -> float | None:
        running[key] += 1
        peak[key] = max(peak[key], running[key])
        runs.append(key)
        await gate.wait()
        running[key] -= 1
        return None

    queue: WorkQueue[str] = WorkQueue(worker)
    queue.trigger("a")
    queue.trigger("b")
    await asyncio.sleep(0)
    for _ in range(5):  # a burst during a run: exactly one more run afterwards
        queue.trigger("a")
    assert queue.depth == 2
    gate.set()
    await queue.wait_idle("a")
    await queue.wait_idle("b")
    assert peak == {"a": 1, "b": 1}
    assert runs.count("a") == 2
    assert runs.count("b") == 1
    assert queue.depth == 0
    await queue.close()


async def test_returned_delay_schedules_a_retry_and_a_prompt_trigger_overrides_it() -> None:
    times: list[float] = []
    loop = asyncio.get_running_loop()

    async def worker(key: str) -> float | None:
        times.append(loop.time())
        return 30.0 if len(times) == 1 else None

    queue: WorkQueue[str] = WorkQueue(worker)
    queue.trigger("a")
    await queue.wait_idle("a")
    assert len(times) == 1
    queue.trigger("a")  # e.g. the user edited the object: runs now, not in 30 s
    await asyncio.sleep(0.01)
    await queue.wait_idle("a")
    assert len(times) == 2
    assert times[1] - times[0] < 1
    await queue.close()


async def test_delayed_trigger_fires() -> None:
    fired = asyncio.Event()

    async def worker(key: str) -> float | None:
        fired.set()
        return None

    queue: WorkQueue[str] = WorkQueue(worker)
    queue.trigger("a", delay=0.05)
    assert not fired.is_set()
    await asyncio.wait_for(fired.wait(), 2)
    await queue.close()


async def test_a_failing_worker_is_retried_not_fatal() -> None:
    calls = 0

    async def worker(key: str) -> float | None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    queue: WorkQueue[str] = WorkQueue(worker)
    queue.trigger("a")
    queue.trigger("b")
    await asyncio.sleep(0.05)
    assert calls == 2
    await queue.close()


async def test_forget_cancels_pending_retries() -> None:
    calls = 0

    async def worker(key: str) -> float | None:
        nonlocal calls
        calls += 1
        return None

    queue: WorkQueue[str] = WorkQueue(worker)
    queue.trigger("a", delay=0.05)
    queue.forget("a")
    await asyncio.sleep(0.1)
    assert calls == 0
    await queue.close()


async def test_urgent_work_overtakes_background_work() -> None:
    order: list[str] = []
    gate = asyncio.Event()

    async def worker(key: str) -> float | None:
        if key == "blocker":
            await gate.wait()
        order.append(key)
        return None

    queue: WorkQueue[str] = WorkQueue(worker, concurrency=1)
    queue.trigger("blocker")
    await asyncio.sleep(0)
    for key in ("resync-1", "resync-2"):
        queue.trigger(key)  # the periodic sweep
    queue.trigger("user-edit", urgent=True)
    await asyncio.sleep(0)
    gate.set()
    for key in ("resync-1", "resync-2", "user-edit"):
        await queue.wait_idle(key)
    assert order == ["blocker", "user-edit", "resync-1", "resync-2"]
    await queue.close()
