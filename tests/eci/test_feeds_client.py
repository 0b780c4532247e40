"""The client's change-feed reads: typed answers, paging, and answers that cannot be trusted."""

from __future__ import annotations

from typing import Any

import pytest

from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.errors import InvalidResponseError
from eci_operator.eci.feeds import (
    DescribeContainerGroupEventsRequest,
    DescribeContainerGroupStatusRequest,
)
from eci_operator.eci.models import TagFilter
from eci_operator.eci.quotas import QuotaLimiter
from eci_operator.eci.transport import RetryPolicy
from tests.eci.scripted_server import Reply, ScriptedServer

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, deadline=10, attempt_timeout=2.0)


def client_for(url: str, region: str = "cn-hangzhou", retry: RetryPolicy = FAST) -> EciClient:
    return EciClient(
        region_id=region,
        endpoint=url,
        credentials=StaticCredentials("testid", "testsecret"),
        retry=retry,
        limiter=QuotaLimiter(),
    )


async def test_status_and_event_feeds_page_through_the_emulator(emulator: Any) -> None:
    made = [
        emulator.seed(
            {
                "ContainerGroupName": f"g-{i}",
                "Containers": [{"Name": "app", "Image": "nginx:1.27"}],
                "Tags": [{"Key": "cluster", "Value": "c1" if i < 5 else "c2"}],
            }
        )["ContainerGroupId"]
        for i in range(7)
    ]
    for ident in made:
        emulator.patch(ident, {"Containers": [{"Name": "app", "RestartCount": 1, "Ready": False}]})
    mine = [TagFilter(key="cluster", value="c1")]
    async with client_for(emulator.url, emulator.region) as eci:
        request = DescribeContainerGroupStatusRequest(
            region_id=emulator.region, tags=mine, since_second=60, limit=2
        )
        seen = [item async for item in eci.iter_status_changes(request)]
        assert [s.container_group_id for s in seen] == made[:5]
        [status] = seen[0].pod_status.container_statuses  # type: ignore[union-attr]
        assert (status.name, status.restart_count, status.ready) == ("app", 1, False)
        events = DescribeContainerGroupEventsRequest(region_id=emulator.region, tags=mine, limit=3)
        groups = [g async for g in eci.iter_events(events)]
        assert [g.container_group_id for g in groups] == made[:5]
        assert [e.reason for e in groups[0].events] == ["Restarted", "Unhealthy"]
    assert len(emulator.requests("DescribeContainerGroupStatus")) == 3


def page(token: str, ids: list[str]) -> dict[str, Any]:
    return {
        "RequestId": "r",
        "TotalCount": 9,
        "NextToken": token,
        "Data": [{"ContainerGroupId": i} for i in ids],
    }


async def test_a_repeated_next_token_ends_the_read() -> None:
    script = [Reply(200, page("t1", ["eci-a"])), Reply(200, page("t1", ["eci-b"]))]
    async with ScriptedServer(script) as server, client_for(server.url) as eci:
        request = DescribeContainerGroupStatusRequest(region_id="cn-hangzhou", since_second=10)
        seen: list[str] = []
        with pytest.raises(InvalidResponseError, match="repeats an earlier NextToken"):
            async for item in eci.iter_status_changes(request):
                seen.append(item.container_group_id)
        assert seen == ["eci-a", "eci-b"]


@pytest.mark.parametrize(
    "data",
    [
        [{"ContainerGroupId": "eci-a", "PodStatus": {"ContainerStatuses": [{"RestartCount": "many"}]}}],
        [{"ContainerGroupId": "eci-a", "PodStatus": {"ContainerStatuses": [{"RestartCount": -1}]}}],
        [{"ContainerGroupId": "x" * 5000}],
        "not a list",
    ],
)
async def test_an_answer_of_the_wrong_shape_is_refused(data: Any) -> None:
    body = {"RequestId": "r", "Data": data}
    async with ScriptedServer([Reply(200, body)]) as server, client_for(server.url) as eci:
        request = DescribeContainerGroupStatusRequest(region_id="cn-hangzhou")
        with pytest.raises(InvalidResponseError, match="DescribeContainerGroupStatus"):
            await eci.describe_container_group_status(request)


async def test_an_oversized_page_is_read_again_with_half_the_limit() -> None:
    big = {"RequestId": "r", "Data": [{"ContainerGroupId": "eci-a", "Name": "n" * 4000}] * 3}
    small = page("", ["eci-a"])
    small_retry = RetryPolicy(**{**FAST.__dict__, "max_response_bytes": 4000})
    async with ScriptedServer([Reply(200, big), Reply(200, small)]) as server:
        async with client_for(server.url, retry=small_retry) as eci:
            request = DescribeContainerGroupEventsRequest(region_id="cn-hangzhou", limit=200)
            answer = await eci.describe_container_group_events(request)
        assert [g.container_group_id for g in answer.data] == ["eci-a"]
        assert [r.query.get("Limit") for r in server.requests] == ["200", "100"]


def test_requests_refuse_what_ecis_feeds_do_not_take() -> None:
    with pytest.raises(ValueError, match="limit"):
        DescribeContainerGroupStatusRequest(region_id="cn-hangzhou", limit=201)
    with pytest.raises(ValueError, match="container_group_ids"):
        DescribeContainerGroupStatusRequest(region_id="cn-hangzhou", container_group_ids=["eci-a"] * 21)
    with pytest.raises(ValueError, match="event_source"):
        DescribeContainerGroupEventsRequest(region_id="cn-hangzhou", event_source="Kubelet")
