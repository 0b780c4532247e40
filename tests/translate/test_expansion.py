"""``$(VAR)`` expansion exactly as the kubelet does it
(k8s.io/kubernetes third_party/forked/golang/expansion)."""

from __future__ import annotations

import pytest

from eci_operator.translate.expansion import expand, references

VARS = {"VAR_A": "A", "VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)", "VAR_EMPTY": ""}

CASES = [
    ("whole string", "$(VAR_A)", "A"),
    ("repeat", "$(VAR_A)-$(VAR_A)", "A-A"),
    ("beginning", "$(VAR_A)-1", "A-1"),
    ("middle", "___$(VAR_B)___", "___B___"),
    ("end", "___$(VAR_C)", "___C"),
    ("compound", "$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"),
    ("escaped operator", "$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"),
    ("escaped operator at the end", "___$$", "___$"),
    ("a lone operator at the end", "___$", "___$"),
    ("unknown variable stays", "$(VAR_DNE)", "$(VAR_DNE)"),
    ("an expanded value is not expanded again", "$(VAR_REF)", "$(VAR_A)"),
    ("empty value", "x$(VAR_EMPTY)y", "xy"),
    ("unclosed reference stays", "$(VAR_A", "$(VAR_A"),
    ("operator before something else", "$VAR_A", "$VAR_A"),
    ("empty name", "$()", "$()"),
    ("a lone operator mid-string", "a$b", "a$b"),
    ("triple operator", "$$$(VAR_A)", "$A"),
    ("non-ASCII after the operator", "$é$(VAR_A)", "$éA"),
    ("nested references are not", "$(VAR_$(VAR_A))", "$(VAR_$(VAR_A))"),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expands_as_the_kubelet(name: str, text: str, expected: str) -> None:
    assert expand(text, VARS) == expected


def test_references_list_the_names_in_order_and_skip_escapes() -> None:
    assert references("$(A)-$$(B)-$(C)-$(A)") == ["A", "C", "A"]
    assert references("no refs $ here $$") == []
