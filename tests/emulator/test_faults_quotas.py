"""Idempotency (ClientToken), quotas (Throttling.User) and injected faults (lost responses)."""

from __future__ import annotations

import httpx
import pytest

from eci_operator.emulator.faults import KINDS, Fault, Faults
from tests.emulator.conftest import Local, StartLocal

REGION = "cn-hangzhou"


async def test_same_client_token_same_parameters_returns_the_first_answer(api: Local) -> None:
    first = await api.ok("CreateContainerGroup", ClientToken="tok-a", **api.group())
    again = await api.ok("CreateContainerGroup", ClientToken="tok-a", **api.group())
    assert again["ContainerGroupId"] == first["ContainerGroupId"]
    assert len(api.emulator.store.instances) == 1, "the retry did nothing again"


async def test_same_client_token_other_parameters_is_idempotent_parameter_mismatch(api: Local) -> None:
    await api.ok("CreateContainerGroup", ClientToken="tok-b", **api.group("one"))
    body = await api.error(
        "CreateContainerGroup", "IdempotentParameterMismatch", 400, ClientToken="tok-b", **api.group("two")
    )
    assert "tok-b" in body["Message"]
    assert len(api.emulator.store.instances) == 1


async def test_update_retry_with_the_same_token_succeeds_while_updating(start_local: StartLocal) -> None:
    """The retry of an applied Update (a lost response) must not meet IncorrectStatus or NoNeedUpdate."""
    api = await start_local(transition_delay=1.0, fake_clock=True)
    ident = (await api.ok("CreateContainerGroup", **api.group()))["ContainerGroupId"]
    api.clock.advance(2)
    params = {"RegionId": REGION, "ContainerGroupId": ident, "ClientToken": "upd-1"}
    params.update({"Container.1.Name": "web", "Container.1.Image": "nginx:1.27"})
    await api.ok("UpdateContainerGroup", **params)
    assert api.get(ident)["Status"] == "Updating"
    await api.ok("UpdateContainerGroup", **params)
    api.clock.advance(2)
    assert api.get(ident)["Containers"][0]["RestartCount"] == 1, "applied once"
    # Without the token the same request is judged on its own: nothing left to change.
    await api.error(
        "UpdateContainerGroup", "NoNeedUpdate", 400, **{k: v for k, v in params.items() if k != "ClientToken"}
    )


async def test_quota_per_action_per_minute_gives_throttling_user(start_local: StartLocal) -> None:
    api = await start_local(quotas={"DescribeContainerGroups": 3})
    for _ in range(3):
        await api.ok("DescribeContainerGroups", RegionId=REGION)
    body = await api.error("DescribeContainerGroups", "Throttling.User", 400, RegionId=REGION)
    assert body["Message"] == "Request was denied due to user flow control."
    await api.ok("CreateContainerGroup", **api.group()), "other actions have their own quota"
    api.emulator.quotas.clock = lambda: 1e12  # a minute later the window is free again
    await api.ok("DescribeContainerGroups", RegionId=REGION)


def test_default_quotas_are_ecis() -> None:
    from eci_operator.emulator.quotas import DEFAULT_QUOTAS

    assert DEFAULT_QUOTAS["DescribeContainerGroups"] == 2000
    assert DEFAULT_QUOTAS["CreateContainerGroup"] == DEFAULT_QUOTAS["DeleteContainerGroup"] == 1000
    assert DEFAULT_QUOTAS["UpdateContainerGroup"] == DEFAULT_QUOTAS["RestartContainerGroup"] == 500
    assert DEFAULT_QUOTAS["ExecContainerCommand"] == DEFAULT_QUOTAS["DescribeContainerLog"] == 500


def test_faults_are_seeded_and_follow_the_rate() -> None:
    one, two = Faults(0.3, seed=7), Faults(0.3, seed=7)
    seq_one = [one.draw(True) for _ in range(2000)]
    assert seq_one == [two.draw(True) for _ in range(2000)], "same seed, same faults"
    hits = [f for f in seq_one if f is not None]
    assert 0.25 < len(hits) / 2000 < 0.35
    assert {f.kind for f in hits} == set(KINDS)
    assert any(f.after_effect for f in hits) and any(not f.after_effect for f in hits)
    assert all(
        f is None or not f.after_effect or f.kind == "SlowReply"
        for f in (Faults(1.0, 1).draw(False) for _ in range(200))
    )


def force(api: Local, fault: Fault) -> None:
    api.emulator.faults.draw = lambda mutating: fault  # type: ignore[method-assign]


@pytest.mark.parametrize(("kind", "status"), [("ServiceUnavailable", 503), ("InternalError", 500)])
@pytest.mark.parametrize("after", [False, True])
async def test_server_errors_before_and_after_the_effect(
    api: Local, kind: str, status: int, after: bool
) -> None:
    force(api, Fault(kind, after))
    body = await api.error("CreateContainerGroup", kind, status, ClientToken="tok-f", **api.group())
    assert len(api.emulator.store.instances) == (1 if after else 0), "after the effect = a lost response"
    api.emulator.faults.rate = 0.0
    del api.emulator.faults.draw  # back to the seeded behaviour
    retried = await api.ok("CreateContainerGroup", ClientToken="tok-f", **api.group())
    assert len(api.emulator.store.instances) == 1, "the retry with the same token never duplicates"
    assert body["Code"] == kind and retried["ContainerGroupId"]


@pytest.mark.parametrize("after", [False, True])
async def test_dropped_connection(api: Local, after: bool) -> None:
    force(api, Fault("ConnectionDropped", after))
    with pytest.raises(httpx.TransportError):
        await api.call("CreateContainerGroup", api.group())
    assert len(api.emulator.store.instances) == (1 if after else 0)
    [entry] = [r for r in api.emulator.requests if r["Action"] == "CreateContainerGroup"]
    assert entry["Fault"].startswith("ConnectionDropped")


async def test_slow_reply_comes_after_the_work_is_done(start_local: StartLocal) -> None:
    import asyncio

    api = await start_local(fault_delay=5.0)
    force(api, Fault("SlowReply", True))
    call = asyncio.create_task(api.call("CreateContainerGroup", api.group()))
    await asyncio.sleep(0.5)
    assert not call.done(), "the reply is slower than a client's timeout"
    assert len(api.emulator.store.instances) == 1, "the instance exists before the reply comes"
    call.cancel()


async def test_fault_rate_through_the_flag(start_local: StartLocal) -> None:
    api = await start_local(fault_rate=1.0, seed=3, fault_delay=0.01)
    outcomes = []
    for _ in range(12):
        try:
            status, body = await api.call("DescribeContainerGroups", RegionId=REGION)
            outcomes.append(body.get("Code") or status)
        except httpx.TransportError:
            outcomes.append("dropped")
    assert {"ServiceUnavailable", "InternalError", "dropped", 200} >= set(outcomes)
    assert len(set(outcomes)) >= 3
