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
import pytest
import yaml

from tests.kube.testenv import (
    READY_PREFIX,
    REPO,
    KubeEnv,
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
