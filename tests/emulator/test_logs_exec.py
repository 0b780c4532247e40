"""DescribeContainerLog and ExecContainerCommand as the emulator answers them, through the official
SDK (its models parse every answer) and over the admin API that appends log lines."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import httpx
import pytest

from eci_operator.emulator import execs, logs
from eci_operator.emulator.state import Instance
from tests.emulator.conftest import Local, StartLocal
from tests.emulator.rpc import container

REGION = "cn-hangzhou"


@pytest.fixture
async def slow(start_local: StartLocal) -> Local:
    return await start_local(transition_delay=1.0, fake_clock=True)


async def running(api: Local, **more: Any) -> str:
    containers = [
        container("web", EnvironmentVar=[{"Key": "MODE", "Value": "blue"}, {"Key": "EMPTY", "Value": ""}]),
        container("side", "busybox:1.36"),
    ]
    ident = str(
        (await api.ok("CreateContainerGroup", **api.group(containers=containers, **more)))["ContainerGroupId"]
    )
    api.clock.advance(2)
    assert api.get(ident)["Status"] == "Running"
    return ident


async def append(api: Local, ident: str, name: str, lines: list[str]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=api.url) as client:
        response = await client.post(
            f"/_emulator/instances/{ident}/logs", json={"container": name, "lines": lines}
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def log_params(ident: str, **more: Any) -> dict[str, Any]:
    return {"RegionId": REGION, "ContainerGroupId": ident, "ContainerName": "web", **more}


async def test_logs_are_per_container_with_tail_since_and_timestamps(slow: Local) -> None:
    ident = await running(slow)
    await append(slow, ident, "web", ["one", "two"])
    slow.clock.advance(60)
    await append(slow, ident, "web", ["three"])
    await append(slow, ident, "side", ["other"])
    body = await slow.ok("DescribeContainerLog", **log_params(ident))
    assert (body["ContainerName"], body["Content"]) == ("web", "one\ntwo\nthree\n")
    assert (await slow.ok("DescribeContainerLog", **log_params(ident, Tail=2)))["Content"] == "two\nthree\n"
    recent = await slow.ok("DescribeContainerLog", **log_params(ident, SinceSeconds=30))
    assert recent["Content"] == "three\n"
    stamped = (await slow.ok("DescribeContainerLog", **log_params(ident, Timestamps=True)))["Content"]
    first, second, _ = stamped.splitlines()
    assert first.endswith("Z one") and second.endswith("Z two")
    assert first.split()[0] < second.split()[0]  # every line its own, increasing timestamp
    assert (await slow.ok("DescribeContainerLog", **log_params(ident, LimitBytes=5)))["Content"] == "one\nt"
    side = await slow.ok("DescribeContainerLog", **log_params(ident, ContainerName="side"))
    assert side["Content"] == "other\n"


def test_lines_written_together_never_share_a_stamp() -> None:
    """At today's epochs a float holds a quarter of a microsecond: stamps are whole microseconds, so
    lines a microsecond apart always print apart (``logs -f`` relies on it)."""
    inst = Instance(view={"Containers": [{"Name": "web"}], "Status": "Running"})
    for n in range(2000):
        logs.append(inst, "web", ["a", "b", "c"], 1_796_000_000.0 + n * 0.37e-6)
    content = logs.describe(inst, {"ContainerName": "web", "Tail": 2000, "Timestamps": True}, 1_796_000_001.0)
    stamps = [line.split()[0] for line in content["Content"].splitlines()]
    assert len(stamps) == 2000 and stamps == sorted(set(stamps))


async def test_a_restart_keeps_the_previous_containers_log(slow: Local) -> None:
    ident = await running(slow)
    await append(slow, ident, "web", ["before"])
    await slow.ok("RestartContainerGroup", RegionId=REGION, ContainerGroupId=ident)
    slow.clock.advance(2)
    assert slow.get(ident)["Containers"][0]["RestartCount"] == 1
    await append(slow, ident, "web", ["after"])
    assert (await slow.ok("DescribeContainerLog", **log_params(ident)))["Content"] == "after\n"
    previous = await slow.ok("DescribeContainerLog", **log_params(ident, LastTime=True))
    assert previous["Content"] == "before\n"


async def test_log_refusals_name_the_parameter(slow: Local) -> None:
    ident = await running(slow)
    body = await slow.error(
        "DescribeContainerLog", "InvalidParameter", 400, **log_params(ident, ContainerName="x")
    )
    assert "ContainerName" in body["Message"]
    await slow.error(
        "DescribeContainerLog", "InvalidParameter.ValueExceeded", 400, **log_params(ident, Tail=2001)
    )
    await slow.error(
        "DescribeContainerLog", "InvalidParameter.ValueExceeded", 400, **log_params(ident, LimitBytes=0)
    )
    await slow.error("DescribeContainerLog", "InvalidParameter.NotFound", 404, **log_params("eci-missing"))
    fresh = (await slow.ok("CreateContainerGroup", **slow.group(name="fresh")))["ContainerGroupId"]
    await slow.error("DescribeContainerLog", "IncorrectStatus", 400, **log_params(fresh))


def exec_params(ident: str, command: list[str], **more: Any) -> dict[str, Any]:
    return {
        "RegionId": REGION,
        "ContainerGroupId": ident,
        "ContainerName": "web",
        "Command": json.dumps(command),
        **more,
    }


async def test_sync_exec_runs_echo_env_and_hostname(slow: Local) -> None:
    ident = await running(slow)

    async def output(command: list[str], name: str = "web") -> str:
        body = await slow.ok(
            "ExecContainerCommand", **exec_params(ident, command, Sync=True, ContainerName=name)
        )
        return str(body["SyncResponse"])

    assert await output(["echo", "hello", "world"]) == "hello world\n"
    assert await output(["hostname"]) == "web-1\n"
    env = (await output(["env"])).splitlines()
    assert env == ["HOSTNAME=web-1", "MODE=blue", "EMPTY=", f"PATH={execs.DEFAULT_PATH}"]
    assert await output(["env"], name="side") == f"HOSTNAME=web-1\nPATH={execs.DEFAULT_PATH}\n"
    assert await output(["/bin/sh", "-c", "echo a; hostname"]) == "a\nweb-1\n"
    missing = await output(["curl", "localhost"])
    assert '"curl": executable file not found in $PATH' in missing


async def test_exec_refusals(slow: Local) -> None:
    ident = await running(slow)
    await slow.error(
        "ExecContainerCommand", "InvalidParameter", 400, **exec_params(ident, ["env"], Sync=True, TTY=True)
    )
    await slow.error(
        "ExecContainerCommand", "InvalidParameter", 400, **exec_params(ident, ["env"], ContainerName="x")
    )
    body = await slow.error(
        "ExecContainerCommand", "InvalidParameter", 400, **{**exec_params(ident, ["env"]), "Command": "env"}
    )
    assert "Command" in body["Message"]
    await slow.error(
        "ExecContainerCommand", "InvalidParameter.LengthExceeded", 400, **exec_params(ident, ["echo"] * 21)
    )
    await slow.ok("RestartContainerGroup", RegionId=REGION, ContainerGroupId=ident)
    await slow.error("ExecContainerCommand", "IncorrectStatus", 400, **exec_params(ident, ["env"], Sync=True))


async def test_an_interactive_session_over_the_websocket(api: Local) -> None:
    ident = await running(api)
    body = await api.ok("ExecContainerCommand", **exec_params(ident, ["/bin/sh"], TTY=True))
    uri = body["WebSocketUri"]
    assert uri.startswith(api.url.replace("http://", "ws://") + "/exec/?s=")
    received = b""
    async with aiohttp.ClientSession() as session, session.ws_connect(uri) as ws:
        await ws.send_bytes(b"\x00hostname\r")
        await ws.send_bytes(b"\x00exit 3\r")
        status: dict[str, Any] = {}
        async for msg in ws:
            if msg.data[0] == execs.STDOUT:
                received += msg.data[1:]
            elif msg.data[0] == execs.STATUS:
                status = json.loads(msg.data[1:])
    assert b"hostname\r\nweb-1\r\n# " in received
    assert status == {"ExitCode": 3}
    # A session opens once.
    async with httpx.AsyncClient() as client:
        again = await client.get(uri.replace("ws://", "http://"))
    assert again.status_code == 403


async def test_the_admin_api_appends_only_to_a_known_container(api: Local) -> None:
    ident = await running(api)
    async with httpx.AsyncClient(base_url=api.url) as client:
        unknown = await client.post(
            f"/_emulator/instances/{ident}/logs", json={"container": "x", "lines": ["a"]}
        )
        bad = await client.post(f"/_emulator/instances/{ident}/logs", json={"container": "web", "lines": "a"})
    assert (unknown.status_code, bad.status_code) == (404, 400)
    assert await append(api, ident, "web", ["a", "b"]) == {"container": "web", "lines": 2}


@pytest.mark.parametrize("action", ["DescribeContainerLog", "ExecContainerCommand"])
async def test_logs_and_exec_have_their_own_quota(start_local: StartLocal, action: str) -> None:
    api = await start_local(quotas={action: 2}, transition_delay=1.0, fake_clock=True)
    ident = await running(api)
    params = log_params(ident) if action == "DescribeContainerLog" else exec_params(ident, ["env"], Sync=True)
    for _ in range(2):
        await api.ok(action, **params)
    await api.error(action, "Throttling.User", **params)
