"""kubectl v1.36 (built from k8s.io/kubectl) against the CRD and the operator, as users drive it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from eci_operator.api.containergroup import ContainerGroupSpec, ContainerGroupStatus, UpdatePolicy
from tests.support.cluster import Cluster, condition, is_ready, is_stalled
from tests.support.manifests import container_group
from tests.support.operator import REPO
from tests.support.tools import Kubectl

pytestmark = pytest.mark.kube

INVALID = REPO / "tests" / "api" / "invalid"
REFUSED = REPO / "tests" / "api" / "refused"


def manifest(**spec: Any) -> str:
    return yaml.safe_dump(container_group("web", **spec))


def words(text: str) -> str:
    return " ".join(text.split())


def test_apply_server_side_apply_and_diff_without_conflicts(
    cluster: Cluster, kubectl: Kubectl, emulator: Any, start_operator: Any
) -> None:
    """Client-side apply, then server-side apply (what Argo CD and Flux use) over an object the operator
    has finalized and written status to: no conflict, and diff shows only the user's own change."""
    start_operator(cluster.namespace, emulator, resync=2.0)
    kubectl.ok("apply", "-f", "-", stdin=manifest())
    body = cluster.wait("web", is_ready, timeout=60)
    assert body["metadata"]["finalizers"] == ["eci.operator.dev/finalizer"]

    # Re-applying the same manifest changes nothing: the operator never writes spec.
    same = kubectl("diff", "-f", "-", stdin=manifest())
    assert same.returncode == 0, same.stdout
    # Moving to server-side apply (kubectl migrates the client-side manager) changes no field.
    kubectl.ok("apply", "--server-side", "-f", "-", stdin=manifest())
    applied = cluster.get("web")
    assert applied is not None and applied["metadata"]["generation"] == 1
    same = kubectl("diff", "--server-side", "-f", "-", stdin=manifest())
    assert same.returncode == 0, same.stdout

    changed = manifest(tags={"team": "shop", "env": "prod"})
    diff = kubectl("diff", "--server-side", "-f", "-", stdin=changed)
    assert diff.returncode == 1, diff.stderr  # 1: differences found
    added = [line for line in diff.stdout.splitlines() if line.startswith("+ ") or line.startswith("+  ")]
    assert any(re.fullmatch(r"\+\s+env: prod", line) for line in added), diff.stdout
    assert all("status" not in line for line in added), diff.stdout

    out = kubectl.ok("apply", "--server-side", "-f", "-", stdin=changed)
    assert out.split() == ["containergroup.eci.operator.dev/web", "serverside-applied"]
    body = cluster.wait("web", lambda b: is_ready(b) and b["metadata"]["generation"] == 2, timeout=60)
    managers = {m["manager"]: m for m in body["metadata"]["managedFields"]}
    assert "kubectl" in managers
    assert all(
        "f:spec" not in str(m.get("fieldsV1", {})) for name, m in managers.items() if name != "kubectl"
    ), "only kubectl owns spec fields"


def test_wait_get_wide_and_delete(
    cluster: Cluster, kubectl: Kubectl, emulator: Any, start_operator: Any
) -> None:
    start_operator(cluster.namespace, emulator, resync=2.0)
    kubectl.ok("apply", "--server-side", "-f", "-", stdin=manifest())
    kubectl.ok("wait", "--for=condition=Ready", "--timeout=120s", "containergroup/web", timeout=150)
    body = cluster.get("web")
    assert body is not None and is_ready(body)

    # -o wide: the default columns plus what explains a group that is not Ready
    blocked = container_group("web", updatePolicy=UpdatePolicy.IN_PLACE_ONLY.value)
    blocked["spec"]["containers"][0]["image"] = "nginx:1.28"
    kubectl.ok("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(blocked))
    body = cluster.wait(
        "web",
        lambda b: condition(b, "Ready").get("reason") == "UpdateBlockedByPolicy" and b["status"].get("plan"),
        60,
    )
    header, row = kubectl.ok("get", "ecicg", "web", "-o", "wide").splitlines()
    assert header.split() == ["NAME", "ID", "PHASE", "READY", "IP", "AGE", "REASON", "PENDING", "MESSAGE"]
    cells = re.split(r"\s{2,}", row.strip())
    status = body["status"]
    assert cells[:5] == ["web", status["containerGroupId"], "Running", "False", status["intranetIp"]]
    assert cells[6:8] == ["UpdateBlockedByPolicy", status["plan"]["impact"]]
    assert words(cells[8]) == words(condition(body, "Ready")["message"])
    narrow = kubectl.ok("get", "ecicg", "web").splitlines()[0].split()
    assert narrow == ["NAME", "ID", "PHASE", "READY", "IP", "AGE"]

    # wait fails (exit 1, timed out) while the group is not Ready
    result = kubectl("wait", "--for=condition=Ready", "--timeout=1s", "containergroup/web")
    assert result.returncode == 1 and "timed out" in result.stderr

    # delete waits for the finalizer: the instance is gone when kubectl returns
    gid = status["containerGroupId"]
    kubectl.ok("delete", "containergroup/web", "--timeout=120s", timeout=150)
    assert cluster.get("web") is None
    assert emulator.instance(gid) is None


def test_explain_documents_the_fields(kube_env: Any, kube_namespace: str, operator_kubeconfig: Any) -> None:
    """`kubectl explain` shows each field's description, taken from the models' docstrings."""
    kubectl = Kubectl(kube_env.kubeconfig, kube_namespace)
    spec = kubectl.ok("explain", "containergroup.spec")
    for name, field in ContainerGroupSpec.model_fields.items():
        alias = field.alias or name
        assert re.search(rf"^\s+{alias}\s", spec, re.MULTILINE), f"{alias} missing from explain"
        assert field.description, f"{alias} has no docstring"
        assert words(field.description) in words(spec), f"{alias}: {field.description!r} not shown"
    status = kubectl.ok("explain", "containergroup.status.observedGeneration")
    description = ContainerGroupStatus.model_fields["observed_generation"].description
    assert description is not None and words(description) in words(status)
    policy = kubectl.ok("explain", "containergroup.spec.updatePolicy")
    assert re.search(r"ENUM:\s+InPlaceOnly\s+AllowRestart\s+AllowReplace", policy), policy


@pytest.mark.parametrize(
    "case", ["port-zero.yaml", "bad-update-policy.yaml", "name-secret-env-traversal.yaml"]
)
def test_invalid_manifest_is_refused_naming_the_field(
    kubectl: Kubectl, operator_kubeconfig: Any, case: str
) -> None:
    path = INVALID / case
    field = path.read_text().splitlines()[0].removeprefix("# field: ").strip()
    result = kubectl("apply", "--server-side", "-f", str(path))
    assert result.returncode == 1
    assert "is invalid" in result.stderr
    # the apiserver names the field as spec.containers[0].ports[1].containerPort
    assert field in result.stderr, result.stderr


def test_a_field_eci_cannot_enforce_stalls_by_name_until_ignored(
    cluster: Cluster, kubectl: Kubectl, emulator: Any, start_operator: Any
) -> None:
    """Plain ``kubectl apply`` (Warn field validation) keeps a Pod-spec field ECI cannot enforce: the
    operator stalls naming it, creates nothing, and runs the group once the user opts in."""
    start_operator(cluster.namespace, emulator, resync=2.0)
    path = REFUSED / "capability-sys-admin.yaml"
    field = path.read_text().splitlines()[0].removeprefix("# field: ").strip()
    created = len(emulator.requests("CreateContainerGroup"))
    kubectl.ok("apply", "-f", str(path))
    body = cluster.wait("refused", is_stalled, timeout=60)
    stalled = condition(body, "Stalled")
    assert stalled["reason"] == "InvalidSpec" and field in stalled["message"], stalled
    assert "containerGroupId" not in body["status"]
    assert len(emulator.requests("CreateContainerGroup")) == created

    kubectl.ok(
        "patch", "containergroup/refused", "--type=merge", "-p", '{"spec":{"unenforceableFields":"Ignore"}}'
    )
    kubectl.ok("wait", "--for=condition=Ready", "--timeout=120s", "containergroup/refused", timeout=150)
    status = kubectl.get_json("containergroup/refused")["status"]
    assert [i["field"] for i in status["ignoredFields"]] == [field]
    assert field in condition({"status": status}, "Ready")["message"]
