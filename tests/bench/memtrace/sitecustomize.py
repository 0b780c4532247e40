"""Heap attribution for a benchmarked process (on ``PYTHONPATH`` only with ``run --trace-memory``).

With ``ECI_BENCH_MEMTRACE=<file>`` set, tracemalloc runs from start-up (keeping
``ECI_BENCH_MEMTRACE_FRAMES`` frames, 12 by default) and SIGUSR1 writes the largest live allocation
sites (grouped by the innermost frames of the operator's own code when there are any) to that file,
and the whole snapshot beside it (``<file>.<k>.snap``, k counting from 1) for
``tracemalloc.Snapshot.load`` and ``compare_to`` (``tests.bench.heap_growth``). Slows the process
down; for finding where memory goes, not for figures.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import tracemalloc
from types import FrameType

_OUT = os.environ.get("ECI_BENCH_MEMTRACE")
_DUMPS = [0]


def _dump(signum: int, frame: FrameType | None) -> None:
    try:
        _write()
    except Exception as exc:  # a signal handler must never break the code it interrupted
        print(f"heap dump failed: {exc!r}", file=sys.stderr)


def _write() -> None:
    gc.collect()  # what is still alive, not garbage awaiting the next collection
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen *>")]
    )
    assert _OUT is not None
    _DUMPS[0] += 1
    snapshot.dump(f"{_OUT}.{_DUMPS[0]}.snap")
    total = sum(stat.size for stat in snapshot.statistics("filename"))
    peak = tracemalloc.get_traced_memory()[1]
    lines = [f"total traced: {total / 2**20:.1f} MiB (peak since start {peak / 2**20:.1f} MiB)"]
    for key in ("lineno", "traceback"):
        lines.append(f"--- by {key}")
        for stat in snapshot.statistics(key)[:25]:
            lines.append(f"{stat.size / 2**20:8.1f} MiB {stat.count:9d} blocks")
            frames = stat.traceback.format(limit=12 if key == "traceback" else 1, most_recent_first=True)
            lines.extend("    " + f.strip() for f in frames if f.strip())
    with open(_OUT, "a") as out:
        out.write("\n".join(lines) + "\n\n")


if _OUT:
    tracemalloc.start(int(os.environ.get("ECI_BENCH_MEMTRACE_FRAMES", "12")))
    signal.signal(signal.SIGUSR1, _dump)
