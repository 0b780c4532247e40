"""Every invalid manifest of the corpus is refused by the models/translator at the field it names."""

from __future__ import annotations

import pytest

from eci_operator.translate import TranslationError, parse_group, translate
from tests.api.corpus import Case, invalid_cases

CASES = invalid_cases()


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 25
    assert len({c.field for c in CASES}) >= 20  # many different fields, not one rule 25 times


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refused_naming_the_field(case: Case) -> None:
    with pytest.raises(TranslationError) as err:
        translate(parse_group(case.manifest))
    fields = err.value.fields
    # The translator may be more precise than the apiserver (spec.containers -> ...volumeMounts[0].name).
    assert any(f.startswith(case.field) for f in fields), (case.field, str(err.value))
    assert str(err.value).startswith(fields[0])
