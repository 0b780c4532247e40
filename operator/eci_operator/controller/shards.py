"""Pure sharding rules (no I/O; ``sharding`` does the Lease calls): which shard an object is in, and
which shard Leases a replica should take or hand back.

With ``run --shards K`` there are K shard Leases; a replica reconciles the objects of the shards it
holds and no others. An object's shard is a stable hash of its namespace, the same in every process
and every version: the first 8 bytes of the SHA-256 of the UTF-8 namespace, read big-endian, modulo
K (never Python's ``hash()``, which is salted per process). One namespace is one shard, so its
objects share one replica's quota share, batches and change feeds.

Fair share: every replica also renews a member Lease, so each can count the live members M (itself
included) and aim for ``ceil(K / M)`` shards. Below that it takes shards that are free (no Lease, no
holder, or expired by its own clock); above it, it hands the extras back. The targets add up to at
least K, so every shard finds a holder; a replica never takes a live shard from another.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from eci_operator.controller.leases import Seen, Timing


def shard_of(namespace: str, shards: int) -> int:
    """The shard (0 … ``shards - 1``) of every object in ``namespace``."""
    if shards < 1:
        raise ValueError("there must be at least one shard")
    digest = hashlib.sha256(namespace.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def shard_lease(name: str, shard: int) -> str:
    """The name of shard ``shard``'s Lease for the election ``name``."""
    return f"{name}-shard-{shard}"


def member_prefix(name: str) -> str:
    """Every member Lease of the election ``name`` starts with this."""
    return f"{name}-member-"


_NOT_IN_NAME = re.compile(r"[^a-z0-9-]+")


def member_lease(name: str, identity: str) -> str:
    """This process's member Lease: its identity made a valid object name (a DNS subdomain), with a
    short hash so that two identities that read alike once cleaned stay apart."""
    cleaned = _NOT_IN_NAME.sub("-", identity.lower()).strip("-")[:180]
    suffix = hashlib.sha256(identity.encode()).hexdigest()[:8]
    return f"{member_prefix(name)}{cleaned}-{suffix}" if cleaned else f"{member_prefix(name)}{suffix}"


def live(seen: Seen | None, now: float, timing: Timing) -> bool:
    """Whether a Lease has a holder that renewed it within its duration (by our clock)."""
    if seen is None or seen.record.holder is None:
        return False
    duration = seen.record.duration if seen.record.duration is not None else timing.lease_duration
    return now < seen.at + duration


def stale(seen: Seen, now: float, timing: Timing, *, lives: int = 10) -> bool:
    """A member Lease left by a process that died long ago (``lives`` durations without a change):
    anyone may delete it, so dead members do not pile up."""
    duration = seen.record.duration if seen.record.duration is not None else timing.lease_duration
    return now >= seen.at + lives * max(duration, timing.lease_duration)


def members(others: Mapping[str, Seen], now: float, timing: Timing) -> int:
    """Live members: this process, and every other member Lease that is live."""
    return 1 + sum(1 for seen in others.values() if live(seen, now, timing))


def target(shards: int, members: int) -> int:
    """How many shards each of ``members`` replicas aims for."""
    return math.ceil(shards / max(1, members))


@dataclass(frozen=True)
class Moves:
    """What one round of rebalancing does: shards to take, shards to hand back."""

    take: tuple[int, ...] = ()
    release: tuple[int, ...] = ()


def rebalance(shards: int, held: Iterable[int], free: Iterable[int], members: int, identity: str) -> Moves:
    """Take free shards up to the fair share, or hand back the shards above it.

    Replicas start looking at different free shards (an offset from their identity), so that several
    looking at once rarely race for the same Lease; a race lost is only a conflict, tried again."""
    mine = sorted(set(held))
    share = target(shards, members)
    if len(mine) > share:
        return Moves(release=tuple(mine[share:][::-1]))
    wanted = share - len(mine)
    candidates = sorted(set(free) - set(mine))
    if not wanted or not candidates:
        return Moves()
    offset = shard_of(identity, len(candidates))
    rotated = candidates[offset:] + candidates[:offset]
    return Moves(take=tuple(rotated[:wanted]))
