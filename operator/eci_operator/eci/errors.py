"""The exceptions the ECI client raises.

Every API error carries the service's ``code``, ``message``, ``request_id`` and ``http_status``
and knows whether retrying can help (``retryable``). ``error_for(code, http_status)`` picks the
class for an error response. The tree::

    EciError                       base; retryable=False unless a subclass says otherwise
    ├── ThrottledError             Throttling, Throttling.*, Rejected.Throttling    retryable
    ├── ServerError                ServiceUnavailable, InternalError, any 5xx       retryable
    ├── SignatureNonceUsedError    SignatureNonceUsed (a new nonce fixes it)        retryable
    ├── ConflictError              OperationConflict                                retryable
    │   └── IdempotentParameterMismatchError  same ClientToken, other parameters    not retryable
    ├── IncorrectStatusError       IncorrectStatus (instance busy / wrong status)   not retried by the
    │                              transport; the caller waits for a status and tries again
    ├── NotFoundError              InvalidParameter.NotFound, *.NotFound, HTTP 404
    ├── NoNeedUpdateError          NoNeedUpdate: nothing to change (a success for callers)
    ├── InvalidParameterError      InvalidParameter, InvalidParameter.*, InvalidParam.*,
    │                              MissingParameter, InvalidAction.NotFound, UnsupportedHTTPMethod
    ├── AuthError                  signature, access key, timestamp, RAM / forbidden (403) errors
    ├── QuotaExceededError         QuotaExceeded, Throttling.Vcpu.PerDay, OperationDenied.*
    ├── DryRunError                DryRunOperation / DryRun.Success (a dry run that passed)
    └── TransportError             no usable HTTP answer                            retryable
        ├── NetworkError           connection refused / reset, protocol errors
        ├── RequestTimeoutError    one attempt timed out
        └── DeadlineExceededError  the overall deadline ran out (wraps the last error; not retryable)

Messages never contain credentials: the client builds them from the service's answer only, and
``str(error)`` shows ``code``, ``message`` and ``request_id``.
"""

from __future__ import annotations

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


class AuthError(EciError):
    """Authentication or authorisation failed (signature, access key, clock skew, RAM policy)."""


class QuotaExceededError(EciError):
    """A resource quota, daily cap or stock limit refused the request."""


class DryRunError(EciError):
    """A DryRun request passed its checks (the service reports success as an error)."""


class TransportError(EciError):
    """No usable HTTP answer: network failure or timeout."""

    retryable = True

    def __init__(self, message: str, *, action: str | None = None) -> None:
        super().__init__("", message, action=action)


class NetworkError(TransportError):
    """The connection failed (refused, reset, closed mid-response)."""


class RequestTimeoutError(TransportError):
    """One attempt timed out."""


class DeadlineExceededError(TransportError):
    """The call's overall deadline ran out; ``last_error`` is the final attempt's error."""

    retryable = False

    def __init__(self, message: str, *, action: str | None = None, last_error: EciError | None = None):
        super().__init__(message, action=action)
        self.last_error = last_error
        if last_error is not None:
            self.code = last_error.code
            self.request_id = last_error.request_id
            self.http_status = last_error.http_status


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
    "MissingParameter": InvalidParameterError,
    "InvalidAction.NotFound": InvalidParameterError,
    "UnsupportedHTTPMethod": InvalidParameterError,
    "InvalidAction": AuthError,
    "SignatureDoesNotMatch": AuthError,
    "IncompleteSignature": AuthError,
    "InvalidTimeStamp.Expired": AuthError,
    "InvalidAccessKeyId.NotFound": AuthError,
    "InvalidAccessKeyId.Inactive": AuthError,
    "InvalidSecurityToken.Expired": AuthError,
    "InvalidSecurityToken.Malformed": AuthError,
    "InvalidSecurityToken.MismatchWithAccessKey": AuthError,
    "QuotaExceeded": QuotaExceededError,
    "Throttling.Vcpu.PerDay": QuotaExceededError,
    "DryRunOperation": DryRunError,
    "DryRun.Success": DryRunError,
}

_PREFIXES: tuple[tuple[str, type[EciError]], ...] = (
    ("InvalidAccessKeyId", AuthError),
    ("InvalidSecurityToken", AuthError),
    ("Forbidden", AuthError),
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
    suffixes and the bare ``InvalidParameter``; unknown codes fall back on the status: 5xx →
    ServerError, 404 → NotFoundError, 401/403 → AuthError, 429 → ThrottledError, else EciError.
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
    if status == 404:
        return NotFoundError
    if status in (401, 403):
        return AuthError
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


TERMINAL: tuple[type[EciError], ...] = (
    InvalidParameterError,
    AuthError,
    QuotaExceededError,
    IdempotentParameterMismatchError,
    DryRunError,
)
"""Errors that retrying the same request cannot fix: the request or the account must change first."""


def is_terminal(error: BaseException) -> bool:
    """Whether ``error`` stops retrying (only the classes in ``TERMINAL`` do; everything else —
    timeouts, deadlines, network errors, 5xx, throttling, unknown codes — is retried with backoff)."""
    return isinstance(error, TERMINAL)
