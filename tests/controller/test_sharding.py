"""Sharding through the Lease calls: replicas settle on a fair share, a dead replica's shards move,
a replica that cannot renew stops its shards' work before anyone can take them, a clean stop hands
them over at once; and a controller works only on the objects of the shards it holds.

The Lease store is in memory with the apiserver's optimistic concurrency (``tests/support/lease_store``);
``tests/e2e/test_shards.py`` does the same with three processes on a real apiserver. Timings are
scaled down (a 1 s Lease) so that each test takes a few seconds.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

import pytest

from eci_operator.controller.finalizer import FINALIZER
from eci_operator.controller.leases import Timing
from eci_operator.controller.settings import LeaderElectionSettings
from eci_operator.controller.sharding import ShardHolder
from eci_operator.controller.shards import member_lease, member_prefix, shard_of
from eci_operator.translate.ownership import TAG_NAMESPACE
from tests.controller.harness import memory_controller
from tests.support.lease_store import NAME, NS, LeaseClient, LeaseStore
from tests.support.manifests import container_group

TIMING = Timing(lease_duration=1.0, renew_deadline=0.5, retry_period=0.1)
Log = list[tuple[str, str, int]]


class Replica:
    """One ShardHolder and what it heard: ``log`` is shared by all replicas of a test, in order."""

    def __init__(
        self,
        client: LeaseClient,
        identity: str,
        log: Log,
        *,
        shards: int = 3,
        timing: Timing = TIMING,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.identity = identity
        self.client = client
        self.log = log

        async def lost(shard: int) -> None:
            log.append(("lost", identity, shard))

        self.holder = ShardHolder(
            client,
            namespace=NS,
            name=NAME,
            identity=identity,
            shards=shards,
            timing=timing,
            on_gained=lambda shard: log.append(("gained", identity, shard)),
            on_lost=lost,
            **({} if clock is None else {"clock": clock}),
        )
        self.task: asyncio.Task[None] | None = None

    def start(self) -> Replica:
        self.task = asyncio.create_task(self.holder.run())
        return self

    async def kill(self) -> None:
        """kill -9: the loop ends, nothing is handed back."""
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    @property
    def held(self) -> set[int]:
        return set(self.holder.held)


async def until(predicate: Callable[[], bool], limit: float = 10.0) -> None:
    async def wait() -> None:
        while True:
            if predicate():
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), limit)


async def test_replicas_settle_on_one_shard_each_and_a_dead_ones_shard_moves() -> None:
    store, log = LeaseStore(), Log()
    a = Replica(store.client(), "a", log).start()
    await until(lambda: a.held == {0, 1, 2})  # alone: every shard
    b = Replica(store.client(), "b", log).start()
    c = Replica(store.client(), "c", log).start()
    replicas = [a, b, c]
    await until(lambda: all(len(r.held) == 1 for r in replicas))  # a handed two back
    assert {store.holder(f"{NAME}-shard-{i}") for i in range(3)} == {"a", "b", "c"}
    await asyncio.sleep(3 * TIMING.lease_duration)
    assert all(len(r.held) == 1 for r in replicas)  # stable: nobody takes a live shard

    (dead_shard,) = c.held
    await c.kill()
    await until(lambda: a.held | b.held == {0, 1, 2})
    assert sorted([len(a.held), len(b.held)]) == [1, 2]
    assert store.holder(f"{NAME}-shard-{dead_shard}") in ("a", "b")
    for r in (a, b):
        await r.kill()


@pytest.mark.parametrize("failure", ["down", "hang"])
async def test_a_replica_that_cannot_renew_stops_its_shards_before_another_takes_them(failure: str) -> None:
    store, log = LeaseStore(), Log()
    a_client = store.client()
    a = Replica(a_client, "a", log, shards=2).start()
    await until(lambda: a.held == {0, 1})
    b = Replica(store.client(), "b", log, shards=2).start()
    await until(lambda: len(a.held) == 1 and len(b.held) == 1)
    (a_shard,) = a.held
    setattr(a_client, failure, True)  # only a's connection is cut
    await until(lambda: b.held == {0, 1})
    lost = log.index(("lost", "a", a_shard))
    gained = len(log) - 1 - log[::-1].index(("gained", "b", a_shard))
    assert lost < gained, f"b took shard {a_shard} while a still worked on it: {log}"
    assert not a.holder.holds(a_shard)
    for r in (a, b):
        await r.kill()


async def test_a_clean_stop_hands_every_shard_over_without_waiting_it_out() -> None:
    store, log = LeaseStore(), Log()
    slow = Timing(lease_duration=60.0, renew_deadline=40.0, retry_period=0.1)
    a = Replica(store.client(), "a", log, timing=slow).start()
    await until(lambda: a.held == {0, 1, 2})
    b = Replica(store.client(), "b", log, timing=slow).start()
    await until(lambda: len(b.held) == 1)
    await a.kill()
    await a.holder.stop()
    await until(lambda: b.held == {0, 1, 2}, limit=5)  # far sooner than the 60 s Lease
    assert all(("lost", "a", s) in log for s in range(3))  # each stopped before it was released
    assert (NS, member_lease(NAME, "a")) not in store.leases  # its member Lease is gone too
    await b.kill()


async def test_member_leases_of_replicas_gone_long_ago_are_deleted() -> None:
    store, log = LeaseStore(), Log()
    now = [0.0]
    client = store.client()
    ghost = f"{member_prefix(NAME)}ghost"
    await client.create_lease(NS, ghost, {"holderIdentity": "ghost", "leaseDurationSeconds": 1})
    replica = Replica(client, "a", log, clock=lambda: now[0])
    await replica.holder.step()
    assert replica.holder.members == 2  # the ghost still counts: its Lease is new to us
    now[0] = 2.0
    await replica.holder.step()
    assert replica.holder.members == 1 and (NS, ghost) in store.leases  # expired, not yet stale
    now[0] = 11.0
    await replica.holder.step()
    assert (NS, ghost) not in store.leases


def namespaces_of(shards: int) -> dict[int, str]:
    found: dict[int, str] = {}
    i = 0
    while len(found) < shards:
        found.setdefault(shard_of(f"team-{i}", shards), f"team-{i}")
        i += 1
    return found


async def test_a_controller_works_only_on_its_shards_and_takes_over_a_dead_replicas(emulator: Any) -> None:
    store = LeaseStore()
    other = Replica(store.client(), "other", Log(), shards=2).start()
    await until(lambda: other.held == {0, 1})
    client = store.client()
    election = LeaderElectionSettings(namespace=NS, name=NAME, identity="ours", timing=TIMING, shards=2)
    kube, controller = memory_controller(
        emulator,
        resync=0.3,
        gone_grace=0.5,  # taking a shard over proves first that its last holder created nothing
        election=election,
        leases=client,
    )
    namespaces = namespaces_of(2)
    controller.start()
    try:
        for ns in namespaces.values():
            for i in range(3):
                controller.on_containergroup_event(None, kube.put(container_group(f"cg-{i}", ns)))
        holder = controller.shards
        assert holder is not None
        await until(lambda: len(holder.held) == 1)
        (ours,) = holder.held

        async def created_in() -> list[str]:
            tags = [{t["Key"]: t["Value"] for t in i.get("Tags") or []} for i in await emulator.ainstances()]
            return sorted(t.get(TAG_NAMESPACE, "?") for t in tags)

        async def instances(count: int) -> None:
            while True:
                if len(await emulator.ainstances()) >= count:
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(instances(3), 20)
        await asyncio.sleep(1.0)
        assert await created_in() == [namespaces[ours]] * 3  # the other shard's objects: untouched
        assert all(not m.seen_from_start for k, m in controller.objects.items() if k[0] != namespaces[ours])

        await other.kill()  # the other replica dies: its shard comes to us once its Lease runs out
        await asyncio.wait_for(instances(6), 20)
        assert await created_in() == sorted([namespaces[0]] * 3 + [namespaces[1]] * 3)
        assert holder.held == {0, 1}

        client.down = True  # we can no longer renew: every shard is lost, its work stopped
        await until(lambda: not holder.held)
        assert not controller.leading
        await emulator.aclear_requests()
        controller.on_containergroup_event(
            "MODIFIED", kube.edit_spec(namespaces[0], "cg-0", restartPolicy="Never")
        )
        await asyncio.sleep(1.0)
        assert await emulator.arequests() == []
        assert controller.queue.depth == 0
        assert not any(m.create_sent or m.seen_from_start for m in controller.objects.values())
    finally:
        await other.kill()
        await controller.stop()


async def test_a_shard_taken_over_adopts_what_its_dead_holder_created_instead_of_creating_again(
    emulator: Any,
) -> None:
    """The dead replica created the instance but its status write never landed: the new holder has
    nothing recorded and must find the instance (uid tag) rather than create a second one."""
    store = LeaseStore()
    ns = namespaces_of(2)[0]
    group = container_group("web", ns)
    group["metadata"]["uid"] = "uid-of-web"

    def sharded(identity: str) -> LeaderElectionSettings:
        return LeaderElectionSettings(namespace=NS, name=NAME, identity=identity, timing=TIMING, shards=2)

    # Objects a replica learns of before it holds their shard prove absence before a Create too.
    old_kube, old = memory_controller(
        emulator, gone_grace=0.5, election=sharded("old"), leases=store.client()
    )
    old.on_containergroup_event(None, old_kube.put(group))
    old.start()
    new_kube, new = memory_controller(
        emulator, gone_grace=0.5, election=sharded("new"), leases=store.client()
    )
    try:

        async def one_instance() -> None:
            while True:
                if len(await emulator.ainstances()) == 1:
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(one_instance(), 10)
        assert old._election is not None
        old._election.cancel()  # kill -9: its Leases stay until they run out
        await asyncio.gather(old._election, return_exceptions=True)
        await old._stop_reconciling()
        (created,) = await emulator.ainstances()

        body = copy.deepcopy(group)
        body["metadata"]["finalizers"] = [FINALIZER]  # what the old holder wrote; not its status
        new.on_containergroup_event(None, new_kube.put(body))
        new.start()
        await until(
            lambda: (
                (new_kube.get("ContainerGroup", ns, "web") or {}).get("status", {}).get("containerGroupId")
                is not None
            )
        )
        assert [i["ContainerGroupId"] for i in await emulator.ainstances()] == [created["ContainerGroupId"]]
        assert len(await emulator.arequests("CreateContainerGroup")) == 1  # the old holder's only
        status = (new_kube.get("ContainerGroup", ns, "web") or {})["status"]
        assert status["containerGroupId"] == created["ContainerGroupId"]
    finally:
        await new.stop()
        await old.stop()
