"""Every ECI parameter name the operator can send, and every name the emulator accepts, is one the
official SDK's request models know (and every Describe name the operator reads is in the SDK's
response model).

The SDK is the independent peer: its ``from_map`` keeps the keys its model knows and drops the
rest, so sending a maximal request through ``from_map``/``to_map`` shows exactly which names are
not ECI's. A maximal request sets every field of our models (built without validation: only the
names matter here).
"""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from alibabacloud_eci20180808 import models as sdk
from pydantic import BaseModel

from eci_operator.eci import models as eci
from eci_operator.eci.flatten import flatten, flatten_data
from eci_operator.emulator import schema
from eci_operator.emulator.params import Bool, Enum, Float, Int, Kind, List, Octal, Str, Struct, unflatten

Skips = dict[type[BaseModel], tuple[str, ...]]


def _sample(annotation: Any, skip: Skips) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _sample(args[0], skip)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in args if a is not type(None)), skip)
    if origin is typing.Literal:
        return args[0]
    if origin is list:
        return [_sample(args[0], skip)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return maximal(annotation, skip)
    return {str: "x", int: 1, float: 1.5, bool: True}[annotation]


def maximal(model: type[BaseModel], skip: Skips | None = None) -> BaseModel:
    """``model`` with every field set (not validated), except the ``skip`` fields of each model."""
    skip = skip or {}
    fields = {n: f for n, f in model.model_fields.items() if n not in skip.get(model, ())}
    return model.model_construct(**{name: _sample(f.annotation, skip) for name, f in fields.items()})


def _listify(node: Any) -> Any:
    """``unflatten``'s ``{"1": ...}`` groups as lists, the shape the SDK's ``from_map`` reads."""
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_listify(node[k]) for k in sorted(node, key=int)]
    return {k: _listify(v) for k, v in node.items()}


def sdk_names(sdk_model: type[Any], flat: dict[str, str]) -> set[str]:
    """The parameter names of ``flat`` that survive the SDK model's ``from_map``/``to_map``."""
    parsed = sdk_model().from_map(_listify(unflatten(flat)))
    return set(flatten_data(parsed.to_map()))


# What one action accepts and the other does not (each model refuses it for the wrong action).
CREATE_SKIPS: Skips = {eci.InitContainer: eci.UPDATE_ONLY_INIT_CONTAINER_FIELDS}
UPDATE_SKIPS: Skips = {
    eci.Container: eci.CREATE_ONLY_CONTAINER_FIELDS,
    eci.InitContainer: ("termination_message_path", "termination_message_policy"),
    eci.Volume: ("disk_volume",),
    eci.ConfigFileToPath: ("mode",),
    eci.ConfigFileVolume: ("default_mode",),
    eci.AcrRegistryInfo: (),
}
SKIPS = {eci.CreateContainerGroupRequest: CREATE_SKIPS, eci.UpdateContainerGroupRequest: UPDATE_SKIPS}
REQUESTS = [
    (eci.CreateContainerGroupRequest, sdk.CreateContainerGroupRequest),
    (eci.UpdateContainerGroupRequest, sdk.UpdateContainerGroupRequest),
    (eci.DescribeContainerGroupsRequest, sdk.DescribeContainerGroupsRequest),
    (eci.DeleteContainerGroupRequest, sdk.DeleteContainerGroupRequest),
    (eci.RestartContainerGroupRequest, sdk.RestartContainerGroupRequest),
    (eci.DescribeContainerLogRequest, sdk.DescribeContainerLogRequest),
    (eci.ExecContainerCommandRequest, sdk.ExecContainerCommandRequest),
    (eci.TagResourcesRequest, sdk.TagResourcesRequest),
    (eci.UntagResourcesRequest, sdk.UntagResourcesRequest),
    (eci.ListTagResourcesRequest, sdk.ListTagResourcesRequest),
]


@pytest.mark.parametrize("ours, theirs", REQUESTS, ids=[r[0].__name__ for r in REQUESTS])
def test_every_parameter_the_operator_can_send_is_an_sdk_name(
    ours: type[BaseModel], theirs: type[Any]
) -> None:
    flat = flatten(maximal(ours, SKIPS.get(ours)))
    assert set(flat) - sdk_names(theirs, flat) == set()


def test_the_update_request_spells_the_post_start_headers_in_the_plural() -> None:
    flat = flatten(maximal(eci.UpdateContainerGroupRequest, UPDATE_SKIPS))
    assert "Container.1.LifecyclePostStartHandlerHttpGetHttpHeaders.1.Name" in flat
    assert "Container.1.LifecyclePreStopHandlerHttpGetHttpHeader.1.Name" in flat
    create = flatten(maximal(eci.CreateContainerGroupRequest, CREATE_SKIPS))
    assert "Container.1.LifecyclePostStartHandlerHttpGetHttpHeader.1.Name" in create


def _schema_sample(kind: Kind, path: str, out: dict[str, str]) -> None:
    if isinstance(kind, Struct):
        for name, sub in kind.fields.items():
            _schema_sample(sub, f"{path}.{name}" if path else name, out)
    elif isinstance(kind, List):
        _schema_sample(kind.item, f"{path}.1", out)
    elif isinstance(kind, Enum):
        out[path] = kind.values[0]
    elif isinstance(kind, Octal):
        out[path] = "0644"
    else:
        assert isinstance(kind, Str | Int | Float | Bool), kind
        out[path] = "1"


ACTIONS = [
    ("CreateContainerGroup", sdk.CreateContainerGroupRequest),
    ("UpdateContainerGroup", sdk.UpdateContainerGroupRequest),
    ("DescribeContainerGroups", sdk.DescribeContainerGroupsRequest),
    ("DeleteContainerGroup", sdk.DeleteContainerGroupRequest),
    ("RestartContainerGroup", sdk.RestartContainerGroupRequest),
    ("DescribeContainerLog", sdk.DescribeContainerLogRequest),
    ("ExecContainerCommand", sdk.ExecContainerCommandRequest),
    ("TagResources", sdk.TagResourcesRequest),
    ("UntagResources", sdk.UntagResourcesRequest),
    ("ListTagResources", sdk.ListTagResourcesRequest),
]


@pytest.mark.parametrize("action, theirs", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_the_emulator_accepts_exactly_the_sdk_names(action: str, theirs: type[Any]) -> None:
    flat: dict[str, str] = {}
    _schema_sample(schema.SCHEMAS[action], "", flat)
    known = sdk_names(theirs, flat)
    assert set(flat) - known == set(), "the emulator accepts names ECI does not know"
    # ...and it accepts everything the SDK can send (a maximal SDK request of the same action).
    everything = flatten_data(_maximal_sdk(theirs).to_map())
    assert set(everything) - set(flat) == set(), "the SDK can send names the emulator refuses"


def _maximal_sdk(model: type[Any]) -> Any:
    """A maximal instance of an SDK request model, found by reading its own ``from_map`` keys."""
    import inspect
    import re

    def build(cls: type[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in dict.fromkeys(re.findall(r"m\.get\('([^']+)'\)", inspect.getsource(cls.from_map))):
            nested = getattr(sdk, cls.__name__ + key, None)
            init = inspect.signature(cls.__init__).parameters
            annotation = next((p.annotation for n, p in init.items() if _same(n, key)), None)
            value: Any = build(nested) if nested is not None else "1"
            out[key] = [value] if typing.get_origin(annotation) is list else value
        return out

    return model().from_map(build(model))


def _same(snake: str, pascal: str) -> bool:
    return snake.replace("_", "").lower() == pascal.lower()


def test_every_describe_name_the_operator_reads_is_an_sdk_name() -> None:
    ours = flatten(maximal(eci.ContainerGroupOut))
    theirs = sdk_names(sdk.DescribeContainerGroupsResponseBodyContainerGroups, ours)
    assert set(ours) - theirs == set()


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (eci.DescribeContainerLogResponse, sdk.DescribeContainerLogResponseBody),
        (eci.ExecContainerCommandResponse, sdk.ExecContainerCommandResponseBody),
    ],
)
def test_every_answer_name_of_logs_and_exec_is_an_sdk_name(ours: type[BaseModel], theirs: type[Any]) -> None:
    flat = flatten(maximal(ours))
    assert set(flat) - sdk_names(theirs, flat) == set()
