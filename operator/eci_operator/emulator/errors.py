"""Error answers of the emulated ECI service: the gateway's and UpdateContainerGroup's codes."""

from __future__ import annotations


class ApiError(Exception):
    """An error the service answers with: HTTP status plus the ``Code``/``Message`` body fields."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def invalid(field: str, why: str) -> ApiError:
    return ApiError("InvalidParameter", f"The specified parameter {field} is not valid: {why}")


def missing(field: str) -> ApiError:
    return ApiError(
        "MissingParameter",
        f"The input parameter {field} that is mandatory for processing this request is not supplied.",
    )


def length_exceeded(field: str, why: str) -> ApiError:
    return ApiError("InvalidParameter.LengthExceeded", f"The parameter {field} is too long: {why}")


def value_exceeded(field: str, why: str) -> ApiError:
    return ApiError("InvalidParameter.ValueExceeded", f"The value of {field} is out of range: {why}")


def not_found(container_group_id: str) -> ApiError:
    return ApiError(
        "InvalidParameter.NotFound",
        f"The specified ContainerGroupId {container_group_id} is not found.",
        404,
    )


def incorrect_status(status: str, action: str) -> ApiError:
    return ApiError(
        "IncorrectStatus",
        f"The current status of the resource does not support {action}. Current status: {status}",
    )


def cpu_memory(why: str) -> ApiError:
    return ApiError("InvalidParameter.CPU.Memory", f"The specified cpu and memory are not allowed: {why}")


NO_NEED_UPDATE = ("NoNeedUpdate", "There are no changes to be updated for current resource.")
THROTTLED = ("Throttling.User", "Request was denied due to user flow control.")
