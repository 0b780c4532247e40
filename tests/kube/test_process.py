"""The kube-testenv process contract: what it writes, and that it always goes away."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import kubernetes.client
import pytest
import yaml

from tests.kube.conftest import GROUP, PLURAL, WIDGET_CRD, Widgets, widget
from tests.kube.testenv import (
    READY_PREFIX,
    REPO,
    ControlPlane,
    KubeEnv,
    api_from_kubeconfig,
    kube_testenv_binary,
    read_ready_line,
    start_testenv,
)

pytestmark = pytest.mark.kube


def test_env_json_and_admin_kubeconfig_describe_the_server(kube_env: KubeEnv) -> None:
    env = json.loads((kube_env.dir / "env.json").read_text())
    assert set(env) == {"server", "ca_file", "tokens"}
    assert env["server"].startswith("https://127.0.0.1:")
    assert set(env["tokens"]) == {"admin", "nobody"}
    assert env["tokens"]["admin"] != env["tokens"]["nobody"]

    config = yaml.safe_load(kube_env.kubeconfig.read_text())
    assert config["clusters"][0]["cluster"] == {
        "server": env["server"],
        "certificate-authority": env["ca_file"],
    }
    assert config["users"][0]["user"] == {"token": env["tokens"]["admin"]}

    # the CA verifies the serving certificate for 127.0.0.1; /version is public and carries the
    # pinned release, while anonymous requests for anything else are refused
    verify = ssl.create_default_context(cafile=env["ca_file"])
    version = httpx.get(f"{env['server']}/version", verify=verify).json()
    assert version["gitVersion"] == pinned_kubernetes_version()
    assert httpx.get(f"{env['server']}/api/v1/namespaces", verify=verify).status_code == 403


def pinned_kubernetes_version() -> str:
    go_mod = (REPO / "tests" / "kube-testenv" / "go.mod").read_text()
    return next(
        line.split()[1] for line in go_mod.splitlines() if line.strip().startswith("k8s.io/kubernetes ")
    )


@pytest.fixture
def second_testenv(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A separate kube-testenv process (not the session one), ready, with its server URL."""
    proc = start_testenv(tmp_path)
    try:
        line = read_ready_line(proc)
        assert line == f"{READY_PREFIX}{tmp_path / 'admin.kubeconfig'}"
        yield proc, json.loads((tmp_path / "env.json").read_text())["server"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def assert_stops_cleanly(proc: subprocess.Popen[bytes], server: str) -> None:
    assert proc.wait(timeout=40) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server}/readyz", verify=False, timeout=2)


def test_exits_cleanly_when_stdin_closes(second_testenv: tuple[subprocess.Popen[bytes], str]) -> None:
    proc, server = second_testenv
    assert proc.stdin is not None
    proc.stdin.close()
    assert_stops_cleanly(proc, server)


def test_exits_cleanly_on_sigterm(second_testenv: tuple[subprocess.Popen[bytes], str]) -> None:
    proc, server = second_testenv
    time.sleep(0.5)  # let post-start hooks settle; a signal must work at any time, this is the common one
    proc.send_signal(signal.SIGTERM)
    assert_stops_cleanly(proc, server)


def test_up_without_dir_is_a_usage_error() -> None:
    result = subprocess.run(
        [str(kube_testenv_binary()), "up"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--dir is required" in result.stderr


def test_restart_on_the_same_dir_keeps_data_credentials_and_address(
    private_control_plane: ControlPlane, tmp_path: Path
) -> None:
    env = private_control_plane.env
    env.apply(WIDGET_CRD)
    env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "keep"}})
    reader = {"name": "reader", "namespace": "keep"}
    env.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": reader})
    env.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "widget-reader", "namespace": "keep"},
            "rules": [{"apiGroups": [GROUP], "resources": [PLURAL], "verbs": ["get"]}],
        }
    )
    env.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "reader", "namespace": "keep"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "widget-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "keep"}],
        }
    )
    before = Widgets(env.admin_api(), "keep").create(widget("survivor", size=4))
    sa_token = env.serviceaccount_token("keep", "reader")
    old_kubeconfig = tmp_path / "admin-before-restart.kubeconfig"
    old_kubeconfig.write_bytes(env.kubeconfig.read_bytes())
    old_env_json = (env.dir / "env.json").read_text()

    private_control_plane.restart(down_for=1.0)

    assert (env.dir / "env.json").read_text() == old_env_json  # same address, CA and tokens
    # the admin kubeconfig written before the restart still reaches and authenticates
    after = Widgets(api_from_kubeconfig(old_kubeconfig), "keep").get("survivor")
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["spec"] == {"size": 4}
    # a ServiceAccount token issued before the restart still verifies (same signing key) ...
    as_reader = Widgets(env.api_for_token(sa_token), "keep")
    assert as_reader.get("survivor")["metadata"]["uid"] == after["metadata"]["uid"]
    # ... and is still bound by RBAC to what it was granted
    with pytest.raises(kubernetes.client.ApiException) as refused:
        as_reader.list()
    assert refused.value.status == 403


def test_a_partial_pki_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "tokens.csv").write_text("t,admin,admin\n")
    result = subprocess.run(
        [str(kube_testenv_binary()), "up", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode != 0
    assert "only part of a PKI" in result.stderr
    assert "ca.crt" in result.stderr
