"""The work queue never runs one object twice at once and coalesces bursts of triggers."""

from __future__ import annotations

import asyncio
import itertools

from eci_operator.controller.workqueue import DONE, FAILED, Backoff, Requeue, WorkQueue


async def test_one_run_at_a_time_per_key_and_bursts_coalesce() -> None:
    running: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}
    runs: list[str] = []
    gate = asyncio.Event()

    async def worker(key: str, failures: int) -> Requeue:
        running[key] += 1
        peak[key] = max(peak[key], running[key])
        runs.append(key)
        await gate.wait()
        running[key] -= 1
        return DONE

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

    async def worker(key: str, failures: int) -> Requeue:
        times.append(loop.time())
        return Requeue(after=30.0) if len(times) == 1 else DONE

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

    async def worker(key: str, failures: int) -> Requeue:
        fired.set()
        return DONE

    queue: WorkQueue[str] = WorkQueue(worker)
    queue.trigger("a", delay=0.05)
    assert not fired.is_set()
    await asyncio.wait_for(fired.wait(), 2)
    await queue.close()


async def test_a_failing_worker_is_retried_not_fatal() -> None:
    calls = 0

    async def worker(key: str, failures: int) -> Requeue:
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

    async def worker(key: str, failures: int) -> Requeue:
        nonlocal calls
        calls += 1
        return DONE

    queue: WorkQueue[str] = WorkQueue(worker)
    queue.trigger("a", delay=0.05)
    queue.forget("a")
    await asyncio.sleep(0.1)
    assert calls == 0
    await queue.close()


async def test_urgent_work_overtakes_background_work() -> None:
    order: list[str] = []
    gate = asyncio.Event()

    async def worker(key: str, failures: int) -> Requeue:
        if key == "blocker":
            await gate.wait()
        order.append(key)
        return DONE

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


async def test_failures_back_off_exponentially_and_the_first_success_ends_the_streak() -> None:
    seen: list[int] = []
    outcomes = [FAILED, FAILED, FAILED, DONE, FAILED]
    loop = asyncio.get_running_loop()
    times: list[float] = []
    recovered, done = asyncio.Event(), asyncio.Event()

    async def worker(key: str, failures: int) -> Requeue:
        seen.append(failures)
        times.append(loop.time())
        result = outcomes[len(seen) - 1]
        if len(seen) == 4:
            recovered.set()
        if len(seen) == len(outcomes):
            done.set()
        return result

    queue: WorkQueue[str] = WorkQueue(worker, backoff=Backoff(base=0.05, cap=10.0, jitter=0.0))
    queue.trigger("a")
    await asyncio.wait_for(recovered.wait(), 30)  # each failure schedules the next run after its backoff
    await queue.wait_idle("a")
    assert seen[:4] == [0, 1, 2, 3]  # the worker learns the streak length
    gaps = [later - earlier for earlier, later in itertools.pairwise(times[:4])]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2  # base * 2**(n-1)
    assert queue.failures("a") == 0  # the success ended the streak
    queue.trigger("a")
    await asyncio.wait_for(done.wait(), 5)
    assert seen[4] == 0  # a new streak starts from zero
    await queue.close()


def test_backoff_is_capped_and_jittered_within_bounds() -> None:
    backoff = Backoff(base=1.0, cap=60.0, jitter=0.25)
    assert all(0.75 <= backoff.delay(1) <= 1.25 for _ in range(100))
    assert all(backoff.delay(n) <= 60.0 for n in range(1, 200))
    assert backoff.delay(100) >= 45.0


async def test_retry_failing_runs_every_failing_key_at_once() -> None:
    failing = {"a", "b"}
    runs: list[str] = []

    async def worker(key: str, failures: int) -> Requeue:
        runs.append(key)
        return FAILED if key in failing else DONE

    queue: WorkQueue[str] = WorkQueue(worker, backoff=Backoff(base=300.0, cap=300.0))
    for key in ("a", "b", "c"):
        queue.trigger(key)
    for key in ("a", "b", "c"):
        await queue.wait_idle(key)
    assert sorted(runs) == ["a", "b", "c"]
    failing.clear()  # the outage is over
    assert queue.retry_failing() == 2  # not the 300 s backoff timers
    await asyncio.sleep(0)
    for key in ("a", "b"):
        await queue.wait_idle(key)
    assert sorted(runs) == ["a", "a", "b", "b", "c"]
    assert queue.failures("a") == queue.failures("b") == 0
    await queue.close()


async def test_dropping_keys_cancels_their_runs_and_timers_and_leaves_the_others() -> None:
    started: list[str] = []
    cancelled: list[str] = []
    gate = asyncio.Event()

    async def worker(key: str, failures: int) -> Requeue:
        started.append(key)
        if key == "later":
            return Requeue(after=0.2)  # a poll due soon
        try:
            await gate.wait()
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        return DONE

    queue: WorkQueue[str] = WorkQueue(worker)
    for key in ("moved", "later", "kept"):
        queue.trigger(key)
    await asyncio.sleep(0.05)
    await queue.drop(["moved", "later"])  # their shard went to another replica
    assert cancelled == ["moved"]  # the running one was cancelled, and awaited
    await asyncio.sleep(0.3)
    assert started.count("later") == 1  # its poll was dropped with it
    queue.trigger("moved")  # the queue itself stays open
    gate.set()
    await queue.wait_idle("kept")
    await queue.wait_idle("moved")
    assert started.count("kept") == 1 and started.count("moved") == 2
    await queue.close()


async def test_dropped_keys_give_their_lanes_back_even_if_their_run_never_started() -> None:
    ran: list[str] = []

    async def worker(key: str, failures: int) -> Requeue:
        ran.append(key)
        return DONE

    queue: WorkQueue[str] = WorkQueue(worker, concurrency=1)
    queue.trigger("moved")  # takes the only lane; its run has not started yet
    queue.trigger("waiting")  # queued behind it
    await queue.drop(["moved"])
    await queue.wait_idle("waiting")
    queue.trigger("later")
    await queue.wait_idle("later")
    assert ran == ["waiting", "later"]
    await queue.close()
