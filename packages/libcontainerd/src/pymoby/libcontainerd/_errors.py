"""Errors raised by pymoby-libcontainerd, and the gRPC status translation.

Each error subclasses exactly one :mod:`pymoby.errdefs` kind (and a common
base carrying ``code`` and ``details``), so the daemon maps it to an HTTP
status without knowing containerd::

    NotFoundError            errdefs.NotFound          gRPC NOT_FOUND
    AlreadyExistsError       errdefs.Conflict          gRPC ALREADY_EXISTS
    FailedPreconditionError  errdefs.Conflict          gRPC FAILED_PRECONDITION (e.g. task not running)
    InvalidArgumentError     errdefs.InvalidParameter  gRPC INVALID_ARGUMENT, OUT_OF_RANGE
    UnavailableError         errdefs.Unavailable       gRPC UNAVAILABLE (containerd down or restarting)
    DeadlineError            errdefs.DeadlineExceeded  gRPC DEADLINE_EXCEEDED
    CancelledError           errdefs.Cancelled         gRPC CANCELLED
    UnimplementedError       errdefs.NotImplemented    gRPC UNIMPLEMENTED
    PermissionDeniedError    errdefs.Forbidden         gRPC PERMISSION_DENIED
    UnauthenticatedError     errdefs.Unauthorized      gRPC UNAUTHENTICATED
    DataLossError            errdefs.DataLoss          gRPC DATA_LOSS
    ContainerdError          errdefs.System            any other status
    ContainerdStartError     errdefs.Unavailable       the supervisor could not start containerd

The translation happens at the boundary: ``raise from_status(...) from exc``.
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = [
    "AlreadyExistsError",
    "CancelledError",
    "ContainerdError",
    "ContainerdStartError",
    "DataLossError",
    "DeadlineError",
    "FailedPreconditionError",
    "InvalidArgumentError",
    "NotFoundError",
    "UnimplementedError",
    "PermissionDeniedError",
    "UnauthenticatedError",
    "UnavailableError",
    "from_status",
]


class _StatusError(errdefs.PymobyError):
    """Base of the errors built from a gRPC status: its code name and containerd's details."""

    def __init__(self, message: str, code: str = "", details: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.details = details


class NotFoundError(_StatusError, errdefs.NotFound):
    """The container, task or process does not exist in containerd."""


class AlreadyExistsError(_StatusError, errdefs.Conflict):
    """An object with this ID already exists in containerd."""


class FailedPreconditionError(_StatusError, errdefs.Conflict):
    """The object is not in a state that allows the operation (e.g. task not running)."""


class InvalidArgumentError(_StatusError, errdefs.InvalidParameter):
    """containerd refused a malformed or invalid request."""


class UnavailableError(_StatusError, errdefs.Unavailable):
    """containerd cannot be reached (not running, restarting, socket missing)."""


class DeadlineError(_StatusError, errdefs.DeadlineExceeded):
    """The call to containerd did not finish in time."""


class CancelledError(_StatusError, errdefs.Cancelled):
    """The call to containerd was cancelled."""


class UnimplementedError(_StatusError, errdefs.NotImplemented):
    """containerd does not implement the call (wrong version or plugin disabled)."""


class PermissionDeniedError(_StatusError, errdefs.Forbidden):
    """containerd denied the call."""


class UnauthenticatedError(_StatusError, errdefs.Unauthorized):
    """containerd did not accept the caller's identity."""


class DataLossError(_StatusError, errdefs.DataLoss):
    """containerd reported lost or corrupted data."""


class ContainerdError(_StatusError, errdefs.System):
    """containerd failed with an unexpected status."""


class ContainerdStartError(errdefs.Unavailable):
    """The supervisor could not start containerd, or it did not answer in time."""


_BY_CODE: dict[str, type[_StatusError]] = {
    "NOT_FOUND": NotFoundError,
    "ALREADY_EXISTS": AlreadyExistsError,
    "FAILED_PRECONDITION": FailedPreconditionError,
    "INVALID_ARGUMENT": InvalidArgumentError,
    "OUT_OF_RANGE": InvalidArgumentError,
    "UNAVAILABLE": UnavailableError,
    "DEADLINE_EXCEEDED": DeadlineError,
    "CANCELLED": CancelledError,
    "UNIMPLEMENTED": UnimplementedError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "UNAUTHENTICATED": UnauthenticatedError,
    "DATA_LOSS": DataLossError,
}


def from_status(code: str, details: str, action: str = "") -> errdefs.PymobyError:
    """Build the error for a gRPC status ``code`` (its name, e.g. ``"NOT_FOUND"``).

    ``details`` is containerd's message; ``action`` (e.g. ``"create task web"``)
    prefixes it so the message says what was being done. The returned error
    has ``.code`` and ``.details`` attributes.
    """
    cls = _BY_CODE.get(code, ContainerdError)
    message = details or code.lower().replace("_", " ")
    if action:
        message = f"{action}: {message}"
    return cls(message, code, details)
