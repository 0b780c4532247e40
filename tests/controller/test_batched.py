"""The observer reads all managed instances in chunks of 20 and notices what changed."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Mapping, Sequence

import pytest

from eci_operator.controller.batched import BatchedObserver, Observation, chunks
from eci_operator.controller.runtime import pack_group, unpack_group
from eci_operator.eci.models import ContainerGroupOut
from eci_operator.emulator import admin
from eci_operator.emulator.actions import describe
from eci_operator.emulator.state import Store


class FakeEci:
    """Counts DescribeContainerGroups calls and enforces the 20-ID limit like ECI does."""

    def __init__(self, groups: dict[str, dict[str, str]]) -> None:
        self.groups = groups
        self.calls: list[list[str]] = []

    async def describe(self, scope: str, ids: Sequence[str]) -> Mapping[str, dict[str, str]]:
        assert len(ids) <= 20, "ECI rejects more than 20 IDs per call"
        self.calls.append(list(ids))
        await asyncio.sleep(0)
        return {i: dict(self.groups[i]) for i in ids if i in self.groups}


def test_chunks_are_at_most_20_and_unique() -> None:
    ids = [f"eci-{i}" for i in range(45)] + ["eci-0"]
    parts = chunks(ids)
    assert [len(p) for p in parts] == [20, 20, 5]
    assert [i for p in parts for i in p] == [f"eci-{i}" for i in range(45)]


async def test_sweep_of_n_objects_costs_ceil_n_over_20_calls() -> None:
    eci = FakeEci({f"eci-{i}": {"Status": "Running"} for i in range(45)})
    observer: BatchedObserver[str, str, dict[str, str]] = BatchedObserver(eci.describe, interval=60)
    for i in range(45):
        observer.track(f"obj-{i}", "cn-hangzhou", f"eci-{i}")
    observer.track("other-region", "cn-beijing", "eci-x")
    assert await observer.sweep("cn-hangzhou") == 3
    assert len(eci.calls) == 3
    assert "eci-x" not in [i for c in eci.calls for i in c]
    cached = observer.cached("eci-7")
    assert cached is not None and cached.group == {"Status": "Running"}


@pytest.mark.parametrize("packed", [False, True])
async def test_sweep_reports_changes_and_disappearances(packed: bool) -> None:
    eci = FakeEci({"eci-a": {"Status": "Running"}, "eci-b": {"Status": "Running"}})
    heard: list[tuple[str, object, bool]] = []

    def on_sweep(key: str, observation: Observation[dict[str, str]], changed: bool) -> None:
        heard.append((key, observation.group, changed))

    observer: BatchedObserver[str, str, dict[str, str]] = BatchedObserver(
        eci.describe,
        interval=60,
        on_sweep=on_sweep,
        pack=(lambda g: json.dumps(g).encode()) if packed else None,
        unpack=json.loads if packed else None,
    )
    observer.track("a", "r", "eci-a")
    observer.track("b", "r", "eci-b")
    await observer.sweep("r")
    assert sorted(heard) == [("a", {"Status": "Running"}, True), ("b", {"Status": "Running"}, True)]
    heard.clear()
    eci.groups["eci-a"]["Status"] = "Updating"  # out-of-band change
    del eci.groups["eci-b"]  # deleted out of band
    await observer.sweep("r")
    assert sorted(heard, key=lambda h: h[0]) == [("a", {"Status": "Updating"}, True), ("b", None, True)]
    heard.clear()
    await observer.sweep("r")
    assert sorted(heard, key=lambda h: h[0]) == [("a", {"Status": "Updating"}, False), ("b", None, False)]


async def test_concurrent_single_reads_are_merged_into_batches() -> None:
    eci = FakeEci({f"eci-{i}": {"Status": "Running"} for i in range(30)})
    observer: BatchedObserver[str, str, dict[str, str]] = BatchedObserver(eci.describe, interval=60)
    results = await asyncio.gather(*(observer.observe("r", f"eci-{i}") for i in range(30)))
    assert [r.group_id for r in results] == [f"eci-{i}" for i in range(30)]
    assert len(eci.calls) == 2  # 30 reads -> 20 + 10
    missing = await observer.observe("r", "eci-gone")
    assert missing.group is None


async def test_failed_read_leaves_cache_and_reports_error() -> None:
    errors: list[str] = []

    async def broken(scope: str, ids: Sequence[str]) -> Mapping[str, dict[str, str]]:
        raise RuntimeError("Throttling")

    observer: BatchedObserver[str, str, dict[str, str]] = BatchedObserver(
        broken, interval=60, on_error=lambda scope, exc: errors.append(str(exc))
    )
    observer.track("a", "r", "eci-a")
    await observer.sweep("r")
    assert errors == ["Throttling"]
    assert observer.cached("eci-a") is None
    assert observer.lag("r") is None


async def test_loop_sweeps_every_interval() -> None:
    eci = FakeEci({"eci-a": {"Status": "Running"}})
    observer: BatchedObserver[str, str, dict[str, str]] = BatchedObserver(
        eci.describe, interval=0.05, jitter=0
    )
    observer.track("a", "r", "eci-a")
    observer.start()
    await asyncio.sleep(0.18)
    await observer.stop()
    assert 2 <= len(eci.calls) <= 4
    assert observer.lag("r") is not None


async def test_sweeps_start_at_most_one_interval_apart_even_when_a_sweep_is_slow() -> None:
    # Drift must be seen within one resync interval: jitter may shorten the period, never
    # lengthen it, and a slow sweep must not push the next one back by its own duration.
    starts: list[float] = []

    async def slow_describe(scope: str, ids: Sequence[str]) -> Mapping[str, dict[str, str]]:
        starts.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.12)  # most of the interval
        return {i: {"Status": "Running"} for i in ids}

    observer: BatchedObserver[str, str, dict[str, str]] = BatchedObserver(
        slow_describe, interval=0.2, jitter=0.5
    )
    observer.track("a", "r", "eci-a")
    observer.start()
    await asyncio.sleep(1.5)
    await observer.stop()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) >= 5
    assert max(gaps) <= 0.2 + 0.08  # the interval, plus scheduling slack (end-to-start: up to 0.42)


def test_the_packed_cache_gives_back_the_same_answer_and_notices_changes() -> None:

    store = Store(0.0)
    body = {
        "ContainerGroupName": "g",
        "Tags": [{"Key": "team", "Value": "shop"}],
        "Containers": [
            {
                "Name": "app",
                "Image": "nginx:1.27",
                "EnvironmentVars": [{"Key": "A", "Value": "1"}],
                "ReadinessProbe": {"HttpGet": {"Path": "/", "Port": 80}},
                "PreviousState": {"State": "Terminated", "Reason": "OOMKilled", "ExitCode": 137},
            }
        ],
        "Volumes": [
            {"Name": "v", "Type": "NFSVolume", "NFSVolumeServer": "nfs.example.com", "NFSVolumePath": "/"}
        ],
    }
    ident = admin.seed(store, body).id
    [raw] = describe(store, {"RegionId": "cn-hangzhou", "WithEvent": False})["ContainerGroups"]
    group = ContainerGroupOut.model_validate(raw)
    assert unpack_group(pack_group(group)) == group
    assert len(pack_group(group)) < 1024
    admin.patch(store, ident, {"Containers": [{"Name": "app", "RestartCount": 1}]})
    [raw] = describe(store, {"RegionId": "cn-hangzhou", "WithEvent": False})["ContainerGroups"]
    assert pack_group(ContainerGroupOut.model_validate(raw)) != pack_group(group)
