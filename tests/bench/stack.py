"""The system under measurement: kube-testenv, the ECI emulator and ``eci-operator run``, all on loopback.

Every count the benchmarks report comes from outside the operator:

- ECI calls from the emulator's request log (``GET /_emulator/requests``);
- Kubernetes writes from the apiserver's own ``apiserver_request_total`` counter (``/metrics``,
  read with the testenv admin token), for the resources the operator writes (ContainerGroups and
  their status, Events);
- memory from ``/proc/<pid>/status`` of the operator process.

The operator's own metrics are used only to tell when it has gone quiet (queue depth), never as a
figure. The operator runs exactly as in the end-to-end tests (``tests/e2e``): a real process under
the ``deploy/`` ServiceAccount and RBAC, authenticated with a TokenRequest token.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime
import os
import platform
import re
import ssl
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.kube.testenv import KubeEnv
from tests.support.emulator import EmulatorHandle
from tests.support.manifests import container_group
from tests.support.operator import Operator, free_ports

REPO = Path(__file__).resolve().parents[2]
GROUP_PATH = "/apis/eci.operator.dev/v1alpha1"
ECI_WRITES = frozenset(
    {"CreateContainerGroup", "UpdateContainerGroup", "DeleteContainerGroup", "RestartContainerGroup"}
)
KUBE_WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE", "APPLY", "DELETECOLLECTION"})
# What the operator can write: ContainerGroups (finalizer), their status, Events. The apiserver's
# own bookkeeping (leases, RBAC bootstrap) is left out so that it cannot count as ours.
OPERATOR_RESOURCES = frozenset({"containergroups", "events"})


def parse_time(stamp: str) -> float:
    """Epoch seconds of an emulator ``Time`` (``2026-11-27T08:33:01.123Z``)."""
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.UTC).timestamp()


def bench_group(name: str) -> dict[str, Any]:
    """The ContainerGroup every benchmark uses: the end-to-end tests' common shape, tagged for bench."""
    return container_group(name, tags={"app": "bench"})


def is_ready(body: dict[str, Any]) -> bool:
    status = body.get("status") or {}
    if status.get("observedGeneration") != body["metadata"].get("generation"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def start_operator(
    kubeconfig: Path,
    emulator: EmulatorHandle,
    workdir: Path,
    *,
    namespaces: Iterable[str],
    resync: float,
    label: str,
    memtrace: Path | None = None,
    endpoint: str | None = None,
    extra: Iterable[str] = (),
    start_timeout: float = 60.0,
) -> Operator:
    """``eci-operator run`` as a process, as ``tests/e2e`` starts it; returns once it is live."""
    metrics_port, liveness_port = free_ports(2)
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id or "",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret or "",
        "PYTHONPATH": str(REPO / "operator"),
    }
    env.pop("KUBERNETES_SERVICE_HOST", None)
    if memtrace is not None:  # tracemalloc from start-up; SIGUSR1 dumps the heap to this file
        env["PYTHONPATH"] = f"{Path(__file__).with_name('memtrace')}{os.pathsep}{env['PYTHONPATH']}"
        env["ECI_BENCH_MEMTRACE"] = str(memtrace)
    args = ["--eci-endpoint", endpoint or emulator.url, "--resync-interval", str(resync), *extra]
    for namespace in namespaces:
        args += ["--namespace", namespace]
    args += [
        "--metrics-port",
        str(metrics_port),
        "--metrics-host",
        "127.0.0.1",
        "--liveness",
        f"http://127.0.0.1:{liveness_port}/healthz",
        "--cluster-id",
        "bench",
    ]
    operator = Operator(
        args=args,
        env=env,
        log_path=workdir / f"operator-{label}.log",
        metrics_port=metrics_port,
        liveness_port=liveness_port,
    )
    return operator.start(timeout=start_timeout)


def operator_metric(operator: Operator, name: str) -> float:
    """The sum of one series of the operator's own metrics (used only to see it is idle).

    Read line by line rather than with a full exposition parser: only ``name`` matters here, and
    an odd label value elsewhere must not stop a benchmark.
    """
    total = 0.0
    for line in operator.metrics().splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] in (" ", "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def operator_errors(operator: Operator) -> list[str]:
    """The operator's own count of ECI calls that did not succeed (a diagnostic, never a figure)."""
    return [
        line
        for line in operator.metrics().splitlines()
        if line.startswith("eci_operator_eci_requests_total{") and 'code="OK"' not in line
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> dict[str, float]:
    """Current and peak resident memory of a process, in MiB (``VmRSS``, ``VmHWM``)."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return {"rss_mb": round(values["VmRSS"], 1), "peak_rss_mb": round(values["VmHWM"], 1)}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    memory = 0
    with contextlib.suppress(OSError):
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        memory = int(match.group(1)) if match else 0
    cpu_model = ""
    with contextlib.suppress(OSError):
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu_model = match.group(1).strip() if match else ""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(memory / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class Cluster:
    """ContainerGroups in one namespace, driven as the cluster admin over plain HTTPS."""

    kube_env: KubeEnv
    namespace: str
    _http: httpx.Client | None = field(default=None, repr=False)

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                base_url=self.kube_env.server,
                verify=ssl.create_default_context(cafile=str(self.kube_env.ca_file)),
                headers={"Authorization": f"Bearer {self.kube_env.tokens['admin']}"},
                timeout=60.0,
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def path(self, name: str = "") -> str:
        base = f"{GROUP_PATH}/namespaces/{self.namespace}/containergroups"
        return f"{base}/{name}" if name else base

    def ensure_namespace(self) -> None:
        self.kube_env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}})

    def create_many(self, names: list[str], *, parallel: int = 16) -> None:
        """POST ContainerGroups, ``parallel`` at a time (as fast as the apiserver takes them)."""

        def create(name: str) -> None:
            manifest = bench_group(name)
            manifest["metadata"]["namespace"] = self.namespace
            response = self.http.post(self.path(), json=manifest)
            if response.status_code != 201:
                raise RuntimeError(f"creating {name}: {response.status_code} {response.text[:300]}")

        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            list(pool.map(create, names))

    def list(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            params = {"limit": "1000", **({"continue": token} if token else {})}
            response = self.http.get(self.path(), params=params)
            response.raise_for_status()
            data = response.json()
            items.extend(data["items"])
            token = data["metadata"].get("continue") or ""
            if not token:
                return items

    def set_image(self, name: str, image: str) -> float:
        """Change the first container's image; returns the wall time just before the request."""
        ops = [{"op": "replace", "path": "/spec/containers/0/image", "value": image}]
        started = time.time()
        response = self.http.patch(
            self.path(name), json=ops, headers={"Content-Type": "application/json-patch+json"}
        )
        if response.status_code != 200:
            raise RuntimeError(f"patching {name}: {response.status_code} {response.text[:300]}")
        return started

    def wait_ready(self, count: int, timeout: float, poll: float = 2.0) -> dict[str, str]:
        """Wait until ``count`` ContainerGroups are Ready; returns name → instance ID."""
        deadline = time.monotonic() + timeout
        ready: dict[str, str] = {}
        while True:
            items = self.list()
            ready = {i["metadata"]["name"]: i["status"]["containerGroupId"] for i in items if is_ready(i)}
            if len(ready) >= count:
                return ready
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(ready)}/{count} ContainerGroups Ready in {self.namespace} after {timeout:.0f}s"
                )
            time.sleep(poll)


class KubeWrites:
    """Write requests to the apiserver for the operator's resources, from ``apiserver_request_total``."""

    def __init__(self, kube_env: KubeEnv) -> None:
        self.kube_env = kube_env

    def snapshot(self) -> dict[tuple[str, str, str], float]:
        response = self.kube_env.http().get("/metrics")
        response.raise_for_status()
        counts: dict[tuple[str, str, str], float] = {}
        for family in text_string_to_metric_families(response.text):
            if family.name != "apiserver_request":
                continue
            for sample in family.samples:
                labels = sample.labels
                if sample.name != "apiserver_request_total" or labels.get("verb") not in KUBE_WRITE_VERBS:
                    continue
                if labels.get("resource") not in OPERATOR_RESOURCES:
                    continue
                key = (labels["verb"], labels["resource"], labels.get("subresource", ""))
                counts[key] = counts.get(key, 0.0) + sample.value
        return counts

    @staticmethod
    def delta(
        before: dict[tuple[str, str, str], float], after: dict[tuple[str, str, str], float]
    ) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, value in after.items():
            diff = int(value - before.get(key, 0.0))
            if diff:
                verb, resource, sub = key
                out[f"{verb} {resource}{'/' + sub if sub else ''}"] = diff
        return out


class EciLog:
    """The emulator's request log, read through its admin API."""

    def __init__(self, emulator: EmulatorHandle) -> None:
        self.emulator = emulator
        self.client = httpx.Client(base_url=emulator.url, timeout=60.0)

    def clear(self) -> None:
        self.client.delete("/_emulator/requests").raise_for_status()

    def entries(self) -> list[dict[str, Any]]:
        response = self.client.get("/_emulator/requests")
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()["Requests"]
        for entry in entries:
            entry["t"] = parse_time(entry["Time"])
        return entries

    def close(self) -> None:
        self.client.close()


def describe_ids(entry: dict[str, Any]) -> list[str]:
    raw = entry.get("Params", {}).get("ContainerGroupIds")
    if not raw:
        return []
    import json

    ids: list[str] = json.loads(raw)
    return ids


def throttled(entries: Iterable[dict[str, Any]]) -> int:
    return sum(1 for e in entries if str(e.get("Code") or "").startswith("Throttling"))


def writes(entries: Iterable[dict[str, Any]]) -> int:
    return sum(1 for e in entries if e["Action"] in ECI_WRITES)


def wait_idle(operator: Operator, timeout: float, quiet: float = 2.0) -> None:
    """Wait until the operator's work queue has been empty for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    idle_since: float | None = None
    while time.monotonic() < deadline:
        depth = operator_metric(operator, "eci_operator_queue_depth")
        now = time.monotonic()
        if depth == 0:
            idle_since = idle_since or now
            if now - idle_since >= quiet:
                return
        else:
            idle_since = None
        time.sleep(0.5)
    raise TimeoutError(f"operator queue not idle after {timeout:.0f}s")


@contextlib.contextmanager
def closing_all(*things: Any) -> Iterator[None]:
    try:
        yield
    finally:
        for thing in things:
            with contextlib.suppress(Exception):
                thing.close()
