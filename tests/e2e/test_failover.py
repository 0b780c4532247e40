"""Two operators with ``--leader-elect``: kill -9 the leader, the standby takes over.

Each operator reaches the emulator through its own counting proxy, so the test knows which process
made every ECI call. The Lease timings are the defaults (15 s lease, 10 s renew deadline, 2 s
retry): the failover time printed at the end is the one a Deployment gets (``docs/benchmarks.md``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.cluster import Cluster, is_ready
from tests.support.hostile_proxy import HostileProxy
from tests.support.manifests import container_group
from tests.support.operator import SA_NAMESPACE, Operator

pytestmark = pytest.mark.kube

N = 30
LEASE = f"/apis/coordination.k8s.io/v1/namespaces/{SA_NAMESPACE}/leases/eci-operator"
WRITES = ("CreateContainerGroup", "UpdateContainerGroup", "DeleteContainerGroup", "RestartContainerGroup")


def leading(operator: Operator) -> bool:
    return any(line == "eci_operator_leader 1.0" for line in operator.metrics().splitlines())


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def test_kill_9_of_the_leader_the_standby_takes_over_without_duplicates_or_writes(
    cluster: Cluster, emulator: Any, start_operator: Any, kube_env: Any
) -> None:
    kube_env.http().delete(LEASE)  # a Lease left by an earlier run would only delay the first leader
    election = ("--leader-elect", "--leader-election-namespace", SA_NAMESPACE)
    with HostileProxy(emulator.url) as first_proxy, HostileProxy(emulator.url) as second_proxy:
        first = start_operator(cluster.namespace, emulator, endpoint=first_proxy.url, extra=election)
        wait_for(lambda: leading(first), 30, "the first operator never led")
        second = start_operator(cluster.namespace, emulator, endpoint=second_proxy.url, extra=election)

        names = [f"cg-{i:02d}" for i in range(N)]
        for name in names:
            cluster.create(container_group(name))
        for name in names:
            cluster.wait(name, is_ready, timeout=120)
        time.sleep(3)  # a sweep or so: the leader has nothing left to write
        versions = {name: cluster.version(name) for name in names}
        assert not leading(second)
        assert second_proxy.count() == 0  # the standby made no ECI call at all

        first.kill()  # SIGKILL: no release, the Lease just stops being renewed
        killed = time.monotonic()
        edited = cluster.patch_spec(names[0], {"tags": {"team": "payments"}})
        instance_id = edited["status"]["containerGroupId"]

        def edit_reached_eci() -> bool:
            instance = emulator.instance(instance_id) or {}
            return {"Key": "team", "Value": "payments"} in (instance.get("Tags") or [])

        wait_for(edit_reached_eci, 60, "the edit never reached ECI")
        failover = time.monotonic() - killed
        assert leading(second)
        cluster.wait(names[0], is_ready)
        time.sleep(4)  # two sweeps of the new leader

        writes = {action: second_proxy.count(action) for action in WRITES}
        assert writes == {**dict.fromkeys(WRITES, 0), "UpdateContainerGroup": 1}  # the edit, and only it
        assert len(emulator.instances()) == N  # no duplicate
        after = {name: cluster.version(name) for name in names[1:]}
        assert after == {name: versions[name] for name in names[1:]}  # in sync: not one Kubernetes write
        print(
            f"\nfailover: edit reached ECI {failover:.1f}s after kill -9 of the leader; "
            f"new leader's ECI calls: {second_proxy.count()} "
            f"({second_proxy.count('DescribeContainerGroups')} Describe)"
        )


def test_a_leader_that_loses_its_lease_stops_and_exits(
    cluster: Cluster, emulator: Any, start_operator: Any, kube_env: Any
) -> None:
    kube_env.http().delete(LEASE)
    short = ("--lease-duration", "3", "--renew-deadline", "2", "--retry-period", "0.5")
    operator = start_operator(
        cluster.namespace,
        emulator,
        extra=("--leader-elect", "--leader-election-namespace", SA_NAMESPACE, *short),
    )
    wait_for(lambda: leading(operator), 30, "the operator never led")
    lease = kube_env.http().get(LEASE).json()
    lease["spec"]["holderIdentity"] = "another-replica"  # as if another replica had taken it over
    assert kube_env.http().put(LEASE, json=lease).status_code == 200
    assert operator.process is not None
    assert operator.process.wait(30) == 1  # stopped reconciling and exited; Kubernetes restarts it
    assert "leadership lost" in operator.log()
