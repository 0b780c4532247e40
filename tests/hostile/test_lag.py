"""ECI's reads lag its writes: a new instance is missing from every Describe answer for 10 s.

Before existence needed proof, the operator took such an instance for lost and created another
(one ContainerGroup ended with 4 instances), and a deletion released its finalizer while the
instance still ran. Now: exactly one instance per ContainerGroup, none left behind.
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

LAG = 10.0
CREATES = 100
CREATE_THEN_DELETE = 20


def test_lagging_reads_never_duplicate_or_leak_an_instance(
    cluster: Cluster, emulator: Any, proxy: HostileProxy, start_operator: Any
) -> None:
    proxy.lag_describe(LAG)
    operator = start_operator(cluster.namespace, emulator, resync=5.0, endpoint=proxy.url)
    kept = [f"kept-{i}" for i in range(CREATES)]
    gone = [f"gone-{i}" for i in range(CREATE_THEN_DELETE)]
    uids: dict[str, str] = {}
    for name in kept:
        uids[name] = cluster.create(container_group(name))["metadata"]["uid"]
    for name in gone:
        uids[name] = cluster.create(container_group(name))["metadata"]["uid"]
        time.sleep(0.3)  # long enough for the operator to send the Create, far shorter than the lag
        cluster.delete(name)

    def all_ready() -> bool:
        return all(is_ready(b) for b in (cluster.get(n) for n in kept) if b is not None)

    took = wait_for("every kept ContainerGroup Ready", all_ready, timeout=300, interval=2)
    for name in gone:
        cluster.wait_gone(name, timeout=180)
    try:
        wait_for(
            "the deleted ContainerGroups' instances gone",
            lambda: all(instances_by_owner(emulator)[uids[n]] == 0 for n in gone),
            timeout=60,
        )
    except TimeoutError:
        left = {n: _instances_of(emulator, uids[n]) for n in gone if instances_by_owner(emulator)[uids[n]]}
        history = [line for line in operator.log().splitlines() if any(f"/{n}:" in line for n in left)]
        raise AssertionError(
            f"instances left behind by deleted ContainerGroups: {left}\n" + "\n".join(history)
        ) from None
    time.sleep(LAG + 5)  # a late duplicate would have been created by now
    owners = instances_by_owner(emulator)
    duplicates = {n: owners[uids[n]] for n in kept if owners[uids[n]] != 1}
    leaked = {n: owners[uids[n]] for n in gone if owners[uids[n]]}
    creates = proxy.count("CreateContainerGroup")
    record(
        "describe_lag",
        lag_seconds=LAG,
        creates=CREATES,
        create_then_delete=CREATE_THEN_DELETE,
        seconds_to_ready=round(took, 1),
        create_calls=creates,
        duplicates=sum(v - 1 for v in duplicates.values() if v > 1),
        leaked=sum(leaked.values()),
        full=FULL,
    )
    assert duplicates == {}
    assert leaked == {}
    assert sum(owners.values()) == CREATES


def _instances_of(emulator: Any, uid: str) -> list[tuple[str, str, str]]:
    """(ID, status, creation time) of the instances tagged with ``uid``: what a failure reports."""
    return [
        (i["ContainerGroupId"], i["Status"], i.get("CreationTime", ""))
        for i in emulator.instances()
        if {t["Key"]: t["Value"] for t in i.get("Tags") or []}.get("eci.operator.dev/uid") == uid
    ]
