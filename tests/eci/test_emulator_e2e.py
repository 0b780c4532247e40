"""The client and ``eci-operator call`` end to end against the local ECI emulator (real HTTP)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eci_operator.eci import errors
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import (
    Container,
    CreateContainerGroupRequest,
    DeleteContainerGroupRequest,
    DescribeContainerGroupsRequest,
    EnvironmentVar,
    Port,
    RestartContainerGroupRequest,
    Tag,
    UpdateContainerGroupRequest,
)
from eci_operator.eci.quotas import QuotaLimiter
from eci_operator.eci.transport import RetryPolicy, SignatureScheme

from .test_call_command import run_cli

FAST = RetryPolicy(max_attempts=8, base_delay=0.02, max_delay=0.1, deadline=20, attempt_timeout=1.0)


def make_client(emu: Any, signature: SignatureScheme = "acs3", secret: str | None = None) -> EciClient:
    return EciClient(
        region_id=emu.region,
        endpoint=emu.url,
        credentials=StaticCredentials(emu.access_key_id, secret or emu.access_key_secret),
        signature=signature,
        retry=FAST,
        limiter=QuotaLimiter(),
    )


def create_request(region: str, name: str, token: str | None = None) -> CreateContainerGroupRequest:
    return CreateContainerGroupRequest(
        region_id=region,
        container_group_name=name,
        cpu=1,
        memory=2,
        client_token=token,
        tags=[Tag(key="team", value="shop")],
        containers=[
            Container(
                name="web",
                image="nginx:1.27",
                cpu=0.5,
                memory=1,
                commands=["/bin/sh", "-c", "echo hello world; sleep 1000"],
                environment_vars=[EnvironmentVar(key="GREETING", value="你好 世界~*+")],
                ports=[Port(port=80, protocol="TCP")],
            )
        ],
    )


@pytest.mark.parametrize("signature", ["acs3", "hmac-sha1"])
async def test_lifecycle_with_typed_client(emulator: Any, signature: SignatureScheme) -> None:
    async with make_client(emulator, signature) as eci:
        created = await eci.create_container_group(create_request(emulator.region, f"web-{signature[:4]}"))
        gid = created.container_group_id
        await emulator.await_status(gid, "Running")

        found = await eci.describe_by_ids([gid, "eci-does-not-exist"])
        group = found[gid]
        assert group.container_group_name == f"web-{signature[:4]}"
        assert group.containers[0].commands == ["/bin/sh", "-c", "echo hello world; sleep 1000"]
        assert any(
            e.key == "GREETING" and e.value == "你好 世界~*+" for e in group.containers[0].environment_vars
        )
        assert [(t.key, t.value) for t in group.tags] == [("team", "shop")]

        update = UpdateContainerGroupRequest(
            region_id=emulator.region, container_group_id=gid, tags=[Tag(key="team", value="ops")]
        )
        await eci.update_container_group(update)
        await emulator.await_status(gid, "Running")
        with pytest.raises(errors.NoNeedUpdateError):
            await eci.update_container_group(update.model_copy(update={"client_token": None}))

        await eci.restart_container_group(
            RestartContainerGroupRequest(region_id=emulator.region, container_group_id=gid)
        )
        await emulator.await_status(gid, "Running")
        await eci.delete_container_group(
            DeleteContainerGroupRequest(region_id=emulator.region, container_group_id=gid)
        )
        for _ in range(250):  # the instance may pass through Terminating first
            if gid not in await eci.describe_by_ids([gid]):
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail(f"{gid} still described after delete")


async def test_same_client_token_creates_once(emulator: Any) -> None:
    async with make_client(emulator) as eci:
        first = await eci.create_container_group(create_request(emulator.region, "idem", token="tok-idem-1"))
        again = await eci.create_container_group(create_request(emulator.region, "idem", token="tok-idem-1"))
    assert first.container_group_id == again.container_group_id
    assert [i["ContainerGroupId"] for i in await emulator.ainstances()] == [first.container_group_id]


async def test_wrong_secret_is_an_auth_error(emulator: Any) -> None:
    async with make_client(emulator, secret="not-the-secret") as eci:
        with pytest.raises(errors.AuthError) as info:
            await eci.describe_container_groups(DescribeContainerGroupsRequest(region_id=emulator.region))
    assert info.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(info.value)


async def test_writes_survive_faults_without_duplicates(start_emulator: Callable[..., Any]) -> None:
    emu = start_emulator(fault_rate=0.4, fault_delay=2.0, seed=11)
    async with make_client(emu) as eci:
        ids = await asyncio.gather(
            *(eci.create_container_group(create_request(emu.region, f"f-{i}")) for i in range(6))
        )
        found = await eci.describe_by_ids([r.container_group_id for r in ids])
    instances = await emu.ainstances()
    assert len(instances) == 6
    assert {i["ContainerGroupId"] for i in instances} == {r.container_group_id for r in ids} == set(found)
    faults = [r for r in await emu.arequests() if r.get("Fault")]
    assert faults, "the emulator injected no faults; the test proves nothing"


async def test_call_command_against_emulator(emulator: Any, tmp_path: Path) -> None:
    code, out, err = await run_cli(
        tmp_path,
        "DescribeContainerGroups",
        "RegionId=cn-hangzhou",
        "--endpoint",
        emulator.url,
        credentials=(emulator.access_key_id, emulator.access_key_secret),
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["RequestId"] and answer["ContainerGroups"] == []


async def test_batched_describe_and_paging(emulator: Any) -> None:
    async with make_client(emulator) as eci:
        created = await asyncio.gather(
            *(eci.create_container_group(create_request(emulator.region, f"b-{i}")) for i in range(45))
        )
        ids = [c.container_group_id for c in created]
        await emulator.aclear_requests()
        found = await eci.describe_by_ids([*ids, *ids[:5]])  # duplicates are asked for once
        assert set(found) == set(ids)
        assert len(await emulator.arequests("DescribeContainerGroups")) == 3  # ceil(45 / 20)

        paged = [
            g.container_group_id
            async for g in eci.iter_container_groups(
                DescribeContainerGroupsRequest(region_id=emulator.region, limit=20)
            )
        ]
    assert sorted(paged) == sorted(ids)
