"""The container image from `make image`: its entrypoint runs as UID 10001 on a read-only root.

The image is run from buildah's storage (.cache/image) without an OCI runtime: its root filesystem is
mounted, bound read-only in a private mount namespace, and its configured entrypoint, user and
environment are used by chroot, as a runtime would. (podman and crun/runc need to set resource
limits this development machine's kernel refuses; the command is the same one a kubelet starts.)
Skipped when `make image` has not been run; it is not part of `make test`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.operator import REPO

STORE = Path(os.environ.get("IMAGE_STORE", REPO / ".cache" / "image"))
VERSION = next(
    line.split('"')[1]
    for line in (REPO / "pyproject.toml").read_text().splitlines()
    if line.startswith("version")
)
IMAGE = os.environ.get("IMAGE", f"localhost/eci-operator:{VERSION}")


BUILDAH = [
    "buildah",
    "--root",
    str(STORE / "storage"),
    "--runroot",
    str(STORE / "run"),
    "--storage-driver",
    "vfs",
]


def buildah(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*BUILDAH, *args], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0 or not check, f"buildah {' '.join(args)}: {result.stderr}"
    return result


def image_config() -> dict[str, Any] | None:
    if shutil.which("buildah") is None or not (STORE / "storage").exists():
        return None
    found = buildah("inspect", "--type", "image", IMAGE, check=False)
    if found.returncode != 0:
        return None
    config: dict[str, Any] = json.loads(found.stdout)["OCIv1"]["config"]
    return config


CONFIG = image_config()
pytestmark = pytest.mark.skipif(CONFIG is None, reason=f"no image {IMAGE} in {STORE}: run `make image`")


@pytest.fixture(scope="module")
def rootfs() -> Iterator[Path]:
    container = buildah("from", "--pull-never", IMAGE).stdout.strip()
    try:
        yield Path(buildah("mount", container).stdout.strip())
    finally:
        buildah("umount", container)
        buildah("rm", container)


def run_in_image(
    rootfs: Path, command: list[str] | None = None, *args: str
) -> subprocess.CompletedProcess[str]:
    """The image's entrypoint (or ``command``) with ``args``, as its configured user, on a read-only root."""
    assert CONFIG is not None
    argv = [*(command or CONFIG["Entrypoint"]), *args]
    env = [*CONFIG.get("Env", [])]
    script = (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && root=$1 && user=$2 && shift 2 && '
        'exec chroot --userspec="$user" "$root" env -i "$@"'
    )
    user = CONFIG["User"]
    return subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "run",
            str(rootfs),
            user,
            *env,
            *argv,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_configured_for_a_non_root_numeric_user() -> None:
    assert CONFIG is not None
    assert CONFIG["User"] == "10001:10001"
    assert CONFIG["Entrypoint"] == ["eci-operator"]
    assert CONFIG["Cmd"][0] == "run"


def test_entrypoint_help_as_10001_on_a_read_only_root(rootfs: Path) -> None:
    result = run_in_image(rootfs, None, "--help")
    assert result.returncode == 0, result.stderr
    plain = {
        k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")
    }  # same width as in the image
    local = subprocess.run(
        [sys.executable, "-m", "eci_operator.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=plain,
    )
    assert result.stdout == local.stdout


def test_the_root_really_is_read_only_and_the_user_10001(rootfs: Path) -> None:
    probe = "import os; print(os.getuid(), os.getgid()); open('/opt/venv/probe', 'w')"
    result = run_in_image(rootfs, ["/opt/venv/bin/python", "-c", probe])
    assert result.stdout.split() == ["10001", "10001"]
    assert "Read-only file system" in result.stderr


def test_the_image_holds_the_package_the_tests_install(rootfs: Path) -> None:
    """The wheel in the image carries exactly the modules of operator/eci_operator, at this version."""
    probe = (
        "import importlib.metadata as m, json; d = m.distribution('eci-operator');"
        "files = sorted(str(f) for f in d.files if str(f).startswith('eci_operator/'));"
        "print(json.dumps([d.version, files]))"
    )
    result = run_in_image(rootfs, ["/opt/venv/bin/python", "-c", probe])
    assert result.returncode == 0, result.stderr
    version, files = json.loads(result.stdout)
    source = REPO / "operator"
    expected = sorted(
        str(p.relative_to(source))
        for p in (source / "eci_operator").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert version == VERSION
    assert [f for f in files if "__pycache__" not in f] == expected
