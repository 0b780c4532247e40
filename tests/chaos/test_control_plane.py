"""Control plane loss: the operator's connection to the apiserver is cut mid-run, then restored.

kube-testenv keeps its etcd data when restarted on the same ``--dir``, but it also issues a new CA,
new tokens, new ServiceAccount signing keys and a new port on every start, so an operator holding
the old kubeconfig could never reconnect to a restarted one. The outage is therefore made where the
operator sees it: all its apiserver connections (watch streams included) go through a TCP proxy
that drops every connection and refuses new ones for a while, exactly what a restarting apiserver
looks like from the client side. The workload keeps changing ContainerGroups meanwhile (through
its own connection), so the operator must re-list and catch up after reconnecting.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.chaos.figures import record
from tests.chaos.tcp_proxy import TcpProxy
from tests.chaos.workload import FULL, SEED, SIZES, Sampler, Workload, no_duplicates_proof
from tests.e2e.conftest import Cluster

pytestmark = pytest.mark.kube

RESYNC = 3.0
OUTAGE_SECONDS = 10.0
OUTAGES = 3 if FULL else 1


def through(proxy: TcpProxy, kubeconfig: Path, path: Path) -> Path:
    """A copy of ``kubeconfig`` whose server is the proxy (same certificate name: 127.0.0.1)."""
    config = yaml.safe_load(kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
    path.write_text(yaml.safe_dump(config))
    return path


def test_operator_reconnects_and_converges_after_apiserver_outages(
    cluster: Cluster,
    kube_env: Any,
    operator_kubeconfig: Path,
    start_emulator: Any,
    start_operator: Any,
    tmp_path: Path,
) -> None:
    server = urlsplit(kube_env.server)
    emulator = start_emulator(seed=SEED, transition_delay=0.5)
    with TcpProxy(server.hostname or "127.0.0.1", server.port or 443) as proxy:
        operator = start_operator(cluster.namespace, emulator, resync=RESYNC)
        operator.stop()
        operator.env["KUBECONFIG"] = str(through(proxy, operator_kubeconfig, tmp_path / "via-proxy"))
        operator.args.append("--verbose")
        operator.start()
        workload = Workload(cluster, emulator, seed=SEED, size=SIZES.groups)
        outage_at = {SIZES.ops * (k + 1) // (OUTAGES + 1) for k in range(OUTAGES)}
        outages: list[threading.Thread] = []

        def maybe_cut(n: int) -> None:
            if n in outage_at:
                workload.journal.append(f"-- apiserver outage after op #{n}")
                outages.append(threading.Thread(target=proxy.outage, args=(OUTAGE_SECONDS,)))
                outages[-1].start()

        sampler = Sampler(emulator)
        sampler.start()
        try:
            workload.run(SIZES.ops, pause=0.3, on_op=maybe_cut)
            for thread in outages:
                thread.join()
            problems = workload.converge(timeout=240 if FULL else 150)
            unexplained = workload.unexplained()
            assert not problems, {"not converged": problems, "without a reason": unexplained}
            assert not unexplained
            left, never_adopted = workload.teardown(timeout=180 if FULL else 90)
            assert left == [], left
        finally:
            sampler.stop()
            workload.save_evidence(tmp_path)
        assert operator.process is not None and operator.process.poll() is None
        log = operator.log()
        assert "apiserver unreachable" in log  # the operator did lose the apiserver
        assert "Traceback" not in log  # and treated it as the ordinary, retryable failure it is
    proof = no_duplicates_proof(emulator.requests())
    assert proof["duplicate_creates"] == 0, proof
    assert sampler.duplicates == 0, sampler.worst
    record(
        "control_plane",
        outages=proxy.outages,
        outage_seconds=OUTAGE_SECONDS,
        operations=sum(workload.ops.values()),
        operations_by_kind=dict(workload.ops),
        containergroups=len(workload.uids),
        duplicates_in_request_log=proof["duplicate_creates"],
        duplicates_sampled=sampler.duplicates,
        leaks=len(left),
        adoptions_withdrawn_before_taken=never_adopted,
        stuck_without_reason=len(unexplained),
    )
