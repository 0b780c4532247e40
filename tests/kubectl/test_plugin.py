"""``kubectl eci ...`` with the real kubectl finding the plugin on PATH, against kube-testenv, the
emulator and the operator as a process: logs (tail, since, follow, previous), exec (output, exit
status, an interactive session through a pty), restart exactly once per value across an operator
restart, events, and the one-line errors."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from eci_operator.api.containergroup import RESTART_ANNOTATION
from tests.support.cluster import Cluster, is_ready
from tests.support.emulator import EmulatorHandle
from tests.support.manifests import container_group
from tests.support.sdk_instances import create_full
from tests.support.tools import tool

pytestmark = pytest.mark.kube

SCRIPTS = Path(sys.executable).parent  # where the package's console scripts are installed


class Plugin:
    """``kubectl eci ...`` as a user runs it: the current context, credentials from the environment."""

    def __init__(self, kubeconfig: Path, namespace: str, emulator: EmulatorHandle) -> None:
        self.namespace = namespace
        self.env = {
            **os.environ,
            "PATH": f"{SCRIPTS}{os.pathsep}{os.environ.get('PATH', '')}",
            "KUBECONFIG": str(kubeconfig),
            "ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id or "",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret or "",
            "ECI_ENDPOINT": emulator.url,
        }

    def argv(self, *args: str) -> list[str]:
        return [str(tool("kubectl")), "eci", args[0], "-n", self.namespace, *args[1:]]

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args), capture_output=True, text=True, timeout=60, env={**self.env, **(env or {})}
        )

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 0, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def fails(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = self(*args, env=env)
        assert result.returncode != 0, result.stdout
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        return result.stderr


def two_containers() -> dict[str, Any]:
    return container_group(
        "web",
        containers=[
            {"name": "web", "image": "nginx:1.27", "env": [{"name": "MODE", "value": "blue"}]},
            {"name": "side", "image": "busybox:1.36"},
        ],
    )


def restarts(emulator: EmulatorHandle) -> int:
    return len([r for r in emulator.requests("RestartContainerGroup") if r["Code"] is None])


def two_contexts(kube_env: Any, path: Path) -> Path:
    """The admin's context (current) and an unprivileged user's, named ``nobody``."""
    users = {"admin": kube_env.tokens["admin"], "nobody": kube_env.tokens["nobody"]}
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "c",
                        "cluster": {
                            "server": kube_env.server,
                            "certificate-authority": str(kube_env.ca_file),
                        },
                    }
                ],
                "users": [{"name": u, "user": {"token": t}} for u, t in users.items()],
                "contexts": [{"name": u, "context": {"cluster": "c", "user": u}} for u in users],
                "current-context": "admin",
            }
        )
    )
    return path


def test_day_two_from_kubectl(
    cluster: Cluster, kube_env: Any, emulator: EmulatorHandle, start_operator: Any, tmp_path: Path
) -> None:
    eci = Plugin(two_contexts(kube_env, tmp_path / "kubeconfig"), cluster.namespace, emulator)
    listed = subprocess.run(
        [str(tool("kubectl")), "plugin", "list"], capture_output=True, text=True, env=eci.env, timeout=30
    )
    assert "kubectl-eci" in listed.stdout, listed.stdout + listed.stderr

    # Before the operator has run: no instance yet.
    cluster.create(two_containers())
    assert "has no ECI instance yet" in eci.fails("logs", "web", "-c", "web")
    assert 'containergroups.eci.operator.dev "nope" not found' in eci.fails("logs", "nope")
    assert "Kubernetes permission denied" in eci.fails("logs", "web", "--context", "nobody")

    operator = start_operator(cluster.namespace, emulator, resync=1.0)
    body = cluster.wait("web", is_ready, timeout=60)
    gid = body["status"]["containerGroupId"]
    started = time.monotonic()
    emulator.append_logs(gid, "web", ["old"])

    # -- exec: output and exit status; the container must be named when there are several
    assert eci.ok("exec", "web", "-c", "web", "--", "echo", "hello", "world") == "hello world\n"
    assert "MODE=blue" in eci.ok("exec", "web", "-c", "web", "--", "env").splitlines()
    missing = eci("exec", "web", "-c", "web", "--", "curl", "localhost")
    assert missing.returncode == 127 and "executable file not found" in missing.stderr
    assert "choose one of: [web side]" in eci.fails("exec", "web", "--", "hostname")
    assert "container nope is not valid" in eci.fails("exec", "web", "-c", "nope", "--", "hostname")
    denied = eci.fails("logs", "web", "-c", "web", env={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong"})
    assert "ECI permission denied" in denied

    # -- an interactive session through a pty
    name = emulator.instance(gid)["ContainerGroupName"]  # type: ignore[index]
    code, screen = interactive(
        eci, ["exec", "-it", "web", "-c", "web", "--", "/bin/sh"], [b"hostname\r", b"exit 3\r"]
    )
    assert code == 3, screen
    assert f"hostname\r\n{name}\r\n".encode() in screen

    # -- logs: tail and since
    # "old" is 8 s old, the others new: --since 5s tells them apart however slow the call is.
    time.sleep(max(0.0, 8.0 - (time.monotonic() - started)))
    emulator.append_logs(gid, "web", ["one", "two", "three"])
    assert eci.ok("logs", "web", "-c", "web", "--since", "5s") == "one\ntwo\nthree\n"
    assert eci.ok("logs", "web", "-c", "web") == "old\none\ntwo\nthree\n"
    assert eci.ok("logs", "web", "-c", "web", "--tail", "2") == "two\nthree\n"
    stamped = eci.ok("logs", "web", "-c", "web", "--tail", "1", "--timestamps")
    assert stamped.endswith("Z three\n") and stamped.startswith("20")

    # -- logs -f: new lines once each, however the polls overlap
    follow = subprocess.Popen(
        eci.argv("logs", "web", "-c", "web", "-f", "--tail", "1", "--poll-interval", "0.2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=eci.env,
        text=True,
    )
    try:
        assert follow.stdout is not None
        assert follow.stdout.readline() == "three\n"
        emulator.append_logs(gid, "web", ["four"])
        assert follow.stdout.readline() == "four\n"
        emulator.append_logs(gid, "web", ["five", "four"])
        assert follow.stdout.readline() == "five\n"
        assert follow.stdout.readline() == "four\n"
        time.sleep(0.6)  # three more polls that overlap every line above
        emulator.append_logs(gid, "web", ["six"])
        assert follow.stdout.readline() == "six\n"
    finally:
        follow.terminate()
        follow.wait(10)

    # -- restart: once per value, kept across an operator restart; the previous container's log
    assert eci.ok("restart", "web") == "containergroup.eci.operator.dev/web restarted\n"
    value = cluster.get("web")["metadata"]["annotations"][RESTART_ANNOTATION]  # type: ignore[index]
    cluster.wait(
        "web", lambda b: b["status"].get("restartedAt") == value and b["status"]["phase"] == "Running", 60
    )
    deadline = time.monotonic() + 30  # the instance itself back to Running after its restart
    while (emulator.instance(gid) or {}).get("Containers", [{}])[0].get("RestartCount") != 1:
        assert time.monotonic() < deadline, "the instance was not restarted"
        time.sleep(0.1)
    emulator.wait_status(gid, "Running")
    assert restarts(emulator) == 1
    emulator.append_logs(gid, "web", ["after"])
    assert eci.ok("logs", "web", "-c", "web", "--previous", "--tail", "2") == "four\nsix\n"
    assert eci.ok("logs", "web", "-c", "web") == "after\n"
    operator.stop()
    operator = start_operator(cluster.namespace, emulator, resync=1.0)
    time.sleep(2.5)  # a start-up listing and two resyncs
    assert restarts(emulator) == 1
    assert emulator.instance(gid)["Containers"][0]["RestartCount"] == 1  # type: ignore[index]

    # -- events: ECI's and Kubernetes', in time order
    events = eci.ok("events", "web").splitlines()
    assert events[0].split()[:4] == ["LAST", "SEEN", "TYPE", "REASON"]
    rows = [line.split(None, 4) for line in events[1:]]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    reasons = {(r[2], r[3]) for r in rows}
    assert ("Restarted", "eci-operator") in reasons and ("Created", "eci-operator") in reasons
    assert ("Restarting", "eci") in reasons and ("Started", "eci") in reasons

    # -- not Running
    emulator.patch(gid, {"Status": "Pending"})
    assert "is Pending, not Running" in eci.fails("exec", "web", "-c", "web", "--", "hostname")


def interactive(eci: Plugin, args: list[str], keys: list[bytes]) -> tuple[int, bytes]:
    """Run ``kubectl eci ARGS`` on a pty, type ``keys``; its exit status and everything it showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        eci.argv(*args), stdin=follower, stdout=follower, stderr=follower, env=eci.env, close_fds=True
    )
    os.close(follower)
    screen = b""
    pending = list(keys)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break  # the pty closed: the process is gone
            if not chunk:
                break
            screen += chunk
        if pending and screen.endswith(b"# "):
            os.write(leader, pending.pop(0))
        if process.poll() is not None and not ready:
            break
    os.close(leader)
    return process.wait(10), screen


def test_export_apply_adopts_without_changing_the_instance(
    cluster: Cluster, kube_env: Any, emulator: EmulatorHandle, start_operator: Any, tmp_path: Path
) -> None:
    """An instance made with the official SDK (probes, volumes, an init container, registry
    credentials) → ``kubectl eci export`` → the listed ConfigMap filled in → ``kubectl apply``: the
    plan is empty and the operator adopts it with no restart and no change but its ownership tags."""
    eci = Plugin(kube_env.kubeconfig, cluster.namespace, emulator)
    gid = create_full(emulator)
    emulator.wait_status(gid, "Running")
    assert "not found in cn-hangzhou" in eci.fails("export", "eci-nosuch", "--region", "cn-hangzhou")
    text = eci.ok("export", gid, "--region", "cn-hangzhou", "--name", "legacy")
    assert "s3cr3t" not in text and "listen 80" not in text
    assert "changes nothing" in text.split("apiVersion:")[0]
    assert "create ConfigMap legacy-conf" in text and "registry credentials" in text
    manifest = tmp_path / "legacy.yaml"
    manifest.write_text(text)
    # What the header asks for, filled in as it is on the instance.
    cluster.put_core(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "legacy-conf", "namespace": cluster.namespace},
            "data": {"nginx.conf": "server { listen 80; }\n"},
        }
    )
    configmap = tmp_path / "conf.yaml"
    configmap.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "legacy-conf"},
                "data": {"nginx.conf": "server { listen 80; }\n"},
            }
        )
    )
    planned = eci.ok("plan", "-f", str(manifest), "-f", str(configmap))
    assert "No changes." in planned, planned

    start_operator(cluster.namespace, emulator, resync=1.0)
    applied = subprocess.run(
        [str(tool("kubectl")), "apply", "-n", cluster.namespace, "-f", str(manifest)],
        capture_output=True,
        text=True,
        env=eci.env,
        timeout=60,
    )
    assert applied.returncode == 0, applied.stderr
    body = cluster.wait("legacy", is_ready, timeout=60)
    assert body["status"]["containerGroupId"] == gid
    writes = [
        r for r in emulator.requests() if r["Action"] in ("CreateContainerGroup", "RestartContainerGroup")
    ]
    assert len(writes) == 1  # the SDK's own create
    for update in emulator.requests("UpdateContainerGroup"):  # claiming it: the ownership tags only
        assert {k.split(".")[0] for k in update["Params"]} <= {
            "RegionId",
            "ContainerGroupId",
            "ClientToken",
            "UpdateType",
            "Tag",
        }
    instance = emulator.instance(gid)
    assert instance is not None and instance["Status"] == "Running"
    assert [c["RestartCount"] for c in instance["Containers"]] == [0, 0]
