"""Temporary credentials from STS (Version 2015-04-01): an EciAccount's ``assumeRole`` and ``rrsa``.

``StsCredentials`` is a ``CredentialsProvider`` that asks STS for a RAM role's temporary keys and
hands them out, renewing them before they expire:

- **AssumeRole** is signed (classic RPC HMAC-SHA1, as the official credentials library does) with
  a *source* provider: the operator's own credentials chain.
- **AssumeRoleWithOIDC** (RRSA) sends the projected ServiceAccount token read from its file at
  every refresh (the kubelet rotates the file well before the token expires) and is unsigned, as
  STS allows for this action: the token is the proof.

Renewal: the answer's ``Expiration`` sets the lifetime as seen on this host's clock when the answer
arrived; the keys are renewed once 80 % of it has passed (48 minutes of an hour) and are used until
shortly before they expire. The renewal runs in the background: callers get the current keys at
once while it runs, so an ECI call never waits for STS while valid keys exist. When none do (the
first call, or after a long outage) callers share one refresh: they wait for its outcome, success
or failure, and do not start another. A renewal that fails while the keys are still usable keeps
them (a warning is logged) and is tried again after a pause; when no usable keys are left, the
caller gets a ``CredentialsError`` naming the role and STS's error code and message, scrubbed of
the token and every secret of the request. Its
``retryable`` says whether the cause may pass on its own (network, 5xx, throttling) or needs a
change (unknown role, refused token).

Bounded from the boundary like ECI's calls: every attempt has a timeout over the whole exchange,
the call a deadline, a few attempts with full-jitter back-off for what retrying can fix, an answer
capped in size (``eci.answers``) and checked against the shape the official SDK models; anything
else is an error, never keys of unknown provenance.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, StringConstraints

from eci_operator.eci import answers, signing
from eci_operator.eci.credentials import Credentials, CredentialsError, CredentialsProvider
from eci_operator.eci.errors import (
    EciError,
    InvalidResponseError,
    NetworkError,
    RequestTimeoutError,
)
from eci_operator.eci.redact import Scrubber, secret_values
from eci_operator.eci.transport import USER_AGENT, resolve_endpoint

logger = logging.getLogger(__name__)

STS_VERSION = "2015-04-01"
DEFAULT_ENDPOINT = "https://sts.aliyuncs.com"
"""STS's public endpoint, which serves every region (the official credentials library's default)."""
DURATION = 3600
"""Seconds the temporary keys are asked for: STS's default, and the longest every role allows."""
RENEW_AT = 0.8
"""Fraction of the lifetime after which the keys are renewed."""
MAX_ANSWER_BYTES = 64 * 1024
"""An STS answer is about 2 KiB (the security token is the bulk of it)."""
MAX_TOKEN_BYTES = 64 * 1024
"""A projected ServiceAccount token is about 1 KiB; a file larger than this is not one."""
SESSION_NAME = re.compile(r"^[\w.@-]{2,64}$", re.ASCII)


@dataclass(frozen=True)
class StsPolicy:
    """Attempts and time bounds of one refresh; times in seconds."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 5.0
    attempt_timeout: float = 10.0
    connect_timeout: float = 5.0
    deadline: float = 30.0
    retry_pause: float = 30.0
    """After a failed refresh while the keys are still usable: when to try again (at most)."""
    failure_hold: float = 5.0
    """After a failed refresh with no usable keys: how long the same error is answered without
    asking STS again (every ECI call asks for credentials; a refused role must not flood STS)."""


def session_name(account: str) -> str:
    """The RoleSessionName of an account's sessions (STS's audit log shows it): ``eci-operator-<account>``."""
    name = re.sub(r"[^\w.@-]", "-", f"eci-operator-{account}", flags=re.ASCII)[:64]
    if not SESSION_NAME.match(name):
        raise ValueError(f"cannot derive a session name from {account!r}")
    return name


class _KeysOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    AccessKeyId: Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^[\x21-\x7e]+$")]
    AccessKeySecret: Annotated[
        str, StringConstraints(min_length=1, max_length=256, pattern=r"^[\x21-\x7e]+$")
    ]
    SecurityToken: Annotated[
        str, StringConstraints(min_length=1, max_length=16384, pattern=r"^[\x21-\x7e]+$")
    ]
    Expiration: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _AssumedOut(BaseModel):
    """The part of AssumeRole's and AssumeRoleWithOIDC's answers that is used."""

    model_config = ConfigDict(extra="ignore")

    RequestId: str | None = None
    Credentials: _KeysOut


def _expiration(action: str, text: str, scrubber: Scrubber) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidResponseError(
            f"{action}: Credentials.Expiration is not a time: {scrubber.clean(text, 64)!r}", action=action
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # STS writes UTC ("...Z"); a bare time is read as such
    return moment.timestamp()


def _utc(moment: float) -> str:
    return signing.format_timestamp(datetime.fromtimestamp(moment, UTC))


@dataclass(frozen=True)
class _Issued:
    credentials: Credentials
    expires: float  # epoch seconds


def _decode(action: str, answer: dict[str, Any], scrubber: Scrubber) -> _Issued:
    keys = answers.validated(action, answer, _AssumedOut, scrubber).Credentials
    return _Issued(
        Credentials(keys.AccessKeyId, keys.AccessKeySecret, keys.SecurityToken),
        _expiration(action, keys.Expiration, scrubber),
    )


@dataclass(frozen=True)
class OidcToken:
    """RRSA: the cluster's OIDC provider and the file of the projected ServiceAccount token."""

    provider_arn: str
    token_file: str

    async def read(self) -> str:
        return await asyncio.to_thread(self._read)

    def _read(self) -> str:
        path = Path(self.token_file)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_TOKEN_BYTES + 1)
        except OSError as exc:
            raise CredentialsError(
                f"OIDC token file {self.token_file}: {exc.strerror or type(exc).__name__}", retryable=True
            ) from None
        if len(data) > MAX_TOKEN_BYTES:
            raise CredentialsError(f"OIDC token file {self.token_file} is larger than a token can be")
        try:
            token = data.decode("ascii").strip()
        except UnicodeDecodeError:
            token = ""
        if not token or any(c.isspace() for c in token):
            raise CredentialsError(f"OIDC token file {self.token_file} does not hold a token")
        return token


class StsCredentials:
    """A RAM role's temporary keys, from AssumeRole (``source``) or AssumeRoleWithOIDC (``oidc``)."""

    def __init__(
        self,
        *,
        role_arn: str,
        session: str,
        source: CredentialsProvider | None = None,
        oidc: OidcToken | None = None,
        endpoint: str | None = None,
        duration: int = DURATION,
        policy: StsPolicy | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if (source is None) == (oidc is None):
            raise ValueError("give exactly one of source (AssumeRole) and oidc (AssumeRoleWithOIDC)")
        if not SESSION_NAME.match(session):
            raise ValueError(f"session name {session!r} does not match {SESSION_NAME.pattern}")
        self.role_arn = role_arn
        self.session = session
        self.action = "AssumeRole" if oidc is None else "AssumeRoleWithOIDC"
        self._source = source
        self._oidc = oidc
        self._url = resolve_endpoint("", endpoint or DEFAULT_ENDPOINT)
        self._duration = duration
        self._policy = policy or StsPolicy()
        self._http_transport = http_transport
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = asyncio.Lock()
        self._current: _Issued | None = None
        self._renew_at = 0.0  # epoch seconds, on this host's clock
        self._usable_until = 0.0
        self._retry_at = 0.0  # after a failed refresh with usable keys
        self._failure: CredentialsError | None = None
        self._failed_at = 0.0
        self._refreshes = 0  # completed refresh attempts, successful or not
        self._renewal: asyncio.Task[None] | None = None

    def _fresh(self, now: float) -> bool:
        return self._current is not None and now < self._renew_at

    def _usable(self, now: float) -> bool:
        return self._current is not None and now < self._usable_until

    async def get(self) -> Credentials:
        now = self._clock()
        if self._current is not None and self._usable(now):
            if not self._fresh(now) and self._renewal is None and now >= self._retry_at:
                # Renewed in the background: no ECI call waits for STS while the keys are valid.
                self._renewal = asyncio.create_task(self._renew(), name=f"STS renewal of {self.role_arn}")
            return self._current.credentials
        if self._failure is not None and now - self._failed_at < self._policy.failure_hold:
            raise self._failure
        seen = self._refreshes
        async with self._lock:
            now = self._clock()
            if self._current is not None and self._usable(now):
                return self._current.credentials  # renewed while this caller waited
            if self._refreshes != seen and self._failure is not None:
                raise self._failure  # the refresh this caller waited for failed: do not repeat it
            return await self._refresh()

    async def _renew(self) -> None:
        try:
            async with self._lock:
                if not self._fresh(self._clock()):
                    await self._refresh()
        except CredentialsError:
            pass  # recorded in _failure: the next caller without usable keys gets it
        finally:
            self._renewal = None

    async def close(self) -> None:
        """Stop a background renewal under way."""
        renewal = self._renewal
        if renewal is not None:
            renewal.cancel()
            await asyncio.gather(renewal, return_exceptions=True)

    async def renewed(self) -> None:
        """Wait for a background renewal, if one is under way (tests, shutdown)."""
        renewal = self._renewal
        if renewal is not None:
            await asyncio.shield(renewal)

    async def _refresh(self) -> Credentials:
        try:
            issued = await self._fetch()
        except CredentialsError as exc:
            now = self._clock()
            self._refreshes += 1
            if self._current is not None and self._usable(now):
                self._retry_at = now + min(self._policy.retry_pause, (self._usable_until - now) / 4)
                logger.warning(
                    "%s; the current temporary keys of role %s stay in use (valid for %.0f s more)",
                    exc,
                    self.role_arn,
                    self._current.expires - now,
                )
                return self._current.credentials
            self._failure, self._failed_at = exc, now
            raise
        now = self._clock()
        self._refreshes += 1
        lifetime = issued.expires - now
        if lifetime <= 0:
            self._failure, self._failed_at = (
                CredentialsError(
                    f"STS {self.action} for role {self.role_arn} issued keys that expire at "
                    f"{_utc(issued.expires)}, which this host's clock says is past ({_utc(now)}): "
                    "synchronise the clock",
                    retryable=True,
                ),
                now,
            )
            raise self._failure
        self._current, self._failure = issued, None
        self._renew_at = now + lifetime * RENEW_AT
        self._usable_until = issued.expires - min(60.0, lifetime * 0.05)
        self._retry_at = 0.0
        logger.info(
            "STS %s: temporary keys of role %s (session %s), valid for %.0f s",
            self.action,
            self.role_arn,
            self.session,
            lifetime,
        )
        return issued.credentials

    # -- the STS call ---------------------------------------------------------------------------

    async def _params(self) -> tuple[dict[str, str], Scrubber]:
        """The request's form parameters for one attempt (a fresh nonce and timestamp each)."""
        business = {
            "RoleArn": self.role_arn,
            "RoleSessionName": self.session,
            "DurationSeconds": str(self._duration),
        }
        nonce, timestamp = signing.new_nonce(), signing.format_timestamp()
        if self._oidc is not None:
            token = await self._oidc.read()
            params = {
                **business,
                "OIDCProviderArn": self._oidc.provider_arn,
                "OIDCToken": token,
                "Action": self.action,
                "Version": STS_VERSION,
                "Format": "JSON",
                "Timestamp": timestamp,
                "SignatureNonce": nonce,
            }
            return params, Scrubber(secret_values(params, (token,)))
        assert self._source is not None
        try:
            source = await self._source.get()
        except CredentialsError as exc:
            raise CredentialsError(
                f"STS AssumeRole for role {self.role_arn}: the operator's own credentials: {exc}",
                retryable=exc.retryable,
            ) from None
        params = signing.sign_rpc_params(
            action=self.action,
            version=STS_VERSION,
            params=business,
            access_key_id=source.access_key_id,
            access_key_secret=source.access_key_secret,
            nonce=nonce,
            timestamp=timestamp,
            security_token=source.security_token,
        )
        return params, Scrubber(secret_values(params, (source.access_key_secret, source.security_token)))

    async def _attempt(self, http: httpx.AsyncClient, seconds: float) -> _Issued:
        params, scrubber = await self._params()
        action = self.action
        try:
            async with asyncio.timeout(seconds):
                response = await http.send(
                    http.build_request(
                        "POST",
                        self._url,
                        content=urlencode(params).encode("ascii"),
                        headers={"content-type": "application/x-www-form-urlencoded"},
                    ),
                    stream=True,
                )
                try:
                    body = await answers.read_body(response, limit=MAX_ANSWER_BYTES, action=action)
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError):
            raise RequestTimeoutError(f"{action} timed out after {seconds:.3g}s", action=action) from None
        except httpx.TransportError as exc:
            message = scrubber.clean(f"{action} failed: {type(exc).__name__}: {exc}", answers.MESSAGE_LIMIT)
            raise NetworkError(message, action=action) from None
        answer = answers.interpret(action, response, body, scrubber)
        return _decode(action, answer, scrubber)

    async def _fetch(self) -> _Issued:
        policy = self._policy
        deadline = time.monotonic() + policy.deadline
        last: EciError | None = None
        async with httpx.AsyncClient(
            transport=self._http_transport,
            timeout=httpx.Timeout(policy.attempt_timeout, connect=policy.connect_timeout),
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
            follow_redirects=False,
            trust_env=False,
        ) as http:
            for attempt in range(1, policy.max_attempts + 1):
                seconds = min(policy.attempt_timeout, deadline - time.monotonic())
                if seconds <= 0:
                    break
                try:
                    return await self._attempt(http, seconds)
                except EciError as exc:
                    last = exc
                if not last.retryable or attempt == policy.max_attempts:
                    break
                delay = self._rng.uniform(0.0, min(policy.max_delay, policy.base_delay * 2**attempt))
                if time.monotonic() + delay >= deadline:
                    break
                await self._sleep(delay)
        raise CredentialsError(
            f"STS {self.action} for role {self.role_arn} failed: {last or 'deadline exceeded'}",
            retryable=last is None or last.retryable,
        )

    def __repr__(self) -> str:
        return f"StsCredentials({self.action}, role_arn={self.role_arn!r})"
