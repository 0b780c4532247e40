"""Where the client's access keys come from.

``ChainCredentials`` is the standard Alibaba Cloud chain of ``alibabacloud-credentials``, tried in
order: environment variables (``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``..._SECRET`` /
``ALIBABA_CLOUD_SECURITY_TOKEN`` for STS), OIDC role (RRSA on ACK: ``ALIBABA_CLOUD_ROLE_ARN``,
``ALIBABA_CLOUD_OIDC_PROVIDER_ARN``, ``ALIBABA_CLOUD_OIDC_TOKEN_FILE``), the CLI profile
(``~/.aliyun/config.json``), the credentials file (``~/.alibabacloud/credentials.ini``), the ECS RAM
role from instance metadata, and a credentials URI. Temporary credentials (STS, OIDC, ECS role) are
cached by the library and refreshed before they expire, so asking for credentials before every
request costs nothing and never hands out an expired token.

``eci.sts.StsCredentials`` gets a RAM role's temporary keys from STS (an EciAccount's
``assumeRole`` and ``rrsa``). ``StaticCredentials`` serves fixed keys (tests, the emulator).
``Credentials.__repr__`` never shows the secret or the token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Credentials:
    """One set of keys; ``security_token`` is set for STS credentials."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)


class CredentialsProvider(Protocol):
    """Anything that can hand out current credentials."""

    async def get(self) -> Credentials: ...


class CredentialsError(Exception):
    """No credentials could be obtained (the message says which sources were tried).

    ``retryable``: the cause may pass without anyone changing anything (STS unreachable, a 5xx,
    throttling); otherwise a person must act (a missing Secret, a role STS refuses)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class StaticCredentials:
    """Fixed credentials."""

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str | None = None):
        self._credentials = Credentials(access_key_id, access_key_secret, security_token)

    async def get(self) -> Credentials:
        return self._credentials

    def __repr__(self) -> str:
        return f"StaticCredentials(access_key_id={self._credentials.access_key_id!r})"


class ChainCredentials:
    """The default ``alibabacloud-credentials`` chain, or one of its clients when ``client`` is given."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    async def get(self) -> Credentials:
        # The library reads the environment once, when it is first imported; reading the standard
        # variables here as well makes the first link of the chain follow the environment of now.
        from_env = _from_environment()
        if from_env is not None and self._client is None:
            return from_env
        if self._client is None:
            from alibabacloud_credentials.client import Client

            self._client = Client()
        try:
            model = await self._client.get_credential_async()
        except Exception as exc:  # the library raises plain exceptions with useful text
            raise CredentialsError(f"no Alibaba Cloud credentials found: {exc}") from None
        if not model.access_key_id or not model.access_key_secret:
            raise CredentialsError("the credentials chain returned an empty access key")
        return Credentials(model.access_key_id, model.access_key_secret, model.security_token or None)

    def __repr__(self) -> str:
        return "ChainCredentials()"


def _from_environment() -> Credentials | None:
    key_id = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if not key_id or not secret:
        return None
    return Credentials(key_id, secret, os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None)
