"""The exceptions the ECI client raises, and the one place that decides what retrying can fix.

Every API error carries the service's ``code``, ``message``, ``request_id`` and ``http_status``
(all scrubbed of the request's secrets before they get here). ``error_for(code, http_status)``
picks the class for an error answer. The tree::

    EciError                       base; an unknown code (not terminal, not retried within a call)
    ├── ThrottledError             Throttling, Throttling.*, Rejected.Throttling    retryable
    ├── ServerError                ServiceUnavailable, InternalError, any 5xx       retryable
    ├── SignatureNonceUsedError    SignatureNonceUsed (a new nonce fixes it)        retryable
    ├── ConflictError              OperationConflict                                retryable
    │   └── IdempotentParameterMismatchError  same ClientToken, other parameters    terminal
    ├── IncorrectStatusError       IncorrectStatus (instance busy / wrong status): the caller
    │                              waits for a status and tries again
    ├── NotFoundError              InvalidParameter.NotFound, other *.NotFound codes
    ├── NoNeedUpdateError          NoNeedUpdate: nothing to change (a success for callers)
    ├── InvalidParameterError      InvalidParameter, InvalidParameter.*, InvalidParam.*,
    │   │                          MissingParameter, InvalidAction.NotFound,
    │   │                          UnsupportedHTTPMethod                            terminal
    │   └── SpecNotAllowedError    InvalidParameter.CPU.Memory, InvalidParam.CpuOrMemorySpec:
    │                              a cpu/memory combination ECI does not sell       terminal
    ├── ActionNotAllowedError      InvalidAction: ECI never updates or restarts an instance
    │                              created before 2019-03-07 15:00 (UTC+8)          terminal
    ├── AuthError                  signature, access key, RAM / Forbidden.*          terminal
    │   └── ClockSkewError         InvalidTimeStamp.*: this clock is off; not retried within the
    │                              call, retried later (NTP fixes clocks)
    ├── QuotaExceededError         QuotaExceeded, Throttling.Vcpu.PerDay, OperationDenied.*  terminal
    ├── DryRunError                DryRunOperation / DryRun.Success (a dry run that passed)  terminal
    └── TransportError             no usable ECI answer                             retryable
        ├── NetworkError           connection refused / reset, protocol errors
        ├── RequestTimeoutError    one attempt (connect, headers and body) timed out
        ├── InvalidResponseError   an answer that is not ECI's: not JSON, not an object, a 2xx
        │   │                      carrying Code, a shape the response model refuses
        │   └── ResponseTooLargeError  larger than the size cap: not retried within the call
        │                          (the same request gets the same answer)
        ├── CircuitOpenError       the endpoint's circuit breaker is open: nothing was sent;
        │                          ``retry_at`` says when to try again
        └── DeadlineExceededError  the call's time budget ran out (wraps the last error);
                                   a later call may succeed

Two questions, answered here and nowhere else:

- *Retry within this call?* ``error.retryable``: the transport retries retryable errors with
  back-off until the call's attempts or deadline run out. ``CircuitOpenError`` and
  ``DeadlineExceededError`` end the call; they are retryable in that a later call may succeed.
- *Retry later at all?* ``is_terminal(error)``: only the classes in ``TERMINAL_ERRORS`` say that
  the same request can never succeed (the caller should stop until its input changes). Everything
  else — deadlines, timeouts, network errors, invalid or unknown answers, unknown codes, 5xx,
  throttling, conflicts, busy instances — is worth another try after a back-off.

Unknown codes never decide anything on their own: they are ``EciError`` (or ``ServerError`` for a
5xx, ``ThrottledError`` for a 429), never terminal and never ``NotFoundError``, so a gateway or a
hostile endpoint answering with codes of its own cannot stall an object or make an instance look
deleted. ``code_label`` maps codes to a fixed set of metric label values for the same reason.

Messages never contain credentials: the client builds them from the service's answer only, after
scrubbing, and ``str(error)`` shows ``code``, ``message`` and ``request_id``.
"""

from __future__ import annotations

import time
from typing import ClassVar


class EciError(Exception):
    """An ECI API call failed. ``code`` is the service's error code ("" for transport errors)."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
        action: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status
        self.action = action
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"{self.code}: {self.message}" if self.code else self.message]
        if self.action:
            parts.append(f"action={self.action}")
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class ThrottledError(EciError):
    """The account or API exceeded its rate limit; back off and retry."""

    retryable = True


class ServerError(EciError):
    """The service failed (5xx, ServiceUnavailable, InternalError); retry with the same ClientToken."""

    retryable = True


class SignatureNonceUsedError(EciError):
    """The nonce was seen before; a retry (which always carries a new nonce) fixes it."""

    retryable = True


class ConflictError(EciError):
    """A concurrent operation conflicts (OperationConflict); retry after backoff."""

    retryable = True


class IdempotentParameterMismatchError(ConflictError):
    """The ClientToken was used before with different parameters; never retried."""

    retryable = False


class IncorrectStatusError(EciError):
    """The instance is not in a status that allows the operation (e.g. Updating)."""


class NotFoundError(EciError):
    """The container group (or another named resource) does not exist."""


class NoNeedUpdateError(EciError):
    """UpdateContainerGroup found nothing to change: the instance is already in sync."""


class InvalidParameterError(EciError):
    """A parameter is missing or invalid; fix the request, retrying cannot help."""


class SpecNotAllowedError(InvalidParameterError):
    """The cpu/memory combination is not one ECI sells (in this region)."""


class ActionNotAllowedError(EciError):
    """ECI refuses the action on this instance (InvalidAction).

    ECI documents one cause for UpdateContainerGroup and RestartContainerGroup: the instance was
    created before 2019-03-07 15:00:00 (UTC+8). Such an instance can only be replaced, so the
    message says so instead of passing for an authorisation failure.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
        action: str | None = None,
    ) -> None:
        verb = {"UpdateContainerGroup": "updated", "RestartContainerGroup": "restarted"}.get(action or "")
        if verb:
            explained = (
                f"this instance cannot be {verb}: ECI does not update or restart instances created "
                "before 2019-03-07 15:00:00 (UTC+8); replace it with a new instance instead"
            )
        else:
            explained = f"ECI does not allow {action or 'this action'} on this instance"
        if message:
            explained += f" (service: {message})"
        super().__init__(code, explained, request_id=request_id, http_status=http_status, action=action)


class AuthError(EciError):
    """Authentication or authorisation failed (signature, access key, clock skew, RAM policy)."""


class ClockSkewError(AuthError):
    """InvalidTimeStamp.*: the signing machine's clock is off. Not retried within a call (the same
    clock signs the next attempt), yet not terminal: NTP fixes clocks, and nothing in the object would
    change to say the request may now succeed."""


class QuotaExceededError(EciError):
    """A resource quota, daily cap or stock limit refused the request."""


class DryRunError(EciError):
    """A DryRun request passed its checks (the service reports success as an error)."""


class TransportError(EciError):
    """No usable ECI answer: network failure, timeout, or an answer that is not ECI's."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__("", message, action=action, http_status=http_status, request_id=request_id)


class NetworkError(TransportError):
    """The connection failed (refused, reset, closed mid-response)."""


class RequestTimeoutError(TransportError):
    """One attempt timed out: the whole attempt (waiting for a connection, headers and body)."""


class InvalidResponseError(TransportError):
    """The endpoint answered, but not as ECI does (see the tree); a later call may get a real answer."""


class ResponseTooLargeError(InvalidResponseError):
    """The answer is larger than ``RetryPolicy.max_response_bytes``; it was not read to the end."""

    retryable = False


class CircuitOpenError(TransportError):
    """The endpoint failed every recent call; this one was not sent. Retry at ``retry_at``.

    ``retry_at`` is on the ``time.monotonic()`` clock; ``retry_after`` is the same moment as
    seconds from when the error was made.
    """

    def __init__(self, message: str, *, action: str | None = None, retry_at: float) -> None:
        super().__init__(message, action=action)
        self.retry_at = retry_at

    @property
    def retry_after(self) -> float:
        return max(0.0, self.retry_at - time.monotonic())


class DeadlineExceededError(TransportError):
    """The call's overall deadline ran out; ``last_error`` is the final attempt's error.

    Not terminal: the endpoint was slow or failing for the length of one call, and a later call
    may well succeed.
    """

    def __init__(self, message: str, *, action: str | None = None, last_error: EciError | None = None):
        super().__init__(message, action=action)
        self.last_error = last_error
        if last_error is not None:
            self.code = last_error.code
            self.request_id = last_error.request_id
            self.http_status = last_error.http_status


# The errors retrying cannot fix: the request itself is wrong or forbidden, and sending it again
# (now or later) gets the same answer. The caller stops until its input changes.
TERMINAL_ERRORS: tuple[type[EciError], ...] = (
    InvalidParameterError,  # includes SpecNotAllowedError
    ActionNotAllowedError,
    AuthError,
    QuotaExceededError,
    IdempotentParameterMismatchError,
    DryRunError,
)


def is_terminal(error: BaseException) -> bool:
    """Whether retrying the same request, now or later, cannot succeed (see the module docstring)."""
    return isinstance(error, TERMINAL_ERRORS) and not isinstance(error, ClockSkewError)


# The outcomes that say the endpoint itself is failing (the circuit breaker counts them). Any
# other answer — a business error, Throttling, an unknown code — proves the endpoint is up.
ENDPOINT_FAILURES: tuple[type[EciError], ...] = (
    NetworkError,
    RequestTimeoutError,
    InvalidResponseError,
    ServerError,
)


def is_endpoint_failure(error: BaseException) -> bool:
    """Whether ``error`` says the endpoint is down or broken rather than answering."""
    return isinstance(error, ENDPOINT_FAILURES)


_EXACT: dict[str, type[EciError]] = {
    "ServiceUnavailable": ServerError,
    "InternalError": ServerError,
    "InternalFailure": ServerError,
    "UnknownError": ServerError,
    "SignatureNonceUsed": SignatureNonceUsedError,
    "OperationConflict": ConflictError,
    "IdempotentParameterMismatch": IdempotentParameterMismatchError,
    "IncorrectStatus": IncorrectStatusError,
    "NoNeedUpdate": NoNeedUpdateError,
    "InvalidParameter.NotFound": NotFoundError,
    "InvalidParameter.CPU.Memory": SpecNotAllowedError,
    "InvalidParam.CpuOrMemorySpec": SpecNotAllowedError,
    "MissingParameter": InvalidParameterError,
    "InvalidAction.NotFound": InvalidParameterError,
    "UnsupportedHTTPMethod": InvalidParameterError,
    "InvalidAction": ActionNotAllowedError,
    "SignatureDoesNotMatch": AuthError,
    "IncompleteSignature": AuthError,
    "InvalidTimeStamp.Expired": ClockSkewError,
    "InvalidAccessKeyId.NotFound": AuthError,
    "InvalidAccessKeyId.Inactive": AuthError,
    "InvalidSecurityToken.Expired": AuthError,
    "InvalidSecurityToken.Malformed": AuthError,
    "InvalidSecurityToken.MismatchWithAccessKey": AuthError,
    "MissingSecurityToken": AuthError,  # STS keys sent without their token
    "QuotaExceeded": QuotaExceededError,
    "Throttling.Vcpu.PerDay": QuotaExceededError,
    "DryRunOperation": DryRunError,
    "DryRun.Success": DryRunError,
}

_PREFIXES: tuple[tuple[str, type[EciError]], ...] = (
    ("InvalidTimeStamp", ClockSkewError),
    ("InvalidAccessKeyId", AuthError),
    ("InvalidSecurityToken", AuthError),
    ("Forbidden", AuthError),
    ("NoPermission", AuthError),
    ("SignatureDoesNotMatch", AuthError),
    ("InvalidParameter.", InvalidParameterError),
    ("InvalidParam.", InvalidParameterError),
    ("MissingParameter", InvalidParameterError),
    ("OperationDenied", QuotaExceededError),
    ("QuotaExceeded", QuotaExceededError),
)


def error_for(code: str, http_status: int | None) -> type[EciError]:
    """The exception class for an error answer with ``code`` and ``http_status``.

    Exact codes first, then prefixes, then anything containing ``Throttling``, then ``.NotFound``
    suffixes and the bare ``InvalidParameter``. An unknown code falls back on the status only
    where that cannot mislead: 5xx → ServerError, 429 → ThrottledError, else ``EciError`` (neither
    NotFound nor Auth: a 404 or 403 from something that is not ECI proves nothing).
    """
    if code in _EXACT:
        return _EXACT[code]
    for prefix, cls in _PREFIXES:
        if code.startswith(prefix):
            return cls
    if "Throttling" in code:
        return ThrottledError
    if code.endswith(".NotFound"):
        return NotFoundError
    if code == "InvalidParameter":
        return InvalidParameterError
    status = http_status or 0
    if status >= 500:
        return ServerError
    if status == 429:
        return ThrottledError
    return EciError


def make_error(
    code: str,
    message: str,
    *,
    request_id: str | None = None,
    http_status: int | None = None,
    action: str | None = None,
) -> EciError:
    """An instance of ``error_for(code, http_status)``."""
    cls = error_for(code, http_status)
    return cls(code, message, request_id=request_id, http_status=http_status, action=action)


# Every code ECI documents for the actions this client sends (eci-api.md §6, the seed document),
# plus the gateway's common ones. A metric label is one of these, "OK", a transport error's class
# name, or OTHER_CODE: a fixed, small set however many codes an endpoint invents.
KNOWN_CODES: frozenset[str] = frozenset(
    {
        *_EXACT,
        "InvalidParameter",
        "InvalidParameter.DuplicatedName",
        "InvalidParameter.DuplicatedVolumeName",
        "InvalidParameter.LengthExceeded",
        "InvalidParameter.ValueExceeded",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "Rejected.Throttling",
        "Forbidden.RAM",
        "Forbidden.AccessKeyDisabled",
        "OperationDenied.NoStock",
        "OperationDenied.VswZoneMisMatch",
        "OperationDenied.SecurityGroupMisMatch",
        "InvalidVSwitchId.IpNotEnough",
        "Zone.NotOnSale",
        "Spot.NotMatched",
        "ImageSnapshot.NotFound",
        "InvalidDiskId.NotFound",
    }
)
OTHER_CODE = "Other"


def code_label(code: str) -> str:
    """``code`` when ECI documents it, else ``OTHER_CODE``: a bounded metric label value."""
    return code if code in KNOWN_CODES else OTHER_CODE


def error_label(error: EciError | None) -> str:
    """The metric label of a call's outcome: ``OK``, a known code, the class name of an error
    without a code (``RequestTimeoutError``, ``ServerError``...) or ``OTHER_CODE``."""
    if error is None:
        return "OK"
    if error.code:
        return code_label(error.code)
    cls = type(error)
    return cls.__name__ if cls.__module__ == __name__ else OTHER_CODE
