"""Signing: the golden vectors of the ECI reference (§5.4), produced by the official SDK."""

from __future__ import annotations

import pytest

from eci_operator.eci import signing

SECRET = "testsecret"
NONCE = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
DATE = "2024-01-01T00:00:00Z"
BUSINESS = {
    "RegionId": "cn-hangzhou",
    "ContainerGroupId": "eci-bp1test0000000000",
    "UpdateType": "RenewUpdate",
    "Container.1.Name": "app",
    "Container.1.Image": "nginx:1.25",
    "Container.1.Command.1": "/bin/sh",
    "Container.1.Command.2": "-c",
    "Container.1.Command.3": "echo hello world; sleep 10",
    "Container.1.EnvironmentVar.1.Key": "GREETING",
    "Container.1.EnvironmentVar.1.Value": "你好 世界~*+",
}
RPC_PARAMS = {
    **BUSINESS,
    "AccessKeyId": "testid",
    "Action": "UpdateContainerGroup",
    "Format": "json",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": NONCE,
    "SignatureVersion": "1.0",
    "Timestamp": DATE,
    "Version": "2018-08-08",
}
CANONICAL_QUERY_V1 = (
    "AccessKeyId=testid&Action=UpdateContainerGroup&Container.1.Command.1=%2Fbin%2Fsh"
    "&Container.1.Command.2=-c&Container.1.Command.3=echo%20hello%20world%3B%20sleep%2010"
    "&Container.1.EnvironmentVar.1.Key=GREETING"
    "&Container.1.EnvironmentVar.1.Value=%E4%BD%A0%E5%A5%BD%20%E4%B8%96%E7%95%8C~%2A%2B"
    "&Container.1.Image=nginx%3A1.25&Container.1.Name=app&ContainerGroupId=eci-bp1test0000000000"
    "&Format=json&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1"
    "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
    "&Timestamp=2024-01-01T00%3A00%3A00Z&UpdateType=RenewUpdate&Version=2018-08-08"
)
V3_HEADERS = {
    "host": "eci.cn-hangzhou.aliyuncs.com",
    "x-acs-action": "UpdateContainerGroup",
    "x-acs-version": "2018-08-08",
    "x-acs-date": DATE,
    "x-acs-signature-nonce": NONCE,
    "x-acs-content-sha256": signing.EMPTY_BODY_SHA256,
}
V3_CANONICAL_REQUEST = "\n".join(
    [
        "POST",
        "/",
        "Container.1.Command.1=%2Fbin%2Fsh&Container.1.Command.2=-c"
        "&Container.1.Command.3=echo%20hello%20world%3B%20sleep%2010"
        "&Container.1.EnvironmentVar.1.Key=GREETING"
        "&Container.1.EnvironmentVar.1.Value=%E4%BD%A0%E5%A5%BD%20%E4%B8%96%E7%95%8C~%2A%2B"
        "&Container.1.Image=nginx%3A1.25&Container.1.Name=app&ContainerGroupId=eci-bp1test0000000000"
        "&RegionId=cn-hangzhou&UpdateType=RenewUpdate",
        "host:eci.cn-hangzhou.aliyuncs.com",
        "x-acs-action:UpdateContainerGroup",
        "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-date:2024-01-01T00:00:00Z",
        "x-acs-signature-nonce:3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "x-acs-version:2018-08-08",
        "",
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]
)
V3_AUTHORIZATION = (
    "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
    "x-acs-date;x-acs-signature-nonce;x-acs-version,"
    "Signature=cbc68d5e3187f32d043926a6126bcd9aa909e04da8eeea12ee994ac9a56944ef"
)


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [("a b", "a%20b"), ("~", "~"), ("*", "%2A"), ("+", "%2B"), ("/", "%2F"), ("你", "%E4%BD%A0"), ("", "")],
)
def test_percent_encode_rfc3986(raw: str, encoded: str) -> None:
    assert signing.percent_encode(raw) == encoded


def test_rpc_golden_vector() -> None:
    assert signing.canonical_query(RPC_PARAMS) == CANONICAL_QUERY_V1
    to_sign = signing.rpc_string_to_sign("POST", RPC_PARAMS)
    assert to_sign.startswith(
        "POST&%2F&AccessKeyId%3Dtestid%26Action%3DUpdateContainerGroup%26Container.1.Command.1%3D%252Fbin%252Fsh"
    )
    assert signing.rpc_signature(SECRET, "POST", RPC_PARAMS) == "HYJM6MEmUxrZ+4NBR1/gQkTjY2A="
    assert signing.rpc_signature(SECRET, "GET", RPC_PARAMS) == "7CqnOLKWxn8ISecIXx8RyEx0jDY="


def test_rpc_signature_ignores_signature_param() -> None:
    with_sig = {**RPC_PARAMS, "Signature": "HYJM6MEmUxrZ+4NBR1/gQkTjY2A="}
    assert signing.rpc_signature(SECRET, "POST", with_sig) == "HYJM6MEmUxrZ+4NBR1/gQkTjY2A="


def test_acs3_golden_vector() -> None:
    request = signing.acs3_canonical_request("POST", "/", BUSINESS, V3_HEADERS, list(V3_HEADERS), b"")
    assert request == V3_CANONICAL_REQUEST
    to_sign = signing.acs3_string_to_sign(request)
    assert to_sign == "ACS3-HMAC-SHA256\nc94e262cadd979423d80dd1c28ed0f60c54c05235ed5e35af87f61ea33160ce1"
    signature = signing.acs3_signature(SECRET, to_sign)
    assert signing.acs3_authorization("testid", V3_HEADERS, signature) == V3_AUTHORIZATION


def test_acs3_high_level_helper_matches_vector() -> None:
    headers = signing.sign_acs3_headers(
        action="UpdateContainerGroup",
        version="2018-08-08",
        host="eci.cn-hangzhou.aliyuncs.com",
        query=BUSINESS,
        body=b"",
        access_key_id="testid",
        access_key_secret=SECRET,
        nonce=NONCE,
        timestamp=DATE,
    )
    assert headers["authorization"] == V3_AUTHORIZATION


def test_parse_authorization_round_trip() -> None:
    parsed = signing.parse_acs3_authorization(V3_AUTHORIZATION)
    assert parsed.algorithm == signing.ACS3_ALGORITHM
    assert parsed.access_key_id == "testid"
    assert parsed.signed_headers == tuple(sorted(V3_HEADERS))
    assert parsed.signature == "cbc68d5e3187f32d043926a6126bcd9aa909e04da8eeea12ee994ac9a56944ef"
    # what a verifier does: recompute over the declared headers
    request = signing.acs3_canonical_request("POST", "/", BUSINESS, V3_HEADERS, parsed.signed_headers, b"")
    assert signing.acs3_signature(SECRET, signing.acs3_string_to_sign(request)) == parsed.signature


@pytest.mark.parametrize(
    "bad",
    ["", "ACS3-HMAC-SHA256", "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host", "X Credential=a,oops"],
)
def test_parse_authorization_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        signing.parse_acs3_authorization(bad)


def test_canonical_headers_missing_signed_header_is_named() -> None:
    with pytest.raises(KeyError, match="x-acs-date"):
        signing.acs3_canonical_headers({"host": "h"}, ["host", "x-acs-date"])


def test_repeated_header_values_sorted_and_joined() -> None:
    canon, names = signing.acs3_canonical_headers(
        [("X-A", " b "), ("x-a", "a"), ("host", "h")], ["x-a", "HOST"]
    )
    assert canon == "host:h\nx-a:a,b\n"
    assert names == "host;x-a"
