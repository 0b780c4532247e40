"""Request authentication as the Alibaba Cloud API gateway does it, for both signature schemes.

Signatures are recomputed with ``eci_operator.eci.signing`` (the client's own pure functions, which
reproduce the official SDK's golden vectors) from the request exactly as received. Temporary keys
issued by the emulated STS (``sts.py``) are accepted with their SecurityToken until they expire.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from eci_operator.eci import signing

from .errors import ApiError
from .state import parse_iso
from .sts import ACTIONS as STS_ACTIONS
from .sts import ANONYMOUS as STS_ANONYMOUS
from .sts import STS_VERSION, Sts

API_VERSION = "2018-08-08"
MAX_SKEW_SECONDS = 15 * 60

# Parameters of the RPC protocol itself, not of the action.
COMMON_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "Timestamp",
        "Signature",
        "SecurityToken",
    }
)


@dataclass(frozen=True)
class Caller:
    action: str
    scheme: str  # "ACS3-HMAC-SHA256", "HMAC-SHA1" or "none"
    access_key_id: str | None
    params: dict[str, str]  # business parameters only


def _missing(name: str) -> ApiError:
    return ApiError(
        "MissingParameter",
        f"The input parameter {name!r} that is mandatory for processing this request is not supplied.",
    )


def _incomplete(why: str) -> ApiError:
    return ApiError(
        "IncompleteSignature", f"The request signature does not conform to Aliyun standards: {why}"
    )


def _mismatch(string_to_sign: str) -> ApiError:
    return ApiError(
        "SignatureDoesNotMatch",
        f"Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}",
    )


class Authenticator:
    """Checks common parameters, access key, time, signature and nonce; ``keys=None`` accepts anyone."""

    def __init__(
        self,
        keys: Mapping[str, str] | None,
        actions: Collection[str],
        clock: Callable[[], float] = time.time,
        sts: Sts | None = None,
    ) -> None:
        self.keys = dict(keys) if keys is not None else None
        self.actions = actions
        self.clock = clock
        self.sts = sts  # its actions (another API version) and the temporary keys it issued
        self._nonces: dict[tuple[str, str], float] = {}

    def reset(self) -> None:
        self._nonces.clear()

    def _route(self, action: str, version: str | None) -> None:
        expected = API_VERSION if action in self.actions else None
        if self.sts is not None and action in STS_ACTIONS:
            expected = STS_VERSION
        if expected is None or (version is not None and version != expected):
            raise ApiError(
                "InvalidAction.NotFound",
                f"Specified api is not found, please check your url and method: {action} ({version}).",
                404,
            )

    def _secret(self, access_key_id: str) -> str:
        assert self.keys is not None
        issued = self.sts.temporary(access_key_id) if self.sts is not None else None
        secret = issued.secret if issued is not None else self.keys.get(access_key_id)
        if secret is None:
            raise ApiError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        return secret

    def _check_time(self, stamp: str, name: str) -> None:
        try:
            moment = parse_iso(stamp)
        except ValueError:
            raise ApiError(
                "InvalidTimeStamp.Format",
                f"Specified time stamp or date value is not well formatted: {name}={stamp!r}.",
            ) from None
        if abs(self.clock() - moment) > MAX_SKEW_SECONDS:
            raise ApiError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")

    def _check_token(self, access_key_id: str, token: str | None) -> None:
        if self.sts is not None and self.sts.temporary(access_key_id) is not None:
            self.sts.check_token(access_key_id, token)

    def _check_nonce(self, access_key_id: str, nonce: str) -> None:
        now = self.clock()
        if len(self._nonces) > 10000:
            horizon = now - 2 * MAX_SKEW_SECONDS
            self._nonces = {k: t for k, t in self._nonces.items() if t > horizon}
        key = (access_key_id, nonce)
        if key in self._nonces:
            raise ApiError("SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces[key] = now

    def authenticate(
        self,
        method: str,
        query: Mapping[str, str],
        form: Mapping[str, str],
        headers: Iterable[tuple[str, str]],
        body: bytes,
    ) -> Caller:
        header_pairs = list(headers)
        lower = {k.lower(): v for k, v in header_pairs}
        params = {**query, **form}
        action = params.get("Action") or lower.get("x-acs-action") or ""
        if self.sts is not None and action in STS_ANONYMOUS:
            # STS takes AssumeRoleWithOIDC unsigned: the OIDC token in it is the proof.
            self._route(action, params.get("Version") or lower.get("x-acs-version"))
            return Caller(action, "none", None, {k: v for k, v in params.items() if k not in COMMON_PARAMS})
        if "authorization" in lower:
            return self._acs3(method, query, params, header_pairs, lower, body)
        return self._rpc(method, params)

    def _rpc(self, method: str, params: dict[str, str]) -> Caller:
        action = params.get("Action")
        if not action:
            raise _missing("Action")
        business = {k: v for k, v in params.items() if k not in COMMON_PARAMS}
        if self.keys is None:
            self._route(action, params.get("Version"))
            return Caller(action, "none", params.get("AccessKeyId"), business)
        for name in ("Version", "AccessKeyId", "SignatureNonce", "Timestamp"):
            if not params.get(name):
                raise _missing(name)
        self._route(action, params["Version"])
        if not params.get("Signature"):
            raise _incomplete("the Signature parameter is missing")
        if params.get("SignatureMethod", signing.RPC_SIGNATURE_METHOD) != signing.RPC_SIGNATURE_METHOD:
            raise _incomplete(
                f"SignatureMethod {params['SignatureMethod']!r} is not supported, use HMAC-SHA1"
            )
        if params.get("SignatureVersion", signing.RPC_SIGNATURE_VERSION) != signing.RPC_SIGNATURE_VERSION:
            raise _incomplete(f"SignatureVersion {params['SignatureVersion']!r} is not supported, use 1.0")
        secret = self._secret(params["AccessKeyId"])
        self._check_time(params["Timestamp"], "Timestamp")
        expected = signing.rpc_signature(secret, method, params)
        if not hmac.compare_digest(expected, params["Signature"]):
            raise _mismatch(signing.rpc_string_to_sign(method, params))
        self._check_nonce(params["AccessKeyId"], params["SignatureNonce"])
        self._check_token(params["AccessKeyId"], params.get("SecurityToken"))
        return Caller(action, signing.RPC_SIGNATURE_METHOD, params["AccessKeyId"], business)

    def _acs3(
        self,
        method: str,
        query: Mapping[str, str],
        params: dict[str, str],
        header_pairs: list[tuple[str, str]],
        lower: dict[str, str],
        body: bytes,
    ) -> Caller:
        action = lower.get("x-acs-action") or params.get("Action")
        if not action:
            raise _missing("x-acs-action")
        business = {k: v for k, v in params.items() if k not in COMMON_PARAMS}
        if self.keys is None:
            self._route(action, lower.get("x-acs-version"))
            return Caller(action, "none", None, business)
        try:
            auth = signing.parse_acs3_authorization(lower["authorization"])
        except ValueError as exc:
            raise _incomplete(str(exc)) from None
        if auth.algorithm != signing.ACS3_ALGORITHM:
            raise _incomplete(f"algorithm {auth.algorithm!r} is not supported")
        for name in ("x-acs-version", "x-acs-date", "x-acs-signature-nonce"):
            if not lower.get(name):
                raise _missing(name)
        self._route(action, lower["x-acs-version"])
        must_sign = {"host"} | {k for k in lower if k.startswith("x-acs-")}
        unsigned = sorted(must_sign - set(auth.signed_headers))
        if unsigned:
            raise _incomplete(f"SignedHeaders must include {', '.join(unsigned)}")
        secret = self._secret(auth.access_key_id)
        self._check_time(lower["x-acs-date"], "x-acs-date")
        try:
            canonical = signing.acs3_canonical_request(
                method, "/", query, header_pairs, auth.signed_headers, body
            )
        except KeyError as exc:
            raise _incomplete(str(exc)) from None
        string_to_sign = signing.acs3_string_to_sign(canonical)
        if not hmac.compare_digest(signing.acs3_signature(secret, string_to_sign), auth.signature):
            raise _mismatch(string_to_sign)
        self._check_nonce(auth.access_key_id, lower["x-acs-signature-nonce"])
        self._check_token(auth.access_key_id, lower.get("x-acs-security-token"))
        return Caller(action, signing.ACS3_ALGORITHM, auth.access_key_id, business)
