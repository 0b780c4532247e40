"""The benchmark harness at a small N: the cost invariants hold on every test run.

The full benchmark (``make bench``) is not part of ``make test``; this runs the same harness with
40 ContainerGroups and a short resync interval and asserts what must hold at any N: Describe calls
per interval within ceil(N/20) + 2, no writes to ECI or Kubernetes while in sync and across a
restart, and no throttled answer while the client paces itself.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench.suite import run_bench
from tests.kube.testenv import KubeEnv
from tests.support.emulator import EmulatorHandle

N = 40
RESYNC = 5.0


def test_cost_invariants_at_small_n(
    kube_env: KubeEnv, start_emulator: Callable[..., EmulatorHandle], tmp_path: Path
) -> None:
    emulator = start_emulator(transition_delay=0.3)  # the ECI default quotas
    document = run_bench(
        kube_env,
        emulator,
        tmp_path,
        sizes=[N],
        main=N,
        resync=RESYNC,
        edits=3,
        edit_spread=0.0,
        with_baseline=False,
        with_drift=False,
        transition_delay=0.3,
        prefix=f"bench-{uuid.uuid4().hex[:6]}",
    )
    results: dict[str, Any] = document["results"]
    steady = document["scenarios"][f"steady_{N}"]

    assert results[f"describe_calls_per_interval_{N}"] <= math.ceil(N / 20) + 2, steady
    assert all(calls <= math.ceil(N / 20) + 2 for calls in steady["describe_calls_per_sweep"]), steady
    assert results[f"eci_write_calls_steady_{N}"] == 0, steady
    assert results[f"k8s_write_calls_steady_{N}"] == 0, steady["k8s_writes_steady_detail"]

    resume = document["scenarios"]["resume"]
    assert resume["resume_eci_write_calls"] == 0, resume
    assert resume["resume_k8s_write_calls"] == 0, resume["resume_k8s_writes_detail"]
    assert resume["resume_describe_calls"] <= math.ceil(N / 20) + 2, resume

    assert results["throttled_responses"] == 0, document["scenarios"]["bulk_create"]
    assert document["scenarios"]["bulk_create"]["create_calls_ok"] == N
    edits = document["scenarios"]["edit_latency"]
    assert edits["edits"] == 3 and not edits["edits_missed"], edits
