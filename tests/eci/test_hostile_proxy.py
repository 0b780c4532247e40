"""The hostile proxy itself: it forwards signed requests untouched, lags, fails, hangs, drips,
floods and echoes on demand, and counts what it saw — including for a client in another process."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from eci_operator.eci import errors
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import (
    Container,
    CreateContainerGroupRequest,
    DescribeContainerGroupsRequest,
    Tag,
    TagFilter,
)
from eci_operator.eci.quotas import QuotaLimiter
from eci_operator.eci.transport import RetryPolicy, SignatureScheme
from tests.support.emulator import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, EmulatorHandle
from tests.support.hostile_proxy import ECHO_CLOSE, ECHO_OPEN, PLAIN_OPEN, Hit, HostileProxy

from .test_call_command import run_cli

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, deadline=20, attempt_timeout=5)


def client(proxy: HostileProxy, signature: SignatureScheme = "acs3") -> EciClient:
    return EciClient(
        region_id=REGION,
        endpoint=proxy.url,
        credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        signature=signature,
        retry=FAST,
        limiter=QuotaLimiter(),
    )


def create(name: str, owner: str = "") -> CreateContainerGroupRequest:
    return CreateContainerGroupRequest(
        region_id=REGION,
        container_group_name=name,
        containers=[Container(name="web", image="nginx:1.27")],
        tags=[Tag(key="owner", value=owner or name)],
    )


def raw(proxy: HostileProxy, action: str = "DescribeContainerGroups", timeout: float = 5) -> httpx.Response:
    """An unsigned request: enough for the proxy's own rules, which answer before the emulator."""
    return httpx.post(f"{proxy.url}/?Action={action}&RegionId={REGION}", timeout=timeout)


@pytest.mark.parametrize("signature", ["acs3", "hmac-sha1"])
async def test_it_forwards_signed_requests_untouched(
    hostile_proxy: HostileProxy, emulator: EmulatorHandle, signature: SignatureScheme
) -> None:
    async with client(hostile_proxy, signature) as eci:
        created = await eci.create_container_group(create("through"))
        page = await eci.describe_container_groups(
            DescribeContainerGroupsRequest(region_id=REGION, container_group_ids=[created.container_group_id])
        )
    assert [g.container_group_id for g in page.container_groups] == [created.container_group_id]
    assert [i["ContainerGroupId"] for i in await emulator.ainstances()] == [created.container_group_id]
    assert (
        hostile_proxy.count("CreateContainerGroup") == 1
        and hostile_proxy.count("DescribeContainerGroups") == 1
    )
    assert {h.rule for h in hostile_proxy.hits} == {"forward"}


async def test_lag_hides_new_instances_from_describe_by_id_and_by_tag(hostile_proxy: HostileProxy) -> None:
    lag = 2.0
    hostile_proxy.lag_describe(lag)
    async with client(hostile_proxy) as eci:
        created = await eci.create_container_group(create("lagging", owner="uid-1"))
        answered = time.monotonic()
        ident = created.container_group_id
        by_id = DescribeContainerGroupsRequest(region_id=REGION, container_group_ids=[ident])
        by_tag = DescribeContainerGroupsRequest(
            region_id=REGION, tags=[TagFilter(key="owner", value="uid-1")]
        )
        hidden_by_id = await eci.describe_container_groups(by_id)
        hidden_by_tag = await eci.describe_container_groups(by_tag)
        looked = time.monotonic()
        await asyncio.sleep(max(0.0, answered + lag - time.monotonic()) + 0.1)
        shown = await eci.describe_container_groups(by_id)
    assert looked - answered < lag, "the machine was too slow to look within the lag"
    assert hidden_by_id.container_groups == [] and hidden_by_id.total_count == 0
    assert hidden_by_tag.container_groups == []
    assert [g.container_group_id for g in shown.container_groups] == [ident]


async def test_rules_pick_actions_and_run_out(hostile_proxy: HostileProxy) -> None:
    hostile_proxy.fail(503, actions=["CreateContainerGroup"], times=2)
    async with client(hostile_proxy) as eci:
        await eci.describe_container_groups(DescribeContainerGroupsRequest(region_id=REGION))
        await eci.create_container_group(create("third-time"))
    creates = [h.rule for h in hostile_proxy.hits if h.action == "CreateContainerGroup"]
    assert creates == ["answer", "answer", "forward"]
    assert [h.rule for h in hostile_proxy.hits if h.action == "DescribeContainerGroups"] == ["forward"]


async def test_a_rule_can_look_at_the_parameters(hostile_proxy: HostileProxy) -> None:
    hostile_proxy.fail(500, "InternalError", when=lambda p: p.get("ContainerGroupName") == "doomed")
    async with client(hostile_proxy) as eci:
        await eci.create_container_group(create("fine"))
        with pytest.raises(errors.ServerError):
            await eci.create_container_group(create("doomed"))


def test_black_hole_drip_and_flood(hostile_proxy: HostileProxy) -> None:
    hostile_proxy.black_hole(times=1)
    with pytest.raises(httpx.ReadTimeout):
        raw(hostile_proxy, timeout=0.3)
    hostile_proxy.huge(2)
    flood = raw(hostile_proxy)
    assert len(flood.content) == 2 * 2**20 and json.loads(flood.content)["ContainerGroups"] == []
    hostile_proxy.clear()
    hostile_proxy.huge(1, declare_length=False)
    assert "content-length" not in raw(hostile_proxy).headers
    hostile_proxy.clear()
    hostile_proxy.drip(0.05, size=8)
    started = time.monotonic()
    dripped = raw(hostile_proxy, timeout=30)
    assert time.monotonic() - started >= 0.05 * (len(dripped.content) // 8)
    assert dripped.status_code == 400, "the emulator's own answer (unsigned), dripped"
    assert hostile_proxy.count() == 4


@pytest.mark.parametrize("shape", ["json", "text", "ok", "header"])
def test_echo_quotes_every_parameter_marked_by_kind(hostile_proxy: HostileProxy, shape: str) -> None:
    hostile_proxy.echo(shape, 400, pad=50)
    params = {
        "Action": "UpdateContainerGroup",
        "Container.1.EnvironmentVar.1.Value": "s3 cr/t",
        "RegionId": REGION,
    }
    answer = httpx.post(hostile_proxy.url, params=params)
    if shape == "header":
        assert answer.headers["x-acs-request-id"] == "s3 cr/t"
        assert answer.reason_phrase == "[[s3 cr/t]]"
        return
    text = answer.json()["Message"] if shape in ("json", "ok") else answer.text
    assert answer.status_code == (200 if shape == "ok" else 400)
    for form in ("s3 cr/t", "s3%20cr%2Ft", "s3%2520cr%252Ft", "s3+cr%2Ft"):
        assert f"{ECHO_OPEN}{form}{ECHO_CLOSE}" in text
    assert f"{PLAIN_OPEN}{REGION}" in text


def test_counts_per_action_second_and_minute() -> None:
    proxy = HostileProxy()
    proxy.hits = [
        Hit(100.0 + t, a, "forward") for t, a in [(0, "A"), (0.5, "B"), (1.2, "A"), (30, "A"), (61, "A")]
    ]
    assert proxy.count() == 5 and proxy.count("A") == 4 and proxy.count("A", since=101, until=131) == 2
    assert proxy.per_second("A")[:3] == [1, 1, 0] and sum(proxy.per_second()) == 5
    assert proxy.busiest_minute() == 4 and proxy.busiest_minute("B") == 1


async def test_it_serves_a_client_in_another_process(hostile_proxy: HostileProxy, tmp_path: Path) -> None:
    hostile_proxy.fail(503, times=1)
    code, out, err = await run_cli(
        tmp_path,
        "DescribeContainerGroups",
        f"RegionId={REGION}",
        "--endpoint",
        hostile_proxy.url,
        credentials=(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
    )
    assert code == 0, err
    assert json.loads(out)["ContainerGroups"] == []
    assert [h.rule for h in hostile_proxy.hits] == ["answer", "forward"]
