"""The change feeds: what changed within SinceSecond, paging, tag filter, admin-made changes and
their events, the published quotas, and the official SDK reading both answers."""

from __future__ import annotations

import json
from typing import Any

import httpx
from alibabacloud_eci20180808 import models as m

from eci_operator.emulator import admin
from eci_operator.emulator.faults import Fault
from tests.emulator.conftest import Local, StartLocal

REGION = "cn-hangzhou"


def seed(api: Local, name: str, **more: Any) -> str:
    body = {
        "ContainerGroupName": name,
        "Containers": [{"Name": "app", "Image": "nginx:1.27"}],
        "Tags": [{"Key": "cluster", "Value": "c1"}],
        **more,
    }
    return admin.seed(api.emulator.store, body).id


async def patch(api: Local, ident: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=api.url) as client:
        response = await client.patch(f"/_emulator/instances/{ident}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def status_feed(api: Local, **params: Any) -> dict[str, Any]:
    return await api.ok("DescribeContainerGroupStatus", RegionId=REGION, **params)


async def event_feed(api: Local, **params: Any) -> dict[str, Any]:
    return await api.ok("DescribeContainerGroupEvents", RegionId=REGION, **params)


def ids(body: dict[str, Any]) -> list[str]:
    return [d["ContainerGroupId"] for d in body["Data"]]


async def test_since_second_lists_only_what_changed_in_the_window(start_local: StartLocal) -> None:
    api = await start_local(fake_clock=True)
    quiet, busy = seed(api, "quiet"), seed(api, "busy")
    api.clock.advance(60)
    await patch(api, busy, {"Containers": [{"Name": "app", "RestartCount": 1}]})
    api.clock.advance(5)
    assert ids(await status_feed(api, SinceSecond="10")) == [busy]
    assert ids(await status_feed(api, SinceSecond="4")) == []
    assert ids(await status_feed(api, SinceSecond="100")) == [quiet, busy]
    assert ids(await status_feed(api)) == [quiet, busy], "without SinceSecond: every instance"


async def test_every_admin_status_or_container_change_moves_the_change_time(start_local: StartLocal) -> None:
    api = await start_local(fake_clock=True)
    ident = seed(api, "g")
    changes: list[dict[str, Any]] = [
        {"Status": "Failed"},
        {"Containers": [{"Name": "app", "Ready": False}]},
        {"Containers": [{"Name": "app", "CurrentState": {"State": "Waiting", "Reason": "CrashLoopBackOff"}}]},
        {"Containers": [{"Name": "app", "LastTerminationState": {"State": "Terminated", "ExitCode": 2}}]},
        {"Containers": [{"Name": "app", "RestartCount": 4}]},
    ]
    for change in changes:
        api.clock.advance(30)
        assert ids(await status_feed(api, SinceSecond="10")) == []
        await patch(api, ident, change)
        assert ids(await status_feed(api, SinceSecond="10")) == [ident], change
    api.clock.advance(30)
    await patch(api, ident, {"Tags": [{"Key": "cluster", "Value": "c1"}, {"Key": "x", "Value": "y"}]})
    assert ids(await status_feed(api, SinceSecond="10")) == [], "a tag is not a status change"


async def test_lifecycle_steps_are_changes(start_local: StartLocal) -> None:
    api = await start_local(fake_clock=True, transition_delay=2.0)
    ident = (await api.ok("CreateContainerGroup", **api.group("life")))["ContainerGroupId"]
    api.clock.advance(30)
    assert ids(await status_feed(api, SinceSecond="10")) == [], "Running 26 s ago"
    await api.ok("RestartContainerGroup", RegionId=REGION, ContainerGroupId=ident)
    assert ids(await status_feed(api, SinceSecond="1")) == [ident]


async def test_status_answer_has_the_sdk_shape_and_container_states(api: Local) -> None:
    ident = seed(api, "shape")
    await patch(
        api,
        ident,
        {
            "Containers": [
                {
                    "Name": "app",
                    "Ready": False,
                    "RestartCount": 3,
                    "CurrentState": {"State": "Waiting", "Reason": "CrashLoopBackOff"},
                    "LastTerminationState": {
                        "State": "Terminated",
                        "Reason": "OOMKilled",
                        "ExitCode": 137,
                        "StartTime": "2026-01-01T00:00:00Z",
                        "FinishTime": "2026-01-01T00:01:00Z",
                    },
                }
            ]
        },
    )
    [item] = (await status_feed(api))["Data"]
    body = m.DescribeContainerGroupStatusResponseBodyData().from_map(item)
    [status] = body.pod_status.container_statuses
    assert (status.name, status.ready, status.restart_count) == ("app", False, 3)
    assert status.state.waiting.reason == "CrashLoopBackOff"
    assert (status.last_state.terminated.reason, status.last_state.terminated.exit_code) == ("OOMKilled", 137)
    assert body.pod_status.phase == "Running" and body.status == "Running"
    assert body.container_group_id == ident and body.uuid


async def test_paging_across_many_changes_in_one_window(start_local: StartLocal) -> None:
    api = await start_local(fake_clock=True)
    made = [seed(api, f"g-{i}") for i in range(45)]
    for feed, status in ((status_feed, "Failed"), (event_feed, "ScheduleFailed")):
        for ident in made:
            admin.patch(api.emulator.store, ident, {"Status": status})
        seen: list[str] = []
        token = ""
        pages = 0
        while True:
            more = {"NextToken": token} if token else {}
            body = await feed(api, SinceSecond="10", Limit="20", **more)
            assert body["TotalCount"] == 45
            seen += ids(body)
            pages += 1
            token = body["NextToken"]
            if not token:
                break
        assert (seen, pages) == (made, 3)
        api.clock.advance(60)
    await api.error(
        "DescribeContainerGroupStatus", "InvalidParameter.ValueExceeded", RegionId=REGION, Limit="201"
    )
    await api.error("DescribeContainerGroupEvents", "InvalidParameter", RegionId=REGION, NextToken="zz")


async def test_tag_and_id_filters(api: Local) -> None:
    mine = seed(api, "mine")
    seed(api, "theirs", Tags=[{"Key": "cluster", "Value": "c2"}])
    tag = {"Tag.1.Key": "cluster", "Tag.1.Value": "c1"}
    assert ids(await status_feed(api, **tag)) == [mine]
    assert ids(await status_feed(api, ContainerGroupIds=json.dumps([mine]))) == [mine]
    await patch(api, mine, {"Status": "Failed"})
    assert ids(await event_feed(api, **tag)) == [mine]


async def test_admin_failures_become_eci_events(api: Local) -> None:
    ident = seed(api, "ev")
    await patch(
        api,
        ident,
        {
            "Containers": [
                {
                    "Name": "app",
                    "CurrentState": {
                        "State": "Waiting",
                        "Reason": "ErrImagePull",
                        "Message": "manifest unknown",
                    },
                }
            ]
        },
    )
    await patch(
        api,
        ident,
        {"Containers": [{"Name": "app", "CurrentState": {"State": "Waiting", "Reason": "ImagePullBackOff"}}]},
    )
    await patch(
        api,
        ident,
        {
            "Containers": [
                {
                    "Name": "app",
                    "CurrentState": {"State": "Running"},
                    "RestartCount": 1,
                    "LastTerminationState": {"State": "Terminated", "Reason": "OOMKilled", "ExitCode": 137},
                }
            ]
        },
    )
    await patch(
        api,
        ident,
        {
            "Containers": [
                {
                    "Name": "app",
                    "RestartCount": 2,
                    "LastTerminationState": {"State": "Terminated", "Reason": "Error", "ExitCode": 1},
                }
            ]
        },
    )
    await patch(api, ident, {"Containers": [{"Name": "app", "Ready": False}]})
    await patch(api, ident, {"Status": "ScheduleFailed"})
    await patch(api, ident, {"Status": "Failed"})
    [item] = (await event_feed(api))["Data"]
    got = [(e["Type"], e["Reason"]) for e in item["Events"]]
    assert got == [
        ("Warning", "Failed"),
        ("Warning", "BackOff"),
        ("Warning", "OOMKilled"),
        ("Warning", "Restarted"),
        ("Warning", "Unhealthy"),
        ("Warning", "FailedScheduling"),
        ("Warning", "ContainerGroupFailed"),
    ]
    assert "manifest unknown" in item["Events"][0]["Message"]
    parsed = m.DescribeContainerGroupEventsResponseBodyData().from_map(item)
    assert parsed.events[2].involved_object.kind == "Pod"
    assert [e["Reason"] for e in (await event_feed(api, EventSource="EciService"))["Data"][0]["Events"]] == [
        "FailedScheduling",
        "ContainerGroupFailed",
    ]


async def test_repeated_events_are_aggregated(start_local: StartLocal) -> None:
    api = await start_local(fake_clock=True)
    ident = seed(api, "agg")
    for _ in range(3):
        await patch(
            api,
            ident,
            {
                "Containers": [
                    {"Name": "app", "CurrentState": {"State": "Waiting", "Reason": "CrashLoopBackOff"}}
                ]
            },
        )
        api.clock.advance(20)
        await patch(api, ident, {"Containers": [{"Name": "app", "CurrentState": {"State": "Running"}}]})
    [item] = (await event_feed(api))["Data"]
    [backoff] = [e for e in item["Events"] if e["Reason"] == "BackOff"]
    assert backoff["Count"] == 3 and backoff["LastTimestamp"] > backoff["FirstTimestamp"]
    api.clock.advance(5)
    assert ids(await event_feed(api, SinceSecond="10")) == [], "the last repeat was 25 s ago"
    assert ids(await event_feed(api, SinceSecond="30")) == [ident]


async def test_feeds_have_the_published_quotas_and_fault_injection(start_local: StartLocal) -> None:
    api = await start_local(quotas={"DescribeContainerGroupStatus": 2, "DescribeContainerGroupEvents": 1})
    assert api.emulator.quotas.limits["DescribeContainerGroupEvents"] == 1
    await status_feed(api)
    await status_feed(api)
    await api.error("DescribeContainerGroupStatus", "Throttling.User", RegionId=REGION)
    await event_feed(api)
    await api.error("DescribeContainerGroupEvents", "Throttling.User", RegionId=REGION)
    fresh = await start_local()
    assert fresh.emulator.quotas.limits["DescribeContainerGroupStatus"] == 10000
    assert fresh.emulator.quotas.limits["DescribeContainerGroupEvents"] == 10000
    fresh.emulator.faults.draw = lambda mutating: Fault("ServiceUnavailable", False)  # type: ignore[method-assign]
    for action in ("DescribeContainerGroupStatus", "DescribeContainerGroupEvents"):
        await fresh.error(action, "ServiceUnavailable", 503, RegionId=REGION)
