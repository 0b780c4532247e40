"""Live status at scale: ECI calls per minute in steady state, the latency of an out-of-band change
to status and to an Event, and the operator's memory, at the operator's default settings.

    python -m tests.bench.live [N ...] [--window S] [--samples K]

For each N: a fresh namespace with N ContainerGroups, all Ready; then ``window`` seconds of steady
state with nothing changing (ECI calls by action, from the emulator's request log; writes must be
0); then ``samples`` container restarts made one at a time through the emulator's admin API, each
timed from the PATCH to the restart count in ``status.containers[]`` and to the mirrored Event.
The stack is the bench harness's (kube-testenv, the emulator with ECI's quotas, the operator as a
process under deploy/'s RBAC); nothing is read from the operator's own metrics but idleness.
The operator's resident memory is sampled every second (the peak of each phase, and ``VmHWM``);
the run exits non-zero when the peak misses issue #15's target (``rss_target_mb``).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.bench.scenarios import Bench, percentile, populate
from tests.bench.stack import cpu_seconds, rss_mb, wait_idle, writes
from tests.kube.testenv import running_testenv
from tests.support.emulator import launch
from tests.support.operator import install_operator_access

DEFAULT_SWEEP = 600.0


def rss_target_mb(n: int) -> float | None:
    """Issue #15's memory targets: peak RSS under 150 MiB up to N = 5000, under 500 up to 20000."""
    return 150.0 if n <= 5000 else 500.0 if n <= 20000 else None


def _wait(check: Any, timeout: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def _sample(bench: Bench, cluster: Any, name: str, gid: str, code: int) -> tuple[float, float] | None:
    """One container restart made out of band: seconds to status, and to the mirrored Event."""
    body = cluster.http.get(cluster.path(name)).json()
    restarts = int(((body.get("status") or {}).get("containers") or [{}])[0].get("restartCount", 0)) + 1
    last = {"State": "Terminated", "Reason": "Error", "ExitCode": code}
    events = f"/api/v1/namespaces/{cluster.namespace}/events"
    selector = {"fieldSelector": f"involvedObject.name={name},reason=Restarted"}

    def status_done() -> bool:
        got = cluster.http.get(cluster.path(name)).json()
        first = ((got.get("status") or {}).get("containers") or [{}])[0]
        return bool(first.get("restartCount") == restarts)

    def event_done() -> bool:
        items = cluster.http.get(events, params=selector).json().get("items", [])
        return any(f"exit code {code}" in e.get("message", "") for e in items)

    t0 = time.monotonic()
    bench.emulator.patch(
        gid, {"Containers": [{"Name": "web", "RestartCount": restarts, "LastTerminationState": last}]}
    )
    to_status = _wait(status_done, 60)
    to_event = _wait(event_done, 60 - (time.monotonic() - t0))
    if to_status is None or to_event is None:
        return None
    return to_status, to_status + to_event


class RssTrace:
    """The operator's resident memory sampled every second, with the peak of each phase."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.phase = "start"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                now = rss_mb(self.pid)["rss_mb"]
            except (OSError, KeyError):
                return
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), now)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return self.peaks


def live(bench: Bench, n: int, window: float, samples: int) -> dict[str, Any]:
    cluster = bench.cluster(f"live-{n}")
    operator = bench.operator([cluster.namespace], f"live-{n}")
    assert operator.process is not None
    pid = operator.process.pid
    trace = RssTrace(pid)
    trace.phase = "create"
    created_at = time.monotonic()
    ready = populate(bench, cluster, [f"cg-{i}" for i in range(n)])
    wait_idle(operator, timeout=bench.ready_timeout(n))
    created_seconds = time.monotonic() - created_at
    trace.phase = "settle"
    time.sleep(15)  # past the feed windows that still hold the creation's changes
    trace.phase = "steady"
    bench.eci.clear()
    cpu_before = cpu_seconds(pid)
    time.sleep(window)
    entries = bench.eci.entries()
    cpu = cpu_seconds(pid) - cpu_before
    calls = Counter(e["Action"] for e in entries)
    per_minute = {action: round(count * 60 / window, 1) for action, count in sorted(calls.items())}
    status_latency: list[float] = []
    event_latency: list[float] = []
    missed = 0
    steady_rss = rss_mb(pid)["rss_mb"]
    trace.phase = "samples"
    for k in range(samples):
        name = random.choice(list(ready))
        timed = _sample(bench, cluster, name, ready[name], code=100 + k)
        if timed is None:
            missed += 1
            continue
        status_latency.append(timed[0])
        event_latency.append(timed[1])
    memory = rss_mb(pid)
    peaks = trace.stop()
    operator.stop()
    cluster.close()
    return {
        "n": n,
        "window_seconds": window,
        "eci_calls_per_minute": per_minute,
        "eci_read_calls_per_minute": round(
            sum(v for k, v in per_minute.items() if k.startswith("Describe")), 1
        ),
        "eci_calls_per_minute_target": round(-(-n // 20) / 10 + 15, 1),
        "eci_writes_steady": writes(entries),
        "operator_cpu_seconds_per_minute": round(cpu * 60 / window, 2),
        "status_latency_p50_s": round(percentile(status_latency, 50), 2) if status_latency else None,
        "status_latency_p99_s": round(percentile(status_latency, 99), 2) if status_latency else None,
        "event_latency_p50_s": round(percentile(event_latency, 50), 2) if event_latency else None,
        "event_latency_p99_s": round(percentile(event_latency, 99), 2) if event_latency else None,
        "samples": samples,
        "missed_samples": missed,
        "create_seconds": round(created_seconds, 1),
        "rss_mb_steady": steady_rss,
        "rss_mb_peak_by_phase": peaks,
        "peak_rss_mb_target": rss_target_mb(n),
        **memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000])
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eci-live-") as tmp:
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
            missed = []
            try:
                for n in args.sizes:
                    result = live(bench, n, args.window, args.samples)
                    print(json.dumps(result), flush=True)
                    target = result["peak_rss_mb_target"]
                    if target is not None and result["peak_rss_mb"] >= target:
                        missed.append(f"peak RSS {result['peak_rss_mb']} MiB at N = {n} (target < {target})")
            finally:
                bench.stop_all()
                emulator.stop()
    if missed:
        raise SystemExit("missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
