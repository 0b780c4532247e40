"""Gateway authentication: both signature schemes and the gateway's error codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from eci_operator.eci import signing
from tests.emulator.conftest import Local, StartLocal

VERSION = "2018-08-08"
QUERY = {"RegionId": "cn-hangzhou"}


def rpc_params(
    api: Local, *, secret: str | None = None, when: datetime | None = None, **over: str
) -> dict[str, str]:
    params = signing.sign_rpc_params(
        action=over.pop("action", "DescribeContainerGroups"),
        version=VERSION,
        params=QUERY,
        access_key_id=over.pop("key_id", api.access_key_id),
        access_key_secret=secret or api.access_key_secret,
        nonce=signing.new_nonce(),
        timestamp=signing.format_timestamp(when),
    )
    params.update(over)
    return params


def acs3_headers(
    api: Local, *, secret: str | None = None, when: datetime | None = None, **over: str
) -> dict[str, str]:
    return signing.sign_acs3_headers(
        action=over.pop("action", "DescribeContainerGroups"),
        version=over.pop("version", VERSION),
        host=api.url.removeprefix("http://"),
        query=QUERY,
        body=b"",
        access_key_id=api.access_key_id,
        access_key_secret=secret or api.access_key_secret,
        nonce=signing.new_nonce(),
        timestamp=signing.format_timestamp(when),
    )


async def send(api: Local, params: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with httpx.AsyncClient(base_url=api.url) as client:
        response = await client.post("/?" + urlencode(params), headers=headers)
    return response.status_code, response.json()


@pytest.mark.parametrize("scheme", ["rpc", "acs3"])
@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_both_schemes_and_verbs_are_accepted(start_local: StartLocal, scheme: str, method: str) -> None:
    api = await start_local(scheme=scheme)
    status, body = await api.call("DescribeContainerGroups", method=method, RegionId="cn-hangzhou")
    assert status == 200, body
    assert body["ContainerGroups"] == []


async def test_rpc_parameters_in_a_form_body(api: Local) -> None:
    status, body = await api.call("CreateContainerGroup", form=True, **api.group("form-body"))
    assert status == 200, body
    assert api.get(body["ContainerGroupId"])["ContainerGroupName"] == "form-body"


async def test_wrong_secret_rpc_gets_signature_does_not_match_with_string_to_sign(api: Local) -> None:
    params = rpc_params(api, secret="wrong")
    status, body = await send(api, params)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    expected = signing.rpc_string_to_sign("POST", params)
    assert body["Message"].endswith("server string to sign is:" + expected)
    assert "wrong" not in body["Message"] and api.access_key_secret not in body["Message"]


async def test_wrong_secret_acs3_gets_signature_does_not_match(api: Local) -> None:
    status, body = await send(api, QUERY, acs3_headers(api, secret="wrong"))
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert "server string to sign is:ACS3-HMAC-SHA256\n" in body["Message"]


async def test_a_tampered_parameter_breaks_the_signature(api: Local) -> None:
    params = rpc_params(api)
    params["RegionId"] = "cn-beijing"
    status, body = await send(api, params)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")


async def test_unknown_access_key_is_not_found(api: Local) -> None:
    status, body = await send(api, rpc_params(api, key_id="someone-else"))
    assert (status, body["Code"]) == (404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("scheme", ["rpc", "acs3"])
async def test_replayed_nonce_is_refused(api: Local, scheme: str) -> None:
    if scheme == "rpc":
        params, headers = rpc_params(api), None
    else:
        params, headers = QUERY, acs3_headers(api)
    assert (await send(api, params, headers))[0] == 200
    status, body = await send(api, params, headers)
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")


@pytest.mark.parametrize("scheme", ["rpc", "acs3"])
@pytest.mark.parametrize(
    ("skew", "code"), [(16, "InvalidTimeStamp.Expired"), (-16, "InvalidTimeStamp.Expired"), (14, None)]
)
async def test_timestamp_more_than_15_minutes_off_is_expired(
    api: Local, scheme: str, skew: int, code: str | None
) -> None:
    when = datetime.now(UTC) - timedelta(minutes=skew)
    if scheme == "rpc":
        status, body = await send(api, rpc_params(api, when=when))
    else:
        status, body = await send(api, QUERY, acs3_headers(api, when=when))
    assert body.get("Code") == code, body
    assert status == (400 if code else 200)


@pytest.mark.parametrize("name", ["Action", "Version", "AccessKeyId", "SignatureNonce", "Timestamp"])
async def test_missing_common_parameter(api: Local, name: str) -> None:
    params = rpc_params(api)
    del params[name]
    status, body = await send(api, params)
    assert (status, body["Code"]) == (400, "MissingParameter")
    assert name in body["Message"]


@pytest.mark.parametrize("header", ["x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-action"])
async def test_missing_acs3_header(api: Local, header: str) -> None:
    headers = acs3_headers(api)
    del headers[header]
    status, body = await send(api, QUERY, headers)
    assert (status, body["Code"]) == (400, "MissingParameter"), body
    assert header in body["Message"]


async def test_incomplete_signature_cases(api: Local) -> None:
    no_signature = rpc_params(api)
    del no_signature["Signature"]
    assert (await send(api, no_signature))[1]["Code"] == "IncompleteSignature"

    other_method = rpc_params(api, SignatureMethod="HMAC-SHA256")
    assert (await send(api, other_method))[1]["Code"] == "IncompleteSignature"

    headers = acs3_headers(api)
    headers["authorization"] = "ACS3-HMAC-SHA256 Credential=testid"
    assert (await send(api, QUERY, headers))[1]["Code"] == "IncompleteSignature"

    headers = acs3_headers(api)
    headers["authorization"] = headers["authorization"].replace("ACS3-HMAC-SHA256", "ACS3-HMAC-SM3", 1)
    assert (await send(api, QUERY, headers))[1]["Code"] == "IncompleteSignature"

    # Every x-acs-* header must be signed: leaving the date out of SignedHeaders is incomplete.
    headers = acs3_headers(api)
    headers["authorization"] = headers["authorization"].replace("x-acs-date;", "")
    status, body = await send(api, QUERY, headers)
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    assert "x-acs-date" in body["Message"]


@pytest.mark.parametrize("scheme", ["rpc", "acs3"])
async def test_unknown_action_is_not_found(api: Local, scheme: str) -> None:
    if scheme == "rpc":
        status, body = await send(api, rpc_params(api, action="DescribeEverything"))
    else:
        status, body = await send(api, QUERY, acs3_headers(api, action="DescribeEverything"))
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    assert "DescribeEverything" in body["Message"]


async def test_wrong_version_is_not_found(api: Local) -> None:
    status, body = await send(api, QUERY, acs3_headers(api, version="2014-05-26"))
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")


async def test_without_configured_keys_any_caller_is_accepted(start_local: StartLocal) -> None:
    api = await start_local(access_key_id=None, access_key_secret=None)
    status, body = await send(api, {"Action": "DescribeContainerGroups", **QUERY})
    assert status == 200, body


async def test_error_body_shape_and_request_id_header(api: Local) -> None:
    params = rpc_params(api, key_id="nobody")
    async with httpx.AsyncClient(base_url=api.url) as client:
        response = await client.post("/?" + urlencode(params))
    body = response.json()
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    assert response.headers["content-type"].startswith("application/json")
    assert body["Recommend"] == (
        f"https://api.aliyun.com/troubleshoot?q=InvalidAccessKeyId.NotFound&product=Eci&requestId={body['RequestId']}"
    )


async def test_malformed_timestamp_is_a_format_error(api: Local) -> None:
    params = rpc_params(api)
    params["Timestamp"] = "yesterday"
    params["Signature"] = signing.rpc_signature(api.access_key_secret, "POST", params)
    status, body = await send(api, params)
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Format")
    assert "Timestamp" in body["Message"]
