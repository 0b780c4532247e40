"""The operator refuses what the apiserver keeps: every manifest of tests/api/refused is refused by the
translator at the field its header names, with the reason; the ones ECI cannot enforce are accepted
with ``spec.unenforceableFields: Ignore`` and listed as ignored, the others are refused still."""

from __future__ import annotations

import copy

import pytest

from eci_operator.translate import References, TranslationError, parse_group, translate
from eci_operator.translate.errors import IGNORE_HINT
from tests.api.corpus import Case, refused_cases
from tests.translate.helpers import secret

CASES = refused_cases()
# What the corpus refers to: the cases are about the fields, not about missing objects.
REFS = References.from_objects([secret("db", {"password": "correct-horse-battery-staple"})])


def test_the_corpus_covers_both_kinds() -> None:
    assert sum(c.unenforceable for c in CASES) >= 15
    assert sum(not c.unenforceable for c in CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refused_naming_the_field_and_the_reason(case: Case) -> None:
    with pytest.raises(TranslationError) as err:
        translate(parse_group(case.manifest), REFS)
    [problem] = [p for p in err.value.problems if p.field == case.field]
    assert problem.message  # the reason
    assert problem.unenforceable is case.unenforceable
    assert (IGNORE_HINT in str(problem)) is case.unenforceable
    assert "correct-horse" not in str(err.value)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ignore_accepts_exactly_the_unenforceable_ones(case: Case) -> None:
    manifest = copy.deepcopy(case.manifest)
    manifest["spec"]["unenforceableFields"] = "Ignore"
    if not case.unenforceable:
        with pytest.raises(TranslationError) as err:
            translate(parse_group(manifest), REFS)
        assert case.field in err.value.fields
        return
    desired = translate(parse_group(manifest), REFS)
    assert case.field in [p.field for p in desired.ignored]
    assert all(p.message for p in desired.ignored)
