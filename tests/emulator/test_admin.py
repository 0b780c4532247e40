# ruff: noqa: E501  (expected values read best on one line)
"""The admin API under /_emulator/ (unsigned, loopback only), through the real emulator process."""

from __future__ import annotations

import httpx
import pytest

from eci_operator.emulator.server import _is_loopback
from tests.emulator.rpc import Api, container, flat
from tests.support.emulator import EmulatorHandle


async def test_instances_in_describe_shape(emulator: EmulatorHandle) -> None:
    api = Api.for_handle(emulator)
    ident = (await api.ok("CreateContainerGroup", **api.group()))["ContainerGroupId"]
    [described] = await api.describe(ident)
    [listed] = emulator.instances()
    assert listed["ContainerGroupId"] == ident
    assert set(listed) >= set(described) - {"Status", "Events"}
    assert emulator.instance(ident) is not None and emulator.instance("eci-nope") is None


async def test_patch_drifts_an_instance_as_from_the_console(emulator: EmulatorHandle) -> None:
    api = Api.for_handle(emulator)
    body = api.group(containers=[container("web", "nginx:1.25"), container("side", "busybox")])
    ident = (
        await api.ok("CreateContainerGroup", **body, **flat("", {"Tag": [{"Key": "team", "Value": "a"}]}))
    )["ContainerGroupId"]
    emulator.wait_status(ident, "Running")
    patched = emulator.patch(
        ident,
        {"Containers": [{"Name": "web", "Image": "nginx:1.99"}], "Tags": [{"Key": "team", "Value": "b"}]},
    )
    assert [c["Image"] for c in patched["Containers"]] == ["nginx:1.99", "busybox"], "merged by Name"
    assert patched["Tags"] == [{"Key": "team", "Value": "b"}]
    [seen] = await api.describe(ident)
    assert seen["Containers"][0]["Image"] == "nginx:1.99"
    assert emulator.patch(ident, {"Status": "Failed"})["Status"] == "Failed"
    await api.error("UpdateContainerGroup", "IncorrectStatus", 400, RegionId=api.region, ContainerGroupId=ident,
                    **flat("", {"Tag": [{"Key": "x"}]}))  # fmt: skip


async def test_seed_any_creation_time_and_status(emulator: EmulatorHandle) -> None:
    api = Api.for_handle(emulator)
    seeded = emulator.seed(
        {
            "ContainerGroupId": "eci-old0000000000000001",
            "ContainerGroupName": "legacy",
            "CreationTime": "2018-12-01T00:00:00Z",
            "Status": "Pending",
            "Containers": [{"Name": "app", "Image": "nginx"}],
            "Tags": [{"Key": "owner", "Value": "me"}],
        }
    )
    assert seeded["ContainerGroupId"] == "eci-old0000000000000001"
    [got] = await api.describe("eci-old0000000000000001")
    assert (got["Status"], got["CreationTime"], got["RegionId"]) == (
        "Pending",
        "2018-12-01T00:00:00Z",
        "cn-hangzhou",
    )
    assert got["Containers"][0]["RestartCount"] == 0
    await api.error(
        "RestartContainerGroup",
        "InvalidAction",
        403,
        RegionId=api.region,
        ContainerGroupId=seeded["ContainerGroupId"],
    )
    fresh = emulator.seed({"Containers": [{"Name": "app", "Image": "nginx"}]})
    assert fresh["ContainerGroupId"].startswith("eci-") and fresh["Status"] == "Running"


async def test_requests_are_recorded_with_secrets_redacted(emulator: EmulatorHandle) -> None:
    api = Api.for_handle(emulator)
    creds = flat(
        "", {"ImageRegistryCredential": [{"Server": "r.example", "UserName": "u", "Password": "hunter2"}]}
    )
    env = {"Container.1.EnvironmentVar.1.Key": "TOKEN", "Container.1.EnvironmentVar.1.Value": "s3cr3t-value"}
    await api.ok("CreateContainerGroup", **api.group(), **creds, **env)
    await api.error(
        "DeleteContainerGroup",
        "InvalidParameter.NotFound",
        404,
        RegionId=api.region,
        ContainerGroupId="eci-x",
    )
    entries = emulator.requests()
    assert [(e["Action"], e["Code"], e["HttpStatus"]) for e in entries] == [
        ("CreateContainerGroup", None, 200),
        ("DeleteContainerGroup", "InvalidParameter.NotFound", 404),
    ]
    create = entries[0]
    assert create["Params"]["ContainerGroupName"] == "web-1"
    assert create["Params"]["ImageRegistryCredential.1.Password"] == "******"
    assert create["Params"]["Signature"] == "******"
    assert create["Params"]["Container.1.EnvironmentVar.1.Value"] == "******"
    assert "hunter2" not in str(entries) and "s3cr3t-value" not in str(entries)
    assert create["Time"].endswith("Z")
    assert emulator.requests("DeleteContainerGroup") == entries[1:]
    emulator.clear_requests()
    assert emulator.requests() == []


async def test_the_request_log_scrubs_secret_values_from_every_parameter(emulator: EmulatorHandle) -> None:
    """A secret value repeated in another parameter (here a command line) is masked there too."""
    api = Api.for_handle(emulator)
    env = {
        "Container.1.EnvironmentVar.1.Key": "TOKEN",
        "Container.1.EnvironmentVar.1.Value": "tok-0123456789",
    }
    command = {"Container.1.Command.1": "/app", "Container.1.Command.2": "--token=tok-0123456789"}
    await api.ok("CreateContainerGroup", **api.group(), **env, **command)
    [create] = emulator.requests("CreateContainerGroup")
    assert create["Params"]["Container.1.Command.2"] == "--token=***"
    assert create["Params"]["Container.1.Command.1"] == "/app"
    assert "tok-0123456789" not in str(create)


async def test_reset_forgets_everything(emulator: EmulatorHandle) -> None:
    api = Api.for_handle(emulator)
    await api.ok("CreateContainerGroup", ClientToken="t-reset", **api.group("a-b"))
    emulator.reset()
    assert emulator.instances() == [] and emulator.requests() == []
    again = await api.ok("CreateContainerGroup", ClientToken="t-reset", **api.group("other"))
    assert again["ContainerGroupId"], "the token was forgotten: no IdempotentParameterMismatch"


async def test_async_helpers(emulator: EmulatorHandle) -> None:
    seeded = await emulator.aseed({"Containers": [{"Name": "app", "Image": "nginx"}], "Status": "Running"})
    assert [i["ContainerGroupId"] for i in await emulator.ainstances()] == [seeded["ContainerGroupId"]]
    patched = await emulator.apatch(seeded["ContainerGroupId"], {"Status": "Pending"})
    assert (await emulator.await_status(seeded["ContainerGroupId"], "Pending"))["Status"] == patched["Status"]
    await emulator.areset()
    assert await emulator.ainstances() == [] and await emulator.arequests() == []


def test_admin_errors(emulator: EmulatorHandle) -> None:
    response = httpx.patch(f"{emulator.url}/_emulator/instances/eci-nope", json={"Status": "Running"})
    assert (response.status_code, response.json()["Code"]) == (404, "InvalidParameter.NotFound")
    json_type = {"Content-Type": "application/json"}
    response = httpx.post(f"{emulator.url}/_emulator/instances", content=b"not json", headers=json_type)
    assert (response.status_code, response.json()["Message"]) == (400, "the body is not JSON")


SEED = b'{"Containers": [{"Name": "app", "Image": "nginx"}]}'


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        # What a web page can send across origins without a preflight: text/plain, forms, no type.
        ("POST", "instances", {"Content-Type": "text/plain"}, 415),
        ("POST", "instances", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ("POST", "instances", {"Content-Type": "multipart/form-data; boundary=x"}, 415),
        ("POST", "instances", {}, 415),
        # A page's fetch, whatever it sends, carries its Origin (and Sec-Fetch-Site).
        ("POST", "reset", {"Origin": "http://evil.example"}, 403),
        ("POST", "reset", {"Origin": "null"}, 403),
        ("DELETE", "requests", {"Sec-Fetch-Site": "cross-site"}, 403),
        ("GET", "requests", {"Origin": "http://evil.example"}, 403),
        # DNS rebinding: a foreign name resolved to 127.0.0.1 is still a foreign name.
        ("GET", "requests", {"Host": "evil.example:8080"}, 403),
        ("POST", "instances", {"Host": "evil.example", "Content-Type": "application/json"}, 403),
    ],
)
def test_admin_api_refuses_what_a_web_page_could_send(
    emulator: EmulatorHandle, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    content = SEED if method == "POST" and path == "instances" else None
    response = httpx.request(method, f"{emulator.url}/_emulator/{path}", content=content, headers=headers)
    assert response.status_code == status
    assert response.json()["Message"]
    assert emulator.instances() == [], "nothing was done"


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json; charset=utf-8", "Sec-Fetch-Site": "same-origin"},
        {"Content-Type": "application/json", "Host": "localhost:1"},
    ],
)
def test_admin_api_accepts_json_from_local_tools(emulator: EmulatorHandle, headers: dict[str, str]) -> None:
    response = httpx.post(f"{emulator.url}/_emulator/instances", content=SEED, headers=headers)
    assert response.status_code == 201
    same_origin = {**headers, "Origin": f"http://{headers.get('Host', emulator.endpoint)}"}
    assert httpx.post(f"{emulator.url}/_emulator/reset", headers=same_origin).status_code == 200
    assert httpx.post(f"{emulator.url}/_emulator/reset").status_code == 200, "no body, no type needed"


@pytest.mark.parametrize(
    ("remote", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("127.5.5.5", True),
        ("10.0.0.8", False),
        ("192.168.1.2", False),
        (None, False),
    ],
)
def test_admin_api_answers_loopback_only(remote: str | None, allowed: bool) -> None:
    assert _is_loopback(remote) is allowed


async def test_admin_guard_refuses_a_remote_client() -> None:
    from unittest import mock

    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from eci_operator.emulator.server import Emulator, EmulatorConfig

    emulator = Emulator(EmulatorConfig())
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        ("10.1.2.3", 40000) if name == "peername" else default
    )

    async def handler(request: web.Request) -> web.Response:
        raise AssertionError("the admin handler must not run for a remote client")

    request = make_mocked_request("GET", "/_emulator/instances", transport=transport)
    response = await emulator._admin_guard(request, handler)
    assert response.status == 403
