"""Fixtures for a real Kubernetes control plane: kube-apiserver + etcd from ``tests/kube-testenv``.

- ``kube_env`` (session): one control plane for the whole run, a :class:`KubeEnv`.
- ``kube_namespace`` (function): a fresh namespace, deleted after the test.
- ``private_control_plane`` (function): a :class:`ControlPlane` of the test's own, which it may
  ``restart()`` (same directory, port, CA and tokens) without disturbing the session's.

The binary comes from ``$KUBE_TESTENV`` or ``<repo>/.cache/bin/kube-testenv``; when the default path
is missing it is built with ``make kube-testenv``. It runs with its stdin on a pipe, so it goes away
with the test run even when pytest is killed. Tests using ``kube_env`` get the ``kube`` marker.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import ssl
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import kubernetes.client
import kubernetes.config
import pytest
import yaml

from tests.support.build import built

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO / ".cache" / "bin" / "kube-testenv"
READY_PREFIX = "kube-testenv ready "
START_TIMEOUT = 180.0  # seconds; a busy 2-core machine has been seen taking >30 s upstream
FIELD_MANAGER = "kube-testenv"

Manifest = dict[str, Any] | list[dict[str, Any]] | str | Path


@dataclass
class KubeEnv:
    """A running control plane: where it listens, whom it trusts, and helpers to drive it."""

    dir: Path
    kubeconfig: Path
    server: str
    ca_file: Path
    tokens: dict[str, str]
    _http: httpx.Client | None = field(default=None, repr=False)

    # -- clients ---------------------------------------------------------------------------------

    def api_for_token(self, token: str) -> kubernetes.client.ApiClient:
        """An official (sync) client that authenticates with ``token``."""
        config = kubernetes.client.Configuration(host=self.server)
        config.ssl_ca_cert = str(self.ca_file)
        config.api_key = {"BearerToken": token}
        config.api_key_prefix = {"BearerToken": "Bearer"}
        return kubernetes.client.ApiClient(config)

    def admin_api(self) -> kubernetes.client.ApiClient:
        """An official (sync) client as ``admin`` (group ``system:masters``)."""
        return self.api_for_token(self.tokens["admin"])

    def http(self) -> httpx.Client:
        """A raw HTTPS client as admin, for requests the official client makes awkward."""
        if self._http is None:
            self._http = httpx.Client(
                base_url=self.server,
                verify=ssl.create_default_context(cafile=str(self.ca_file)),
                headers={"Authorization": f"Bearer {self.tokens['admin']}"},
                timeout=30.0,
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- ServiceAccounts -------------------------------------------------------------------------

    def serviceaccount_token(
        self,
        namespace: str,
        name: str,
        audiences: list[str] | None = None,
        expiration_seconds: int = 3600,
    ) -> str:
        """A token for an existing ServiceAccount, issued by the TokenRequest API."""
        body = {"spec": {"audiences": audiences or [], "expirationSeconds": expiration_seconds}}
        path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"
        response = self.http().post(path, json=body)
        _raise_for_status(response, f"TokenRequest for serviceaccount {namespace}/{name}")
        token: str = response.json()["status"]["token"]
        return token

    def serviceaccount_kubeconfig(
        self, namespace: str, name: str, path: Path | str, expiration_seconds: int = 3600
    ) -> Path:
        """Write a kubeconfig that acts as ServiceAccount ``namespace/name``; returns its path."""
        token = self.serviceaccount_token(namespace, name, expiration_seconds=expiration_seconds)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "kube-testenv",
                    "cluster": {"server": self.server, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": f"{namespace}-{name}", "user": {"token": token}}],
            "contexts": [
                {
                    "name": "kube-testenv",
                    "context": {
                        "cluster": "kube-testenv",
                        "user": f"{namespace}-{name}",
                        "namespace": namespace,
                    },
                }
            ],
            "current-context": "kube-testenv",
        }
        out = Path(path)
        out.write_text(yaml.safe_dump(config))
        out.chmod(0o600)
        return out

    # -- manifests -------------------------------------------------------------------------------

    def apply(self, manifest: Manifest) -> list[dict[str, Any]]:
        """Server-side apply one or more objects (as admin, forcing conflicts) and return them.

        ``manifest`` is a dict, a list of dicts, a YAML string or the path of a (multi-document)
        YAML file. CustomResourceDefinitions are waited for until Established, so their resources
        can be created right after.
        """
        applied = []
        for obj in _documents(manifest):
            result = self._apply_one(obj)
            if obj.get("kind") == "CustomResourceDefinition":
                self.wait_crd_established(result["metadata"]["name"])
            applied.append(result)
        return applied

    def wait_crd_established(self, name: str, timeout: float = 30.0) -> None:
        path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        deadline = time.monotonic() + timeout
        while True:
            response = self.http().get(path)
            _raise_for_status(response, f"reading CustomResourceDefinition {name}")
            conditions = (response.json().get("status") or {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"CustomResourceDefinition {name} not Established after {timeout}s: {conditions}"
                )
            time.sleep(0.1)

    def resource_path(self, api_version: str, kind: str, namespace: str | None = None) -> str:
        """The collection URL path for ``kind`` (looked up in discovery; retried briefly for new CRDs)."""
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        deadline = time.monotonic() + 3.0
        while True:
            response = self.http().get(base)
            if response.status_code == 200:
                for resource in response.json()["resources"]:
                    if resource["kind"] == kind and "/" not in resource["name"]:
                        if resource["namespaced"]:
                            if not namespace:
                                raise ValueError(
                                    f"{kind} ({api_version}) is namespaced: metadata.namespace is required"
                                )
                            return f"{base}/namespaces/{namespace}/{resource['name']}"
                        return f"{base}/{resource['name']}"
            elif response.status_code != 404:
                _raise_for_status(response, f"discovery of {api_version}")
            # A CRD's kind reaches discovery just after it is Established; anything else is a typo.
            if time.monotonic() > deadline:
                raise LookupError(f"the server does not serve kind {kind!r} in {api_version!r}")
            time.sleep(0.2)

    def _apply_one(self, obj: dict[str, Any]) -> dict[str, Any]:
        try:
            api_version, kind, name = obj["apiVersion"], obj["kind"], obj["metadata"]["name"]
        except (KeyError, TypeError) as e:
            raise ValueError(
                f"manifest needs apiVersion, kind and metadata.name (missing {e}): {obj!r}"
            ) from e
        path = self.resource_path(api_version, kind, obj["metadata"].get("namespace"))
        response = self.http().patch(
            f"{path}/{name}",
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            content=json.dumps(obj),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )
        _raise_for_status(response, f"applying {kind} {name}")
        result: dict[str, Any] = response.json()
        return result


def api_from_kubeconfig(path: Path | str) -> kubernetes.client.ApiClient:
    """An official (sync) client configured from a kubeconfig file (e.g. serviceaccount_kubeconfig)."""
    # The loader is unannotated; it returns the configured ApiClient.
    load = cast(Callable[..., kubernetes.client.ApiClient], kubernetes.config.new_client_from_config)
    return load(config_file=str(path))


def _documents(manifest: Manifest) -> list[dict[str, Any]]:
    if isinstance(manifest, dict):
        return [manifest]
    if isinstance(manifest, list):
        return manifest
    text = manifest.read_text() if isinstance(manifest, Path) else manifest
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    out: list[dict[str, Any]] = []
    for doc in docs:
        # a "List" document (kubectl style) holds its objects in items
        out.extend(doc["items"] if doc.get("kind", "").endswith("List") and "items" in doc else [doc])
    return out


def _raise_for_status(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    try:
        message = response.json().get("message", response.text)
    except ValueError:
        message = response.text
    raise KubeError(response.status_code, f"{what}: HTTP {response.status_code}: {message}")


class KubeError(Exception):
    """A request to the control plane failed; ``status`` is the HTTP status code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# -- the process ---------------------------------------------------------------------------------


def kube_testenv_binary() -> Path:
    """The kube-testenv binary, building the default one with ``make kube-testenv`` when missing."""
    configured = os.environ.get("KUBE_TESTENV")
    binary = Path(configured) if configured else DEFAULT_BINARY
    if configured and binary != DEFAULT_BINARY and not binary.exists():
        raise FileNotFoundError(
            f"KUBE_TESTENV={configured} does not exist (build it with `make kube-testenv`)"
        )
    return built(binary, "kube-testenv")


def _log_tail(log: Path, limit: int = 6000) -> str:
    with contextlib.suppress(OSError):
        return log.read_text(errors="replace")[-limit:]
    return ""


def start_testenv(directory: Path, *extra_args: str) -> subprocess.Popen[bytes]:
    """Start ``kube-testenv up --dir directory`` with stdin and stdout on pipes, log in the directory."""
    binary = kube_testenv_binary()
    with (directory / "kube-testenv.log").open("ab") as log_file:  # a restart appends
        return subprocess.Popen(
            [str(binary), "up", "--dir", str(directory), *extra_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            start_new_session=True,  # a Ctrl-C aimed at pytest must not kill it mid-test
        )


def read_ready_line(proc: subprocess.Popen[bytes], timeout: float = START_TIMEOUT) -> str:
    """The first line kube-testenv prints, or a ``<...>`` description of why there was none."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return f"<no ready line after {timeout:.0f}s>"
            if selector.select(left):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    return f"<exited with {proc.wait()}>"
                buffer += chunk
    return buffer.split(b"\n", 1)[0].decode().strip()


class ControlPlane:
    """A kube-testenv process that can be stopped and started again in place.

    Every start after the first runs on the same directory and port, so the restarted control
    plane keeps its etcd data, CA, tokens and ServiceAccount signing key: :attr:`env` (and any
    kubeconfig or ServiceAccount token issued before) stays valid, as for a restarted cluster
    apiserver.
    """

    def __init__(
        self, directory: Path, timeout: float = START_TIMEOUT, apiserver_args: Sequence[str] = ()
    ) -> None:
        self.directory = directory
        self.timeout = timeout
        self.apiserver_args = list(apiserver_args)  # passed to kube-apiserver at every start
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._env: KubeEnv | None = None

    @property
    def env(self) -> KubeEnv:
        if self._env is None:
            raise RuntimeError(f"the control plane in {self.directory} was never started")
        return self._env

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> KubeEnv:
        """Start the process (on the earlier port, if any) and wait for its ready line."""
        if self.running:
            raise RuntimeError(f"the control plane in {self.directory} is already running")
        port = [] if self._env is None else ["--port", str(urlsplit(self._env.server).port)]
        extra = ["--", *self.apiserver_args] if self.apiserver_args else []
        self._proc = start_testenv(self.directory, *port, *extra)
        line = read_ready_line(self._proc, self.timeout)
        if not line.startswith(READY_PREFIX):
            stop_testenv(self._proc)
            log = self.directory / "kube-testenv.log"
            raise RuntimeError(f"kube-testenv did not become ready ({line}); log {log}:\n{_log_tail(log)}")
        data = json.loads((self.directory / "env.json").read_text())
        env = KubeEnv(
            dir=self.directory,
            kubeconfig=Path(line.removeprefix(READY_PREFIX)),
            server=data["server"],
            ca_file=Path(data["ca_file"]),
            tokens=dict(data["tokens"]),
        )
        if self._env is None:
            self._env = env
        elif (env.server, env.ca_file, env.tokens) != (self._env.server, self._env.ca_file, self._env.tokens):
            raise RuntimeError(f"kube-testenv restarted as {env.server} with other credentials")
        return self._env

    def stop(self) -> int | None:
        """Stop the process (graceful, escalating); its exit code, or None when it was not running."""
        if self._proc is None:
            return None
        proc, self._proc = self._proc, None
        return stop_testenv(proc)

    def restart(self, down_for: float = 0.0) -> KubeEnv:
        """Stop, stay down ``down_for`` seconds more, start again on the same directory and port."""
        self.stop()
        time.sleep(down_for)
        self.restarts += 1
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._env is not None:
            self._env.close()

    def __enter__(self) -> ControlPlane:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def running_testenv(directory: Path, timeout: float = START_TIMEOUT) -> Iterator[KubeEnv]:
    """Start kube-testenv in ``directory``, yield its :class:`KubeEnv`, stop it on exit."""
    with ControlPlane(directory, timeout) as plane:
        yield plane.env


def stop_testenv(proc: subprocess.Popen[bytes]) -> int:
    """Close stdin (its shutdown signal), then escalate to SIGTERM and SIGKILL if needed."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    for action in (None, proc.terminate, proc.kill):
        if action is not None:
            action()
        try:
            proc.wait(timeout=30)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.stdout is not None:
        proc.stdout.close()
    return proc.wait()


# -- fixtures ------------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"kube_env", "private_control_plane"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kube)


@pytest.fixture(scope="session")
def kube_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeEnv]:
    """One real control plane (kube-apiserver + etcd) for the whole test session."""
    with running_testenv(tmp_path_factory.mktemp("kube-testenv")) as env:
        yield env


@pytest.fixture
def private_control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A running control plane of the test's own (~3 s to start), free to be restarted."""
    with ControlPlane(tmp_path_factory.mktemp("private-kube-testenv")) as plane:
        yield plane


@pytest.fixture
def kube_namespace(kube_env: KubeEnv, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace named after the test; deleted afterwards.

    No namespace controller runs, so a deleted namespace stays Terminating with its contents;
    names are unique so that never matters to the next test.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{slug or 'test'}-{uuid.uuid4().hex[:8]}"
    kube_env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    response = kube_env.http().delete(f"/api/v1/namespaces/{name}")
    if response.status_code not in (200, 202, 404):
        _raise_for_status(response, f"deleting namespace {name}")
