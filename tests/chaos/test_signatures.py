"""Signatures and replay, client against the real emulator process.

The emulator side (tampered, replayed and stale requests refused) is also covered parameter by
parameter in tests/emulator/test_auth.py; here the client's own signed requests are captured on
the wire and replayed or altered, and the client's recovery from the gateway's answers is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from eci_operator.eci import errors, signing
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import DescribeContainerGroupsRequest
from eci_operator.eci.quotas import QuotaLimiter
from eci_operator.eci.transport import RetryPolicy, SignatureScheme

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, deadline=10, attempt_timeout=5)
SCHEMES = ["acs3", "hmac-sha1"]


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the network and keeps a copy of each, as an eavesdropper would."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def client(
    emulator: Any, scheme: SignatureScheme, transport: httpx.AsyncBaseTransport | None = None
) -> EciClient:
    return EciClient(
        region_id=emulator.region,
        endpoint=emulator.url,
        credentials=StaticCredentials(emulator.access_key_id, emulator.access_key_secret),
        signature=scheme,
        retry=FAST,
        limiter=QuotaLimiter(),
        http_transport=transport,
    )


def describe() -> DescribeContainerGroupsRequest:
    return DescribeContainerGroupsRequest(region_id="cn-hangzhou")


@pytest.fixture
def reused_nonce(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The first two nonces the client draws are the same value; later ones are fresh."""
    real = signing.new_nonce
    handed: list[str] = []

    def nonce() -> str:
        value = "fixed-nonce-0001" if len(handed) < 2 else real()
        handed.append(value)
        return value

    monkeypatch.setattr(signing, "new_nonce", nonce)
    yield handed


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_client_recovers_from_signature_nonce_used_with_a_new_nonce(
    emulator: Any, scheme: SignatureScheme, reused_nonce: list[str]
) -> None:
    async with client(emulator, scheme) as eci:
        await eci.describe_container_groups(describe())
        page = await eci.describe_container_groups(describe())  # first attempt reuses the nonce
    assert page.container_groups == []
    assert reused_nonce[:2] == ["fixed-nonce-0001"] * 2 and reused_nonce[2] != reused_nonce[1]
    codes = [r["Code"] for r in emulator.requests()]  # refused before the action is known
    assert codes == [None, "SignatureNonceUsed", None]


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_clock_skew_fails_at_once_with_a_message_about_the_clock(
    emulator: Any, scheme: SignatureScheme, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = signing.format_timestamp
    monkeypatch.setattr(
        signing, "format_timestamp", lambda when=None: real(when or datetime.now(UTC) - timedelta(minutes=20))
    )
    async with client(emulator, scheme) as eci:
        with pytest.raises(errors.AuthError) as info:
            await eci.describe_container_groups(describe())
    message = str(info.value)
    assert info.value.code == "InvalidTimeStamp.Expired"
    assert "clock" in message and "NTP" in message
    assert "-1200s off" in message or "-1199s off" in message or "-1201s off" in message, message
    # Not retried: a new signature from the same clock would be refused again.
    assert [r["Code"] for r in emulator.requests()] == ["InvalidTimeStamp.Expired"]


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_a_captured_request_replayed_verbatim_is_refused(
    emulator: Any, scheme: SignatureScheme
) -> None:
    recorder = Recorder()
    async with client(emulator, scheme, recorder) as eci:
        await eci.describe_container_groups(describe())
    [original] = recorder.sent
    async with httpx.AsyncClient() as raw:
        replay = await raw.send(original)
    assert (replay.status_code, replay.json()["Code"]) == (400, "SignatureNonceUsed")


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_a_captured_request_with_one_altered_parameter_is_refused(
    emulator: Any, scheme: SignatureScheme
) -> None:
    recorder = Recorder()
    async with client(emulator, scheme, recorder) as eci:
        await eci.describe_container_groups(describe())
    [original] = recorder.sent
    tampered_url = original.url.copy_with(
        raw_path=original.url.raw_path.replace(b"RegionId=cn-hangzhou", b"RegionId=cn-beijing")
    )
    assert tampered_url != original.url
    headers = dict(original.headers)
    if "x-acs-signature-nonce" in headers:  # a fresh nonce, so only the signature can refuse it
        headers["x-acs-signature-nonce"] = signing.new_nonce()
    else:
        used = "SignatureNonce=" + original.url.params["SignatureNonce"]
        tampered_url = httpx.URL(str(tampered_url).replace(used, "SignatureNonce=" + signing.new_nonce()))
    async with httpx.AsyncClient() as raw:
        answer = await raw.post(str(tampered_url), headers=headers)
    assert (answer.status_code, answer.json()["Code"]) == (400, "SignatureDoesNotMatch")
    assert emulator.instances() == []


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_a_stale_signed_request_is_refused_even_with_a_valid_signature(
    emulator: Any, scheme: SignatureScheme, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request signed 16 minutes ago (captured, held back, then sent) is expired."""
    real = signing.format_timestamp
    monkeypatch.setattr(
        signing, "format_timestamp", lambda when=None: real(when or datetime.now(UTC) - timedelta(minutes=16))
    )
    async with client(emulator, scheme) as eci:
        with pytest.raises(errors.AuthError) as info:
            await eci.describe_container_groups(describe())
    assert info.value.code == "InvalidTimeStamp.Expired"
