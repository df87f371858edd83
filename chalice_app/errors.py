"""The API's error family. Each error carries its HTTP status; one edge maps it.

Domain errors (raised by adapters behind the ports) are separate from HTTP errors so an
AWS adapter can raise the same ones as the local adapter.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    """The one shape of every error answer, whichever front or layer gives it."""
    return {"error": message, **extra}


class ApiError(Exception):
    """An error answered to the client as `{"error": message, ...extra}`."""

    STATUS_CODE = 500

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return error_body(self.message, **self.extra)


class BadRequestError(ApiError):
    STATUS_CODE = 400


class ForbiddenError(ApiError):
    STATUS_CODE = 403


class NotFoundError(ApiError):
    STATUS_CODE = 404


class ConflictError(ApiError):
    STATUS_CODE = 409


class PayloadTooLargeError(ApiError):
    STATUS_CODE = 413


class UnprocessableError(ApiError):
    """The body is well-formed JSON but some fields are wrong; `fields` names each one."""

    STATUS_CODE = 422


class ServiceUnavailableError(ApiError):
    STATUS_CODE = 503


class MisconfiguredError(ServiceUnavailableError):
    """The service cannot run as configured; the detail is in the log, not the answer."""

    def __init__(self) -> None:
        super().__init__("the service is misconfigured; an operator has been told")


class BackendError(Exception):
    """Base of the errors adapters raise behind the ports."""


class UnknownCategoryError(BackendError):
    """The deployed model never saw this category; `known` lists the ones it did."""

    def __init__(self, column: str, value: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown {column} {value!r}")
        self.column = column
        self.value = value
        self.known = list(known)


class KeyStoreUnavailableError(BackendError):
    """The accepted keys cannot be read (missing file, unreachable secret)."""


class ModelUnavailableError(BackendError):
    """No model is deployed, or the deployed one cannot be loaded."""


class PredictionLogError(BackendError):
    """The prediction log cannot take an entry now (disk full, table throttled)."""


class BatchLogError(PredictionLogError):
    """A batch was not written whole; `unlogged_ids` are the prediction ids left out."""

    def __init__(self, message: str, unlogged_ids: Collection[str]) -> None:
        super().__init__(message)
        self.unlogged_ids = frozenset(unlogged_ids)


class TrainingUnavailableError(BackendError):
    """The training backend cannot start a run now (not the client's inputs)."""


class TrainingBusyError(BackendError):
    """As many training runs as allowed are running; `running` names them."""

    def __init__(self, running: Sequence[str], limit: int) -> None:
        super().__init__(f"{len(running)} training run(s) in progress, at most {limit} at once")
        self.running = list(running)
        self.limit = limit


class TrainingInputError(BackendError):
    """A training input the launcher cannot use; `field` names the request field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
