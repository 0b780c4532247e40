"""The benchmark scenarios. Each returns a flat dict of figures (the keys ``docs/benchmarks.md`` lists).

Timing conventions:
- wall clock (``time.time()``) on both sides of a latency: the harness and the emulator run on the
  same machine, and the emulator stamps each request it receives with millisecond resolution;
- an edit's latency starts just before the harness sends the PATCH (so it includes the apiserver's
  own write) and ends when the emulator receives the ``UpdateContainerGroup`` for that instance.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench.stack import (
    REPO,
    Cluster,
    EciLog,
    KubeWrites,
    cpu_seconds,
    describe_ids,
    load,
    operator_errors,
    operator_metric,
    rss_mb,
    start_operator,
    throttled,
    wait_idle,
    writes,
)
from tests.kube.testenv import KubeEnv
from tests.support.emulator import EmulatorHandle, launch
from tests.support.operator import Operator

Log = Callable[[str], None]
PY_SPY = [str(Path(sys.executable).with_name("py-spy"))]


def _stderr(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


@dataclass
class Bench:
    """Everything a scenario needs: the running stack and the harness settings."""

    kube_env: KubeEnv
    emulator: EmulatorHandle
    kubeconfig: Path
    workdir: Path
    resync: float
    transition_delay: float = 0.5
    profile_dir: Path | None = None
    memtrace_dir: Path | None = None
    log: Log = _stderr
    profilers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    operators: list[Operator] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.eci = EciLog(self.emulator)
        self.kube_writes = KubeWrites(self.kube_env)

    def operator(
        self, namespaces: list[str], label: str, *, endpoint: str | None = None, extra: tuple[str, ...] = ()
    ) -> Operator:
        operator = start_operator(
            self.kubeconfig,
            self.emulator,
            self.workdir,
            namespaces=namespaces,
            resync=self.resync,
            label=label,
            endpoint=endpoint,
            extra=extra,
            # tracemalloc slows a process several times over: only for restarts, which only read
            memtrace=None
            if self.memtrace_dir is None or not label.startswith("resumed")
            else self.memtrace_dir / f"heap-{label}.txt",
        )
        self.operators.append(operator)
        if self.profile_dir is not None and operator.process is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            # Sampling profiler attached for the operator's whole life; stops when it exits.
            self.profilers.append(
                subprocess.Popen(
                    [
                        *PY_SPY,
                        "record",
                        "--pid",
                        str(operator.process.pid),
                        "--rate",
                        "25",
                        "--format",
                        "raw",
                        "--nonblocking",
                        "-o",
                        str(self.profile_dir / f"operator-{label}.txt"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        return operator

    def stop_all(self) -> None:
        """Stop every operator this bench started (they run in sessions of their own)."""
        for operator in self.operators:
            operator.stop()
        for profiler in self.profilers:
            try:
                profiler.wait(30)
            except subprocess.TimeoutExpired:
                profiler.kill()

    def dump_heap(self, operator: Operator) -> None:
        """With ``memtrace_dir``: append the operator's live allocation sites to its heap file."""
        if self.memtrace_dir is not None and operator.process is not None:
            self.memtrace_dir.mkdir(parents=True, exist_ok=True)
            heap = self.memtrace_dir / f"heap-{operator.log_path.stem.removeprefix('operator-')}.txt"
            size = heap.stat().st_size if heap.exists() else 0
            operator.process.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + 300  # a snapshot of a large traced heap takes a while
            while time.monotonic() < deadline and (heap.stat().st_size if heap.exists() else 0) == size:
                time.sleep(1.0)

    def cluster(self, namespace: str) -> Cluster:
        cluster = Cluster(self.kube_env, namespace)
        cluster.ensure_namespace()
        return cluster

    def ready_timeout(self, count: int) -> float:
        # Creates are paced by the Create quota (1000/min) and Describes by theirs (2000/min).
        return 120.0 + count * 0.25


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100), as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def sweep_starts(times: list[float], gap: float) -> list[float]:
    """Start times of bursts of Describe calls (a sweep), bursts being separated by ``gap`` seconds."""
    starts: list[float] = []
    last = -math.inf
    for t in sorted(times):
        if t - last > gap:
            starts.append(t)
        last = t
    return starts


def _describes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["Action"] == "DescribeContainerGroups"]


def populate(bench: Bench, cluster: Cluster, names: list[str]) -> dict[str, str]:
    """Create ContainerGroups and wait until all of the namespace's are Ready; name → instance ID."""
    existing = len(cluster.list())
    cluster.create_many(names)
    return cluster.wait_ready(existing + len(names), timeout=bench.ready_timeout(len(names)))


def wait_quiet_after_sweep(bench: Bench, timeout: float) -> None:
    """Return in the quiet time right after a sweep, so a window opened now starts with a whole sweep."""
    bench.eci.clear()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        describes = _describes(bench.eci.entries())
        if describes and time.time() - max(e["t"] for e in describes) > 2.0:
            return
    raise TimeoutError(f"no sweep seen in {timeout:.0f}s")


def steady(bench: Bench, operator: Operator, n: int, intervals: int = 3) -> dict[str, Any]:
    """N objects in sync: Describe calls per resync interval and every write, over ``intervals`` sweeps."""
    wait_idle(operator, timeout=bench.ready_timeout(n))
    wait_quiet_after_sweep(bench, timeout=2 * bench.resync + 30)
    bench.eci.clear()
    kube_before = bench.kube_writes.snapshot()
    opened = time.time()
    pid = operator.process.pid if operator.process else 0
    cpu_before = cpu_seconds(pid)
    gap = max(2.0, bench.resync * 0.3)
    deadline = time.monotonic() + (intervals + 1.5) * bench.resync * 1.1 + 30
    starts: list[float] = []
    entries: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        time.sleep(min(1.0, bench.resync / 10))
        entries = bench.eci.entries()
        starts = sweep_starts([e["t"] for e in _describes(entries)], gap)
        if len(starts) > intervals:
            break
    else:
        raise TimeoutError(f"only {len(starts)} sweeps in the steady window (want {intervals + 1})")
    time.sleep(1.0)  # the writes a reconcile after the last counted sweep might make
    kube_after = bench.kube_writes.snapshot()
    closed = time.time()
    cpu = cpu_seconds(pid) - cpu_before
    first, last = starts[0], starts[intervals]
    counted = [e for e in _describes(entries) if first <= e["t"] < last]
    window = [e for e in bench.eci.entries() if opened <= e["t"] <= closed]
    per_sweep = [len([e for e in counted if starts[i] <= e["t"] < starts[i + 1]]) for i in range(intervals)]
    kube = KubeWrites.delta(kube_before, kube_after)
    return {
        "n": n,
        "describe_calls_per_interval": round(len(counted) / intervals, 2),
        "describe_calls_per_sweep": per_sweep,
        "describe_target": math.ceil(n / 20) + 2,
        "measured_interval_seconds": round((last - first) / intervals, 2),
        "eci_write_calls_steady": writes(window),
        "k8s_write_calls_steady": sum(kube.values()),
        "k8s_writes_steady_detail": kube,
        "throttled_responses_steady": throttled(window),
        "window_seconds": round(closed - opened, 1),
        "operator_cpu_seconds_per_interval": round(cpu * bench.resync / (closed - opened), 2),
        "operator_eci_errors_so_far": operator_errors(operator),
        **rss_mb(pid),
        "load": load(),
    }


def baseline(bench: Bench, ids: list[str], intervals: int = 3) -> dict[str, Any]:
    """The per-object poller against its own emulator holding copies of the same instances."""
    wanted = set(ids)
    copies = [i for i in bench.emulator.instances() if i["ContainerGroupId"] in wanted]
    other = launch(seed=2, transition_delay=bench.transition_delay)
    try:
        for instance in copies:
            other.seed(instance)
        other.clear_requests()
        ids_file = bench.workdir / f"baseline-{len(ids)}.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        env = {
            **os.environ,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": other.access_key_id or "",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": other.access_key_secret or "",
            "PYTHONPATH": f"{REPO / 'operator'}{os.pathsep}{REPO}",
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.bench.baseline_poller",
                "--endpoint",
                other.url,
                "--interval",
                str(bench.resync),
                "--intervals",
                str(intervals),
                "--ids-file",
                str(ids_file),
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=bench.resync * (intervals + 2) + 120,
            check=True,
        )
        own = json.loads(done.stdout)
        other_log = EciLog(other)
        served = _describes(other_log.entries())
        other_log.close()
    finally:
        other.stop()
    # Only the poller's own window counts: a poller that cannot keep up still has calls queued
    # behind the quota when its last interval is over.
    start = min((e["t"] for e in served), default=0.0)
    window = [e for e in served if e["t"] < start + intervals * bench.resync]
    return {
        "baseline_describe_calls_per_interval": round(len(window) / intervals, 2),
        "baseline_throttled_responses": throttled(window),
        "baseline_calls_after_window": len(served) - len(window),
        "baseline_poller_report": own,
    }


def edit_latency(
    bench: Bench, cluster: Cluster, targets: dict[str, str], edits: int = 50, spread: float = 0.0
) -> dict[str, Any]:
    """Image edits one at a time: apiserver PATCH → emulator receives UpdateContainerGroup.

    The edits are spread over ``spread`` seconds (random gaps), so that they sample every moment
    of the resync cycle, sweeps included, instead of a few quiet seconds between two sweeps.
    """
    latencies: list[float] = []
    missed: list[str] = []
    rng = random.Random(7)
    for index, (name, group_id) in enumerate(list(targets.items())[:edits]):
        if index and spread:
            time.sleep(rng.uniform(0.5, 1.5) * spread / edits)
        bench.eci.clear()
        sent = cluster.set_image(name, f"nginx:1.27-edit{index}")
        deadline = time.monotonic() + 30.0
        arrived: float | None = None
        while arrived is None and time.monotonic() < deadline:
            time.sleep(0.01)
            for entry in bench.eci.entries():
                if (
                    entry["Action"] == "UpdateContainerGroup"
                    and entry["Params"].get("ContainerGroupId") == group_id
                ):
                    arrived = entry["t"]
                    break
        if arrived is None:
            missed.append(name)
        else:
            latencies.append(arrived - sent)
    result: dict[str, Any] = {
        "edits": len(latencies),
        "edits_spread_seconds": spread,
        "edits_missed": missed,
        "load": load(),
    }
    if latencies:
        result |= {
            "edit_latency_p50_s": round(percentile(latencies, 50), 3),
            "edit_latency_p95_s": round(percentile(latencies, 95), 3),
            "edit_latency_p99_s": round(percentile(latencies, 99), 3),
            "edit_latency_max_s": round(max(latencies), 3),
            "edit_latency_mean_s": round(statistics.fmean(latencies), 3),
        }
    return result


def drift(bench: Bench, group_ids: list[str]) -> dict[str, Any]:
    """Out-of-band image changes → the operator's corrective UpdateContainerGroup, per instance.

    The changes are made one third of a resync interval apart, so that they land at different
    points of the sweep cycle; the figure is the slowest detection (the bound users get).
    """
    bench.eci.clear()
    changed: dict[str, float] = {}
    step = bench.resync / max(1, len(group_ids))
    for index, group_id in enumerate(group_ids):
        if index:
            time.sleep(step)
        changed[group_id] = time.time()
        bench.emulator.patch(
            group_id, {"Containers": [{"Name": "web", "Image": "nginx:changed-out-of-band"}]}
        )
    detected: dict[str, float] = {}
    deadline = time.monotonic() + 2 * bench.resync + 30
    while len(detected) < len(changed) and time.monotonic() < deadline:
        time.sleep(0.2)
        for entry in bench.eci.entries():
            group_id = entry["Params"].get("ContainerGroupId")
            if entry["Action"] == "UpdateContainerGroup" and group_id in changed and group_id not in detected:
                detected[group_id] = entry["t"] - changed[group_id]
    seconds = sorted(round(v, 2) for v in detected.values())
    return {
        "drift_detect_seconds": max(seconds) if len(seconds) == len(changed) else None,
        "drift_detect_samples": seconds,
        "drift_undetected": sorted(set(changed) - set(detected)),
        "drift_target_seconds": bench.resync + 5,
    }


def bulk_create(bench: Bench, cluster: Cluster, names: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """ContainerGroups applied at once with the emulator's real quotas, until every one is Ready."""
    bench.eci.clear()
    started = time.time()
    cluster.create_many(names, parallel=16)
    posted = time.time()
    ready = cluster.wait_ready(len(names), timeout=bench.ready_timeout(len(names)))
    finished = time.time()
    entries = bench.eci.entries()
    creates = sorted(e["t"] for e in entries if e["Action"] == "CreateContainerGroup")
    ok = sorted(e["t"] for e in entries if e["Action"] == "CreateContainerGroup" and e["Code"] is None)
    peak = max((sum(1 for u in creates if t <= u < t + 60.0) for t in creates), default=0)
    by_action: dict[str, int] = {}
    for entry in entries:
        by_action[entry["Action"]] = by_action.get(entry["Action"], 0) + 1
    return (
        {
            "bulk_n": len(names),
            "bulk_create_seconds": round(finished - started, 1),
            "bulk_apply_seconds": round(posted - started, 1),
            "bulk_create_calls_seconds": round(ok[-1] - ok[0], 1) if ok else None,
            "create_calls_per_minute_peak": peak,
            "create_calls_ok": len(ok),
            "throttled_responses": throttled(entries),
            "bulk_eci_calls_by_action": by_action,
            "load": load(),
        },
        ready,
    )


def resume(
    bench: Bench, old: Operator, namespaces: list[str], ids: list[str], label: str
) -> tuple[dict[str, Any], Operator]:
    """Restart the operator with N in sync: what it reads and writes until it is steady again."""
    old.stop()
    time.sleep(1.0)
    bench.eci.clear()
    kube_before = bench.kube_writes.snapshot()
    started = time.time()
    operator = bench.operator(namespaces, label)
    wanted = set(ids)
    deadline = time.monotonic() + bench.ready_timeout(len(ids))
    steady_at: float | None = None
    while time.monotonic() < deadline:
        time.sleep(0.5)
        seen = {g for e in _describes(bench.eci.entries()) if e["Code"] is None for g in describe_ids(e)}
        if wanted <= seen and operator_metric(operator, "eci_operator_queue_depth") == 0:
            steady_at = time.time()
            break
    if steady_at is None:
        raise TimeoutError(f"operator did not resume {len(ids)} objects")
    time.sleep(3.0)  # any write a late reconcile would make still counts
    kube_after = bench.kube_writes.snapshot()
    entries = [e for e in bench.eci.entries() if e["t"] <= steady_at + 3.0]
    kube = KubeWrites.delta(kube_before, kube_after)
    eci_writes = writes(entries)
    return (
        {
            "resume_n": len(ids),
            "resume_seconds": round(steady_at - started, 2),
            "resume_describe_calls": len(_describes([e for e in entries if e["t"] <= steady_at])),
            "resume_write_calls": eci_writes + sum(kube.values()),
            "resume_eci_write_calls": eci_writes,
            "resume_k8s_write_calls": sum(kube.values()),
            "resume_k8s_writes_detail": kube,
            "load": load(),
        },
        operator,
    )
