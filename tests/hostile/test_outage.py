"""ECI down: 503 on every call, then a black hole that accepts connections and never answers.

During each outage the operator's request rate stays bounded whatever the number of objects (the
shared circuit breaker sends a few probes instead of one stream per object), edits and creates made
meanwhile are not lost, and within 90 s of recovery everything converges with no spec change.
Before, a deadline or an odd answer stalled an object for good.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.chaos.figures import record
from tests.hostile.measures import FULL, instances_by_owner, wait_for
from tests.support.cluster import Cluster, is_ready
from tests.support.hostile_proxy import HostileProxy
from tests.support.manifests import container_group

pytestmark = pytest.mark.kube

OBJECTS = 1000 if FULL else 10
OUTAGE = 130.0 if FULL else 40.0
RATE_LIMIT = 120 if OBJECTS >= 1000 else 60  # calls per minute during an outage
RECOVERY = 90.0
NEW_IMAGE = "nginx:1.28"


def edit(cluster: Cluster, name: str) -> None:
    cluster.patch_spec(
        name, {"containers": [{"name": "web", "image": NEW_IMAGE, "ports": [{"containerPort": 80}]}]}
    )


def test_an_outage_costs_few_calls_and_everything_converges_after_it(
    cluster: Cluster, emulator: Any, proxy: HostileProxy, start_operator: Any
) -> None:
    operator = start_operator(cluster.namespace, emulator, resync=60.0, endpoint=proxy.url)
    names = [f"cg-{i}" for i in range(OBJECTS)]
    for name in names:
        cluster.create(container_group(name))
    wait_for(
        "every ContainerGroup Ready before the outage",
        lambda: all(is_ready(cluster.get(n) or {"metadata": {}}) for n in names),
        timeout=600 if FULL else 120,
        interval=2,
    )

    # Outage 1: every call answered 503. A user creates three objects and edits three others.
    proxy.fail(503)
    first = time.monotonic()
    created = [f"new-{i}" for i in range(3)]
    for name in created:
        cluster.create(container_group(name))
    for name in names[:3]:
        edit(cluster, name)
    time.sleep(OUTAGE)
    # Outage 2: a black hole. Three more edits.
    proxy.clear()
    proxy.black_hole()
    second = time.monotonic()
    for name in names[3:6]:
        edit(cluster, name)
    time.sleep(OUTAGE)
    rate_503 = proxy.busiest_minute(since=first, until=second)
    rate_black_hole = proxy.busiest_minute(since=second, until=time.monotonic())

    proxy.clear()
    recovered = time.monotonic()
    everyone = names + created
    edited = set(names[:6])

    def converged() -> bool:
        bodies = {n: b for n in everyone if (b := cluster.get(n)) is not None and is_ready(b)}
        if len(bodies) < len(set(everyone)):
            return False
        images = {}
        for name in edited:
            instance = emulator.instance(bodies[name]["status"]["containerGroupId"])
            images[name] = instance and instance["Containers"][0]["Image"]
        return all(image == NEW_IMAGE for image in images.values())

    took = wait_for("convergence after the outage", converged, timeout=RECOVERY + 60, interval=1)
    owners = instances_by_owner(emulator)
    uids = {n: (cluster.get(n) or {})["metadata"]["uid"] for n in everyone}
    duplicates = sum(max(0, owners[uids[n]] - 1) for n in everyone)
    missing = [n for n in everyone if owners[uids[n]] == 0]
    record(
        "outage",
        objects=OBJECTS,
        outage_seconds=OUTAGE,
        calls_per_minute_503=rate_503,
        calls_per_minute_black_hole=rate_black_hole,
        seconds_to_converge_after_recovery=round(took, 1),
        duplicates=duplicates,
        missing=len(missing),
    )
    assert operator.process is not None and operator.process.poll() is None
    assert rate_503 <= RATE_LIMIT, rate_503
    assert rate_black_hole <= RATE_LIMIT, rate_black_hole
    assert took <= RECOVERY, took
    assert duplicates == 0 and missing == []
    assert time.monotonic() - recovered < RECOVERY + 60
