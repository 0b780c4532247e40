"""Where the operator's memory grows with N: tracemalloc snapshots of operators holding N1 and N2.

    python -m tests.bench.heap_growth [N1 N2] [--out DIR]

An operator without tracing creates N1 ContainerGroups in one namespace and N2 - N1 in another,
then stops. A traced operator (tracemalloc from start-up, ``memtrace/``) is started over the
first namespace, then another over both; each is snapshotted once it has observed every object
and its queue is empty (the restart path: reads, no writes). Printed: the traced heap of each and
the allocation sites that grew, in bytes per added group (``Snapshot.compare_to``), by file and
by line. tracemalloc slows a process several times over: for finding where memory goes, never
for figures (those are ``tests.bench.live``'s).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from tests.bench.live import DEFAULT_SWEEP
from tests.bench.scenarios import Bench, populate
from tests.bench.stack import operator_metric, rss_mb, start_operator, wait_idle
from tests.kube.testenv import running_testenv
from tests.support.emulator import launch
from tests.support.operator import Operator, install_operator_access


def _unobserved(operator: Operator) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in operator.metrics().splitlines()
        if line.startswith('eci_operator_containergroups{phase="Unknown"}')
    )


def _held(operator: Operator, n: int, timeout: float) -> None:
    """Wait until the operator knows ``n`` objects, has observed each, and its queue is empty."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        if (
            operator_metric(operator, "eci_operator_containergroups") == n
            and _unobserved(operator) == 0
            and operator_metric(operator, "eci_operator_queue_depth") == 0
        ):
            time.sleep(5.0)
            return
    raise TimeoutError(f"operator did not settle with {n} objects")


def report(first: Path, second: Path, added: int, top: int = 30) -> list[str]:
    old, new = tracemalloc.Snapshot.load(str(first)), tracemalloc.Snapshot.load(str(second))
    lines = []
    for key in ("filename", "lineno"):
        lines.append(f"--- grown, by {key} (bytes per added group; total MiB)")
        for stat in new.compare_to(old, key)[:top]:
            frame = stat.traceback[0]
            where = frame.filename if key == "filename" else f"{frame.filename}:{frame.lineno}"
            lines.append(f"{stat.size_diff / added:9.0f} B {stat.size_diff / 2**20:8.2f} MiB  {where}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 3000])
    parser.add_argument("--out", type=Path, default=Path(".cache/bench/heap"))
    args = parser.parse_args()
    n1, n2 = args.sizes
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ECI_BENCH_MEMTRACE_FRAMES", "4")  # enough to name a site, and faster
    for old in out.glob("heap-held-*"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="eci-heap-") as tmp:
        workdir = Path(tmp)
        (workdir / "kube").mkdir()
        with running_testenv(workdir / "kube") as kube_env:
            emulator = launch(seed=1, transition_delay=0.5)
            kubeconfig = install_operator_access(kube_env, workdir / "operator.kubeconfig")
            bench = Bench(kube_env, emulator, kubeconfig, workdir, DEFAULT_SWEEP, memtrace_dir=out)
            try:
                first, second = bench.cluster("heap-a"), bench.cluster("heap-b")
                namespaces = [first.namespace, second.namespace]
                creator = bench.operator(namespaces, "creator")
                populate(bench, first, [f"cg-{i}" for i in range(n1)])
                populate(bench, second, [f"cg-{i}" for i in range(n1, n2)])
                wait_idle(creator, timeout=bench.ready_timeout(n2))
                creator.stop()
                snaps = []
                for n, watched in ((n1, namespaces[:1]), (n2, namespaces)):
                    label = f"held-{n}"
                    operator = start_operator(
                        kubeconfig,
                        emulator,
                        workdir,
                        namespaces=watched,
                        resync=DEFAULT_SWEEP,
                        label=label,
                        memtrace=out / f"heap-{label}.txt",
                        start_timeout=300,  # start-up under tracemalloc is slow
                    )
                    bench.operators.append(operator)
                    assert operator.process is not None
                    _held(operator, n, timeout=bench.ready_timeout(n) * 4)
                    bench.dump_heap(operator)
                    print(f"N={n}: {rss_mb(operator.process.pid)} (traced)", flush=True)
                    operator.stop()
                    snaps.append(out / f"heap-{label}.txt.1.snap")
            finally:
                bench.stop_all()
                emulator.stop()
    lines = report(snaps[0], snaps[1], n2 - n1)
    (out / "growth.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
