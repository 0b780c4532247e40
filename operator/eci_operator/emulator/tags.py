"""ECI's tag API on the emulated container groups: TagResources, UntagResources, ListTagResources.

Tags live where DescribeContainerGroups shows them (``Tags``), so a tag written here is seen by
Describe and a tag set by Create or Update is listed here. Unlike UpdateContainerGroup, which can
only replace the tag list with a non-empty one, these calls add and remove single tags (the last
one included) and work whatever the instance's status.
"""

from __future__ import annotations

from typing import Any

from . import describing, validation
from .errors import ApiError, invalid, not_found, value_exceeded
from .state import Instance, Store

MAX_TAGS = 20
Body = dict[str, Any]


def _resources(store: Store, params: dict[str, Any]) -> list[Instance]:
    region = params.get("RegionId")
    validation.require(region, "RegionId")
    validation.require(params.get("ResourceType"), "ResourceType")
    ids = params.get("ResourceId") or []
    if not ids:
        validation.require(None, "ResourceId.N")
    found = []
    for ident in dict.fromkeys(ids):
        inst = store.get(ident)
        if params["ResourceType"] != "ContainerGroup" or inst is None or inst.view.get("RegionId") != region:
            raise not_found(ident)
        found.append(inst)
    return found


def tag_resources(store: Store, params: dict[str, Any]) -> Body:
    pairs = params.get("Tag") or []
    if not pairs:
        validation.require(None, "Tag.N")
    validation.tags(pairs)
    for i, tag in enumerate(pairs, 1):
        value = tag.get("Value", "")
        if value.lower().startswith(("acs:", "aliyun")) or "http://" in value or "https://" in value:
            raise invalid(
                f"Tag.{i}.Value", f"{value!r}: must not start with 'acs:' or 'aliyun' or contain http(s)://"
            )
    targets = _resources(store, params)
    for inst in targets:
        merged = {t["Key"]: t.get("Value", "") for t in inst.view.get("Tags", [])}
        merged.update({t["Key"]: t.get("Value", "") for t in pairs})
        if len(merged) > MAX_TAGS:
            raise value_exceeded(
                "Tag.N", f"{inst.id} would carry {len(merged)} tags, at most {MAX_TAGS} allowed"
            )
    for inst in targets:
        merged = {t["Key"]: t.get("Value", "") for t in inst.view.get("Tags", [])}
        merged.update({t["Key"]: t.get("Value", "") for t in pairs})
        inst.view["Tags"] = describing.tags([{"Key": k, "Value": v} for k, v in merged.items()])
    return {}


def untag_resources(store: Store, params: dict[str, Any]) -> Body:
    keys = params.get("TagKey")
    # All applies only when no TagKey is given; with neither, nothing is removed.
    remove_all = bool(params.get("All")) and not keys
    for inst in _resources(store, params):
        inst.view["Tags"] = (
            [] if remove_all else [t for t in inst.view.get("Tags", []) if t["Key"] not in (keys or [])]
        )
    return {}


def list_tag_resources(store: Store, params: dict[str, Any]) -> Body:
    region = params.get("RegionId")
    validation.require(region, "RegionId")
    validation.require(params.get("ResourceType"), "ResourceType")
    ids = set(params.get("ResourceId") or [])
    wanted = params.get("Tag") or []
    rows: list[dict[str, str]] = []
    if params["ResourceType"] == "ContainerGroup":
        for inst in store.all():
            if inst.view.get("RegionId") != region or (ids and inst.id not in ids):
                continue
            have = {t["Key"]: t.get("Value", "") for t in inst.view.get("Tags", [])}
            if any(t["Key"] not in have or ("Value" in t and have[t["Key"]] != t["Value"]) for t in wanted):
                continue
            rows += [
                {"ResourceId": inst.id, "ResourceType": "ContainerGroup", "TagKey": k, "TagValue": v}
                for k, v in have.items()
            ]
    limit = params.get("Limit", 20)
    token = params.get("NextToken") or "0"
    if not token.isdigit():
        raise ApiError("InvalidParameter", f"The specified parameter NextToken is not valid: {token!r}")
    start = int(token)
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    return {"NextToken": str(start + limit) if more else "", "TagResources": page}


def vswitch_and_tags_match(view: dict[str, Any], params: dict[str, Any]) -> bool:
    """The Describe filters every listing action shares: ``VSwitchId`` (comma-separated) and ``Tag``
    (a key, with or without a value)."""
    if params.get("VSwitchId") and view.get("VSwitchId") not in params["VSwitchId"].split(","):
        return False
    have = {t.get("Key"): t.get("Value", "") for t in view.get("Tags", [])}
    for tag in params.get("Tag", []):
        if tag.get("Key") not in have or ("Value" in tag and have[tag["Key"]] != tag["Value"]):
            return False
    return True
