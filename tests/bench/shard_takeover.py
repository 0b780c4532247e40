"""One process against three shards: what each replica costs, and what a kill -9 costs, at N.

    python -m tests.bench.shard_takeover N [--shards K] [--namespaces M] [--window S]

N ContainerGroups over M namespaces (picked so that each shard gets M/K of them), all Ready, first
under one operator process (no election): its CPU per minute and its memory in steady state. Then
that process stops and K replicas start with ``--shards K``, each reaching the emulator through its
own counting proxy: each one's CPU, memory and ECI calls per minute in steady state. Then the
holder of shard 0 is killed (SIGKILL): the seconds until a survivor holds its shard, until that
survivor's queue is empty again (the takeover), and the survivors' ECI calls and writes meanwhile.
The stack is the bench harness's (kube-testenv, the emulator with ECI's quotas, the operators as
processes under deploy/'s RBAC plus deploy/sharded's Role), at the default sweep and feed settings.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from eci_operator.controller.shards import shard_of
from tests.bench.scenarios import Bench
from tests.bench.stack import cpu_seconds, rss_mb, wait_idle
from tests.kube.testenv import running_testenv
from tests.support.emulator import launch
from tests.support.hostile_proxy import HostileProxy
from tests.support.operator import REPO, SA_NAMESPACE, Operator, install_operator_access

DEFAULT_SWEEP = 600.0
WRITES = ("CreateContainerGroup", "UpdateContainerGroup", "DeleteContainerGroup", "RestartContainerGroup")
HELD = re.compile(r'^eci_operator_shard_held\{shard="(\d+)"\} 1\.0$', re.M)


def held(operator: Operator) -> set[int]:
    try:
        return {int(s) for s in HELD.findall(operator.metrics())}
    except httpx.HTTPError:  # not serving (killed): holds nothing
        return set()


def namespaces_for(shards: int, count: int) -> list[str]:
    per = max(1, count // shards)
    found: dict[int, list[str]] = {i: [] for i in range(shards)}
    n = 0
    while any(len(v) < per for v in found.values()):
        name = f"shards-bench-{n}"
        n += 1
        if len(found[shard_of(name, shards)]) < per:
            found[shard_of(name, shards)].append(name)
    return sorted(ns for names in found.values() for ns in names)


def steady(operator: Operator, window: float) -> dict[str, float]:
    assert operator.process is not None
    pid = operator.process.pid
    before = cpu_seconds(pid)
    time.sleep(window)
    return {"cpu_seconds_per_minute": round((cpu_seconds(pid) - before) * 60 / window, 2), **rss_mb(pid)}


def until(predicate: Any, timeout: float) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise TimeoutError
        time.sleep(0.2)
    return time.monotonic() - start


def run(bench: Bench, n: int, shards: int, namespace_count: int, window: float) -> dict[str, Any]:
    namespaces = namespaces_for(shards, namespace_count)
    clusters = [bench.cluster(ns) for ns in namespaces]
    result: dict[str, Any] = {"n": n, "shards": shards, "namespaces": len(namespaces)}

    single = bench.operator(namespaces, f"single-{n}")
    per = -(-n // len(namespaces))
    for cluster in clusters:
        cluster.create_many([f"cg-{i}" for i in range(per)])
    for cluster in clusters:
        cluster.wait_ready(per, timeout=bench.ready_timeout(n))
    wait_idle(single, timeout=bench.ready_timeout(n))
    time.sleep(15)
    result["single"] = steady(single, window)
    single.stop()

    bench.kube_env.apply(REPO / "deploy" / "sharded" / "rbac.yaml")
    election = ("--leader-election-namespace", SA_NAMESPACE, "--leader-election-id", f"bench-{n}")
    args = ("--shards", str(shards), *election)
    proxies = [HostileProxy(bench.emulator.url) for _ in range(shards)]
    for proxy in proxies:
        proxy.__enter__()
    try:
        started = time.monotonic()
        replicas = [
            bench.operator(namespaces, f"shard-{n}-{i}", endpoint=p.url, extra=args)
            for i, p in enumerate(proxies)
        ]
        until(lambda: all(len(held(r)) == 1 for r in replicas), 120)
        for replica in replicas:
            wait_idle(replica, timeout=bench.ready_timeout(n))
        result["sharded_start_to_idle_seconds"] = round(time.monotonic() - started, 1)
        result["sharded_start_writes"] = sum(p.count(a) for p in proxies for a in WRITES)
        time.sleep(15)
        since = time.monotonic()
        per_replica = []
        for replica in replicas:  # one window each, one after the other: the machine has 2 cores
            per_replica.append(steady(replica, window / 2))
        elapsed = time.monotonic() - since
        for figures, proxy in zip(per_replica, proxies, strict=True):
            figures["eci_calls_per_minute"] = round(proxy.count(since=since) * 60 / elapsed, 1)
        result["sharded"] = per_replica

        owner = next(i for i, r in enumerate(replicas) if 0 in held(r))
        survivors = [r for i, r in enumerate(replicas) if i != owner]
        replicas[owner].kill()
        killed = time.monotonic()
        result["kill_to_shard_moved_seconds"] = round(
            until(lambda: any(0 in held(r) for r in survivors), 120), 1
        )
        for survivor in survivors:
            wait_idle(survivor, timeout=bench.ready_timeout(n))
        result["kill_to_takeover_done_seconds"] = round(time.monotonic() - killed, 1)
        others = [p for i, p in enumerate(proxies) if i != owner]
        result["takeover_describe_calls"] = sum(
            p.count("DescribeContainerGroups", since=killed) for p in others
        )
        result["takeover_writes"] = sum(p.count(a, since=killed) for p in others for a in WRITES)
    finally:
        for proxy in proxies:
            proxy.__exit__(None, None, None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--namespaces", type=int, default=12)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eci-shards-") as tmp:
        workdir = Path(tmp)
        (workdir / "kube").mkdir()
        with running_testenv(workdir / "kube") as kube_env:
            emulator = launch(seed=1, transition_delay=0.5)
            bench = Bench(
                kube_env,
                emulator,
                install_operator_access(kube_env, workdir / "operator.kubeconfig"),
                workdir,
                DEFAULT_SWEEP,
            )
            try:
                print(json.dumps(run(bench, args.n, args.shards, args.namespaces, args.window)), flush=True)
            finally:
                bench.stop_all()
                emulator.stop()


if __name__ == "__main__":
    main()
