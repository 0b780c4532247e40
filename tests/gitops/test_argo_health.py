"""The Argo CD health check users copy: the README's copy is the file, and it runs as Argo CD runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.manifests import container_group
from tests.support.operator import REPO
from tests.support.tools import ARGO_HEALTH_SCRIPT, argo_health, checked, run

pytestmark = pytest.mark.kube  # the Go-built tools

KEY = "resource.customizations.health.eci.operator.dev_ContainerGroup"


def readme_argocd_cm() -> dict[str, Any]:
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), re.DOTALL)
    (block,) = [b for b in blocks if KEY in b]
    config: dict[str, Any] = yaml.safe_load(block)
    return config


def test_readme_carries_the_file_verbatim() -> None:
    config = readme_argocd_cm()
    assert config["kind"] == "ConfigMap" and config["metadata"]["name"] == "argocd-cm"
    assert config["data"][KEY] == ARGO_HEALTH_SCRIPT.read_text()


def raw(obj: dict[str, Any], script: Path, *flags: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        checked(run("argo-health", *flags, "--script", str(script), stdin=json.dumps(obj)))
    )
    return result


def test_sandbox_is_argo_cds(tmp_path: Path) -> None:
    """Only base, table, package and a safe os exist, unless the customization opts into useOpenLibs:
    a script that works in plain Lua may fail in Argo CD, and this runtime must show it."""
    obj = container_group("web", namespace="shop")
    uses_string = tmp_path / "string.lua"
    uses_string.write_text('return {status = "Healthy", message = string.upper(obj.metadata.name)}')
    out = raw(obj, uses_string)
    assert out["status"] == "Unknown" and "string" in out["error"]
    assert raw(obj, uses_string, "--use-open-libs") == {"status": "Healthy", "message": "WEB"}

    os_time = tmp_path / "os.lua"
    os_time.write_text('local os = require("os"); return {status = "Healthy", message = type(os.time())}')
    assert raw(obj, os_time) == {"status": "Healthy", "message": "number"}
    global_os = tmp_path / "global-os.lua"
    global_os.write_text('return {status = "Healthy", message = type(os)}')
    assert raw(obj, global_os) == {"status": "Healthy", "message": "nil"}

    made_up = tmp_path / "made-up.lua"
    made_up.write_text('return {status = "Fine"}')
    assert raw(obj, made_up) == {"status": "Unknown", "message": "Lua returned an invalid health status"}


def test_deleting_object_is_pending_deletion_without_the_script() -> None:
    obj = container_group("web", namespace="shop")
    obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    obj["status"] = {
        "observedGeneration": 1,
        "conditions": [{"type": "Ready", "status": "True", "message": "up"}],
    }
    obj["metadata"]["generation"] = 1
    verdict = argo_health(obj)
    assert (verdict.status, verdict.message) == ("Progressing", "Pending deletion")


def test_generations_compare_as_numbers() -> None:
    """Argo CD decodes the object as client-go does (integers as int64, then Lua numbers): the
    script's generation check compares numbers, in both directions."""
    obj = container_group("web", namespace="shop")
    ready = {"type": "Ready", "status": "True", "reason": "InSync", "message": "instance Running"}
    obj["metadata"]["generation"] = 2
    obj["status"] = {"observedGeneration": 1, "conditions": [ready]}
    assert argo_health(obj).message == "Spec change not yet observed"
    obj["status"]["observedGeneration"] = 2
    assert (argo_health(obj).status, argo_health(obj).message) == ("Healthy", "instance Running")
