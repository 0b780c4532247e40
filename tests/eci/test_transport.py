"""Retries, back-off, deadline and signing on the wire, against a scripted HTTP server on loopback."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from eci_operator.eci import errors, signing
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import (
    Container,
    DescribeContainerGroupsRequest,
    UpdateContainerGroupRequest,
)
from eci_operator.eci.quotas import QuotaLimiter
from eci_operator.eci.transport import RetryPolicy, resolve_endpoint

from .scripted_server import Hang, Recorded, Reply, Reset, ScriptedServer, error

FAST = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05, deadline=10, attempt_timeout=0.3)
CREDS = StaticCredentials("testid", "testsecret")


def client(server: ScriptedServer, policy: RetryPolicy = FAST, **kw: Any) -> EciClient:
    return EciClient(
        region_id="cn-hangzhou",
        endpoint=server.url,
        credentials=kw.pop("credentials", CREDS),
        retry=policy,
        limiter=QuotaLimiter(),
        **kw,
    )


def update_request() -> UpdateContainerGroupRequest:
    return UpdateContainerGroupRequest(
        region_id="cn-hangzhou",
        container_group_id="eci-1",
        containers=[Container(name="web", image="nginx:1.27", commands=["echo", "a b ~*+"])],
    )


def acs3_valid(req: Recorded, secret: str = "testsecret") -> bool:
    auth = signing.parse_acs3_authorization(req.headers["authorization"])
    canonical = signing.acs3_canonical_request(
        req.method, req.path, req.query, req.headers, auth.signed_headers, req.body
    )
    return signing.acs3_signature(secret, signing.acs3_string_to_sign(canonical)) == auth.signature


async def test_throttling_and_503_are_retried_with_same_token_and_fresh_nonce() -> None:
    script = [
        error("Throttling.User"),
        error("ServiceUnavailable", 503),
        error("InternalError", 500),
        Reply(body={"RequestId": "done"}),
    ]
    async with ScriptedServer(script) as server, client(server) as eci:
        answer = await eci.update_container_group(update_request())
    assert answer.request_id == "done"
    assert len(server.requests) == 4
    tokens = {r.query["ClientToken"] for r in server.requests}
    assert len(tokens) == 1 and next(iter(tokens))
    nonces = [r.headers["x-acs-signature-nonce"] for r in server.requests]
    assert len(set(nonces)) == 4
    assert all(acs3_valid(r) for r in server.requests)
    assert server.requests[0].query["Container.1.Command.2"] == "a b ~*+"


async def test_resets_and_timeouts_are_retried_and_the_write_keeps_its_token() -> None:
    script: list[Reply | Reset | Hang] = [Reset(), Hang(5), Reset(), Reply(body={"RequestId": "ok"})]
    async with ScriptedServer(script) as server, client(server) as eci:
        await eci.update_container_group(update_request().model_copy(update={"client_token": "tok-7"}))
    assert [r.query["ClientToken"] for r in server.requests] == ["tok-7"] * 4
    assert len({r.headers["x-acs-signature-nonce"] for r in server.requests}) == 4


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("InvalidParameter.DuplicatedName", 400, errors.InvalidParameterError),
        ("MissingParameter", 400, errors.InvalidParameterError),
        ("NoNeedUpdate", 400, errors.NoNeedUpdateError),
        ("IncorrectStatus", 400, errors.IncorrectStatusError),
        ("IdempotentParameterMismatch", 400, errors.IdempotentParameterMismatchError),
        ("SignatureDoesNotMatch", 400, errors.AuthError),
        ("InvalidAccessKeyId.NotFound", 404, errors.AuthError),
        ("Forbidden.RAM", 403, errors.AuthError),
        ("InvalidParameter.NotFound", 404, errors.NotFoundError),
    ],
)
async def test_non_retryable_codes_fail_at_once(code: str, status: int, cls: type[errors.EciError]) -> None:
    async with ScriptedServer([error(code, status, "why")]) as server, client(server) as eci:
        with pytest.raises(cls) as info:
            await eci.update_container_group(update_request())
    assert len(server.requests) == 1
    exc = info.value
    assert (exc.code, exc.message, exc.http_status, exc.request_id) == (code, "why", status, f"req-{code}")


async def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, deadline=10, attempt_timeout=1)
    async with ScriptedServer([error("ServiceUnavailable", 503)]) as server, client(server, policy) as eci:
        with pytest.raises(errors.ServerError):
            await eci.call("DescribeContainerGroups", {"RegionId": "cn-hangzhou"})
    assert len(server.requests) == 3


async def test_deadline_holds_while_the_server_hangs() -> None:
    policy = RetryPolicy(max_attempts=100, base_delay=0.01, max_delay=0.05, deadline=0.8, attempt_timeout=0.3)
    async with ScriptedServer([Hang(10)]) as server, client(server, policy) as eci:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError) as info:
            await eci.call("DescribeContainerGroups", {"RegionId": "cn-hangzhou"})
        elapsed = time.monotonic() - started
    assert elapsed < 1.3
    assert isinstance(info.value.last_error, errors.RequestTimeoutError)
    assert len(server.requests) >= 2


async def test_deadline_stops_a_retry_the_service_asks_to_delay_too_long() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, deadline=1.0, attempt_timeout=0.5)
    script = [error("Throttling", 400, **{"x-acs-retry-after": "5000"})]
    async with ScriptedServer(script) as server, client(server, policy) as eci:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError) as info:
            await eci.call("DescribeContainerGroups", {"RegionId": "cn-hangzhou"})
    assert time.monotonic() - started < 0.5
    assert info.value.code == "Throttling"
    assert len(server.requests) == 1


@pytest.mark.parametrize("header", [{"x-acs-retry-after": "300"}, {"Retry-After": "0.3"}])
async def test_retry_after_is_honoured(header: dict[str, str]) -> None:
    script = [error("Throttling.Api", 400, **header), Reply()]
    async with ScriptedServer(script) as server, client(server) as eci:
        await eci.call("DescribeContainerGroups", {"RegionId": "cn-hangzhou"})
    gap = server.requests[1].at - server.requests[0].at
    assert gap >= 0.29


async def test_classic_signature_on_the_wire_with_sts_token() -> None:
    sts = StaticCredentials("stsid", "stssecret", "sts-token-value")
    async with (
        ScriptedServer([error("ServiceUnavailable", 503), Reply()]) as server,
        client(server, signature="hmac-sha1", credentials=sts) as eci,
    ):
        await eci.describe_container_groups(
            DescribeContainerGroupsRequest(region_id="cn-hangzhou", container_group_ids=["eci-a"], limit=20)
        )
    first, second = server.requests
    for req in (first, second):
        assert req.query["SignatureMethod"] == "HMAC-SHA1" and req.query["SignatureVersion"] == "1.0"
        assert req.query["SecurityToken"] == "sts-token-value"
        assert req.query["ContainerGroupIds"] == '["eci-a"]'
        assert signing.rpc_signature("stssecret", "POST", req.query) == req.query["Signature"]
    assert first.query["SignatureNonce"] != second.query["SignatureNonce"]


async def test_acs3_sends_sts_token_header() -> None:
    sts = StaticCredentials("stsid", "stssecret", "sts-token-value")
    async with ScriptedServer([Reply()]) as server, client(server, credentials=sts) as eci:
        await eci.call("DescribeContainerGroups", {"RegionId": "cn-hangzhou"})
    (req,) = server.requests
    assert req.headers["x-acs-security-token"] == "sts-token-value"
    assert req.headers["host"] == f"127.0.0.1:{server.port}"
    assert acs3_valid(req, "stssecret")


async def test_non_json_5xx_is_a_server_error() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, deadline=10, attempt_timeout=1)
    script = [Reply(502, b"<html>bad gateway</html>")]
    async with ScriptedServer(script) as server, client(server, policy) as eci:
        with pytest.raises(errors.ServerError) as info:
            await eci.call("DescribeContainerGroups", {"RegionId": "cn-hangzhou"})
    assert info.value.http_status == 502
    assert "bad gateway" in info.value.message
    assert len(server.requests) == policy.max_attempts


async def test_injectable_transport_seam() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"RequestId": "r", "TotalCount": 0, "ContainerGroups": []})

    async with EciClient(
        region_id="cn-hangzhou", credentials=CREDS, http_transport=httpx.MockTransport(handler)
    ) as eci:
        page = await eci.describe_container_groups(DescribeContainerGroupsRequest(region_id="cn-hangzhou"))
    assert page.container_groups == []
    assert str(seen[0].url).startswith("https://eci.cn-hangzhou.aliyuncs.com/?")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (None, "https://eci.cn-shanghai.aliyuncs.com/"),
        ("eci-vpc.cn-shanghai.aliyuncs.com", "https://eci-vpc.cn-shanghai.aliyuncs.com/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
        ("https://example.test/ignored?x=1", "https://example.test/"),
    ],
)
def test_endpoint_resolution(endpoint: str | None, expected: str) -> None:
    assert str(resolve_endpoint("cn-shanghai", endpoint)) == expected


def test_endpoint_rejects_other_schemes() -> None:
    with pytest.raises(ValueError, match="ftp://x"):
        resolve_endpoint("cn-shanghai", "ftp://x")


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"x-acs-retry-after": "1500"}, 1.5),
        ({"Retry-After": "2"}, 2.0),
        ({"Retry-After": "not a date"}, 0.0),
        ({"x-acs-retry-after": "-5"}, 0.0),
        ({}, 0.0),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], seconds: float) -> None:
    from eci_operator.eci.transport import _retry_after

    assert _retry_after(httpx.Response(400, headers=headers)) == seconds
