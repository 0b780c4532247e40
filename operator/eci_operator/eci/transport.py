"""Signed HTTP requests to ECI with retries, back-off, a deadline and client-side quotas.

One ``Transport`` per endpoint and credentials; it owns an ``httpx.AsyncClient`` (connection
pooling, per-attempt timeouts). ``http_transport`` is the test seam: any ``httpx.AsyncBaseTransport``
(``httpx.MockTransport`` included) replaces the network.

Each attempt is signed anew (fresh nonce and timestamp, current credentials). The parameters,
and with them a write's ``ClientToken``, are the same on every attempt, so a write retried after a
timeout is done once. Retried: errors whose class is ``retryable`` (Throttling*, ServiceUnavailable,
InternalError, other 5xx, OperationConflict, SignatureNonceUsed) and network errors and timeouts.
The wait before attempt n+1 is full jitter, ``uniform(0, min(max_delay, base_delay * 2**n))``, but at
least what the service asked for in ``x-acs-retry-after`` (milliseconds) or ``Retry-After``
(seconds). Attempts stop at ``max_attempts`` or when the next one could not start before the
call's deadline (``DeadlineExceededError``, carrying the last error).

Secrets never reach the log or an exception: debug logs show redacted parameters and headers,
and error messages are scrubbed of every secret value of the request (see ``eci.redact``).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from eci_operator.eci import signing
from eci_operator.eci.credentials import CredentialsProvider
from eci_operator.eci.errors import (
    DeadlineExceededError,
    EciError,
    NetworkError,
    RequestTimeoutError,
    ThrottledError,
    make_error,
)
from eci_operator.eci.models import API_VERSION
from eci_operator.eci.quotas import Priority, QuotaLimiter, default_limiter
from eci_operator.eci.redact import redact_headers, redact_params, scrub, secret_values

log = logging.getLogger("eci_operator.eci")


class _HideQueryFilter(logging.Filter):
    """httpx logs every request URL at INFO; our query strings carry signatures and env values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                a.copy_with(query=b"redacted") if isinstance(a, httpx.URL) and a.query else a
                for a in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_HideQueryFilter())

SignatureScheme = Literal["acs3", "hmac-sha1"]
USER_AGENT = "eci-operator/0.1 (httpx)"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry and timeout settings; times in seconds."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    deadline: float = 90.0
    attempt_timeout: float = 15.0
    connect_timeout: float = 5.0


def resolve_endpoint(region_id: str, endpoint: str | None = None) -> httpx.URL:
    """The base URL: ``https://eci.<region>.aliyuncs.com`` unless ``endpoint`` overrides it.

    An override without a scheme means HTTPS; plain HTTP only when the URL says ``http://``.
    """
    if not endpoint:
        if not region_id:
            raise ValueError("a region id or an endpoint is required")
        return httpx.URL(f"https://eci.{region_id}.aliyuncs.com/")
    text = endpoint if "://" in endpoint else f"https://{endpoint}"
    url = httpx.URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"endpoint {endpoint!r} must be a host or an http(s):// URL")
    return url.copy_with(path="/", query=None, fragment=None)


def _host_header(url: httpx.URL) -> str:
    default = {"http": 80, "https": 443}[url.scheme]
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.port in (None, default) else f"{host}:{url.port}"


def _encode_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{signing.percent_encode(k)}={signing.percent_encode(v)}" for k, v in params.items())


def _clock_skew_hint(response: httpx.Response) -> str:
    """Why a signed timestamp is refused: this host's clock, and the service's when it told us."""
    local = signing.format_timestamp()
    hint = f" (this host's clock says {local}"
    try:
        server = email.utils.parsedate_to_datetime(response.headers.get("date", ""))
        skew = datetime.strptime(local, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - server
        hint += f", the service's {server.strftime('%Y-%m-%dT%H:%M:%SZ')}: {skew.total_seconds():+.0f}s off"
    except (TypeError, ValueError):
        pass
    return hint + "; ECI refuses requests more than 15 minutes off: synchronise the clock, e.g. with NTP)"


def _retry_after(response: httpx.Response | None) -> float:
    """Seconds the service asked us to wait (0 when it did not say)."""
    if response is None:
        return 0.0
    value = response.headers.get("x-acs-retry-after")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                return 0.0
    return 0.0


class Transport:
    """Sends one ECI action with retries; see the module docstring."""

    def __init__(
        self,
        *,
        region_id: str,
        credentials: CredentialsProvider,
        endpoint: str | None = None,
        signature: SignatureScheme = "acs3",
        retry: RetryPolicy | None = None,
        limiter: QuotaLimiter | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 20,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if signature not in ("acs3", "hmac-sha1"):
            raise ValueError(f"signature must be 'acs3' or 'hmac-sha1', got {signature!r}")
        self.region_id = region_id
        self.base_url = resolve_endpoint(region_id, endpoint)
        self.signature = signature
        self.retry = retry or RetryPolicy()
        self._credentials = credentials
        self._limiter = limiter
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http = httpx.AsyncClient(
            transport=http_transport,
            timeout=httpx.Timeout(self.retry.attempt_timeout, connect=self.retry.connect_timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
            follow_redirects=False,
            trust_env=False,
        )

    @property
    def limiter(self) -> QuotaLimiter:
        return self._limiter or default_limiter()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- one attempt ---------------------------------------------------------------------------

    async def _build(self, action: str, params: Mapping[str, str]) -> tuple[httpx.Request, set[str]]:
        creds = await self._credentials.get()
        nonce, timestamp = signing.new_nonce(), signing.format_timestamp()
        host = _host_header(self.base_url)
        headers: dict[str, str]
        if self.signature == "hmac-sha1":
            query = signing.sign_rpc_params(
                action=action,
                version=API_VERSION,
                params=params,
                access_key_id=creds.access_key_id,
                access_key_secret=creds.access_key_secret,
                nonce=nonce,
                timestamp=timestamp,
                security_token=creds.security_token,
            )
            headers = {"host": host, "x-acs-action": action, "x-acs-version": API_VERSION}
        else:
            query = dict(params)
            headers = signing.sign_acs3_headers(
                action=action,
                version=API_VERSION,
                host=host,
                query=query,
                body=b"",
                access_key_id=creds.access_key_id,
                access_key_secret=creds.access_key_secret,
                nonce=nonce,
                timestamp=timestamp,
                security_token=creds.security_token,
            )
        url = self.base_url.copy_with(raw_path=b"/?" + _encode_query(query).encode("ascii"))
        request = self._http.build_request("POST", url, headers=headers)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "ECI request %s %s params=%s headers=%s",
                action,
                self.base_url,
                redact_params(query),
                redact_headers(headers),
            )
        secrets = secret_values(query, (creds.access_key_secret, creds.security_token))
        return request, secrets

    def _parse(self, action: str, response: httpx.Response, secrets: set[str]) -> dict[str, Any]:
        body: Any = None
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        request_id = response.headers.get("x-acs-request-id")
        if isinstance(body, dict):
            request_id = str(body.get("RequestId") or request_id or "") or None
        if response.is_success and isinstance(body, dict) and "Code" not in body:
            return body
        if isinstance(body, dict) and body.get("Code"):
            code, message = str(body["Code"]), str(body.get("Message") or "")
        elif response.is_success:
            code, message = "InvalidResponse", "the answer is not a JSON object"
        else:
            code, message = "", f"HTTP {response.status_code}: {scrub(response.text[:200], secrets)}"
        if code == "InvalidTimeStamp.Expired":
            message += _clock_skew_hint(response)
        raise make_error(
            code,
            scrub(message, secrets),
            request_id=request_id,
            http_status=response.status_code,
            action=action,
        )

    # --- the call --------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry.max_delay, self.retry.base_delay * (2**attempt))
        return self._rng.uniform(0.0, ceiling)

    async def request(
        self, action: str, params: Mapping[str, str], *, priority: Priority = Priority.BACKGROUND
    ) -> dict[str, Any]:
        """Send ``action`` with ``params`` (flattened business parameters); the JSON answer.

        Raises an ``EciError`` subclass; ``DeadlineExceededError`` when time runs out.
        """
        policy = self.retry
        deadline_at = time.monotonic() + policy.deadline
        last: EciError | None = None
        for attempt in range(1, policy.max_attempts + 1):
            remaining = deadline_at - time.monotonic()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(self.limiter.acquire(action, priority), remaining)
            except TimeoutError:
                break
            request, secrets = await self._build(action, params)
            response: httpx.Response | None = None
            remaining = deadline_at - time.monotonic()
            try:
                response = await asyncio.wait_for(self._http.send(request), max(remaining, 0.001))
                await response.aread()
                result = self._parse(action, response, secrets)
                log.debug("ECI %s ok attempt=%d request_id=%s", action, attempt, result.get("RequestId"))
                return result
            except EciError as exc:
                last = exc
            except (httpx.TimeoutException, TimeoutError):
                last = RequestTimeoutError(f"{action} timed out (attempt {attempt})", action=action)
            except httpx.TransportError as exc:
                last = NetworkError(
                    scrub(f"{action} failed: {type(exc).__name__}: {exc}", secrets), action=action
                )
            if not last.retryable or attempt == policy.max_attempts:
                raise last
            delay = max(self._backoff(attempt), _retry_after(response))
            if isinstance(last, ThrottledError):
                self.limiter.pause(action, delay)
            if time.monotonic() + delay >= deadline_at:
                break
            log.info(
                "ECI %s attempt %d failed (%s %s), retrying in %.2fs",
                action,
                attempt,
                type(last).__name__,
                last.code or "",
                delay,
            )
            await self._sleep(delay)
        raise DeadlineExceededError(
            f"{action}: deadline of {policy.deadline:g}s exceeded"
            + (f" (last error: {last})" if last else ""),
            action=action,
            last_error=last,
        )
