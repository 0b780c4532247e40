"""Faults: a mixed workload against an emulator failing 20% of requests, plus Throttling.

The injected faults: 503 ServiceUnavailable, 500 InternalError, dropped connections (each of those
half the time after the effect, for writes: a lost response) and replies slower than the client's
15 s attempt timeout (always after the effect); low per-minute quotas add Throttling.User.
Sizes: ``CHAOS_FULL=1`` (``make chaos``) 300 operations on 50 ContainerGroups; else 60 on 10.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.chaos.figures import record
from tests.chaos.workload import SEED, SIZES, Workload, run_and_prove
from tests.support.cluster import Cluster

pytestmark = pytest.mark.kube

RESYNC = 3.0


def faulty_emulator(start_emulator: Any, seed: int) -> Any:
    per_minute = 2 * SIZES.groups  # low enough that bursts of writes are throttled
    return start_emulator(
        fault_rate=0.2,
        fault_delay=16,  # past the client's 15 s attempt timeout
        seed=seed,
        quota={
            "CreateContainerGroup": per_minute,
            "UpdateContainerGroup": per_minute,
            "DeleteContainerGroup": per_minute,
        },
    )


def test_mixed_operations_under_faults(
    cluster: Cluster, start_emulator: Any, start_operator: Any, tmp_path: Path
) -> None:
    emulator = faulty_emulator(start_emulator, seed=SEED)
    operator = start_operator(cluster.namespace, emulator, resync=RESYNC)
    workload = Workload(cluster, emulator, seed=SEED, size=SIZES.groups)
    figures = run_and_prove(
        workload,
        lambda: workload.run(SIZES.ops),
        tmp_path,
        converge_timeout=240 if SIZES.groups > 10 else 150,
        teardown_timeout=180 if SIZES.groups > 10 else 120,
    )
    assert figures["faults_total"] > 0
    assert operator.process is not None and operator.process.poll() is None
    record("faults", **figures)
