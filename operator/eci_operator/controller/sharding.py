"""Sharding (``run --shards K``): the Lease calls around the pure rules of
:mod:`~eci_operator.controller.shards`.

Every retry period the holder lists the Leases of the election's namespace once (the K shard Leases
and the members'), renews its own member Lease and every shard Lease it holds, hands back the shards
above its fair share and takes free ones below it. Each shard Lease is one
:class:`~eci_operator.controller.election.Elector`, so taking, renewing and expiry are exactly the
leader election's: a write is a create or a replace at the resourceVersion just read (two replicas
cannot both win), and expiry is judged by the local clock.

A shard whose Lease could not be renewed for the renew deadline, or that another replica holds, is
lost: ``on_lost`` stops its work before the Lease can expire, so two replicas never act on one
object. A shard handed back is stopped first (``on_lost``), then released, so the next holder
need not wait it out. ``on_gained`` runs when a shard is taken.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from eci_operator.controller.election import Elector
from eci_operator.controller.kube import KubeConflict, KubeError, ShardLeases
from eci_operator.controller.leases import JITTER, Record, Seen, Step, Timing, decide, expires_at, observe
from eci_operator.controller.shards import (
    member_lease,
    member_prefix,
    members,
    rebalance,
    shard_lease,
    stale,
)

logger = logging.getLogger(__name__)


class ShardHolder:
    def __init__(
        self,
        leases: ShardLeases,
        *,
        namespace: str,
        name: str,
        identity: str,
        shards: int,
        timing: Timing,
        on_gained: Callable[[int], None],
        on_lost: Callable[[int], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if shards < 1:
            raise ValueError("there must be at least one shard")
        self.leases = leases
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.shards = shards
        self.timing = timing
        self._on_gained = on_gained
        self._on_lost = on_lost
        self._clock = clock
        self._electors = [self._elector(shard_lease(name, i)) for i in range(shards)]
        self._member = self._elector(member_lease(name, identity))
        self._others: dict[str, Seen] = {}  # other members' Leases, by name
        self._held: set[int] = set()
        self.members = 1

    def _elector(self, name: str) -> Elector:
        return Elector(
            self.leases,
            namespace=self.namespace,
            name=name,
            identity=self.identity,
            timing=self.timing,
            clock=self._clock,
        )

    @property
    def held(self) -> frozenset[int]:
        return frozenset(self._held)

    def holds(self, shard: int) -> bool:
        """Whether work on ``shard``'s objects may go on: held, and renewed within the renew deadline
        (checked on the clock, so a renewal loop that hangs stops work all the same)."""
        return shard in self._held and self._electors[shard].leading

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Hold a fair share of the shards until cancelled."""
        logger.info(
            "Sharding %s/%s into %d shards as %s", self.namespace, self.name, self.shards, self.identity
        )
        watchdog = asyncio.create_task(self._watch(), name="shard deadlines")
        try:
            while True:
                try:
                    await self.step()
                except asyncio.CancelledError:
                    raise
                except Exception:  # the loop must go on: a replica that stops holding is an outage
                    logger.exception("Shard round failed")
                    await self._drop_lost()
                await asyncio.sleep(self._sleep_time())
        finally:
            watchdog.cancel()
            await asyncio.gather(watchdog, return_exceptions=True)

    async def _watch(self) -> None:
        """Stop a shard's work the moment its renew deadline passes, not at the next round: a round
        whose calls hang may take several seconds, and the Lease expires for the others only
        ``lease_duration - renew_deadline`` after the deadline."""
        while True:
            deadlines = [d for i in self._held if (d := self._electors[i].deadline) is not None]
            pause = min(deadlines) - self._clock() if deadlines else self.timing.retry_period
            await asyncio.sleep(max(0.01, pause))
            await self._drop_lost()

    async def step(self) -> None:
        """One round: look, renew what is held, drop what is lost, rebalance."""
        listed = await self._look()
        await self._drop_lost()
        # A listing just made is the read each write needs (one call a round instead of one a Lease).
        attempts = [self._attempt(self._member, renewing=False, read=not listed)]
        attempts += [
            self._attempt(self._electors[i], renewing=True, read=not listed) for i in sorted(self._held)
        ]
        await asyncio.gather(*attempts)
        await self._drop_lost()
        now = self._clock()
        free = [
            i
            for i, elector in enumerate(self._electors)
            if i not in self._held
            and decide(elector.seen, self.identity, now, self.timing) is not Step.STANDBY
        ]
        self.members = members(self._others, now, self.timing)
        moves = rebalance(self.shards, self._held, free, self.members, self.identity)
        for shard in moves.release:
            await self._hand_back(shard)
        if moves.take:
            taking = [self._electors[i] for i in moves.take]
            taken = await asyncio.gather(*(self._attempt(e, renewing=False, read=not listed) for e in taking))
            for shard, ok in zip(moves.take, taken, strict=True):
                if ok:
                    self._held.add(shard)
                    logger.info(
                        "Took shard %d of %d (%d members, holding %s)",
                        shard,
                        self.shards,
                        self.members,
                        sorted(self._held),
                    )
                    self._on_gained(shard)

    async def _look(self) -> bool:
        """One listing of the namespace's Leases: the shards', the other members' and our own as they
        are now. A failed listing (False) leaves the last view; renewals then read for themselves."""
        try:
            listed = await asyncio.wait_for(self.leases.list_leases(self.namespace), self.timing.retry_period)
        except (KubeError, TimeoutError) as exc:
            logger.warning("Could not list the Leases in %s: %s", self.namespace, exc)
            return False
        by_name: dict[str, Mapping[str, Any]] = {}
        for lease in listed:
            name = (lease.get("metadata") or {}).get("name")
            if isinstance(name, str):
                by_name[name] = lease
        for i, elector in enumerate(self._electors):
            elector.see(by_name.get(shard_lease(self.name, i)))
        self._member.see(by_name.get(self._member.name))
        now = self._clock()
        prefix, mine = member_prefix(self.name), self._member.name
        others: dict[str, Seen] = {}
        for name, member in by_name.items():
            if name.startswith(prefix) and name != mine:
                others[name] = observe(self._others.get(name), Record.of(member), now)
        self._others = others
        for name, seen in list(others.items()):
            if stale(seen, now, self.timing) and seen.record.resource_version is not None:
                await self._delete(name, seen.record.resource_version)
        return True

    async def _delete(self, name: str, version: str) -> None:
        try:
            await self.leases.delete_lease(self.namespace, name, version)
            self._others.pop(name, None)
            logger.info("Deleted the member Lease %s/%s of a replica gone long ago", self.namespace, name)
        except KubeConflict:
            pass  # renewed meanwhile: not dead after all
        except KubeError as exc:
            logger.warning("Could not delete the member Lease %s/%s: %s", self.namespace, name, exc)

    async def _attempt(self, elector: Elector, *, renewing: bool, read: bool) -> bool:
        """One try, bounded so that a hanging call cannot hold the round past a renew deadline."""
        try:
            return await asyncio.wait_for(
                elector.attempt(renewing=renewing, read=read), self.timing.retry_period
            )
        except (KubeError, TimeoutError) as exc:
            logger.warning("Could not take or renew the Lease %s/%s: %s", self.namespace, elector.name, exc)
            return False

    async def _drop_lost(self) -> None:
        """Stop work on every held shard that is no longer ours (renew deadline passed, or taken)."""
        for shard in sorted(self._held):
            elector = self._electors[shard]
            if shard not in self._held or (elector.leading and not elector.taken):
                continue  # dropped meanwhile (the rounds and the deadline watch both drop), or still ours
            logger.error(
                "Lost shard %d of %d: its Lease %s was not renewed in time", shard, self.shards, elector.name
            )
            self._held.discard(shard)
            elector.drop()
            await self._on_lost(shard)

    async def _hand_back(self, shard: int) -> None:
        """Stop the shard's work, then release its Lease so that another replica takes it at once."""
        self._held.discard(shard)
        await self._on_lost(shard)
        logger.info(
            "Handing shard %d of %d back (%d members: a share is %d)",
            shard,
            self.shards,
            self.members,
            -(-self.shards // self.members),
        )
        await self._electors[shard].release()

    def _sleep_time(self) -> float:
        """A retry period, or less when another holder's shard or member Lease runs out sooner: a
        dead replica's shards are taken as soon as they expire."""
        pause = self.timing.retry_period * (1 + random.random() * (JITTER - 1))
        now = self._clock()
        ends = [expires_at(e.seen, self.identity, self.timing) for e in self._electors]
        ends += [expires_at(seen, self.identity, self.timing) for seen in self._others.values()]
        for end in ends:
            if end is not None and end > now:
                pause = min(pause, end - now + 0.01)
        return pause

    async def stop(self) -> None:
        """Clean shutdown: stop and release every shard, and remove this member's Lease."""
        for shard in sorted(self._held):
            await self._hand_back(shard)
        seen = self._member.seen
        self._member.drop()
        if (
            seen is not None
            and seen.record.resource_version is not None
            and seen.record.holder == self.identity
        ):
            try:
                await asyncio.wait_for(
                    self.leases.delete_lease(self.namespace, self._member.name, seen.record.resource_version),
                    self.timing.retry_period,
                )
            except (KubeError, TimeoutError) as exc:
                logger.warning(
                    "Could not delete the member Lease %s/%s: %s", self.namespace, self._member.name, exc
                )
