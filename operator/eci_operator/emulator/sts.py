"""STS as the emulator serves it (Version 2015-04-01, on the same endpoint as ECI).

``AssumeRole`` (signed by any accepted key) and ``AssumeRoleWithOIDC`` (unsigned: the OIDC token is
the proof) issue temporary keys for the roles given with ``--role``; ``--oidc-provider ARN=TOKEN``
says which tokens a provider accepts. Answers have the official SDK models' shape
(``RequestId``, ``AssumedRoleUser``, ``Credentials`` and, for OIDC, ``OIDCTokenInfo``), errors STS's
codes. Issued keys are accepted for ECI calls only with their ``SecurityToken`` and only until
their ``Expiration`` (``InvalidSecurityToken.Expired`` afterwards). ``lifetime`` replaces the
requested duration, so that tests can watch keys expire in seconds rather than in 15 minutes.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, missing

STS_VERSION = "2015-04-01"
ACTIONS = frozenset({"AssumeRole", "AssumeRoleWithOIDC"})
ANONYMOUS = frozenset({"AssumeRoleWithOIDC"})
ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/([\w.@-]+)$", re.ASCII)
SESSION_NAME = re.compile(r"^[\w.@-]{2,64}$", re.ASCII)
MIN_DURATION, MAX_DURATION = 900, 3600


@dataclass(frozen=True)
class Issued:
    """A temporary key pair and what it stands for."""

    secret: str
    token: str
    expires: float  # epoch seconds
    role_arn: str


def _stamp(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


class Sts:
    """The roles that may be assumed, the OIDC tokens accepted, and the keys issued so far."""

    def __init__(
        self,
        roles: Collection[str] = (),
        oidc_tokens: Mapping[str, Collection[str]] | None = None,
        lifetime: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.roles = set(roles)
        self.oidc_tokens = {arn: set(tokens) for arn, tokens in (oidc_tokens or {}).items()}
        self.lifetime = lifetime
        self.clock = clock
        self.issued: dict[str, Issued] = {}

    def temporary(self, access_key_id: str) -> Issued | None:
        return self.issued.get(access_key_id)

    def check_token(self, access_key_id: str, token: str | None) -> None:
        """An issued key is usable only with its own, unexpired SecurityToken."""
        issued = self.issued[access_key_id]
        if not token:
            raise ApiError("MissingSecurityToken", "SecurityToken is mandatory for this action.")
        if not secrets.compare_digest(token, issued.token):
            raise ApiError(
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            )
        if self.clock() >= issued.expires:
            raise ApiError("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")

    def call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        role_arn, session, duration = self._common(params)
        if action == "AssumeRoleWithOIDC":
            info = self._oidc(params)
            return {**self._issue(role_arn, session, duration), "OIDCTokenInfo": info}
        return self._issue(role_arn, session, duration)

    def _common(self, params: Mapping[str, str]) -> tuple[str, str, int]:
        role_arn = params.get("RoleArn", "")
        if not role_arn:
            raise missing("RoleArn")
        if not ROLE_ARN.match(role_arn):
            raise ApiError("InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.")
        session = params.get("RoleSessionName", "")
        if not session:
            raise missing("RoleSessionName")
        if not SESSION_NAME.match(session):
            raise ApiError(
                "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed."
            )
        try:
            duration = int(params.get("DurationSeconds") or 3600)
        except ValueError:
            duration = 0
        if not MIN_DURATION <= duration <= MAX_DURATION:
            raise ApiError(
                "InvalidParameter.DurationSeconds", "The Min/Max value of DurationSeconds is 15min/1hr."
            )
        if role_arn not in self.roles:
            raise ApiError("EntityNotExist.Role", f"The role not exists: {role_arn}.", 404)
        return role_arn, session, duration

    def _oidc(self, params: Mapping[str, str]) -> dict[str, str]:
        provider = params.get("OIDCProviderArn", "")
        if not provider:
            raise missing("OIDCProviderArn")
        token = params.get("OIDCToken", "")
        if not token:
            raise ApiError("AuthenticationFail.OIDCToken.Invalid", "The OIDCToken can not empty.", 401)
        accepted = self.oidc_tokens.get(provider)
        if accepted is None:
            raise ApiError("AuthenticationFail.NoPermission", "No such OIDC Provider registered.", 401)
        if not any(secrets.compare_digest(token, t) for t in accepted):
            raise ApiError(
                "AuthenticationFail.OIDCToken.InvalidSignature",
                "OIDC token validate failed: invalid signature.",
                401,
            )
        now = self.clock()
        return {
            "Subject": "system:serviceaccount:eci-operator-system:eci-operator",
            "Issuer": "https://oidc.emulator.invalid",
            "ClientIds": "sts.aliyuncs.com",
            "IssuanceTime": _stamp(now),
            "ExpirationTime": _stamp(now + 3600),
            "VerificationInfo": "Success",
        }

    def _issue(self, role_arn: str, session: str, duration: int) -> dict[str, Any]:
        match = ROLE_ARN.match(role_arn)
        assert match is not None
        account, role = match.groups()
        lifetime = self.lifetime if self.lifetime is not None else duration
        expires = float(math.floor(self.clock() + lifetime))  # STS states whole seconds
        key_id = "STS." + secrets.token_hex(12).upper()
        issued = Issued(secrets.token_urlsafe(30), "CAIS" + secrets.token_urlsafe(96), expires, role_arn)
        self.issued[key_id] = issued
        role_id = str(int(hashlib.sha256(role_arn.encode()).hexdigest()[:15], 16))
        return {
            "AssumedRoleUser": {
                "Arn": f"acs:ram::{account}:role/{role.lower()}/{session}",
                "AssumedRoleId": f"{role_id}:{session}",
            },
            "Credentials": {
                "AccessKeyId": key_id,
                "AccessKeySecret": issued.secret,
                "SecurityToken": issued.token,
                "Expiration": _stamp(expires),
            },
            "SourceIdentity": "",
        }
