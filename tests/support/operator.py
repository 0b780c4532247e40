"""The operator as a real process, under the deploy/ ServiceAccount and RBAC."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
SA_NAMESPACE = "eci-operator-system"
SA_NAME = "eci-operator"


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports: all held open at once, since a port closed before the
    next is picked can be handed out again."""
    with contextlib.ExitStack() as stack:
        held = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in held:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in held]


# A kubeconfig holds its token as it was issued: one that outlived a benchmark run at N = 20000
# (over an hour) ended it with 401s. In a cluster the projected token file is re-read instead.
OPERATOR_TOKEN_SECONDS = 24 * 3600


def install_operator_access(kube_env: Any, path: Path) -> Path:
    """Apply the CRD and deploy/ RBAC; write a kubeconfig acting as the operator's ServiceAccount
    (its token valid for a day, longer than any run)."""
    kube_env.apply(REPO / "crds" / "containergroup.yaml")
    kube_env.apply(REPO / "crds" / "eciaccount.yaml")
    for name in ("namespace.yaml", "serviceaccount.yaml", "rbac.yaml"):
        kube_env.apply(REPO / "deploy" / name)
    return Path(
        kube_env.serviceaccount_kubeconfig(
            SA_NAMESPACE, SA_NAME, path, expiration_seconds=OPERATOR_TOKEN_SECONDS
        )
    )


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
        self.process.send_signal(signal.SIGCONT)  # a paused process would not act on SIGTERM
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)

    def pause(self) -> None:
        """SIGSTOP: the operator does nothing until :meth:`resume`, as if it had not seen events yet."""
        assert self.process is not None and self.process.poll() is None, "the operator is not running"
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None, "the operator was never started"
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as when a node dies."""
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text


def listening_addresses(port: int) -> set[str]:
    """The local IPv4 addresses with a TCP socket listening on ``port`` (Linux ``/proc/net/tcp``):
    ``{"127.0.0.1"}`` for loopback only, ``{"0.0.0.0"}`` for every interface."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, _, state = line.split()[1:4]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return found
