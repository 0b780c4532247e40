"""The pure sharding rules: a namespace's shard never changes, and replicas settle on a fair share
(every shard held, nobody above ceil(K / members)) without taking a live shard from another."""

from __future__ import annotations

import collections
import re

import pytest

from eci_operator.controller.leases import Record, Seen, Timing
from eci_operator.controller.shards import (
    live,
    member_lease,
    members,
    rebalance,
    shard_lease,
    shard_of,
    stale,
    target,
)

TIMING = Timing()
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def seen(holder: str | None, at: float = 0.0, duration: int | None = 15) -> Seen:
    return Seen(Record(holder, duration, None, None, 0, "1"), at)


def test_a_namespace_is_in_the_same_shard_in_every_process_and_version() -> None:
    # Pinned: a change of the hash would move every namespace at an upgrade, with two versions of
    # the operator each believing it holds the same objects.
    assert [shard_of(ns, 3) for ns in ("default", "team-a", "team-b", "kube-system")] == [1, 0, 2, 1]
    assert [shard_of(ns, 7) for ns in ("default", "team-a", "team-b", "kube-system")] == [4, 3, 1, 1]
    assert all(shard_of(ns, 1) == 0 for ns in ("default", "x"))


def test_namespaces_spread_over_the_shards() -> None:
    counts = collections.Counter(shard_of(f"ns-{i}", 4) for i in range(4000))
    assert set(counts) == {0, 1, 2, 3}
    assert min(counts.values()) > 800  # 1000 each on average


def test_there_is_at_least_one_shard() -> None:
    with pytest.raises(ValueError):
        shard_of("default", 0)


def test_lease_names_are_object_names() -> None:
    assert shard_lease("eci-operator", 2) == "eci-operator-shard-2"
    for identity in ("eci-operator-7d9f-abcde_1a2b3c4d", "Host_Name.local_ffff", "___"):
        name = member_lease("eci-operator", identity)
        assert name.startswith("eci-operator-member-")
        assert DNS_SUBDOMAIN.match(name) and len(name) <= 253
    # two identities that read alike once cleaned still get Leases of their own
    assert member_lease("e", "a_b") != member_lease("e", "a.b")


def test_a_member_counts_while_its_lease_is_renewed_by_our_clock() -> None:
    assert live(seen("b", at=100.0), 114.9, TIMING)
    assert not live(seen("b", at=100.0), 115.0, TIMING)
    assert not live(seen(None, at=100.0), 100.0, TIMING)  # handed back
    assert members({"x": seen("b", at=100.0), "y": seen("c", at=0.0)}, 110.0, TIMING) == 2  # us and b
    assert not stale(seen("b", at=0.0), 100.0, TIMING)
    assert stale(seen("b", at=0.0), 150.0, TIMING)  # ten lease durations without a change


def test_the_fair_share_is_the_ceiling() -> None:
    assert [target(3, m) for m in (1, 2, 3, 4)] == [3, 2, 1, 1]
    assert target(8, 3) == 3
    assert target(3, 0) == 3


def test_below_the_share_take_free_shards_only() -> None:
    moves = rebalance(3, held=[], free=[0, 2], members=2, identity="a")
    assert sorted(moves.take) == [0, 2] and moves.release == ()
    moves = rebalance(3, held=[1], free=[0, 2], members=3, identity="a")
    assert moves.take == () and moves.release == ()  # at its share: shard 0 and 2 are for others
    assert rebalance(3, held=[], free=[], members=1, identity="a").take == ()  # all held live


def test_above_the_share_hand_back_the_extras() -> None:
    moves = rebalance(3, held=[0, 1, 2], free=[], members=2, identity="a")
    assert moves.release == (2,) and moves.take == ()
    moves = rebalance(3, held=[0, 1, 2], free=[], members=3, identity="a")
    assert moves.release == (2, 1)


def test_replicas_taking_at_once_start_from_different_free_shards() -> None:
    firsts = {rebalance(6, held=[], free=range(6), members=6, identity=f"pod-{i}").take for i in range(12)}
    assert len(firsts) > 2  # not everybody races for shard 0


def test_three_replicas_settle_on_one_shard_each_and_two_on_two_and_one() -> None:
    """Rounds of every replica in turn, with the free shards as each sees them, converge."""
    for replicas, expected in ((3, [1, 1, 1]), (2, [1, 2])):
        names = [f"r{i}" for i in range(replicas)]
        holding: dict[str, set[int]] = {n: set() for n in names}
        holding[names[0]] = {0, 1, 2}  # the first replica up took everything
        for _ in range(4):
            for name in names:
                taken = set().union(*holding.values())
                moves = rebalance(3, holding[name], set(range(3)) - taken, replicas, name)
                holding[name] -= set(moves.release)
                holding[name] |= set(moves.take)
        assert sorted(len(h) for h in holding.values()) == expected
        assert sorted(s for h in holding.values() for s in h) == [0, 1, 2]  # each shard, once
