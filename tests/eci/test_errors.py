"""What an error means: terminal or worth retrying, its class for every documented code, its label."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eci_operator.eci import errors
from eci_operator.eci.errors import (
    KNOWN_CODES,
    OTHER_CODE,
    code_label,
    error_for,
    error_label,
    is_endpoint_failure,
    is_terminal,
    make_error,
)

# (code, HTTP status, class, terminal): every code ECI documents for the actions the client sends.
DOCUMENTED = [
    ("InvalidParameter", 400, errors.InvalidParameterError, True),
    ("InvalidParameter.DuplicatedName", 400, errors.InvalidParameterError, True),
    ("InvalidParameter.DuplicatedVolumeName", 400, errors.InvalidParameterError, True),
    ("InvalidParameter.LengthExceeded", 400, errors.InvalidParameterError, True),
    ("InvalidParameter.ValueExceeded", 400, errors.InvalidParameterError, True),
    ("MissingParameter", 400, errors.InvalidParameterError, True),
    ("InvalidParameter.CPU.Memory", 400, errors.SpecNotAllowedError, True),
    ("InvalidParam.CpuOrMemorySpec", 400, errors.SpecNotAllowedError, True),
    ("InvalidAction", 403, errors.ActionNotAllowedError, True),
    ("SignatureDoesNotMatch", 400, errors.AuthError, True),
    ("InvalidAccessKeyId.NotFound", 404, errors.AuthError, True),
    ("Forbidden.RAM", 403, errors.AuthError, True),
    ("InvalidTimeStamp.Expired", 400, errors.ClockSkewError, False),
    ("QuotaExceeded", 403, errors.QuotaExceededError, True),
    ("OperationDenied.NoStock", 403, errors.QuotaExceededError, True),
    ("Throttling.Vcpu.PerDay", 403, errors.QuotaExceededError, True),
    ("IdempotentParameterMismatch", 400, errors.IdempotentParameterMismatchError, True),
    ("DryRunOperation", 400, errors.DryRunError, True),
    ("Throttling", 400, errors.ThrottledError, False),
    ("Throttling.User", 400, errors.ThrottledError, False),
    ("Rejected.Throttling", 400, errors.ThrottledError, False),
    ("ServiceUnavailable", 503, errors.ServerError, False),
    ("InternalError", 500, errors.ServerError, False),
    ("OperationConflict", 400, errors.ConflictError, False),
    ("SignatureNonceUsed", 400, errors.SignatureNonceUsedError, False),
    ("IncorrectStatus", 400, errors.IncorrectStatusError, False),
    ("InvalidParameter.NotFound", 404, errors.NotFoundError, False),
    ("NoNeedUpdate", 400, errors.NoNeedUpdateError, False),
]


@pytest.mark.parametrize(("code", "status", "cls", "terminal"), DOCUMENTED)
def test_every_documented_code_has_its_class_and_verdict(
    code: str, status: int, cls: type[errors.EciError], terminal: bool
) -> None:
    error = make_error(code, "m", http_status=status, action="UpdateContainerGroup")
    assert type(error) is cls
    assert is_terminal(error) is terminal
    assert code_label(code) == code, "a documented code is its own metric label"


def test_the_terminal_list_is_explicit() -> None:
    assert set(errors.TERMINAL_ERRORS) == {
        errors.InvalidParameterError,
        errors.ActionNotAllowedError,
        errors.AuthError,
        errors.QuotaExceededError,
        errors.IdempotentParameterMismatchError,
        errors.DryRunError,
    }


@pytest.mark.parametrize(
    "error",
    [
        errors.DeadlineExceededError("deadline", last_error=errors.RequestTimeoutError("slow")),
        errors.RequestTimeoutError("one attempt"),
        errors.NetworkError("reset"),
        errors.InvalidResponseError("not JSON"),
        errors.ResponseTooLargeError("50 MiB"),
        errors.CircuitOpenError("open", retry_at=0.0),
        errors.ServerError("", "HTTP 502"),
        errors.EciError("Brand.NewCode", "unknown"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_slow_odd_and_unknown_outcomes_are_never_terminal(error: errors.EciError) -> None:
    assert not is_terminal(error)


def test_a_deadline_reads_as_try_again_later() -> None:
    last = errors.ServerError("ServiceUnavailable", "busy", http_status=503, request_id="r-1")
    exc = errors.DeadlineExceededError(
        "deadline of 90s exceeded", action="CreateContainerGroup", last_error=last
    )
    assert exc.retryable and not is_terminal(exc)
    assert (exc.code, exc.http_status, exc.request_id) == ("ServiceUnavailable", 503, "r-1")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 418])
def test_an_unknown_code_is_never_terminal_nor_a_not_found(status: int) -> None:
    """A gateway (or anything that is not ECI) answering 403/404 proves neither denial nor absence."""
    error = make_error("Gateway.Whatever", "no", http_status=status)
    assert type(error) is errors.EciError
    assert not is_terminal(error) and not isinstance(error, errors.NotFoundError)


@pytest.mark.parametrize(
    ("status", "cls"), [(500, errors.ServerError), (503, errors.ServerError), (429, errors.ThrottledError)]
)
def test_an_unknown_code_still_follows_5xx_and_429(status: int, cls: type[errors.EciError]) -> None:
    assert error_for("Brand.NewCode", status) is cls


@pytest.mark.parametrize(
    ("action", "verb"), [("UpdateContainerGroup", "updated"), ("RestartContainerGroup", "restarted")]
)
def test_invalid_action_says_the_instance_is_too_old_to_change(action: str, verb: str) -> None:
    error = make_error("InvalidAction", "The specified action is invalid", http_status=403, action=action)
    assert isinstance(error, errors.ActionNotAllowedError) and not isinstance(error, errors.AuthError)
    assert f"cannot be {verb}" in error.message
    assert "2019-03-07 15:00:00" in error.message and "replace" in error.message
    assert "The specified action is invalid" in error.message, "the service's own words are kept"


def test_endpoint_failures_are_only_the_endpoint_s_own() -> None:
    failing = [
        errors.NetworkError("reset"),
        errors.RequestTimeoutError("slow"),
        errors.InvalidResponseError("html"),
        errors.ServerError("ServiceUnavailable", "503"),
    ]
    answering = [
        errors.ThrottledError("Throttling", "slow down"),
        errors.InvalidParameterError("InvalidParameter", "bad"),
        errors.NotFoundError("InvalidParameter.NotFound", "gone"),
        errors.IncorrectStatusError("IncorrectStatus", "busy"),
        errors.EciError("Brand.NewCode", "unknown"),
    ]
    assert all(is_endpoint_failure(e) for e in failing)
    assert not any(is_endpoint_failure(e) for e in answering)


@settings(deadline=None)
@given(st.text(max_size=80))
def test_metric_labels_are_a_fixed_set_whatever_the_endpoint_sends(code: str) -> None:
    assert code_label(code) in KNOWN_CODES | {OTHER_CODE}
    label = error_label(make_error(code, "m", http_status=400))
    assert label in KNOWN_CODES | {OTHER_CODE, "EciError"}


def test_error_labels() -> None:
    assert error_label(None) == "OK"
    assert error_label(errors.RequestTimeoutError("slow")) == "RequestTimeoutError"
    assert error_label(errors.CircuitOpenError("open", retry_at=0.0)) == "CircuitOpenError"
    assert error_label(make_error("Throttling.User", "m")) == "Throttling.User"
    assert error_label(make_error("Made.Up.9f8e7d", "m")) == OTHER_CODE


def test_circuit_open_says_when_to_try_again() -> None:
    import time

    exc = errors.CircuitOpenError("open", action="DescribeContainerGroups", retry_at=time.monotonic() + 5)
    assert 4 < exc.retry_after <= 5
    assert errors.CircuitOpenError("open", retry_at=0.0).retry_after == 0.0
