"""The real GitOps clients from ``tests/gitops-tools``: kubectl, helm, kstatus and argo-health.

The binaries live in ``<repo>/.cache/bin`` (``$GITOPS_TOOLS_BIN`` overrides the folder); when one is
missing it is built with ``make gitops-tools``, as ``tests.kube.testenv`` builds kube-testenv.
Every call has a timeout and returns the finished process; nothing is left running.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.build import built

REPO = Path(__file__).resolve().parents[2]
CALL_TIMEOUT = 120.0
TOOLS = ("kubectl", "helm", "kstatus", "argo-health")
ARGO_HEALTH_SCRIPT = REPO / "deploy" / "argocd" / "health.lua"


def tool(name: str) -> Path:
    """The path of one tool, building all of them with ``make gitops-tools`` when it is missing."""
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r}; tests/gitops-tools builds {', '.join(TOOLS)}")
    configured = os.environ.get("GITOPS_TOOLS_BIN")
    folder = Path(configured) if configured else REPO / ".cache" / "bin"
    binary = folder / name
    if configured and not binary.exists():
        raise FileNotFoundError(
            f"GITOPS_TOOLS_BIN={configured} has no {name} (build with `make gitops-tools`)"
        )
    return built(binary, "gitops-tools")


def run(
    name: str,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = CALL_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run one tool to completion; the caller checks ``returncode``."""
    return subprocess.run(
        [str(tool(name)), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def checked(result: subprocess.CompletedProcess[str]) -> str:
    """``stdout`` of a successful call; a failure raises with the command and both streams."""
    if result.returncode != 0:
        command = " ".join(result.args)
        raise AssertionError(
            f"{command} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result.stdout


@dataclass
class Kubectl:
    """kubectl against one cluster (a kubeconfig), by default in one namespace."""

    kubeconfig: Path
    namespace: str | None = None

    def __call__(
        self, *args: str, stdin: str | None = None, timeout: float = CALL_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        scope = ["--namespace", self.namespace] if self.namespace else []
        return run(
            "kubectl", "--kubeconfig", str(self.kubeconfig), *scope, *args, stdin=stdin, timeout=timeout
        )

    def ok(self, *args: str, stdin: str | None = None, timeout: float = CALL_TIMEOUT) -> str:
        return checked(self(*args, stdin=stdin, timeout=timeout))

    def get_json(self, *args: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.ok("get", *args, "-o", "json"))
        return result

    def ready_now(self, name: str) -> bool:
        """``kubectl wait --for=condition=Ready --timeout=0``: is the condition met right now?"""
        result = self("wait", "--for=condition=Ready", "--timeout=0", f"containergroup/{name}")
        if result.returncode == 0:
            return True
        if "timed out" in result.stderr or "condition not met" in result.stderr:
            return False
        raise AssertionError(f"kubectl wait failed: {result.stderr}")


@dataclass(frozen=True)
class Verdict:
    status: str
    message: str


def kstatus(obj: dict[str, Any]) -> Verdict:
    """kstatus (sigs.k8s.io/cli-utils) on one object; fails if Flux's fork concludes otherwise."""
    out = json.loads(checked(run("kstatus", stdin=json.dumps(obj))))
    flux = out["flux"]
    if (flux["status"], flux["message"]) != (out["status"], out["message"]):
        raise AssertionError(f"sigs.k8s.io/cli-utils says {out}, fluxcd/cli-utils says {flux}")
    return Verdict(out["status"], out["message"])


def argo_health(obj: dict[str, Any], script: Path = ARGO_HEALTH_SCRIPT) -> Verdict:
    """Argo CD's verdict on one object with the health script (a failing script fails the call)."""
    out = json.loads(checked(run("argo-health", "--script", str(script), stdin=json.dumps(obj))))
    if "error" in out:
        raise AssertionError(f"the Argo CD health script failed on the object: {out['error']}")
    return Verdict(out["status"], out["message"])


def helm(
    *args: str, kubeconfig: Path | None = None, home: Path | None = None, timeout: float = 300.0
) -> subprocess.CompletedProcess[str]:
    """helm with its state (cache, config, data) under ``home`` so runs never touch the user's."""
    env: dict[str, str] = {}
    if home is not None:
        env = {
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }
    scope = ["--kubeconfig", str(kubeconfig)] if kubeconfig else []
    return run("helm", *args, *scope, env=env, timeout=timeout)
