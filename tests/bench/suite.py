"""Run the benchmarks and write machine-readable results (``make bench [N=...]``).

    python -m tests.bench.suite [--sizes 100,1000,5000] [--main 1000] [--resync 60] \
        [--out .cache/bench/results.json]

Sizes below ``--main`` get a steady-state run of their own (an operator watching only their
namespace). At the main size: bulk create, steady state, the per-object baseline, edit latency,
drift detection, peak memory, then a restart. Larger sizes are grown from there by creating the
difference (same operator process, so its peak memory covers them) and measured in steady state.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.scenarios import (
    Bench,
    baseline,
    bulk_create,
    drift,
    edit_latency,
    populate,
    resume,
    steady,
    wait_quiet_after_sweep,
)
from tests.bench.stack import REPO, load, machine, rss_mb, wait_idle
from tests.kube.testenv import KubeEnv, running_testenv
from tests.support.emulator import EmulatorHandle, launch
from tests.support.operator import Operator, install_operator_access


def names(prefix: str, start: int, count: int) -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(start, start + count)]


def run_bench(
    kube_env: KubeEnv,
    emulator: EmulatorHandle,
    workdir: Path,
    *,
    sizes: list[int],
    main: int,
    resync: float,
    edits: int = 50,
    edit_spread: float | None = None,
    with_baseline: bool = True,
    with_drift: bool = True,
    baseline_max: int = 5000,
    transition_delay: float = 0.5,
    prefix: str = "bench",
    profile_dir: Path | None = None,
    memtrace_dir: Path | None = None,
) -> dict[str, Any]:
    """Drive every scenario on a running control plane and emulator; returns the results document."""
    bench = Bench(
        kube_env,
        emulator,
        install_operator_access(kube_env, workdir / "operator.kubeconfig"),
        workdir,
        resync,
        transition_delay=transition_delay,
        profile_dir=profile_dir,
        memtrace_dir=memtrace_dir,
    )
    try:
        flat, detail = _drive(
            bench, sizes, main, edits, edit_spread, with_baseline, with_drift, baseline_max, prefix
        )
    finally:
        bench.stop_all()
    return {"results": flat, "scenarios": detail, "targets": targets(flat, sizes, main, resync)}


def _drive(
    bench: Bench,
    sizes: list[int],
    main: int,
    edits: int,
    edit_spread: float | None,
    with_baseline: bool,
    with_drift: bool,
    baseline_max: int,
    prefix: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    resync = bench.resync
    flat: dict[str, Any] = {}
    detail: dict[str, Any] = {}

    for n in sorted(s for s in sizes if s < main):
        bench.log(f"steady state at N={n}")
        cluster = bench.cluster(f"{prefix}-{n}")
        operator = bench.operator([cluster.namespace], f"steady-{n}")
        ready = populate(bench, cluster, names("cg", 0, n))
        result = steady(bench, operator, n)
        operator.stop()
        if with_baseline and n <= baseline_max:
            bench.log(f"per-object baseline at N={n}")
            result |= baseline(bench, list(ready.values()))
        detail[f"steady_{n}"] = result
        _steady_keys(flat, n, result)
        cluster.close()

    bench.log(f"bulk create of {main}")
    cluster = bench.cluster(f"{prefix}-{main}")
    larger = sorted(s for s in sizes if s > main)
    grow = bench.cluster(f"{prefix}-grow") if larger else None
    namespaces = [cluster.namespace] + ([grow.namespace] if grow else [])
    operator = bench.operator(namespaces, "main")
    result, ready = bulk_create(bench, cluster, names("cg", 0, main))
    detail["bulk_create"] = result
    flat |= {
        k: result[k] for k in ("bulk_create_seconds", "create_calls_per_minute_peak", "throttled_responses")
    }

    bench.log(f"steady state at N={main}")
    result = steady(bench, operator, main)
    if with_baseline and main <= baseline_max:
        bench.log(f"per-object baseline at N={main}")
        result |= baseline(bench, list(ready.values()))
    detail[f"steady_{main}"] = result
    _steady_keys(flat, main, result)

    if edits:
        bench.log(f"{edits} edits at N={main}")
        spread = 2 * resync if edit_spread is None else edit_spread
        result = edit_latency(bench, cluster, ready, edits, spread)
        detail["edit_latency"] = result
        flat |= {k: v for k, v in result.items() if k.startswith("edit_latency_p")}
        wait_idle(operator, timeout=bench.ready_timeout(edits))
        cluster.wait_ready(main, timeout=bench.ready_timeout(edits))

    if with_drift:
        bench.log(f"drift detection at N={main}")
        result = drift(bench, list(ready.values())[-3:])
        detail["drift"] = result
        flat["drift_detect_seconds"] = result["drift_detect_seconds"]
        wait_idle(operator, timeout=bench.ready_timeout(3))
        cluster.wait_ready(main, timeout=bench.ready_timeout(3))

    assert operator.process is not None
    memory = rss_mb(operator.process.pid)
    detail[f"memory_{main}"] = memory
    flat[f"rss_mb_{main}"] = memory["peak_rss_mb"]

    bench.log(f"restart with N={main}")
    all_ids = list(ready.values())
    result, operator = resume(bench, operator, namespaces, all_ids, "resumed")
    detail["resume"] = result
    flat |= {k: result[k] for k in ("resume_describe_calls", "resume_write_calls", "resume_seconds")}
    _fresh_memory(bench, operator, main, flat, detail)

    have = main
    for n in larger:
        assert grow is not None
        bench.log(f"growing to N={n}")
        grown = populate(bench, grow, names("grow", have - main, n - have))
        all_ids += list(grown.values())
        have = n
        bench.log(f"steady state at N={n}")
        result = steady(bench, operator, n)
        if with_baseline and n <= baseline_max:
            bench.log(f"per-object baseline at N={n}")
            result |= baseline(bench, all_ids)
        detail[f"steady_{n}"] = result
        _steady_keys(flat, n, result)
        assert operator.process is not None
        flat[f"rss_mb_{n}"] = rss_mb(operator.process.pid)["peak_rss_mb"]
    if have > main:
        bench.log(f"restart with N={have}")
        result, operator = resume(bench, operator, namespaces, all_ids, f"resumed-{have}")
        detail[f"resume_{have}"] = result
        flat |= {
            f"{k}_{have}": result[k]
            for k in ("resume_describe_calls", "resume_write_calls", "resume_seconds")
        }
        _fresh_memory(bench, operator, have, flat, detail)
    operator.stop()
    cluster.close()
    if grow is not None:
        grow.close()
    return flat, detail


def _fresh_memory(
    bench: Bench, operator: Operator, n: int, flat: dict[str, Any], detail: dict[str, Any]
) -> None:
    """Peak RSS of a freshly started operator holding N in sync, through its first full sweep."""
    wait_quiet_after_sweep(bench, timeout=2 * bench.resync + 30)
    wait_idle(operator, timeout=bench.ready_timeout(n))
    bench.dump_heap(operator)
    assert operator.process is not None
    memory = rss_mb(operator.process.pid)
    detail[f"memory_{n}_fresh"] = memory
    flat[f"rss_mb_{n}_fresh"] = memory["peak_rss_mb"]


def _steady_keys(flat: dict[str, Any], n: int, result: dict[str, Any]) -> None:
    flat[f"describe_calls_per_interval_{n}"] = result["describe_calls_per_interval"]
    flat[f"eci_write_calls_steady_{n}"] = result["eci_write_calls_steady"]
    flat[f"k8s_write_calls_steady_{n}"] = result["k8s_write_calls_steady"]
    flat[f"operator_cpu_seconds_per_interval_{n}"] = result["operator_cpu_seconds_per_interval"]
    if "baseline_describe_calls_per_interval" in result:
        flat[f"baseline_describe_calls_per_interval_{n}"] = result["baseline_describe_calls_per_interval"]


def targets(flat: dict[str, Any], sizes: list[int], main: int, resync: float) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met."""
    out: list[dict[str, Any]] = []

    def check(name: str, value: Any, target: str, met: bool) -> None:
        out.append({"figure": name, "value": value, "target": target, "met": bool(met)})

    for n in sorted(sizes):
        key = f"describe_calls_per_interval_{n}"
        if key in flat:
            bound = math.ceil(n / 20) + 2
            check(key, flat[key], f"<= {bound}", flat[key] <= bound)
        for kind in ("eci", "k8s"):
            key = f"{kind}_write_calls_steady_{n}"
            if key in flat:
                check(key, flat[key], "== 0", flat[key] == 0)
    ours, theirs = (
        flat.get(f"describe_calls_per_interval_{main}"),
        flat.get(f"baseline_describe_calls_per_interval_{main}"),
    )
    if ours and theirs:
        ratio = round(theirs / ours, 1)
        flat[f"baseline_ratio_{main}"] = ratio
        check(f"baseline_ratio_{main}", ratio, ">= 15", ratio >= 15)
    for key in sorted(k for k in flat if k.startswith("resume_write_calls")):
        check(key, flat[key], "== 0", flat[key] == 0)
    if "edit_latency_p99_s" in flat:
        check("edit_latency_p99_s", flat["edit_latency_p99_s"], "< 1.0", flat["edit_latency_p99_s"] < 1.0)
    if "throttled_responses" in flat:
        check("throttled_responses", flat["throttled_responses"], "== 0", flat["throttled_responses"] == 0)
    if "rss_mb_5000" in flat:
        check("rss_mb_5000", flat["rss_mb_5000"], "< 300", flat["rss_mb_5000"] < 300)
    if "drift_detect_seconds" in flat:
        value = flat["drift_detect_seconds"]
        check("drift_detect_seconds", value, f"<= {resync + 5:g}", value is not None and value <= resync + 5)
    return out


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="comma-separated N values")
    parser.add_argument(
        "--main",
        type=int,
        default=None,
        help="N for bulk/edit/drift/restart (default 1000, or the largest size below it)",
    )
    parser.add_argument("--resync", type=float, default=60.0, help="operator resync interval in seconds")
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-drift", action="store_true")
    parser.add_argument("--baseline-max", type=int, default=5000, help="skip the baseline above this N")
    parser.add_argument(
        "--transition-delay", type=float, default=0.5, help="emulator status transition delay"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="attach py-spy to each operator; raw stacks to DIR (see tests/bench/profile_summary.py)",
    )
    parser.add_argument(
        "--trace-memory",
        type=Path,
        default=None,
        metavar="DIR",
        help="run restarted operators under tracemalloc; heap dumps after their first sweep go to DIR",
    )
    parser.add_argument("--out", type=Path, default=REPO / ".cache" / "bench" / "results.json")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    main_n = args.main or (1000 if 1000 in sizes else max(sizes))
    if main_n not in sizes:
        sizes.append(main_n)

    started = datetime.datetime.now(datetime.UTC)
    load_start = load()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="eci-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "kube").mkdir()
        with running_testenv(workdir / "kube") as kube_env:
            emulator = launch(seed=1, transition_delay=args.transition_delay)
            try:
                document = run_bench(
                    kube_env,
                    emulator,
                    workdir,
                    sizes=sizes,
                    main=main_n,
                    resync=args.resync,
                    edits=args.edits,
                    with_baseline=not args.no_baseline,
                    with_drift=not args.no_drift,
                    baseline_max=args.baseline_max,
                    transition_delay=args.transition_delay,
                    profile_dir=args.profile,
                    memtrace_dir=args.trace_memory,
                )
            except BaseException:
                keep = args.out.parent / "logs"
                keep.mkdir(exist_ok=True)
                for log in workdir.glob("operator-*.log"):
                    (keep / log.name).write_bytes(log.read_bytes())
                raise
            finally:
                emulator.stop()
    document = {
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_seconds": round(time.time() - started.timestamp()),
        "command": " ".join(
            shlex.quote(a)
            for a in [
                sys.executable.split("/")[-1],
                "-m",
                "tests.bench.suite",
                *(argv if argv is not None else sys.argv[1:]),
            ]
        ),
        "git_commit": _git_commit(),
        "machine": machine(),
        "load_start": load_start,
        "load_end": load(),
        "settings": {
            "sizes": sizes,
            "main": main_n,
            "resync_interval_s": args.resync,
            "emulator_transition_delay_s": args.transition_delay,
            "emulator_quotas": "ECI defaults (Describe 2000/min, Create 1000/min, Update 500/min)",
        },
        **document,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    for row in document["targets"]:
        mark = "ok  " if row["met"] else "MISS"
        print(f"{mark} {row['figure']} = {row['value']} (target {row['target']})")
    print(f"results: {args.out}")
    return 0 if all(row["met"] for row in document["targets"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
