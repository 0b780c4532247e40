"""Leader election through the Lease calls: one leader, takeover after its Lease runs out, a leader
that cannot renew stops before a standby can start, and a standby costs no ECI call and no write.

The Lease store is in memory with the apiserver's optimistic concurrency (a replace at an old
resourceVersion is a conflict); ``tests/e2e/test_failover.py`` does the same on a real apiserver.
Timings are scaled down (a 1 s Lease) so that each test takes about a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from eci_operator.controller.election import Elector
from eci_operator.controller.leases import Timing
from eci_operator.controller.settings import LeaderElectionSettings
from tests.controller.harness import memory_controller
from tests.support.lease_store import NAME, NS, LeaseClient, LeaseStore
from tests.support.manifests import container_group

TIMING = Timing(lease_duration=1.0, renew_deadline=0.5, retry_period=0.1)


def elector(client: LeaseClient, identity: str) -> Elector:
    return Elector(client, namespace=NS, name=NAME, identity=identity, timing=TIMING)


async def test_one_leader_and_a_takeover_once_its_lease_runs_out() -> None:
    store = LeaseStore()
    a, b = elector(store.client(), "a"), elector(store.client(), "b")
    await asyncio.wait_for(a.acquire(), 5)
    holding = asyncio.create_task(a.hold())
    standby = asyncio.create_task(b.acquire())
    await asyncio.sleep(2 * TIMING.lease_duration)  # two leases long: renewals keep b waiting
    assert not standby.done() and not holding.done()
    assert store.holder() == "a"
    assert set(store.writes) == {"a"}  # the standby wrote nothing

    holding.cancel()  # kill -9: no release, the Lease just stops changing
    await asyncio.gather(holding, return_exceptions=True)
    await asyncio.wait_for(standby, 5)
    assert store.holder() == "b"
    assert store.leases[(NS, NAME)]["spec"]["leaseTransitions"] == 1


async def test_a_leader_that_cannot_renew_stops_before_a_standby_can_take_over() -> None:
    for failure in ("down", "hang"):
        store = LeaseStore()
        client = store.client()
        a, b = elector(client, "a"), elector(store.client(), "b")
        await asyncio.wait_for(a.acquire(), 5)
        standby = asyncio.create_task(b.acquire())
        holding = asyncio.create_task(a.hold())
        await asyncio.sleep(3 * TIMING.retry_period)
        setattr(client, failure, True)  # only the leader's connection is cut
        await asyncio.wait_for(holding, 5)  # hold() returns: leadership lost, reconciling must stop
        assert not a.leading
        assert not standby.done(), f"{failure}: the standby took over while the old leader still led"
        await asyncio.wait_for(standby, 5)
        assert store.holder() == "b"


async def test_a_leader_seeing_another_holder_stops_at_once() -> None:
    store = LeaseStore()
    a = elector(store.client(), "a")
    await asyncio.wait_for(a.acquire(), 5)
    lease = store.leases[(NS, NAME)]
    lease["spec"]["holderIdentity"] = "intruder"  # e.g. a replica with a clock far ahead
    lease["metadata"]["resourceVersion"] = "999"
    await asyncio.wait_for(a.hold(), 5)
    assert store.holder() == "intruder"  # not overwritten by the old leader


async def test_a_clean_shutdown_hands_the_lease_over_without_waiting_it_out() -> None:
    store = LeaseStore()
    slow = Timing(lease_duration=60.0, renew_deadline=40.0, retry_period=0.1)
    a = Elector(store.client(), namespace=NS, name=NAME, identity="a", timing=slow)
    b = Elector(store.client(), namespace=NS, name=NAME, identity="b", timing=slow)
    await asyncio.wait_for(a.acquire(), 5)
    standby = asyncio.create_task(b.acquire())
    await asyncio.sleep(0.3)
    assert not standby.done()
    await a.release()
    await asyncio.wait_for(standby, 5)  # far sooner than the 60 s Lease
    assert store.holder() == "b"


async def test_a_standby_controller_calls_no_eci_and_writes_nothing_until_it_leads(emulator: Any) -> None:
    store = LeaseStore()
    leader = elector(store.client(), "old-leader")
    await asyncio.wait_for(leader.acquire(), 5)
    holding = asyncio.create_task(leader.hold())
    lost: list[bool] = []
    election = LeaderElectionSettings(namespace=NS, name=NAME, identity="standby", timing=TIMING)
    kube, controller = memory_controller(
        emulator,
        resync=0.3,
        gone_grace=0.5,  # the new leader first proves that the old one created nothing for them
        election=election,
        leases=store.client(),
        on_lost=lambda: lost.append(True),
    )
    await emulator.aclear_requests()
    controller.start()
    try:
        for i in range(3):
            controller.on_containergroup_event(None, kube.put(container_group(name=f"cg-{i}")))
        controller.on_containergroup_event(
            "MODIFIED", kube.edit_spec("default", "cg-0", restartPolicy="Never")
        )
        await asyncio.sleep(2 * TIMING.lease_duration)  # several resync intervals: still nothing
        assert not controller.leading
        assert await emulator.arequests() == []
        assert kube.writes == []
        assert controller.queue.depth == 0
        # Seen before any finalizer, but by a standby: the leader may have sent Creates it never
        # heard of, so nothing may be created for them without first proving there is no instance.
        assert not any(memory.seen_from_start for memory in controller.objects.values())

        holding.cancel()  # the leader dies; the standby takes over and reconciles what it knows
        await asyncio.gather(holding, return_exceptions=True)

        async def all_created() -> None:
            while True:
                if len(await emulator.ainstances()) == 3:
                    return
                await asyncio.sleep(0.1)

        await asyncio.wait_for(all_created(), 30)
        assert controller.leading and store.holder() == "standby"
        assert not lost
    finally:
        await controller.stop()
    assert store.holder() is None  # released on stop


async def test_a_controller_losing_the_lease_stops_reconciling_and_says_so(emulator: Any) -> None:
    store = LeaseStore()
    client = store.client()
    lost = asyncio.Event()
    election = LeaderElectionSettings(namespace=NS, name=NAME, identity="a", timing=TIMING)
    kube, controller = memory_controller(emulator, election=election, leases=client, on_lost=lost.set)
    controller.start()
    try:
        await asyncio.wait_for(_until(lambda: controller.leading), 5)
        client.down = True
        await asyncio.wait_for(lost.wait(), 5)
        assert not controller.leading
        await emulator.aclear_requests()
        controller.on_containergroup_event("ADDED", kube.put(container_group(name="late")))
        await asyncio.sleep(0.5)
        assert await emulator.arequests() == []  # no longer the leader: nothing is reconciled
        assert kube.writes == []
    finally:
        await controller.stop()


async def _until(predicate: Callable[[], bool]) -> None:
    while True:
        if predicate():
            return
        await asyncio.sleep(0.02)
