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
from tests.chaos.workload import SEED, SIZES, Sampler, Workload, no_duplicates_proof
from tests.e2e.conftest import Cluster

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
    sampler = Sampler(emulator)
    sampler.start()
    try:
        workload.run(SIZES.ops)
        problems = workload.converge(timeout=240 if SIZES.groups > 10 else 150)
        unexplained = workload.unexplained()
        assert not problems, {"not converged": problems, "without a reason": unexplained}
        assert not unexplained
        left, never_adopted = workload.teardown(timeout=180 if SIZES.groups > 10 else 120)
        assert left == [], left
    finally:
        sampler.stop()
        workload.save_evidence(tmp_path)
    proof = no_duplicates_proof(emulator.requests())
    assert proof["duplicate_creates"] == 0, proof
    assert sampler.duplicates == 0, sampler.worst
    assert proof["faults_total"] > 0
    assert operator.process is not None and operator.process.poll() is None
    record(
        "faults",
        operations=sum(workload.ops.values()),
        operations_by_kind=dict(workload.ops),
        containergroups=len(workload.uids),
        duplicates_in_request_log=proof["duplicate_creates"],
        duplicates_sampled=sampler.duplicates,
        samples=sampler.samples,
        leaks=len(left),
        adoptions_withdrawn_before_taken=never_adopted,
        stuck_without_reason=len(unexplained),
        **{k: v for k, v in proof.items() if k != "duplicate_creates"},
    )
