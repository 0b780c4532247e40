"""Crashes: the operator is SIGKILLed at random moments of a mixed workload and restarted each time.

A kill can land anywhere: between a Create and recording its ID, mid-update, between deleting an
instance and removing the finalizer. Each restart must pick up where the last left off, from
facts it can re-read (status, ECI, the owner-uid tags), with no duplicate and no leak.
Sizes: ``CHAOS_FULL=1`` (``make chaos``) 20 kills in 300 operations on 50 ContainerGroups.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.figures import record
from tests.chaos.workload import SEED, SIZES, Workload, run_and_prove
from tests.support.cluster import Cluster

pytestmark = pytest.mark.kube

RESYNC = 3.0
GRACE = ("--gone-grace", "5")
"""This emulator's reads never lag, so existence proofs (a restarted process waits that long before
creating for an object an earlier process may have created) need not wait the default minute."""


def test_kill_9_at_random_moments(
    cluster: Cluster, start_emulator: Any, start_operator: Any, tmp_path: Path
) -> None:
    emulator = start_emulator(seed=SEED, transition_delay=0.5)
    operator = start_operator(cluster.namespace, emulator, resync=RESYNC, extra=GRACE)
    workload = Workload(cluster, emulator, seed=SEED, size=SIZES.groups)
    rng = random.Random(SEED)
    kill_at = set(rng.sample(range(1, SIZES.ops), SIZES.kills))
    kills = 0

    def maybe_kill(n: int) -> None:
        nonlocal kills
        if n in kill_at:
            operator.kill()
            kills += 1
            workload.journal.append(f"-- kill {kills} after op #{n}")
            operator.start()

    def drive() -> None:
        nonlocal kills
        workload.run(SIZES.ops, on_op=maybe_kill)
        operator.kill()  # once more while everything is still converging
        kills += 1
        operator.start()

    figures = run_and_prove(
        workload,
        drive,
        tmp_path,
        converge_timeout=240 if SIZES.groups > 10 else 120,
        teardown_timeout=180 if SIZES.groups > 10 else 90,
    )
    record("crashes", kills=kills, **figures)
