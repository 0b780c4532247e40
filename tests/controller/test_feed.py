"""The change feed against the emulator: paging, overlapping windows, a failing or throttled feed
falling back to sweeps, and ECI's clock differing from ours. Nothing changed may be missed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from eci_operator.controller.batched import BatchedObserver, Observation
from eci_operator.controller.cloud import Cloud, Scope
from eci_operator.controller.feed import ChangeFeed
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.settings import CloudSettings, FeedSettings
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.feeds import GroupEventsOut
from eci_operator.eci.models import ContainerGroupOut
from eci_operator.eci.transport import RetryPolicy
from eci_operator.emulator import admin
from eci_operator.translate.ownership import TAG_CLUSTER
from tests.emulator.conftest import Local, StartLocal, start_local  # noqa: F401  (fixture)

CLUSTER = "test"
Key = tuple[str, str]


class Rig:
    """A feed over a real Cloud client and batched observer; records what it triggers."""

    def __init__(self, api: Local, settings: FeedSettings) -> None:
        self.api = api
        self.cloud = Cloud(
            settings=CloudSettings(
                endpoint=api.url, retry=RetryPolicy(max_attempts=1, base_delay=0.01, deadline=5)
            ),
            credentials=StaticCredentials(api.access_key_id, api.access_key_secret),
            metrics=Metrics(),
        )
        self.swept: list[Key] = []
        self.observer: BatchedObserver[Key, Scope, ContainerGroupOut] = BatchedObserver(
            self.cloud.describe, interval=3600, on_sweep=self._swept
        )
        self.changed: list[Key] = []
        self.events: dict[Key, list[str]] = {}
        self.feed = ChangeFeed(
            lambda scope: self.cloud,
            self.observer,
            settings,
            CLUSTER,
            on_changed=self.changed.append,
            on_events=self._events,
        )
        self.scope = self.cloud.scope(api.region)

    def _swept(self, key: Key, observation: Observation[ContainerGroupOut], changed: bool) -> None:
        if changed:
            self.swept.append(key)

    async def _events(self, key: Key, group: GroupEventsOut) -> None:
        self.events.setdefault(key, []).extend(e.reason for e in group.events)

    def seed(self, name: str, cluster: str = CLUSTER) -> str:
        ident = admin.seed(
            self.api.emulator.store,
            {
                "ContainerGroupName": name,
                "Containers": [{"Name": "app", "Image": "nginx:1.27"}],
                "Tags": [{"Key": TAG_CLUSTER, "Value": cluster}],
            },
        ).id
        self.observer.track(("default", name), self.scope, ident)
        return ident

    def restart(self, ident: str, count: int = 1) -> None:
        admin.patch(self.api.emulator.store, ident, {"Containers": [{"Name": "app", "RestartCount": count}]})

    def feed_calls(self) -> int:
        return sum(1 for r in self.api.emulator.requests if r["Action"] == "DescribeContainerGroupStatus")

    def take(self) -> set[Key]:
        got = set(self.changed)
        self.changed.clear()
        return got


@pytest.fixture
async def rig(start_local: StartLocal) -> AsyncIterator[Rig]:  # noqa: F811
    api = await start_local()
    made = Rig(api, FeedSettings(interval=1.0, overlap=2.0, max_window=600, fallback_interval=0.0))
    yield made
    await made.cloud.close()


async def test_paging_across_many_changes_in_one_window(rig: Rig) -> None:
    ids = [rig.seed(f"g-{i}") for i in range(450)]
    rig.seed("elsewhere", cluster="other-cluster")
    await rig.feed.poll(rig.scope)
    rig.take()
    for ident in ids:
        rig.restart(ident)
    before = rig.feed_calls()
    await rig.feed.poll(rig.scope)
    assert rig.take() == {("default", f"g-{i}") for i in range(450)}
    assert rig.feed_calls() - before == 3, "200 instances a page"
    assert all(rig.observer.cached(i) is None for i in ids), "each is read again, not taken from cache"


async def test_unchanged_instances_are_not_reported(rig: Rig) -> None:
    quiet = rig.seed("quiet")
    busy = rig.seed("busy")
    rig.api.emulator.store.instances[quiet].changed -= 3600
    rig.api.emulator.store.instances[busy].changed -= 3600
    await rig.feed.poll(rig.scope)
    assert rig.take() == set()
    rig.restart(busy)
    await rig.feed.poll(rig.scope)
    assert rig.take() == {("default", "busy")}


async def test_overlapping_windows_catch_a_change_stamped_before_the_last_read(rig: Rig) -> None:
    ident = rig.seed("late")
    store = rig.api.emulator.store
    store.instances[ident].changed -= 3600
    await rig.feed.poll(rig.scope)
    rig.take()
    # ECI makes a change visible a moment after its time: stamped 1.5 s before the read that just
    # ran, it was not in that answer, and the next read must still see it.
    rig.restart(ident)
    store.instances[ident].changed = time.time() - 1.5
    await rig.feed.poll(rig.scope)
    assert rig.take() == {("default", "late")}


@pytest.mark.parametrize("skew", [-3600.0, 3600.0])
async def test_ecis_clock_may_differ_from_ours(rig: Rig, skew: float) -> None:
    rig.api.emulator.store.clock = lambda: time.time() + skew
    quiet, busy = rig.seed("quiet"), rig.seed("busy")
    rig.api.emulator.store.instances[quiet].changed -= 600
    rig.api.emulator.store.instances[busy].changed -= 600
    await rig.feed.poll(rig.scope)
    assert rig.take() == set()
    rig.restart(busy)
    await rig.feed.poll(rig.scope)
    assert rig.take() == {("default", "busy")}


async def test_a_throttled_feed_falls_back_to_sweeps_and_misses_nothing(rig: Rig) -> None:
    early, late = rig.seed("early"), rig.seed("late")
    await rig.feed.poll(rig.scope)
    await rig.observer.sweep(rig.scope)
    rig.take()
    rig.swept.clear()
    quotas = rig.api.emulator.quotas
    quotas.limits["DescribeContainerGroupStatus"] = 1  # the minute's quota is spent
    rig.restart(early)
    await rig.feed.poll(rig.scope)
    assert rig.take() == set()
    assert rig.swept == [("default", "early")], "the failing feed fell back to a full sweep"
    assert not rig.feed.healthy(rig.scope)
    rig.restart(late)  # changes while the feed is down and after the sweep
    quotas.limits["DescribeContainerGroupStatus"] = 0
    await rig.feed.poll(rig.scope)
    assert ("default", "late") in rig.take(), "the first good read covers the whole gap"
    assert rig.feed.healthy(rig.scope)


async def test_a_gap_longer_than_one_window_is_closed_by_a_sweep(start_local: StartLocal) -> None:  # noqa: F811
    api = await start_local()
    rig = Rig(api, FeedSettings(interval=1.0, overlap=0.5, max_window=1.0, fallback_interval=0.0))
    try:
        ident = rig.seed("g")
        await rig.feed.poll(rig.scope)
        await rig.observer.sweep(rig.scope)
        rig.swept.clear()
        rig.restart(ident)
        await asyncio.sleep(1.0)  # the feed did not read for longer than max_window
        before = rig.feed_calls()
        await rig.feed.poll(rig.scope)
        assert rig.feed_calls() == before, "no feed read can cover the gap"
        assert rig.swept == [("default", "g")]
        await rig.feed.poll(rig.scope)
        assert rig.feed_calls() == before + 1, "and the feed resumes from the sweep"
    finally:
        await rig.cloud.close()


async def test_events_of_changed_instances_are_handed_on(rig: Rig) -> None:
    ident = rig.seed("ev")
    await rig.feed.poll(rig.scope)
    rig.events.clear()
    admin.patch(
        rig.api.emulator.store,
        ident,
        {"Containers": [{"Name": "app", "CurrentState": {"State": "Waiting", "Reason": "ImagePullBackOff"}}]},
    )
    await rig.feed.poll(rig.scope)
    assert rig.events == {("default", "ev"): ["BackOff"]}
    rig.api.emulator.store.instances[ident].changed -= 3600  # time passes: out of every window
    events_before = sum(1 for r in rig.api.emulator.requests if r["Action"] == "DescribeContainerGroupEvents")
    await rig.feed.poll(rig.scope)  # the follow-up read
    await rig.feed.poll(rig.scope)  # nothing changed: no event read
    events_after = sum(1 for r in rig.api.emulator.requests if r["Action"] == "DescribeContainerGroupEvents")
    assert events_after - events_before == 1
