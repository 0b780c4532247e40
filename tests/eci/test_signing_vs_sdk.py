"""Property tests: our signer agrees with the official Alibaba Cloud SDK's own signing functions.

The SDK (alibabacloud-tea-openapi, alibabacloud-openapi-util, darabonba-core) is a test-only
dependency and the independent peer: for random parameter sets (unicode, spaces, ``~*+/=&%``,
empty values, long lists) both schemes must give the SDK's signature exactly.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
from alibabacloud_openapi_util.client import Client as OpenApiUtil
from alibabacloud_tea_openapi.utils import Utils as TeaUtils
from darabonba.request import DaraRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eci_operator.eci import signing
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.quotas import QuotaLimiter
from eci_operator.eci.transport import Transport

SEGMENT = st.sampled_from(
    ["Container", "Volume", "Tag", "Key", "Value", "Name", "1", "2", "10", "Port", "X9"]
)
NAME = st.lists(SEGMENT, min_size=1, max_size=5).map(".".join).filter(lambda n: not n[0].isdigit())
TRICKY = st.sampled_from(["~", "*", "+", "/", "=", "&", "%", " ", "%20", "+%2B", "你好", "é", "\u00a0", "😀"])
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
VALUE = st.one_of(
    st.just(""),
    TEXT,
    st.lists(st.one_of(TRICKY, TEXT), max_size=8).map("".join),
)
# Long lists are cheap to generate: up to 120 items cycling through a few generated values.
LONG_LIST = st.tuples(st.integers(0, 120), st.lists(VALUE, min_size=1, max_size=4)).map(
    lambda t: {f"Container.1.Command.{i}": t[1][i % len(t[1])] for i in range(1, t[0] + 1)}
)
PARAMS = st.tuples(st.dictionaries(NAME, VALUE, max_size=25), LONG_LIST).map(lambda t: {**t[0], **t[1]})
SECRET = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)
METHOD = st.sampled_from(["POST", "GET"])
SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(params=PARAMS, secret=SECRET, method=METHOD, nonce=VALUE, timestamp=VALUE)
def test_rpc_hmac_sha1_matches_sdk(
    params: dict[str, str], secret: str, method: str, nonce: str, timestamp: str
) -> None:
    full = {
        **params,
        "Action": "UpdateContainerGroup",
        "Version": "2018-08-08",
        "Format": "json",
        "AccessKeyId": "id",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
        "Timestamp": timestamp,
    }
    ours = signing.rpc_signature(secret, method, full)
    assert ours == TeaUtils.get_rpcsignature(full, method, secret)
    assert ours == OpenApiUtil.get_rpcsignature(full, method, secret)


@SETTINGS
@given(
    params=PARAMS,
    secret=SECRET,
    method=METHOD,
    nonce=VALUE,
    date=VALUE,
    host=st.sampled_from(["eci.cn-hangzhou.aliyuncs.com", "127.0.0.1:8080", "[::1]:9000"]),
    body=st.binary(max_size=64),
)
def test_acs3_matches_sdk(
    params: dict[str, str], secret: str, method: str, nonce: str, date: str, host: str, body: bytes
) -> None:
    payload = signing.sha256_hex(body)
    headers = {
        "host": host,
        "x-acs-action": "UpdateContainerGroup",
        "x-acs-version": "2018-08-08",
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": payload,
    }
    request = DaraRequest()
    request.method = method
    request.pathname = "/"
    request.query = params
    request.headers = headers
    sdk = TeaUtils.get_authorization(request, "ACS3-HMAC-SHA256", payload, "id", secret)
    canonical = signing.acs3_canonical_request(method, "/", params, headers, list(headers), body)
    ours = signing.acs3_authorization(
        "id", headers, signing.acs3_signature(secret, signing.acs3_string_to_sign(canonical))
    )
    assert ours == sdk


@settings(max_examples=150, deadline=None)
@given(params=PARAMS)
async def test_query_survives_the_wire(params: dict[str, str]) -> None:
    """What our client sends decodes (form rules) to exactly the parameters it signed."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"RequestId": "r"})

    transport = Transport(
        region_id="cn-hangzhou",
        credentials=StaticCredentials("id", "secret"),
        http_transport=httpx.MockTransport(handler),
        limiter=QuotaLimiter(),
    )
    try:
        await transport.request("DescribeContainerGroups", params)
    finally:
        await transport.aclose()
    decoded = dict(parse_qsl(seen[0].url.query.decode("ascii"), keep_blank_values=True))
    assert decoded == params
    auth = signing.parse_acs3_authorization(seen[0].headers["authorization"])
    headers = list(seen[0].headers.items())
    canonical = signing.acs3_canonical_request("POST", "/", decoded, headers, auth.signed_headers, b"")
    assert signing.acs3_signature("secret", signing.acs3_string_to_sign(canonical)) == auth.signature
