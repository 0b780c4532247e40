"""Real Pod templates from public projects apply as they are, or are refused for what ECI cannot do.

Each template (tests/pod_templates/templates) is wrapped in a ContainerGroup and translated. It is
either accepted, or refused; every refusal names a field the template has and says why. The figures:
at least 90 % are accepted or refused only for fields ECI cannot enforce. With
``unenforceableFields: Ignore`` every template is accepted (the ignored fields listed, each one in
the template) except those ECI cannot run at all (beyond its hard limits, named here) and the one
the operator refuses by design (a Secret in a command line). Every accepted template round-trips
translate → emulator → Describe → normalise without phantom drift.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.transport import RetryPolicy
from eci_operator.translate import Desired, TranslationError, parse_group, plan, translate
from eci_operator.translate.errors import Problem
from eci_operator.translate.fingerprints import fingerprints
from eci_operator.translate.normalise import desired_state, normalise
from tests.pod_templates.corpus import Template, templates
from tests.support.emulator import EmulatorHandle

DOC = Path(__file__).parents[2] / "docs" / "pod-compatibility.md"
TEMPLATES = templates()
IDS = [t.name for t in TEMPLATES]
# Templates no option can make ECI run: ECI's hard limits (the CRD refuses them at admission too).
BEYOND_ECI_LIMITS = {
    "kube-prometheus--grafana": "spec.volumes",  # 38 volumes; ECI mounts at most 20
    "kube-prometheus--node-exporter": "spec.containers[0].args",  # 11 args; ECI takes at most 10
    "online-boutique--loadgenerator": "spec.initContainers[0].command[2]",  # a 600-character script line
}
# Refused by design: the expanded argument would carry a Secret value into the instance's command.
SECRET_IN_COMMAND = {"argo-cd--argocd-redis": "spec.containers[0].args[4]"}


def _outcome(t: Template, **spec: Any) -> Desired | TranslationError:
    try:
        return translate(parse_group(t.group(**spec)), t.references())
    except TranslationError as exc:
        return exc


def _exists(manifest: dict[str, Any], path: str) -> bool:
    """Whether the manifest has the field ``path`` (``spec.a[0].b``, ``spec.m['key']``)."""
    node: Any = manifest
    for part in re.findall(r"[^.\[\]]+|\[\d+\]|\['[^']*'\]", path):
        if part.startswith("[") and part[1:-1].isdigit():
            index = int(part[1:-1])
            if not isinstance(node, list) or index >= len(node):
                return False
            node = node[index]
        else:
            key = part[2:-2] if part.startswith("['") else part
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
    return True


def test_the_corpus_is_real_and_large_enough() -> None:
    assert len(TEMPLATES) >= 50
    assert len({t.source for t in TEMPLATES}) >= 8  # many projects, not one chart fifty times
    for t in TEMPLATES:
        assert t.source.startswith("https://github.com/"), t.name
        assert re.fullmatch(r"[0-9a-f]{40}", t.commit), t.name
        assert t.path and t.template["spec"]["containers"], t.name


def figures() -> Counter[str]:
    """accepted / unenforceable (refused only for fields ECI cannot enforce) / other refusals."""
    counts: Counter[str] = Counter()
    for t in TEMPLATES:
        result = _outcome(t)
        if isinstance(result, Desired):
            counts["accepted"] += 1
        elif all(p.unenforceable for p in result.problems):
            counts["unenforceable"] += 1
        else:
            counts["refused"] += 1
    return counts


def test_at_least_90_percent_accepted_or_refused_only_for_what_eci_cannot_enforce() -> None:
    counts = figures()
    good = counts["accepted"] + counts["unenforceable"]
    print(f"\ncorpus of {len(TEMPLATES)}: {dict(counts)}")
    assert good >= 0.9 * len(TEMPLATES), counts
    assert counts["refused"] == len(BEYOND_ECI_LIMITS) + len(SECRET_IN_COMMAND)


@pytest.mark.parametrize("t", TEMPLATES, ids=IDS)
def test_every_refusal_names_a_field_of_the_template_and_why(t: Template) -> None:
    result = _outcome(t)
    if isinstance(result, Desired):
        return
    manifest = t.group()
    for problem in result.problems:
        assert _exists(manifest, problem.field), str(problem)
        assert problem.message.strip(), str(problem)
        assert "s3cret" not in str(problem)  # the made-up Secret values never show


@pytest.mark.parametrize("t", TEMPLATES, ids=IDS)
def test_with_ignore_every_template_runs_unless_eci_cannot_run_it_at_all(t: Template) -> None:
    result = _outcome(t, unenforceableFields="Ignore")
    expected = BEYOND_ECI_LIMITS.get(t.name) or SECRET_IN_COMMAND.get(t.name)
    if expected is not None:
        assert isinstance(result, TranslationError), t.name
        assert [p.field for p in result.problems] == [expected]
        return
    assert isinstance(result, Desired), str(result)
    refused = _outcome(t)
    if isinstance(refused, Desired):
        assert result.ignored == ()
        return
    # exactly the unenforceable fields are ignored, each one a field of the template, with its reason
    assert sorted(map(_key, result.ignored)) == sorted(map(_key, refused.problems))
    manifest = t.group()
    for problem in result.ignored:
        assert _exists(manifest, problem.field) and problem.message, str(problem)


def summary() -> str:
    """The corpus figures of docs/pod-compatibility.md."""
    counts = figures()
    ignored: Counter[str] = Counter()
    for t in TEMPLATES:
        result = _outcome(t, unenforceableFields="Ignore")
        if isinstance(result, Desired):
            ignored.update(
                {re.sub(r"\[[^]]*\]", "[]", p.field).removeprefix("spec.") for p in result.ignored}
            )
    runs = len(TEMPLATES) - len(BEYOND_ECI_LIMITS) - len(SECRET_IN_COMMAND)
    rows = [
        ("accepted as they are", counts["accepted"]),
        ("refused only for fields ECI cannot enforce", counts["unenforceable"]),
        (
            "refused: beyond ECI's hard limits (20 volumes, 10 args, 256-character commands)",
            len(BEYOND_ECI_LIMITS),
        ),
        ("refused: a Secret would land in the command line", len(SECRET_IN_COMMAND)),
    ]
    lines = ["| outcome | templates |", "| --- | --- |", *(f"| {what} | {n} |" for what, n in rows)]
    lines.append(f"| run with `unenforceableFields: Ignore` | {runs} of {len(TEMPLATES)} |")
    ranked = sorted(ignored.items(), key=lambda item: (-item[1], item[0]))[:8]  # ties by name: stable
    common = ", ".join(f"`{field}` ({n})" for field, n in ranked)
    return "\n".join([*lines, "", f"The fields most often ignored (templates): {common}.", ""])


def test_the_documentation_holds_the_figures() -> None:
    text = DOC.read_text()
    start, end = "<!-- corpus: generated from tests/pod_templates -->\n", "<!-- /corpus -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    generated = head + start + summary() + end + tail
    if os.environ.get("UPDATE_DOCS") == "1":
        DOC.write_text(generated)
        return
    assert text == generated, "docs/pod-compatibility.md is stale: run the tests with UPDATE_DOCS=1"


def _key(p: Problem) -> tuple[str, str]:
    return (p.field, p.message)


def _client(emulator: EmulatorHandle) -> EciClient:
    return EciClient(
        region_id="cn-hangzhou",
        credentials=StaticCredentials(emulator.access_key_id or "", emulator.access_key_secret or ""),
        endpoint=emulator.url,
        retry=RetryPolicy(deadline=30, attempt_timeout=10),
    )


@pytest.mark.slow
def test_every_accepted_template_round_trips_through_the_emulator_without_drift(
    emulator: EmulatorHandle,
) -> None:
    runnable = [
        (t.name, d) for t in TEMPLATES if isinstance(d := _outcome(t, unenforceableFields="Ignore"), Desired)
    ]
    assert len(runnable) == len(TEMPLATES) - len(BEYOND_ECI_LIMITS) - len(SECRET_IN_COMMAND)

    async def roundtrip() -> list[str]:
        drift = []
        async with _client(emulator) as client:
            for name, desired in runnable:
                created = await client.create_container_group(desired.request)
                observed = (await client.describe_by_ids([created.container_group_id]))[
                    created.container_group_id
                ]
                applied = fingerprints(desired)
                wanted = desired_state(desired.request, dict(desired.sensitive.env))
                result = plan(desired, observed, applied)
                if normalise(observed, desired, applied) != wanted or not result.empty:
                    drift.append(f"{name}:\n{result.render()}")
        return drift

    assert asyncio.run(roundtrip()) == []
