"""Three operators with ``--shards 3``: each reconciles only its shards' namespaces; kill -9 of one
moves its shards to the survivors.

Each operator reaches the emulator through its own counting proxy, so the test knows which process
made every ECI call, and with which instance or namespace. The Lease timings are the defaults (15 s
lease, 10 s renew deadline, 2 s retry): the time printed at the end is the one a Deployment gets
(``docs/benchmarks.md``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from eci_operator.controller.shards import shard_of
from eci_operator.translate.ownership import TAG_NAMESPACE
from tests.support.cluster import Cluster, is_ready
from tests.support.hostile_proxy import HostileProxy
from tests.support.kustomize import build, overlay
from tests.support.manifests import container_group
from tests.support.operator import REPO, SA_NAMESPACE, Operator

pytestmark = pytest.mark.kube

K = 3
PER_NAMESPACE = 5
NAMESPACES_PER_SHARD = 2  # 6 namespaces x 5 = 30 objects
ELECTION = "eci-sharded"
LEASES = f"/apis/coordination.k8s.io/v1/namespaces/{SA_NAMESPACE}/leases"
WRITES = ("CreateContainerGroup", "UpdateContainerGroup", "DeleteContainerGroup", "RestartContainerGroup")
HELD = re.compile(r'^eci_operator_shard_held\{shard="(\d+)"\} 1\.0$', re.M)


def held(operator: Operator) -> set[int]:
    try:
        return {int(s) for s in HELD.findall(operator.metrics())}
    except httpx.HTTPError:  # not serving (killed): holds nothing
        return set()


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def tag_value(params: dict[str, str], key: str) -> str | None:
    for name, value in params.items():
        if name.startswith("Tag.") and name.endswith(".Key") and value == key:
            return params.get(name[: -len("Key")] + "Value")
    return None


def created_in(proxy: HostileProxy, since: float = 0.0) -> list[str]:
    """The namespaces of the ContainerGroups each Create through ``proxy`` was for."""
    return [
        tag_value(h.params, TAG_NAMESPACE) or "?"
        for h in list(proxy.hits)
        if h.action == "CreateContainerGroup" and h.at >= since
    ]


def described(proxy: HostileProxy) -> set[str]:
    """Every instance ID read by ID through ``proxy``."""
    ids: set[str] = set()
    for h in list(proxy.hits):
        if h.action == "DescribeContainerGroups" and h.params.get("ContainerGroupIds"):
            ids.update(json.loads(h.params["ContainerGroupIds"]))
    return ids


def instance(cluster: Cluster, name: str) -> str:
    body = cluster.get(name) or {}
    return str(body["status"]["containerGroupId"])


def namespaces_by_shard() -> dict[int, list[str]]:
    """Fresh namespace names, NAMESPACES_PER_SHARD for each shard (the hash decides, so pick)."""
    run = uuid.uuid4().hex[:6]
    found: dict[int, list[str]] = {i: [] for i in range(K)}
    n = 0
    while any(len(v) < NAMESPACES_PER_SHARD for v in found.values()):
        name = f"shards-{run}-{n}"
        n += 1
        bucket = found[shard_of(name, K)]
        if len(bucket) < NAMESPACES_PER_SHARD:
            bucket.append(name)
    return found


@pytest.fixture
def sharding_access(kube_env: Any) -> Iterator[None]:
    """deploy/sharded's Role for the session's ServiceAccount, for this test only."""
    http = kube_env.http()
    for lease in http.get(LEASES).json().get("items", []):
        if lease["metadata"]["name"].startswith(f"{ELECTION}-"):
            http.delete(f"{LEASES}/{lease['metadata']['name']}")
    kube_env.apply(REPO / "deploy" / "sharded" / "rbac.yaml")
    yield
    base = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{SA_NAMESPACE}"
    http.delete(f"{base}/rolebindings/eci-operator-shards")
    http.delete(f"{base}/roles/eci-operator-shards")


def test_three_shards_one_owner_each_and_a_kill_9_moves_its_shards(
    kube_env: Any, emulator: Any, start_operator: Any, sharding_access: None
) -> None:
    by_shard = namespaces_by_shard()
    shard_of_namespace = {ns: shard for shard, names in by_shard.items() for ns in names}
    namespaces = sorted(shard_of_namespace)
    for ns in namespaces:
        kube_env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    clusters = {ns: Cluster(kube_env, ns) for ns in namespaces}
    args = ("--shards", str(K), "--leader-election-namespace", SA_NAMESPACE, "--leader-election-id", ELECTION)
    proxies = [HostileProxy(emulator.url) for _ in range(K)]
    try:
        for proxy in proxies:
            proxy.__enter__()
        operators = [
            start_operator(namespaces, emulator, endpoint=proxy.url, extra=args) for proxy in proxies
        ]
        # Fair share: one shard each once all three count each other.
        wait_for(lambda: all(len(held(o)) == 1 for o in operators), 90, "the shards never spread")
        owner = {shard: i for i, o in enumerate(operators) for shard in held(o)}
        assert sorted(owner) == list(range(K))

        keys = [(ns, f"cg-{j}") for ns in namespaces for j in range(PER_NAMESPACE)]
        for ns, name in keys:
            clusters[ns].create(container_group(name))
        for ns, name in keys:
            clusters[ns].wait(name, is_ready, timeout=180)
        time.sleep(3)  # a sweep or so: nothing left to write
        versions = {key: clusters[key[0]].version(key[1]) for key in keys}
        instance_of = {key: instance(clusters[key[0]], key[1]) for key in keys}

        # Every object was created once, by the replica holding its namespace's shard, and read by
        # that replica alone.
        for i, proxy in enumerate(proxies):
            mine = {ns for ns in namespaces if owner[shard_of_namespace[ns]] == i}
            assert sorted(created_in(proxy)) == sorted(ns for ns, _ in keys if ns in mine)
            assert described(proxy) <= {instance_of[key] for key in keys if key[0] in mine}
        assert len(emulator.instances()) == len(keys)

        victim_shard = 0
        victim = owner[victim_shard]
        survivors = [i for i in range(K) if i != victim]
        operators[victim].kill()  # SIGKILL: no hand-back, its Leases just stop being renewed
        killed = time.monotonic()
        edited_key = (by_shard[victim_shard][0], "cg-0")
        edited = clusters[edited_key[0]].patch_spec(edited_key[1], {"tags": {"team": "payments"}})
        instance_id = edited["status"]["containerGroupId"]
        wait_for(
            lambda: victim_shard in set().union(*(held(operators[i]) for i in survivors)),
            60,
            "the killed replica's shard never moved",
        )
        moved = time.monotonic() - killed

        def edit_reached_eci() -> bool:
            instance = emulator.instance(instance_id) or {}
            return {"Key": "team", "Value": "payments"} in (instance.get("Tags") or [])

        wait_for(edit_reached_eci, 60, "the edit never reached ECI")
        reached = time.monotonic() - killed
        assert sorted(set().union(*(held(operators[i]) for i in survivors))) == list(range(K))
        clusters[edited_key[0]].wait(edited_key[1], is_ready)
        time.sleep(4)  # two sweeps of the new holder

        writes = {a: sum(proxies[i].count(a, since=killed) for i in survivors) for a in WRITES}
        assert writes == {**dict.fromkeys(WRITES, 0), "UpdateContainerGroup": 1}  # the edit only
        assert len(emulator.instances()) == len(keys)  # no duplicate
        after = {key: clusters[key[0]].version(key[1]) for key in keys if key != edited_key}
        assert after == {key: versions[key] for key in keys if key != edited_key}  # not one write
        print(
            f"\nshards: kill -9 of the holder of shard {victim_shard}: moved to a survivor "
            f"{moved:.1f}s later, the edit reached ECI {reached:.1f}s after the kill; survivors' "
            f"ECI calls since: {sum(p.count(since=killed) for i, p in enumerate(proxies) if i != victim)}"
        )
    finally:
        for proxy in proxies:
            proxy.__exit__(None, None, None)
        for ns in namespaces:
            kube_env.http().delete(f"/api/v1/namespaces/{ns}")


def test_the_sharded_component_runs_three_replicas_on_three_shards_with_the_lease_role(
    tmp_path: Path,
) -> None:
    docs = build(
        overlay(tmp_path, {"resources": [REPO / "deploy"], "components": [REPO / "deploy" / "sharded"]})
    )
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    assert deployment["spec"]["replicas"] == 3
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--leader-elect" in args and "--shards=3" in args
    roles = {d["metadata"]["name"] for d in docs if d["kind"] == "Role"}
    assert roles == {"eci-operator-leader-election", "eci-operator-shards"}
