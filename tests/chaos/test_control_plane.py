"""Control plane loss: the operator loses the apiserver mid-run, gets it back, and converges.

Two ways to lose it, both while a mixed workload keeps changing ContainerGroups:

- a real restart: the test's own kube-testenv is stopped and started again on the same directory
  and port (etcd data, CA, tokens and ServiceAccount signing key survive, as in a cluster), so the
  operator's watch streams end, its requests are refused for a few seconds, and it must reconnect
  with the credentials it already holds and resume (or re-list) where it was;
- a cut without a restart: the operator reaches the session's apiserver through a TCP proxy that
  drops every connection (watch streams included) and refuses new ones for a while, then comes
  back; the apiserver itself never stops, so the workload keeps going during the outage and the
  operator has more to catch up on.

The small run (``make test``) has one outage of each kind; ``CHAOS_FULL=1`` (``make chaos``) has
three, the last restart staying down longer than Kopf's whole request-retry budget.

Either way: the final ECI state equals the specs, no duplicate instance, nothing leaked after the
deletes, no ContainerGroup stuck without a condition saying why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.chaos.figures import record
from tests.chaos.tcp_proxy import TcpProxy
from tests.chaos.workload import FULL, SEED, SIZES, Workload, run_and_prove
from tests.kube.testenv import ControlPlane
from tests.support.cluster import Cluster
from tests.support.operator import Operator, install_operator_access

pytestmark = pytest.mark.kube

RESYNC = 3.0
OUTAGES = 3 if FULL else 1  # per test
PROXY_OUTAGE_SECONDS = 10.0
# Seconds each restart stays down on top of the ~2 s stop and ~3-4 s start. The full run's last
# outage outlasts Kopf's whole request-retry budget (1+1+2+3+5+8+13+21 = 54 s), so its watch
# requests escalate and must be started over rather than merely retried.
RESTART_DOWN_SECONDS = [2.0, 2.0, 60.0] if FULL else [2.0]


def rerun_with_kubeconfig(operator: Operator, kubeconfig: Path) -> None:
    """Restart ``operator`` (verbose) with another kubeconfig."""
    operator.stop()
    operator.env["KUBECONFIG"] = str(kubeconfig)
    operator.args.append("--verbose")
    operator.start()


def churn_through_outages(
    cluster: Cluster,
    emulator: Any,
    operator: Operator,
    outage: Callable[[], object],
    tmp_path: Path,
    *,
    blocking: bool,
) -> dict[str, Any]:
    """Run the workload with ``outage()`` at OUTAGES evenly spread moments; check every guarantee.

    ``blocking``: the workload waits for the outage (it needs the apiserver that is down);
    otherwise the outage runs alongside it. Returns the figures.
    """
    workload = Workload(cluster, emulator, seed=SEED, size=SIZES.groups)
    outage_at = {SIZES.ops * (k + 1) // (OUTAGES + 1) for k in range(OUTAGES)}
    background: list[threading.Thread] = []

    def maybe_cut(n: int) -> None:
        if n not in outage_at:
            return
        workload.journal.append(f"-- apiserver outage after op #{n}")
        if blocking:
            outage()
            workload.journal.append("-- apiserver back")
        else:
            background.append(threading.Thread(target=outage))
            background[-1].start()

    def drive() -> None:
        workload.run(SIZES.ops, pause=0.3, on_op=maybe_cut)
        for thread in background:
            thread.join()

    figures = run_and_prove(
        workload,
        drive,
        tmp_path,
        converge_timeout=240 if FULL else 150,
        teardown_timeout=180 if FULL else 90,
    )
    back = [i for i, line in enumerate(workload.journal) if line == "-- apiserver back"]
    after = workload.journal[back[-1] :] if back else []
    added_after = [line for line in after if " create " in line or " adopt " in line]
    assert operator.process is not None and operator.process.poll() is None
    assert "Traceback" not in operator.log()  # losing the apiserver is an ordinary, retryable failure
    # ContainerGroups that only a resumed watch can have shown the operator (blocking outages)
    return {**figures, "created_after_last_outage": len(added_after) if back else None}


def test_operator_reconnects_and_converges_after_apiserver_restarts(
    private_control_plane: ControlPlane, start_emulator: Any, start_operator: Any, tmp_path: Path
) -> None:
    plane = private_control_plane
    kubeconfig = install_operator_access(plane.env, tmp_path / "operator.kubeconfig")
    namespace = "chaos-restart"
    plane.env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    cluster = Cluster(plane.env, namespace)
    emulator = start_emulator(seed=SEED, transition_delay=0.5)
    operator = start_operator(namespace, emulator, resync=RESYNC)
    rerun_with_kubeconfig(operator, kubeconfig)  # from the session's control plane to this one

    downs = iter(RESTART_DOWN_SECONDS)
    figures = churn_through_outages(
        cluster, emulator, operator, lambda: plane.restart(down_for=next(downs)), tmp_path, blocking=True
    )
    assert plane.restarts == OUTAGES
    assert figures["created_after_last_outage"], "no ContainerGroup was created after the last restart"
    record("control_plane_restart", restarts=plane.restarts, down_for_seconds=RESTART_DOWN_SECONDS, **figures)


def through(proxy: TcpProxy, kubeconfig: Path, path: Path) -> Path:
    """A copy of ``kubeconfig`` whose server is the proxy (same certificate name: 127.0.0.1)."""
    config = yaml.safe_load(kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
    path.write_text(yaml.safe_dump(config))
    return path


def test_operator_reconnects_and_converges_after_connection_cuts(
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
        rerun_with_kubeconfig(operator, through(proxy, operator_kubeconfig, tmp_path / "via-proxy"))
        figures = churn_through_outages(
            cluster,
            emulator,
            operator,
            lambda: proxy.outage(PROXY_OUTAGE_SECONDS),
            tmp_path,
            blocking=False,
        )
        # the operator did lose the apiserver, and reported it as such
        assert "apiserver unreachable" in operator.log()
    record("control_plane", outages=proxy.outages, outage_seconds=PROXY_OUTAGE_SECONDS, **figures)
