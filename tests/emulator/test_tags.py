# ruff: noqa: E501  (the tables read best one case per line)
"""ECI's tag API on the emulator (TagResources, UntagResources, ListTagResources), driven by the
operator's client and by the official SDK: tags can be removed down to none, which
UpdateContainerGroup cannot do (an empty Tag list cannot be sent, and Update answers NoNeedUpdate)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alibabacloud_eci20180808 import models as sdk_models

from eci_operator.eci import models as eci
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.errors import EciError
from eci_operator.eci.transport import RetryPolicy
from tests.emulator.conftest import Local
from tests.emulator.rpc import flat
from tests.emulator.test_sdk import sdk
from tests.support.emulator import EmulatorHandle

REGION = "cn-hangzhou"
OWNERSHIP = {"eci.operator.dev/uid": "u-1", "eci.operator.dev/name": "web"}


async def make(api: Local, tags: dict[str, str]) -> str:
    body = {
        "RegionId": REGION,
        "ContainerGroupName": "web-1",
        "Container": [{"Name": "web", "Image": "nginx"}],
        "Tag": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    created = await api.ok("CreateContainerGroup", **flat("", body))
    ident: str = created["ContainerGroupId"]
    return ident


def shown(api: Local, ident: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in api.get(ident)["Tags"]}


async def test_untag_removes_named_keys_and_all_of_them(api: Local) -> None:
    ident = await make(api, {**OWNERSHIP, "team": "a"})
    await api.ok("UntagResources", RegionId=REGION, ResourceType="ContainerGroup", **flat("ResourceId", [ident]),
                 **flat("TagKey", list(OWNERSHIP)))  # fmt: skip
    assert shown(api, ident) == {"team": "a"}
    await api.ok("UntagResources", RegionId=REGION, ResourceType="ContainerGroup", All="true",
                 **flat("ResourceId", [ident]))  # fmt: skip
    assert shown(api, ident) == {}
    # Describe agrees: the instance carries no tag at all
    [group] = await api.describe(ident)
    assert group["Tags"] == []


async def test_all_is_ignored_when_keys_are_named(api: Local) -> None:
    ident = await make(api, {"a": "1", "b": "2"})
    await api.ok("UntagResources", RegionId=REGION, ResourceType="ContainerGroup", All="true",
                 **flat("ResourceId", [ident]), **flat("TagKey", ["a"]))  # fmt: skip
    assert shown(api, ident) == {"b": "2"}


async def test_tag_adds_and_overwrites_and_list_pages(api: Local) -> None:
    ident = await make(api, {"a": "1"})
    other = await make(api, {"z": "9"})
    await api.ok("TagResources", RegionId=REGION, ResourceType="ContainerGroup", **flat("ResourceId", [ident, other]),
                 **flat("Tag", [{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}]))  # fmt: skip
    assert shown(api, ident) == {"a": "2", "b": "3"}
    assert shown(api, other) == {"z": "9", "a": "2", "b": "3"}
    seen: list[dict[str, Any]] = []
    token = ""
    while True:
        body = await api.ok("ListTagResources", RegionId=REGION, ResourceType="ContainerGroup", Limit="2",
                            **({"NextToken": token} if token else {}), **flat("ResourceId", [ident, other]))  # fmt: skip
        assert len(body["TagResources"]) <= 2
        seen += body["TagResources"]
        token = body["NextToken"]
        if not token:
            break
    pairs = {(r["ResourceId"], r["TagKey"], r["TagValue"]) for r in seen}
    assert pairs == {
        (ident, "a", "2"),
        (ident, "b", "3"),
        (other, "z", "9"),
        (other, "a", "2"),
        (other, "b", "3"),
    }
    assert {r["ResourceType"] for r in seen} == {"ContainerGroup"}
    by_tag = await api.ok(
        "ListTagResources", RegionId=REGION, ResourceType="ContainerGroup", **flat("Tag", [{"Key": "z"}])
    )
    assert {r["ResourceId"] for r in by_tag["TagResources"]} == {other}


@pytest.mark.parametrize(
    ("action", "params", "code", "field"),
    [
        ("TagResources", {"Tag": [{"Key": f"k{i}", "Value": "v"} for i in range(20)]}, "InvalidParameter.ValueExceeded", "Tag.N"),
        ("TagResources", {"Tag": [{"Key": f"k{i}"} for i in range(21)]}, "InvalidParameter.LengthExceeded", "Tag"),
        ("TagResources", {"Tag": [{"Key": "acs:owner", "Value": "v"}]}, "InvalidParameter", "Tag.1.Key"),
        ("TagResources", {"Tag": [{"Key": "k", "Value": "see https://x"}]}, "InvalidParameter", "Tag.1.Value"),
        ("TagResources", {}, "MissingParameter", "Tag.N"),
        ("TagResources", {"ResourceType": "Bucket", "Tag": [{"Key": "k"}]}, "InvalidParameter", "ResourceType"),
        ("UntagResources", {"ResourceId": ["eci-missing"], "All": True}, "InvalidParameter.NotFound", "eci-missing"),
        ("UntagResources", {"ResourceId": []}, "MissingParameter", "ResourceId.N"),
        ("UntagResources", {"TagKey": [f"k{i}" for i in range(21)]}, "InvalidParameter.LengthExceeded", "TagKey"),
    ],
)  # fmt: skip
async def test_refusals_name_the_parameter(
    api: Local, action: str, params: dict[str, Any], code: str, field: str
) -> None:
    ident = await make(api, {"team": "a"})
    body = {"RegionId": REGION, "ResourceType": "ContainerGroup", "ResourceId": [ident], **params}
    answer = await api.error(action, code, None, **flat("", body))
    assert field in answer["Message"]
    assert shown(api, ident) == {"team": "a"}  # nothing changed


def test_the_operator_client_removes_the_last_tags_where_update_cannot(emulator: EmulatorHandle) -> None:
    async def scenario() -> tuple[str, list[eci.TagResourceOut], str]:
        async with EciClient(
            region_id=REGION,
            credentials=StaticCredentials(emulator.access_key_id or "", emulator.access_key_secret or ""),
            endpoint=emulator.url,
            retry=RetryPolicy(deadline=20, attempt_timeout=10),
        ) as client:
            created = await client.create_container_group(
                eci.CreateContainerGroupRequest(
                    region_id=REGION,
                    container_group_name="orphan",
                    containers=[eci.Container(name="web", image="nginx")],
                    tags=[eci.Tag(key=k, value=v) for k, v in OWNERSHIP.items()],
                )
            )
            gid = created.container_group_id
            await emulator.await_status(gid, "Running")
            # Update can only send a non-empty tag list: without the ownership tags there is nothing to send.
            try:
                await client.update_container_group(
                    eci.UpdateContainerGroupRequest(region_id=REGION, container_group_id=gid, tags=[])
                )
                update_code = "accepted"
            except EciError as exc:
                update_code = exc.code or ""
            await client.untag_resources(
                eci.UntagResourcesRequest(region_id=REGION, resource_ids=[gid], tag_keys=list(OWNERSHIP))
            )
            listed = await client.list_tag_resources(
                eci.ListTagResourcesRequest(region_id=REGION, resource_ids=[gid])
            )
            return gid, listed.tag_resources, update_code

    gid, listed, update_code = asyncio.run(scenario())
    assert update_code == "NoNeedUpdate"
    assert listed == []
    instance = emulator.instance(gid)
    assert instance is not None and instance["Tags"] == []
    [untag] = emulator.requests("UntagResources")
    assert untag["Params"]["ClientToken"]  # a write: one ClientToken for all its retries


def test_the_official_sdk_drives_the_tag_api(emulator: EmulatorHandle) -> None:
    client = sdk(emulator, None)
    created = client.create_container_group(
        sdk_models.CreateContainerGroupRequest(
            region_id=REGION,
            container_group_name="sdk-tags",
            container=[sdk_models.CreateContainerGroupRequestContainer(name="web", image="nginx")],
        )
    )
    gid = created.body.container_group_id
    client.tag_resources(
        sdk_models.TagResourcesRequest(
            region_id=REGION,
            resource_type="ContainerGroup",
            resource_id=[gid],
            tag=[sdk_models.TagResourcesRequestTag(key="team", value="a")],
        )
    )
    listed = client.list_tag_resources(
        sdk_models.ListTagResourcesRequest(
            region_id=REGION, resource_type="ContainerGroup", resource_id=[gid]
        )
    )
    assert [(r.tag_key, r.tag_value) for r in listed.body.tag_resources] == [("team", "a")]
    client.untag_resources(
        sdk_models.UntagResourcesRequest(
            region_id=REGION, resource_type="ContainerGroup", resource_id=[gid], all=True
        )
    )
    listed = client.list_tag_resources(
        sdk_models.ListTagResourcesRequest(
            region_id=REGION, resource_type="ContainerGroup", resource_id=[gid]
        )
    )
    assert listed.body.tag_resources == []
