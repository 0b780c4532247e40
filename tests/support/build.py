"""The Go-built test binaries (kube-testenv, the GitOps tools): built with their make target when missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 3600.0  # a cold build on a busy 2-core machine takes up to ~20 minutes


def built(binary: Path, target: str) -> Path:
    """``binary``, after ``make <target>`` when it does not exist yet."""
    if binary.exists():
        return binary
    build = subprocess.run(
        ["make", "-C", str(REPO), target], capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
    )
    if build.returncode != 0 or not binary.exists():
        raise RuntimeError(
            f"`make {target}` failed ({build.returncode}):\n{build.stdout[-4000:]}{build.stderr[-4000:]}"
        )
    return binary
