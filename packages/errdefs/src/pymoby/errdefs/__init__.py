"""pymoby.errdefs: the error kinds every pymoby package raises.

Raise a domain error that subclasses one kind; classify any exception with
:func:`kind_of` or the ``is_*`` helpers, which follow ``raise ... from`` causes
and the members of exception groups.
"""

from ._classify import (
    KINDS,
    is_cancelled,
    is_conflict,
    is_data_loss,
    is_deadline_exceeded,
    is_forbidden,
    is_invalid_parameter,
    is_not_found,
    is_not_implemented,
    is_not_modified,
    is_system,
    is_unauthorized,
    is_unavailable,
    kind_of,
)
from ._kinds import (
    Cancelled,
    Conflict,
    DataLoss,
    DeadlineExceeded,
    Forbidden,
    InvalidParameter,
    NotFound,
    NotImplemented,
    NotModified,
    PymobyError,
    System,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "KINDS",
    "Cancelled",
    "Conflict",
    "DataLoss",
    "DeadlineExceeded",
    "Forbidden",
    "InvalidParameter",
    "NotFound",
    "NotImplemented",
    "NotModified",
    "PymobyError",
    "System",
    "Unauthorized",
    "Unavailable",
    "is_cancelled",
    "is_conflict",
    "is_data_loss",
    "is_deadline_exceeded",
    "is_forbidden",
    "is_invalid_parameter",
    "is_not_found",
    "is_not_implemented",
    "is_not_modified",
    "is_system",
    "is_unauthorized",
    "is_unavailable",
    "kind_of",
]
