"""ECI events mirrored as Kubernetes Events: warnings only, aggregated, deduplicated across
overlapping reads, rate-limited per object, never carrying a secret value."""

from __future__ import annotations

from typing import Any

from eci_operator.controller.memory import ObjectMemory
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.mirror import EventMirror
from eci_operator.eci.feeds import GroupEventsOut
from eci_operator.eci.redact import Scrubber
from tests.controller.harness import MemoryKube

SECRET = "s3cr3t-db-password-123"


def memory() -> ObjectMemory:
    body = {"metadata": {"namespace": "default", "name": "web", "uid": "uid-1", "resourceVersion": "7"}}
    return ObjectMemory.of(body, scrubber=Scrubber([SECRET]))


def group(*events: dict[str, Any], ident: str = "eci-abc") -> GroupEventsOut:
    return GroupEventsOut.model_validate({"ContainerGroupId": ident, "Events": list(events)})


def event(reason: str, message: str, count: int = 1, kind: str = "Warning", last: str = "") -> dict[str, Any]:
    return {
        "Type": kind,
        "Reason": reason,
        "Message": message,
        "Count": count,
        "FirstTimestamp": "2026-12-02T05:00:00Z",
        "LastTimestamp": last or "2026-12-02T05:00:00Z",
    }


async def test_warnings_are_mirrored_once_and_repeats_aggregated() -> None:
    kube = MemoryKube()
    mirror = EventMirror(kube, Metrics())
    mem = memory()
    backoff = event("BackOff", 'Back-off pulling image "nginx:nope"')
    started = event("Started", "All containers are running", kind="Normal")
    assert await mirror.mirror(mem, group(backoff, started)) == 1
    assert await mirror.mirror(mem, group(backoff)) == 0, "an overlapping read delivers it again"
    repeated = event("BackOff", 'Back-off pulling image "nginx:nope"', count=3, last="2026-12-02T05:01:00Z")
    assert await mirror.mirror(mem, group(repeated)) == 1
    [mirrored] = kube.events
    assert mirrored["reason"] == "BackOff" and mirrored["type"] == "Warning"
    assert (mirrored["count"], mirrored["lastTimestamp"]) == (3, "2026-12-02T05:01:00Z")
    assert mirrored["firstTimestamp"] == "2026-12-02T05:00:00Z"
    assert "eci-abc" in mirrored["message"] and mirrored["source"] == "eci"
    await mirror.mirror(mem, group(event("OOMKilled", "Container app was killed: out of memory")))
    assert [e["reason"] for e in kube.events] == ["BackOff", "OOMKilled"]


async def test_after_a_restart_the_existing_event_is_updated_not_duplicated() -> None:
    kube = MemoryKube()
    oom = event("OOMKilled", "Container app was killed: out of memory")
    await EventMirror(kube, Metrics()).mirror(memory(), group(oom))
    again = event("OOMKilled", "Container app was killed: out of memory", count=2)
    await EventMirror(kube, Metrics()).mirror(memory(), group(again))
    [mirrored] = kube.events
    assert mirrored["count"] == 2


async def test_secret_values_never_reach_an_event() -> None:
    kube = MemoryKube()
    mem = memory()
    await EventMirror(kube, Metrics()).mirror(
        mem, group(event("Failed", f"Failed to start: env DB_PASSWORD={SECRET} rejected"))
    )
    assert SECRET not in repr(kube.events)
    unknown = ObjectMemory.of(mem.body)  # not reconciled yet: no scrubber
    await EventMirror(kube, Metrics()).mirror(unknown, group(event("Failed", f"uses {SECRET} again")))
    assert SECRET not in repr(kube.events)


async def test_events_are_rate_limited_per_object() -> None:
    kube = MemoryKube()
    metrics = Metrics()
    mirror = EventMirror(kube, metrics, burst=3, refill=3600)
    mem = memory()
    for n in range(5):
        await mirror.mirror(mem, group(event("Unhealthy", f"probe failed ({n})")))
    assert len(kube.events) == 3
    other = ObjectMemory.of({"metadata": {"namespace": "default", "name": "api", "uid": "uid-2"}})
    other.scrubber = Scrubber([])
    await mirror.mirror(other, group(event("Unhealthy", "probe failed")))
    assert len(kube.events) == 4, "another object has its own budget"


async def test_odd_reasons_and_timestamps_from_eci_are_tamed() -> None:
    kube = MemoryKube()
    await EventMirror(kube, Metrics()).mirror(
        memory(),
        group({"Type": "Warning", "Reason": "Bad Reason/../x", "Message": "m", "LastTimestamp": "yesterday"}),
    )
    [mirrored] = kube.events
    assert mirrored["reason"] == "BadReasonx"
    assert mirrored["lastTimestamp"].endswith("Z") and mirrored["lastTimestamp"][:2] == "20"
