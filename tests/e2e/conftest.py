"""End-to-end fixtures: the operator as a real process, under the deploy/ ServiceAccount and RBAC.

The control plane is kube-testenv (a real kube-apiserver); ECI is the emulator. The CRD, the
namespace, the ServiceAccount and the ClusterRole(Binding) are applied from ``crds/`` and
``deploy/`` exactly as a user would, and the operator authenticates with a TokenRequest token of
that ServiceAccount, so a missing or excessive permission shows up here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GROUP_PATH = "/apis/eci.operator.dev/v1alpha1"
SA_NAMESPACE = "eci-operator-system"
SA_NAME = "eci-operator"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def install_operator_access(kube_env: Any, path: Path) -> Path:
    """Apply the CRD and deploy/ RBAC; write a kubeconfig acting as the operator's ServiceAccount."""
    kube_env.apply(REPO / "crds" / "containergroup.yaml")
    for name in ("namespace.yaml", "serviceaccount.yaml", "rbac.yaml"):
        kube_env.apply(REPO / "deploy" / name)
    return Path(kube_env.serviceaccount_kubeconfig(SA_NAMESPACE, SA_NAME, path))


@pytest.fixture(scope="session")
def operator_kubeconfig(kube_env: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_operator_access(kube_env, tmp_path_factory.mktemp("operator") / "kubeconfig")


@dataclass
class Operator:
    """One ``eci-operator run`` process."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    metrics_port: int
    liveness_port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = 60.0) -> Operator:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "eci_operator.cli", "run", *self.args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"operator exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.liveness_port}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"operator not live after {timeout}s:\n{self.log()[-4000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as when a node dies."""
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text


@pytest.fixture
def start_operator(
    operator_kubeconfig: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Operator]]:
    """``start_operator(namespace, emulator, resync=2.0)`` → a live operator watching ``namespace``."""
    started: list[Operator] = []

    def start(
        namespace: str | None, emulator: Any, *, resync: float = 2.0, endpoint: str | None = None
    ) -> Operator:
        """``namespace=None`` watches all namespaces, as the deploy/ Deployment does."""
        metrics_port, liveness_port = free_port(), free_port()
        env = {
            **os.environ,
            "KUBECONFIG": str(operator_kubeconfig),
            "ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret,
            "PYTHONPATH": str(REPO / "operator"),
        }
        env.pop("KUBERNETES_SERVICE_HOST", None)
        operator = Operator(
            args=[
                *(["--namespace", namespace] if namespace else []),
                "--eci-endpoint",
                endpoint or emulator.url,
                "--resync-interval",
                str(resync),
                "--metrics-port",
                str(metrics_port),
                "--metrics-host",
                "127.0.0.1",
                "--liveness",
                f"http://127.0.0.1:{liveness_port}/healthz",
                "--cluster-id",
                "e2e",
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
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


class Cluster:
    """ContainerGroups, Secrets, ConfigMaps and Events in one namespace, as the cluster admin."""

    def __init__(self, kube_env: Any, namespace: str) -> None:
        self.http: httpx.Client = kube_env.http()
        self.namespace = namespace

    def path(self, name: str = "") -> str:
        base = f"{GROUP_PATH}/namespaces/{self.namespace}/containergroups"
        return f"{base}/{name}" if name else base

    def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        manifest = {**manifest, "metadata": {**manifest["metadata"], "namespace": self.namespace}}
        response = self.http.post(self.path(), json=manifest)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get(self, name: str) -> dict[str, Any] | None:
        response = self.http.get(self.path(name))
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return dict(response.json())

    def patch_spec(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        response = self.http.patch(
            self.path(name), json={"spec": spec}, headers={"Content-Type": "application/merge-patch+json"}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def delete(self, name: str) -> None:
        response = self.http.delete(self.path(name))
        assert response.status_code in (200, 202), response.text

    def put_core(self, manifest: dict[str, Any]) -> None:
        """Create or replace a Secret or ConfigMap."""
        kind = manifest["kind"].lower() + "s"
        base = f"/api/v1/namespaces/{self.namespace}/{kind}"
        name = manifest["metadata"]["name"]
        manifest = {**manifest, "metadata": {**manifest["metadata"], "namespace": self.namespace}}
        if self.http.get(f"{base}/{name}").status_code == 404:
            response = self.http.post(base, json=manifest)
        else:
            response = self.http.put(f"{base}/{name}", json=manifest)
        assert response.status_code in (200, 201), response.text

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        response = self.http.get(f"/api/v1/namespaces/{self.namespace}/events")
        response.raise_for_status()
        items = response.json()["items"]
        return [e for e in items if name is None or e["involvedObject"]["name"] == name]

    def wait(
        self, name: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        body: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            body = self.get(name)
            if body is not None and predicate(body):
                return body
            time.sleep(0.2)
        raise TimeoutError(
            f"{self.namespace}/{name} did not reach the state in {timeout}s: {yaml.safe_dump(body)}"
        )

    def wait_gone(self, name: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(name) is None:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.namespace}/{name} still exists: {yaml.safe_dump(self.get(name))}")


def condition(body: dict[str, Any], type_: str) -> dict[str, Any]:
    for c in (body.get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return dict(c)
    return {}


def is_ready(body: dict[str, Any]) -> bool:
    status = body.get("status") or {}
    return (
        status.get("observedGeneration") == body["metadata"]["generation"]
        and condition(body, "Ready").get("status") == "True"
    )


def is_stalled(body: dict[str, Any]) -> bool:
    status = body.get("status") or {}
    return (
        status.get("observedGeneration") == body["metadata"]["generation"]
        and condition(body, "Stalled").get("status") == "True"
    )


@pytest.fixture
def cluster(kube_env: Any, kube_namespace: str) -> Cluster:
    return Cluster(kube_env, kube_namespace)


def container_group(name: str = "web", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "eci.operator.dev/v1alpha1",
        "kind": "ContainerGroup",
        "metadata": {"name": name},
        "spec": {
            "regionId": "cn-hangzhou",
            "cpu": 1,
            "memory": 2,
            "tags": {"team": "shop"},
            "containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}],
        },
    }
    body["spec"].update(spec)
    return body
