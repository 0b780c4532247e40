"""The emulator's own unflattening of wire parameters, independent of any client's flattening."""

from __future__ import annotations

import pytest

from eci_operator.emulator import schema
from eci_operator.emulator.errors import ApiError
from eci_operator.emulator.params import Bool, merge_pairs, parse, unflatten


def test_unflatten_builds_nested_groups() -> None:
    tree = unflatten({"Container.1.Command.2": "b", "Container.1.Command.1": "a", "Container.1.Name": "x"})
    assert tree == {"Container": {"1": {"Command": {"2": "b", "1": "a"}, "Name": "x"}}}


def test_lists_come_back_in_index_order_with_typed_values() -> None:
    params = parse(
        {
            "RegionId": "cn-hangzhou",
            "ContainerGroupId": "eci-1",
            "Container.2.Name": "second",
            "Container.2.Image": "b",
            "Container.10.Name": "tenth",
            "Container.10.Image": "c",
            "Container.1.Name": "first",
            "Container.1.Image": "a",
            "Container.1.Cpu": "0.5",
            "Container.1.Port.1.Port": "80",
            "Container.1.Tty": "True",
            "Container.1.Stdin": "false",
            "Container.1.EnvironmentVar.1.FieldRef.FieldPath": "status.podIP",
        },
        schema.UPDATE,
    )
    assert [c["Name"] for c in params["Container"]] == ["first", "second", "tenth"]
    first = params["Container"][0]
    assert first["Cpu"] == 0.5
    assert first["Port"] == [{"Port": 80}]
    assert first["Tty"] is True
    assert first["Stdin"] is False
    assert first["EnvironmentVar"] == [{"FieldRef": {"FieldPath": "status.podIP"}}]


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("True", True), ("false", False), ("False", False)]
)
def test_booleans_in_both_spellings(raw: str, value: bool) -> None:
    assert Bool().convert(raw, "X") is value


@pytest.mark.parametrize(
    ("flat", "code", "field"),
    [
        ({"Container.1.Commands.1": "x"}, "InvalidParameter", "Container.1.Commands"),  # unknown name
        ({"Container.0.Name": "x"}, "InvalidParameter", "Container.0"),  # lists are 1-based
        ({"Container.a.Name": "x"}, "InvalidParameter", "Container.a"),
        ({"Container.1": "x", "Container.1.Name": "y"}, "InvalidParameter", "Container.1"),  # value and group
        ({"Container..Name": "x"}, "InvalidParameter", "Container..Name"),
        ({"Container.1.Cpu": "lots"}, "InvalidParameter", "Container.1.Cpu"),
        ({"Container.1.Tty": "yes"}, "InvalidParameter", "Container.1.Tty"),
        ({"Container.1.Port.1.Port": "eighty"}, "InvalidParameter", "Container.1.Port.1.Port"),
        ({"Container.1.ImagePullPolicy": "Sometimes"}, "InvalidParameter", "Container.1.ImagePullPolicy"),
        ({"RestartPolicy": "Sometimes"}, "InvalidParameter", "RestartPolicy"),
        ({"UpdateType": "Partial"}, "InvalidParameter", "UpdateType"),
    ],
)
def test_malformed_parameters_name_the_field(flat: dict[str, str], code: str, field: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse(flat, schema.UPDATE)
    assert caught.value.code == code
    assert field in caught.value.message


def test_a_name_sent_twice_with_different_values_is_refused() -> None:
    assert merge_pairs([("A", "1"), ("A", "1")]) == {"A": "1"}
    with pytest.raises(ApiError, match="A"):
        merge_pairs([("A", "1"), ("A", "2")])
