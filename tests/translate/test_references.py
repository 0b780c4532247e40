"""References resolve to objects of the ContainerGroup's own namespace, by the name the spec gives,
and to nothing else: hostile names are refused before any lookup, and an object read for one name
is never served for another."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from eci_operator.api.pod import LocalObjectReference
from eci_operator.translate import (
    References,
    TranslationError,
    parse_group,
    referenced_names,
    references,
    translate,
)
from tests.api.corpus import invalid_cases
from tests.translate.helpers import container, manifest

HOSTILE = [
    "../../victim-ns/secrets/dbcreds",
    "a/b",
    "..",
    ".",
    "%2e%2e",
    "dbcreds?watch=true",
    "Dbcreds",
    "app\n",
    "a" * 254,
    "",
]
NAME_CASES = [c for c in invalid_cases() if c.name.startswith("name-")]
NAMESPACE = "attacker"


def secret_object(name: str, namespace: str = NAMESPACE, value: str = "stolen") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": {"password": base64.b64encode(value.encode()).decode()},
    }


def every_reference(name: str) -> dict[str, Any]:
    """A manifest naming ``name`` in every field that names a Secret or ConfigMap."""

    def patch(s: dict[str, Any]) -> None:
        s["imagePullSecrets"] = [{"name": name}]
        container(
            s,
            env=[
                {"name": "A", "valueFrom": {"secretKeyRef": {"name": name, "key": "k"}}},
                {"name": "B", "valueFrom": {"configMapKeyRef": {"name": name, "key": "k"}}},
            ],
        )
        s["volumes"] = [
            {"name": "s", "secret": {"secretName": name}},
            {"name": "c", "configMap": {"name": name}},
        ]

    return manifest(patch)


NAME_FIELDS = [
    "spec.imagePullSecrets[0].name",
    "spec.containers[0].env[0].valueFrom.secretKeyRef.name",
    "spec.containers[0].env[1].valueFrom.configMapKeyRef.name",
    "spec.volumes[0].secret.secretName",
    "spec.volumes[1].configMap.name",
]


@pytest.mark.parametrize("name", HOSTILE, ids=repr)
def test_hostile_names_refused_in_every_field(name: str) -> None:
    with pytest.raises(TranslationError) as err:
        parse_group(every_reference(name))
    assert set(NAME_FIELDS) <= set(err.value.fields), str(err.value)


def test_valid_names_are_every_dns_subdomain() -> None:
    longest = ".".join(["a" * 63] * 3 + ["a" * 61])
    assert len(longest) == 253
    for name in ("a", "db-creds", "db.creds.v2", "0", longest):
        group = parse_group(every_reference(name))
        assert [r.field for r in references(group.spec)] == NAME_FIELDS
        assert referenced_names(group.spec).secrets == {name}


@pytest.mark.parametrize("name", HOSTILE[:4], ids=repr)
def test_unvalidated_spec_is_still_refused_before_any_lookup(name: str) -> None:
    """A spec that skipped validation (built in code) cannot put a path into a request either."""
    group = parse_group(manifest())
    bad = LocalObjectReference.model_construct(name=name)
    group = group.model_copy(update={"spec": group.spec.model_copy(update={"image_pull_secrets": [bad]})})
    with pytest.raises(TranslationError) as err:
        referenced_names(group.spec)
    assert err.value.fields == ["spec.imagePullSecrets[0].name"]
    with pytest.raises(TranslationError) as err:
        translate(group, References.requested(NAMESPACE, {"dbcreds": secret_object("dbcreds")}, {}))
    assert "spec.imagePullSecrets[0].name" in err.value.fields


# ------------------------------------------------------------------ References by requested name


def env_spec(*names: str) -> dict[str, Any]:
    return manifest(
        lambda s: container(
            s,
            env=[
                {"name": f"V{i}", "valueFrom": {"secretKeyRef": {"name": n, "key": "password"}}}
                for i, n in enumerate(names)
            ],
        )
    )


def test_requested_objects_are_served_under_the_name_asked_for() -> None:
    refs = References.requested(NAMESPACE, {"db": secret_object("db", value="pw"), "gone": None}, {})
    assert set(refs.secrets) == {"db"}
    desired = translate(parse_group(env_spec("db")), refs)
    env = desired.request.containers[0].environment_vars
    assert env is not None and env[0].value == "pw"
    with pytest.raises(TranslationError, match="Secret 'gone' not found"):
        translate(parse_group(env_spec("gone")), refs)


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        (secret_object("dbcreds", namespace="victim-ns"), "namespace 'victim-ns'"),
        (secret_object("other"), "Secret 'other'"),
        ({**secret_object("db"), "kind": "ConfigMap"}, "ConfigMap 'db'"),
        ({"kind": "Secret", "metadata": {"name": "db"}, "data": {}}, "namespace None"),
    ],
    ids=["another namespace", "another name", "another kind", "no namespace"],
)
def test_an_answer_for_another_object_is_refused(answer: dict[str, Any], what: str) -> None:
    """Whatever a reader returns for ``db`` (a URL that resolved elsewhere, a cache keyed wrongly),
    only the Secret ``db`` of the ContainerGroup's namespace is used as ``db``."""
    with pytest.raises(ValueError, match=what) as err:
        References.requested(NAMESPACE, {"db": answer}, {})
    assert "stolen" not in str(err.value)


@pytest.mark.parametrize("name", HOSTILE[:4], ids=repr)
def test_an_invalid_requested_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="RFC 1123 subdomain"):
        References.requested(NAMESPACE, {name: None}, {})


def test_a_stolen_object_cannot_serve_a_plain_reference() -> None:
    """The attack: a path-like name made the reader fetch another namespace's ``dbcreds``; keyed by
    its own name, it then served a second, plain reference ``dbcreds``. By requested name, the
    answer for the path is refused and ``dbcreds`` means this namespace's Secret only."""
    victim = secret_object("dbcreds", namespace="victim-ns")
    with pytest.raises(ValueError):
        References.requested(NAMESPACE, {"../../victim-ns/secrets/dbcreds": victim, "dbcreds": None}, {})
    refs = References.requested(NAMESPACE, {"dbcreds": None}, {})
    with pytest.raises(TranslationError, match="Secret 'dbcreds' not found"):
        translate(parse_group(env_spec("dbcreds")), refs)


# ------------------------------------------------------------------ References from whole manifests


def test_from_objects_refuses_an_object_given_twice() -> None:
    with pytest.raises(ValueError, match="Secret 'db' is given twice"):
        References.from_objects([secret_object("db"), secret_object("db", value="other")])


def test_from_objects_refuses_another_namespace() -> None:
    objects = [secret_object("db", namespace="victim-ns")]
    with pytest.raises(ValueError, match="namespace 'victim-ns'"):
        References.from_objects(objects, namespace=NAMESPACE)
    assert set(References.from_objects([secret_object("db")], namespace=NAMESPACE).secrets) == {"db"}


@pytest.mark.parametrize("case", NAME_CASES, ids=[c.name for c in NAME_CASES])
def test_corpus_names_refused_before_translation(case: Any) -> None:
    with pytest.raises(TranslationError) as err:
        parse_group(case.manifest)
    assert err.value.fields == [case.field]
    assert "RFC 1123 subdomain" in str(err.value)
