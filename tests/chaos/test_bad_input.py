"""Bad input: every invalid manifest is refused naming its field, at admission or as Stalled.

Two corpora: tests/api/invalid/ (refusable by the CRD's schema and CEL rules) and
tests/chaos/invalid/ (only the running operator can tell: missing Secrets, ConfigMaps and keys,
oversized or binary files, malformed pull secrets, over-long default names, a missing adoption
target). Each manifest is sent to the real apiserver with a running operator behind it; a manifest
the apiserver accepts must turn Stalled with a message naming the field. Afterwards the operator is
still alive and, over several resync intervals, sends ECI no write and only bounded reads: no
refused object is retried in a loop.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.api.corpus import INVALID
from tests.chaos.figures import record
from tests.support.cluster import Cluster, condition, is_stalled

pytestmark = pytest.mark.kube

OPERATOR_ONLY = Path(__file__).parent / "invalid"
RESYNC = 2.0


@dataclasses.dataclass
class Case:
    name: str
    field: str
    manifest: dict[str, Any]
    supporting: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def load(directory: Path) -> list[Case]:
    """Each file: ``# field: <path>`` header, the ContainerGroup, and any Secrets/ConfigMaps it needs."""
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text()
        header = dict(line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# "))
        docs = [d for d in yaml.safe_load_all(text) if d]
        [group] = [d for d in docs if d["kind"] == "ContainerGroup"]
        if group["metadata"]["name"] == "bad":
            group["metadata"]["name"] = path.stem
        cases.append(Case(path.stem, header["field"], group, [d for d in docs if d is not group]))
    return cases


def resource_version(cluster: Cluster, name: str) -> str:
    body = cluster.get(name)
    assert body is not None, name
    return str(body["metadata"]["resourceVersion"])


def test_every_invalid_manifest_is_refused_naming_the_field(
    cluster: Cluster, emulator: Any, start_operator: Any
) -> None:
    cases = load(INVALID) + load(OPERATOR_ONLY)
    assert len(cases) >= 40
    # A missing adoption target is Stalled once direct reads prove it absent, a missing reference once
    # it has been waited for: short graces here.
    operator = start_operator(
        cluster.namespace, emulator, resync=RESYNC, extra=("--gone-grace", "3", "--reference-grace", "3")
    )

    at_admission: dict[str, str] = {}
    admitted: list[Case] = []
    for case in cases:
        for obj in case.supporting:
            cluster.put_core(obj)
        body = {**case.manifest, "metadata": {**case.manifest["metadata"], "namespace": cluster.namespace}}
        response = cluster.http.post(cluster.path(), params={"fieldValidation": "Strict"}, json=body)
        if response.status_code == 201:
            admitted.append(case)
        else:
            assert response.status_code in (400, 422), response.text
            at_admission[case.name] = response.text

    fields = {c.name: c.field for c in cases}
    misnamed = {n: m for n, m in at_admission.items() if fields[n] not in m}
    assert not misnamed, misnamed

    names = {c.name: c.manifest["metadata"]["name"] for c in admitted}
    stalled = {
        case: condition(cluster.wait(name, is_stalled, timeout=30), "Stalled") for case, name in names.items()
    }
    misnamed = {n: c["message"] for n, c in stalled.items() if fields[n] not in c["message"]}
    assert not misnamed, misnamed
    assert all(c["reason"] for c in stalled.values())

    # No loop: over three resync intervals, no ECI write, a bounded number of reads, no status rewrite.
    emulator.clear_requests()
    versions = {case: resource_version(cluster, name) for case, name in names.items()}
    time.sleep(RESYNC * 3)
    requests = emulator.requests()
    writes = [r for r in requests if not str(r["Action"]).startswith("Describe")]
    assert writes == []
    assert len(requests) <= 4 * len(admitted)
    assert operator.process is not None and operator.process.poll() is None, operator.log()[-3000:]
    assert "Traceback" not in operator.log()
    assert {case: resource_version(cluster, name) for case, name in names.items()} == versions

    record(
        "bad_input",
        total=len(cases),
        refused=len(at_admission) + len(stalled),
        at_admission=len(at_admission),
        stalled=len(stalled),
        stalled_reasons=sorted({c["reason"] for c in stalled.values()}),
        eci_writes_after=len(writes),
        eci_reads_in_quiet_window=len(requests),
    )
