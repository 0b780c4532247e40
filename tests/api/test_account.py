"""The EciAccount resource: who may use an account, what a valid one looks like, and its CRD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from eci_operator.api.account import EciAccountSpec
from eci_operator.api.crd import account_crd, account_crd_yaml

REPO = Path(__file__).resolve().parents[2]
KEYS = {"secretRef": {"namespace": "eci-operator-system", "name": "team2-ak"}}


def spec(**fields: Any) -> EciAccountSpec:
    return EciAccountSpec.model_validate({"credentials": KEYS, **fields})


def test_listed_namespaces_only() -> None:
    account = spec(allowedNamespaces=["team2", "team2-batch"])
    assert account.allows("team2", None) and account.allows("team2-batch", {})
    assert not account.allows("team3", {"team": "team2"})
    assert not account.allows("team", None)  # no prefix matching


def test_a_selector_over_namespace_labels() -> None:
    account = spec(
        namespaceSelector={
            "matchLabels": {"billing": "team2"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "staging"]},
                {"key": "quarantined", "operator": "DoesNotExist"},
            ],
        }
    )
    assert account.allows("any", {"billing": "team2", "env": "prod"})
    assert not account.allows("any", {"billing": "team2", "env": "dev"})
    assert not account.allows("any", {"billing": "team2", "env": "prod", "quarantined": "yes"})
    assert not account.allows("any", None)  # labels unknown: refused
    both = spec(allowedNamespaces=["ops"], namespaceSelector={"matchLabels": {"billing": "team2"}})
    assert both.allows("ops", {}) and both.allows("x", {"billing": "team2"})


def test_an_empty_selector_allows_nobody() -> None:
    # Kubernetes reads {} as "everything"; an account must never be opened to all by accident.
    assert not spec(namespaceSelector={}).allows("any", {"a": "b"})


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({}, "allowedNamespaces or namespaceSelector"),
        ({"allowedNamespaces": ["Team_2"]}, "allowedNamespaces"),
        ({"allowedNamespaces": ["a"], "endpoint": "ftp://x"}, "endpoint"),
        ({"allowedNamespaces": ["a"], "stsEndpoint": "https://sts.example.com/path?x"}, "stsEndpoint"),
        ({"allowedNamespaces": ["a"], "credentials": {}}, "exactly one of secretRef, rrsa, assumeRole"),
        (
            {
                "allowedNamespaces": ["a"],
                "credentials": {**KEYS, "assumeRole": {"roleArn": "acs:ram::1:role/x"}},
            },
            "exactly one",
        ),
        (
            {"allowedNamespaces": ["a"], "credentials": {"secretRef": {"namespace": "ops", "name": "../x"}}},
            "name",
        ),
        (
            {"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}},
            "In needs values",
        ),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError) as err:
        EciAccountSpec.model_validate({"credentials": KEYS, **fields})
    assert named in str(err.value)


def test_crd_is_cluster_scoped_and_checked_in() -> None:
    crd = account_crd()
    assert crd["spec"]["scope"] == "Cluster"
    assert crd["metadata"]["name"] == "eciaccounts.eci.operator.dev"
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    properties = set(schema["properties"])
    assert {"endpoint", "stsEndpoint", "credentials", "allowedNamespaces", "namespaceSelector"} <= properties
    assert (
        schema["x-kubernetes-validations"][0]["rule"]
        == "has(self.allowedNamespaces) || has(self.namespaceSelector)"
    )
    for path in (
        REPO / "crds" / "eciaccount.yaml",
        REPO / "charts" / "eci-operator" / "crds" / "eciaccount.yaml",
    ):
        assert path.read_text() == account_crd_yaml(), f"{path} is stale: run `make crd`"
    assert (
        "eciaccount.yaml" in yaml.safe_load((REPO / "crds" / "kustomization.yaml").read_text())["resources"]
    )
