"""Signed HTTP requests to ECI with retries, back-off, a deadline, client-side quotas and a breaker.

One ``Transport`` per endpoint and credentials; it owns an ``httpx.AsyncClient`` (connection
pooling). ``http_transport`` is the test seam: any ``httpx.AsyncBaseTransport``
(``httpx.MockTransport`` included) replaces the network.

Each attempt is signed anew (fresh nonce and timestamp, current credentials). The parameters,
and with them a write's ``ClientToken``, are the same on every attempt, so a write retried after a
timeout is done once. Retried within the call: errors whose class is ``retryable`` (Throttling*,
ServiceUnavailable, InternalError, other 5xx, OperationConflict, SignatureNonceUsed, network
errors, timeouts, invalid answers). The wait before attempt n+1 is full jitter,
``uniform(0, min(max_delay, base_delay * 2**n))``, but at least what the service asked for in
``x-acs-retry-after`` (milliseconds) or ``Retry-After`` (seconds). Attempts stop at
``max_attempts`` or when the next one could not start before the call's deadline
(``DeadlineExceededError``, carrying the last error).

An attempt is bounded as a whole: one ``attempt_timeout`` covers waiting for a connection, the
headers and the body, so a body dripping a byte at a time cannot stretch it; the body is streamed
and refused past ``max_response_bytes`` (``eci.answers``). Every attempt, retries included, goes
through the endpoint's shared circuit breaker (``eci.breaker``): while it is open nothing is sent
and the call fails at once with ``CircuitOpenError``.

Secrets never reach the log or an exception: debug logs show redacted parameters and headers,
everything taken from an answer is scrubbed of the request's secret values (``eci.redact``), and
the log records of httpx and httpcore are stripped of what the server controls (reason phrases,
response headers, protocol errors quoting its bytes).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import httpx

from eci_operator.eci import answers, httplogs, signing
from eci_operator.eci.breaker import BreakerSettings, CircuitBreaker, shared_breaker
from eci_operator.eci.credentials import CredentialsProvider
from eci_operator.eci.errors import (
    DeadlineExceededError,
    EciError,
    InvalidParameterError,
    NetworkError,
    RequestTimeoutError,
    ThrottledError,
    error_label,
)
from eci_operator.eci.models import API_VERSION
from eci_operator.eci.quotas import Priority, QuotaLimiter, default_limiter
from eci_operator.eci.redact import Scrubber, redact_headers, redact_params, secret_values

log = logging.getLogger("eci_operator.eci")


httplogs.install()

SignatureScheme = Literal["acs3", "hmac-sha1"]
USER_AGENT = "eci-operator/0.1 (httpx)"


T = TypeVar("T")
MAX_QUERY_BYTES = 65536  # httpx refuses longer query strings


@dataclass(frozen=True)
class RetryPolicy:
    """Retry, timeout and size settings of one call; times in seconds."""

    max_attempts: int = 6
    """Attempts per call, the first included."""

    base_delay: float = 0.5
    """Back-off before attempt n+1 is drawn from ``[0, min(max_delay, base_delay * 2**n)]``."""

    max_delay: float = 20.0
    """The longest back-off between two attempts (the service may ask for longer)."""

    deadline: float = 90.0
    """The whole call, every attempt and wait included."""

    attempt_timeout: float = 15.0
    """One attempt as a whole: waiting for a connection, connecting, the headers and the body."""

    connect_timeout: float = 5.0
    """Establishing a connection (part of the attempt)."""

    max_response_bytes: int = 16 * 2**20
    """The largest answer accepted, after decompression. The largest DescribeContainerGroups page
    the emulator builds within ECI's documented limits is 6.9 MiB (20 groups, each with 20
    containers of 40 256-character env values, 20 tags, 20 volumes and 50 events), 19 MiB if every
    volume also holds a 24 KiB config file; realistic pages are a few hundred KiB. A Describe page
    over the cap is fetched again in halves (``EciClient``), so the cap bounds memory without
    refusing a legitimate page, and 20 answers at the cap at once (one per connection) stay within
    320 MiB, under the Deployment's 512 MiB limit."""


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


MAX_RETRY_AFTER = 90.0  # seconds; a longer (or infinite) ask must not pause an action for good


def _seconds(value: str, scale: float, dates: bool) -> float | None:
    try:
        seconds = float(value) * scale
    except ValueError:
        if not dates:
            return None
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    return None if seconds != seconds else seconds  # NaN says nothing


def _retry_after(response: httpx.Response | None) -> float:
    """Seconds the service asked us to wait (0 when it did not say), at most ``MAX_RETRY_AFTER``."""
    if response is None:
        return 0.0
    asked = _seconds(response.headers.get("x-acs-retry-after", ""), 0.001, dates=False)
    if asked is None:
        asked = _seconds(response.headers.get("retry-after", ""), 1.0, dates=True)
    return min(max(0.0, asked or 0.0), MAX_RETRY_AFTER)


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
        breaker: CircuitBreaker | None = None,
        breaker_settings: BreakerSettings | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 20,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """``breaker`` defaults to the process-wide one of this endpoint and ``credentials``
        (``breaker.shared_breaker``), made with ``breaker_settings`` if it does not exist yet."""
        if signature not in ("acs3", "hmac-sha1"):
            raise ValueError(f"signature must be 'acs3' or 'hmac-sha1', got {signature!r}")
        self.region_id = region_id
        self.base_url = resolve_endpoint(region_id, endpoint)
        self.signature = signature
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or shared_breaker(str(self.base_url), credentials, breaker_settings)
        self._credentials = credentials
        self._limiter = limiter
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(max_connections)
        self._http = httpx.AsyncClient(
            transport=http_transport,
            timeout=httpx.Timeout(self.retry.attempt_timeout, connect=self.retry.connect_timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"user-agent": USER_AGENT, "accept": "application/json", "accept-encoding": "gzip"},
            follow_redirects=False,
            trust_env=False,
        )

    @property
    def limiter(self) -> QuotaLimiter:
        return self._limiter or default_limiter()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- one attempt ---------------------------------------------------------------------------

    async def _build(
        self, action: str, params: Mapping[str, str], public: frozenset[str] = frozenset()
    ) -> tuple[httpx.Request, Scrubber]:
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
        encoded = _encode_query(query).encode("ascii")
        if len(encoded) > MAX_QUERY_BYTES:
            raise InvalidParameterError(
                "",
                f"the request is too large to send: its parameters take {len(encoded)} bytes, "
                f"at most {MAX_QUERY_BYTES} fit in a URL",
                action=action,
            )
        url = self.base_url.copy_with(raw_path=b"/?" + encoded)
        request = self._http.build_request("POST", url, headers=headers)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "ECI request %s %s params=%s headers=%s",
                action,
                self.base_url,
                redact_params(query),
                redact_headers(headers),
            )
        secrets = secret_values(query) - public
        secrets |= secret_values({}, (creds.access_key_secret, creds.security_token))
        return request, Scrubber(secrets)

    async def _attempt(
        self,
        action: str,
        request: httpx.Request,
        scrubber: Scrubber,
        decode: Callable[[str, dict[str, Any], Scrubber], T],
        seconds: float,
    ) -> _Outcome[T]:
        """One attempt, bounded as a whole by ``seconds``."""
        response: httpx.Response | None = None
        limit = self.retry.max_response_bytes
        try:
            async with asyncio.timeout(seconds):
                response = await self._http.send(request, stream=True)
                try:
                    body = await answers.read_body(response, limit=limit, action=action)
                finally:
                    await response.aclose()
            answer = answers.interpret(action, response, body, scrubber)
            return _Outcome(result=decode(action, answer, scrubber))
        except EciError as exc:
            return _Outcome(error=exc, retry_after=_retry_after(response))
        except (httpx.TimeoutException, TimeoutError):
            return _Outcome(
                error=RequestTimeoutError(f"{action} timed out after {seconds:.3g}s", action=action)
            )
        except httpx.TransportError as exc:
            message = scrubber.clean(f"{action} failed: {type(exc).__name__}: {exc}", answers.MESSAGE_LIMIT)
            return _Outcome(error=NetworkError(message, action=action))

    async def _try(
        self,
        action: str,
        params: Mapping[str, str],
        decode: Callable[[str, dict[str, Any], Scrubber], T],
        priority: Priority,
        deadline_at: float,
        public: frozenset[str] = frozenset(),
    ) -> _Outcome[T] | None:
        """One attempt: a quota token, a free connection, the breaker's leave, then the request.

        The connection slot is taken before the breaker is asked, so no more attempts are on
        their way than there are connections: when the endpoint fails, at most that many were
        sent before the breaker could stop the rest. None when the deadline passes while waiting.
        """
        self.breaker.check(action)  # fail fast, before queueing for a token
        try:
            await asyncio.wait_for(self.limiter.acquire(action, priority), deadline_at - time.monotonic())
            async with asyncio.timeout(max(deadline_at - time.monotonic(), 0.0)):
                await self._slots.acquire()
        except TimeoutError:
            return None
        try:
            request, scrubber = await self._build(action, params, public)
            ticket = self.breaker.admit(action)
            try:
                seconds = max(min(self.retry.attempt_timeout, deadline_at - time.monotonic()), 0.001)
                outcome = await self._attempt(action, request, scrubber, decode, seconds)
            except BaseException:
                ticket.release()
                raise
            ticket.record(outcome.error)
            return outcome
        finally:
            self._slots.release()

    # --- the call --------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry.max_delay, self.retry.base_delay * (2**attempt))
        return self._rng.uniform(0.0, ceiling)

    async def request(
        self, action: str, params: Mapping[str, str], *, priority: Priority = Priority.BACKGROUND
    ) -> dict[str, Any]:
        """Send ``action`` with ``params`` (flattened business parameters); the JSON answer.

        Raises an ``EciError`` subclass; ``DeadlineExceededError`` when time runs out,
        ``CircuitOpenError`` when the endpoint's breaker is open.
        """
        return await self.call(action, params, _as_dict, priority=priority)

    async def call(
        self,
        action: str,
        params: Mapping[str, str],
        decode: Callable[[str, dict[str, Any], Scrubber], T],
        *,
        priority: Priority = Priority.BACKGROUND,
        public: frozenset[str] = frozenset(),
    ) -> T:
        """Like ``request``, with the answer turned into ``T`` by ``decode(action, answer, scrubber)``
        inside each attempt, so an answer ``decode`` refuses (``InvalidResponseError``) is retried
        and counted by the breaker like any other bad answer.

        ``public`` are values of secret-named parameters that the caller knows are not secret (env
        values written in clear in a spec anyone may read): left unscrubbed, so that a short one
        such as ``1`` does not make every error message unreadable. Credentials are always secret."""
        policy = self.retry
        deadline_at = time.monotonic() + policy.deadline
        last: EciError | None = None
        for attempt in range(1, policy.max_attempts + 1):
            outcome = await self._try(action, params, decode, priority, deadline_at, public)
            if outcome is None:
                break  # the deadline passed while waiting for a quota token or a connection
            if outcome.error is None:
                log.debug("ECI %s ok attempt=%d", action, attempt)
                return outcome.result  # type: ignore[return-value]
            last = outcome.error
            if not last.retryable or attempt == policy.max_attempts:
                raise last
            delay = max(self._backoff(attempt), outcome.retry_after)
            if isinstance(last, ThrottledError):
                self.limiter.pause(action, delay)
            if time.monotonic() + delay >= deadline_at:
                break
            log.info(
                "ECI %s attempt %d failed (%s), retrying in %.2fs", action, attempt, error_label(last), delay
            )
            await self._sleep(delay)
        raise DeadlineExceededError(
            f"{action}: deadline of {policy.deadline:g}s exceeded"
            + (f" (last error: {last})" if last else ""),
            action=action,
            last_error=last,
        )


@dataclass
class _Outcome(Generic[T]):
    result: T | None = None
    error: EciError | None = None
    retry_after: float = 0.0  # what the service asked for, in seconds


def _as_dict(action: str, answer: dict[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    return answer
