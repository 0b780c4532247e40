"""The emulator's STS: AssumeRole and AssumeRoleWithOIDC answer in the official SDK models' shape and
refuse as STS does; the keys they issue work for ECI calls only with their own security token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from eci_operator.eci import signing
from tests.support.emulator import EmulatorHandle, launch

ROLE = "acs:ram::1234567890:role/team-eci"
PROVIDER = "acs:ram::1234567890:oidc-provider/ack-rrsa-c1"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.accepted.sig"
STS_VERSION = "2015-04-01"


@pytest.fixture(scope="module")
def em() -> Iterator[EmulatorHandle]:
    handle = launch(role=[ROLE], oidc_provider={PROVIDER: [TOKEN]})
    yield handle
    handle.stop()


def signed(
    em: EmulatorHandle, action: str, params: dict[str, str], *, version: str = STS_VERSION, **keys: str
) -> dict[str, str]:
    return signing.sign_rpc_params(
        action=action,
        version=version,
        params=params,
        access_key_id=keys.get("key_id", em.access_key_id or ""),
        access_key_secret=keys.get("secret", em.access_key_secret or ""),
        security_token=keys.get("token"),
        nonce=signing.new_nonce(),
        timestamp=signing.format_timestamp(),
    )


def post(em: EmulatorHandle, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    response = httpx.post(em.url, data=params, timeout=10)
    return response.status_code, response.json()


def assume(em: EmulatorHandle, **over: str) -> tuple[int, dict[str, Any]]:
    business = {"RoleArn": ROLE, "RoleSessionName": "eci-operator-t", "DurationSeconds": "3600", **over}
    return post(em, signed(em, "AssumeRole", business))


def oidc(em: EmulatorHandle, **over: str) -> tuple[int, dict[str, Any]]:
    params = {
        "Action": "AssumeRoleWithOIDC",
        "Version": STS_VERSION,
        "Format": "JSON",
        "RoleArn": ROLE,
        "RoleSessionName": "eci-operator-t",
        "OIDCProviderArn": PROVIDER,
        "OIDCToken": TOKEN,
        **over,
    }
    return post(em, params)


def test_answers_have_the_sdk_models_shape(em: EmulatorHandle) -> None:
    status, body = assume(em)
    assert status == 200, body
    assert set(body) >= {"RequestId", "AssumedRoleUser", "Credentials"}
    assert set(body["Credentials"]) == {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}
    assert body["AssumedRoleUser"]["Arn"] == "acs:ram::1234567890:role/team-eci/eci-operator-t"
    assert body["Credentials"]["Expiration"].endswith("Z")
    status, body = oidc(em)
    assert status == 200, body
    assert body["OIDCTokenInfo"]["ClientIds"] == "sts.aliyuncs.com" and "Credentials" in body


@pytest.mark.parametrize(
    ("over", "status", "code"),
    [
        ({"RoleArn": "acs:ram::1234567890:role/other"}, 404, "EntityNotExist.Role"),
        ({"RoleArn": "arn:aws:iam::1:role/x"}, 400, "InvalidParameter.RoleArn"),
        ({"RoleSessionName": "a"}, 400, "InvalidParameter.RoleSessionName"),
        ({"DurationSeconds": "60"}, 400, "InvalidParameter.DurationSeconds"),
    ],
)
def test_assume_role_refusals(em: EmulatorHandle, over: dict[str, str], status: int, code: str) -> None:
    got_status, body = assume(em, **over)
    assert (got_status, body["Code"]) == (status, code)


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"OIDCProviderArn": "acs:ram::1234567890:oidc-provider/unknown"}, "AuthenticationFail.NoPermission"),
        ({"OIDCToken": "eyJhbGciOiJSUzI1NiJ9.forged.sig"}, "AuthenticationFail.OIDCToken.InvalidSignature"),
        ({"OIDCToken": ""}, "AuthenticationFail.OIDCToken.Invalid"),
    ],
)
def test_oidc_refusals_never_echo_the_token(em: EmulatorHandle, over: dict[str, str], code: str) -> None:
    status, body = oidc(em, **over)
    assert (status, body["Code"]) == (401, code)
    assert "forged" not in str(body)


def test_versions_route_actions(em: EmulatorHandle) -> None:
    business = {"RoleArn": ROLE, "RoleSessionName": "eci-operator-t"}
    status, body = post(em, signed(em, "AssumeRole", business, version="2018-08-08"))
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    status, body = post(em, signed(em, "DescribeContainerGroups", {"RegionId": em.region}))
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    unsigned = {"Action": "AssumeRole", "Version": STS_VERSION, **business}
    assert post(em, unsigned)[0] == 400  # only AssumeRoleWithOIDC may come unsigned


def test_issued_keys_need_their_own_token(em: EmulatorHandle) -> None:
    _, first = assume(em)
    _, second = assume(em)
    keys, other = first["Credentials"], second["Credentials"]
    describe = {"RegionId": em.region}

    def call(**creds: str) -> tuple[int, dict[str, Any]]:
        return post(em, signed(em, "DescribeContainerGroups", describe, version="2018-08-08", **creds))

    ok = {"key_id": keys["AccessKeyId"], "secret": keys["AccessKeySecret"]}
    assert call(**ok, token=keys["SecurityToken"])[0] == 200
    assert call(**ok)[1]["Code"] == "MissingSecurityToken"
    assert call(**ok, token=other["SecurityToken"])[1]["Code"] == "InvalidSecurityToken.MismatchWithAccessKey"
    requests = httpx.get(f"{em.url}/_emulator/requests", timeout=10).json()["Requests"]
    assert keys["SecurityToken"] not in str(requests) and keys["AccessKeySecret"] not in str(requests)
