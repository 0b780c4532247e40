"""End-to-end fixtures: the operator as a real process, under the deploy/ ServiceAccount and RBAC.

The control plane is kube-testenv (a real kube-apiserver); ECI is the emulator. The CRD, the
namespace, the ServiceAccount and the ClusterRole(Binding) are applied from ``crds/`` and
``deploy/`` exactly as a user would, and the operator authenticates with a TokenRequest token of
that ServiceAccount, so a missing or excessive permission shows up here. ``audited_control_plane``
is a control plane of the test's own whose audit log says which requests of the operator were
refused. The helpers themselves live in ``tests.support``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy
import pytest

from tests.kube.testenv import ControlPlane, KubeEnv
from tests.support.audit import AuditLog
from tests.support.cluster import Cluster
from tests.support.operator import REPO, Operator, free_ports, install_operator_access


@pytest.fixture(scope="session")
def operator_kubeconfig(kube_env: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_operator_access(kube_env, tmp_path_factory.mktemp("operator") / "kubeconfig")


@pytest.fixture
def start_operator(
    operator_kubeconfig: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Operator]]:
    """``start_operator(namespace, emulator, resync=2.0)`` → a live operator watching ``namespace``."""
    started: list[Operator] = []

    def start(
        namespace: str | Sequence[str] | None,
        emulator: Any,
        *,
        resync: float = 2.0,
        endpoint: str | None = None,
        extra: tuple[str, ...] = (),
        kubeconfig: Path | None = None,
    ) -> Operator:
        """``namespace=None`` watches all namespaces, as the deploy/ Deployment does; a list watches
        each. ``kubeconfig`` (default: the session's deploy/ ServiceAccount) says who it runs as."""
        namespaces = [namespace] if isinstance(namespace, str) else list(namespace or [])
        metrics_port, liveness_port = free_ports(2)
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig or operator_kubeconfig),
            "ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret,
            "PYTHONPATH": str(REPO / "operator"),
        }
        env.pop("KUBERNETES_SERVICE_HOST", None)
        operator = Operator(
            args=[
                *(arg for ns in namespaces for arg in ("--namespace", ns)),
                "--eci-endpoint",
                endpoint or emulator.url,
                "--resync-interval",
                str(resync),
                "--metrics-port",
                str(metrics_port),  # on loopback: the default --metrics-host
                "--liveness",
                f"http://127.0.0.1:{liveness_port}/healthz",
                "--cluster-id",
                "e2e",
                *extra,
            ],
            env=env,
            log_path=tmp_path / f"operator-{len(started)}.log",
            metrics_port=metrics_port,
            liveness_port=liveness_port,
        )
        started.append(operator)
        return operator.start()

    yield start
    for operator in started:
        operator.stop()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        for operator in started:
            sys.stderr.write(f"--- {operator.log_path}\n{operator.log()[-6000:]}\n")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def cluster(kube_env: Any, kube_namespace: str) -> Cluster:
    return Cluster(kube_env, kube_namespace)


@dataclass
class AuditedControlPlane:
    """A control plane of the test's own whose apiserver records every ServiceAccount request."""

    plane: ControlPlane
    audit: AuditLog

    @property
    def env(self) -> KubeEnv:
        return self.plane.env


@pytest.fixture
def audited_control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditedControlPlane]:
    directory = tmp_path_factory.mktemp("audited-kube-testenv")
    audit = AuditLog(directory / "audit")
    with ControlPlane(directory, apiserver_args=audit.apiserver_args) as plane:
        yield AuditedControlPlane(plane, audit)
