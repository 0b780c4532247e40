"""StsCredentials: a RAM role's temporary keys from STS, against the emulator's STS over real HTTP
(and a scripted server for answers a real STS gives only on a bad day: 5xx, echoes, garbage).

What users depend on: the keys work for ECI calls (and only with their token, only until they
expire), are renewed before they expire, one refresh serves every concurrent caller, a failed
renewal keeps the keys still valid, and errors name the role and STS's code but no secret.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import CredentialsError, StaticCredentials
from eci_operator.eci.errors import AuthError
from eci_operator.eci.models import DescribeContainerGroupsRequest
from eci_operator.eci.sts import OidcToken, StsCredentials, StsPolicy, session_name
from tests.support.emulator import EmulatorHandle, launch

from .scripted_server import Hang, Reply, ScriptedServer, error

ROLE = "acs:ram::1234567890:role/team2-eci"
PROVIDER = "acs:ram::1234567890:oidc-provider/ack-rrsa-c123"
TOKEN_1 = "eyJhbGciOiJSUzI1NiJ9.first-token.sig1"
TOKEN_2 = "eyJhbGciOiJSUzI1NiJ9.second-token.sig2"
FAST = StsPolicy(base_delay=0.01, max_delay=0.02, attempt_timeout=2.0, deadline=5.0)


@pytest.fixture(scope="module")
def sts() -> Iterator[EmulatorHandle]:
    handle = launch(role=[ROLE], oidc_provider={PROVIDER: [TOKEN_1, TOKEN_2]})
    yield handle
    handle.stop()


class Clock:
    """This host's clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def assume_role(em: EmulatorHandle, clock: Clock | None = None, role: str = ROLE) -> StsCredentials:
    assert em.access_key_id is not None and em.access_key_secret is not None
    return StsCredentials(
        role_arn=role,
        session=session_name("team2"),
        source=StaticCredentials(em.access_key_id, em.access_key_secret),
        endpoint=em.url,
        policy=FAST,
        clock=clock or time.time,
    )


def rrsa(em: EmulatorHandle, token_file: Path, clock: Clock | None = None) -> StsCredentials:
    return StsCredentials(
        role_arn=ROLE,
        session=session_name("team2"),
        oidc=OidcToken(PROVIDER, str(token_file)),
        endpoint=em.url,
        policy=FAST,
        clock=clock or time.time,
    )


async def describe(em: EmulatorHandle, provider: StaticCredentials | StsCredentials) -> None:
    async with EciClient(region_id=em.region, credentials=provider, endpoint=em.url) as eci:
        await eci.describe_container_groups(DescribeContainerGroupsRequest(region_id=em.region))


async def calls(em: EmulatorHandle, action: str) -> list[dict[str, object]]:
    return await em.arequests(action)


async def test_assumed_keys_call_eci_with_their_token_and_the_request_log_names_them(
    sts: EmulatorHandle,
) -> None:
    await sts.aclear_requests()
    provider = assume_role(sts)
    keys = await provider.get()
    assert keys.access_key_id.startswith("STS.") and keys.security_token
    await describe(sts, provider)
    (call,) = await calls(sts, "DescribeContainerGroups")
    assert call["AccessKeyId"] == keys.access_key_id
    (assumed,) = await calls(sts, "AssumeRole")
    assert assumed["AccessKeyId"] == sts.access_key_id
    assert assumed["Params"]["RoleSessionName"] == "eci-operator-team2"  # type: ignore[index]
    with pytest.raises(AuthError) as refused:  # the temporary pair is nothing without its token
        await describe(sts, StaticCredentials(keys.access_key_id, keys.access_key_secret))
    assert refused.value.code == "MissingSecurityToken"


async def test_keys_are_renewed_once_most_of_their_lifetime_has_passed(sts: EmulatorHandle) -> None:
    await sts.aclear_requests()
    clock = Clock()
    provider = assume_role(sts, clock)
    first = await provider.get()
    clock.now += 0.7 * 3600
    assert await provider.get() == first
    clock.now += 0.11 * 3600  # past 80 % of the hour: renewed in the background
    assert await provider.get() == first  # nobody waits for STS while the keys are valid
    await provider.renewed()
    second = await provider.get()
    assert second.access_key_id != first.access_key_id
    assert len(await calls(sts, "AssumeRole")) == 2


async def test_concurrent_callers_share_one_refresh(sts: EmulatorHandle) -> None:
    await sts.aclear_requests()
    provider = assume_role(sts)
    keys = await asyncio.gather(*(provider.get() for _ in range(20)))
    assert len({k.access_key_id for k in keys}) == 1
    assert len(await calls(sts, "AssumeRole")) == 1


async def test_expired_keys_are_refused_by_eci_and_the_provider_hands_out_new_ones() -> None:
    em = launch(role=[ROLE], sts_lifetime=1.5)
    try:
        provider = assume_role(em)
        first = await provider.get()
        expired = StaticCredentials(first.access_key_id, first.access_key_secret, first.security_token)
        await asyncio.sleep(1.6)
        with pytest.raises(AuthError) as refused:
            await describe(em, expired)
        assert refused.value.code == "InvalidSecurityToken.Expired"
        await describe(em, provider)  # renewed, not the expired pair
        assert (await provider.get()).access_key_id != first.access_key_id
    finally:
        em.stop()


async def test_rrsa_reads_the_token_file_at_every_refresh_and_keeps_valid_keys_when_a_refresh_fails(
    sts: EmulatorHandle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await sts.aclear_requests()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN_1)
    clock = Clock()
    provider = rrsa(sts, token_file, clock)
    first = await provider.get()
    await describe(sts, provider)
    (exchange,) = await calls(sts, "AssumeRoleWithOIDC")
    assert exchange["AccessKeyId"] is None  # unsigned: the token is the proof
    assert TOKEN_1 not in str(exchange)  # the request log masks it

    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.revoked.sig0")  # the kubelet wrote a token STS refuses
    clock.now += 0.85 * 3600
    assert await provider.get() == first
    await provider.renewed()
    assert await provider.get() == first  # the renewal failed; still valid: kept
    (_, failed) = await calls(sts, "AssumeRoleWithOIDC")
    assert failed["Code"] == "AuthenticationFail.OIDCToken.InvalidSignature"
    assert any("stay in use" in r.getMessage() for r in caplog.records)

    token_file.write_text(TOKEN_2 + "\n")  # rotated again, to a token STS accepts
    clock.now += 60  # after the pause that follows a failed renewal
    assert await provider.get() == first
    await provider.renewed()
    second = await provider.get()
    assert second.access_key_id != first.access_key_id
    await describe(sts, provider)

    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.revoked.sig0")
    clock.now += 1.2 * 3600  # past the expiry of the second keys: nothing usable is left
    with pytest.raises(CredentialsError) as no_keys:
        await provider.get()
    message = str(no_keys.value)
    assert ROLE in message and "AuthenticationFail.OIDCToken.InvalidSignature" in message
    assert "revoked" not in message and not no_keys.value.retryable


async def test_a_refused_role_is_an_error_naming_it_and_is_not_asked_again_at_once(
    sts: EmulatorHandle,
) -> None:
    await sts.aclear_requests()
    role = "acs:ram::1234567890:role/no-such-role"
    provider = assume_role(sts, role=role)
    for _ in range(3):
        with pytest.raises(CredentialsError) as refused:
            await provider.get()
        assert role in str(refused.value) and "EntityNotExist.Role" in str(refused.value)
        assert not refused.value.retryable
    assert len(await calls(sts, "AssumeRole")) == 1


async def test_a_missing_token_file_names_the_file(sts: EmulatorHandle, tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match=r"OIDC token file .*/absent"):
        await rrsa(sts, tmp_path / "absent").get()


def _scripted(server: ScriptedServer, oidc_file: Path) -> StsCredentials:
    return StsCredentials(
        role_arn=ROLE,
        session="eci-operator-team2",
        oidc=OidcToken(PROVIDER, str(oidc_file)),
        endpoint=server.url,
        policy=FAST,
    )


def _keys(expiration: str = "2999-01-01T00:00:00Z") -> Reply:
    return Reply(
        200,
        {
            "RequestId": "req-1",
            "Credentials": {
                "AccessKeyId": "STS.abc",
                "AccessKeySecret": "s3cr3t-value",
                "SecurityToken": "CAIStoken",
                "Expiration": expiration,
            },
        },
    )


async def test_server_errors_and_throttling_are_retried(tmp_path: Path) -> None:
    (tmp_path / "t").write_text(TOKEN_1)
    script = [error("InternalError", 500), error("Throttling.User", 400), _keys()]
    async with ScriptedServer(script) as server:
        keys = await _scripted(server, tmp_path / "t").get()
    assert keys.access_key_id == "STS.abc" and len(server.requests) == 3


async def test_a_hanging_sts_delays_no_caller_while_the_keys_are_valid(tmp_path: Path) -> None:
    (tmp_path / "t").write_text(TOKEN_1)
    clock = Clock()
    async with ScriptedServer([_keys(), Hang(10)]) as server:
        provider = StsCredentials(
            role_arn=ROLE,
            session="eci-operator-team2",
            oidc=OidcToken(PROVIDER, str(tmp_path / "t")),
            endpoint=server.url,
            policy=StsPolicy(max_attempts=1, attempt_timeout=0.5, deadline=0.5),
            clock=clock,
        )
        first = await provider.get()
        clock.now = datetime(2999, 1, 1, tzinfo=UTC).timestamp() - 3600  # an hour before they expire
        for _ in range(5):  # the renewal hangs meanwhile; each caller gets the valid keys at once
            assert await asyncio.wait_for(provider.get(), 5) == first
            await asyncio.sleep(0.05)
        await provider.renewed()
    assert await provider.get() == first and len(server.requests) == 2


async def test_errors_never_show_the_token_even_when_sts_echoes_it(tmp_path: Path) -> None:
    (tmp_path / "t").write_text(TOKEN_1)
    echo = error("AuthenticationFail.OIDCToken.Invalid", 401, f"token {TOKEN_1} is not a JWT")
    async with ScriptedServer([echo]) as server:
        with pytest.raises(CredentialsError) as refused:
            await _scripted(server, tmp_path / "t").get()
    assert "AuthenticationFail.OIDCToken.Invalid" in str(refused.value)
    assert "first-token" not in str(refused.value) and len(server.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        Reply(200, {"RequestId": "r", "Credentials": {"AccessKeyId": "STS.abc"}}),  # no secret
        _keys(expiration="tomorrow"),
        Reply(200, {"RequestId": "r", "Credentials": {}, "Padding": "x" * 70_000}),  # over the cap
        Reply(200, "not an object"),
    ],
    ids=["incomplete", "bad-expiration", "too-large", "not-an-object"],
)
async def test_a_malformed_answer_is_an_error_not_keys(tmp_path: Path, answer: Reply) -> None:
    (tmp_path / "t").write_text(TOKEN_1)
    async with ScriptedServer([answer]) as server:
        with pytest.raises(CredentialsError, match=f"role {ROLE}"):
            await _scripted(server, tmp_path / "t").get()


async def test_keys_that_expired_on_arrival_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "t").write_text(TOKEN_1)
    async with ScriptedServer([_keys(expiration="2001-01-01T00:00:00Z")]) as server:
        with pytest.raises(CredentialsError, match="synchronise the clock"):
            await _scripted(server, tmp_path / "t").get()
