"""The error kinds.

Every pymoby package raises exceptions that subclass exactly one of these
kinds, so that the boundaries (HTTP status in the daemon, exit codes in the
CLI, gRPC codes in libcontainerd) can translate them without knowing the
package that raised them::

    PymobyError
    ├── NotFound           the object asked for does not exist            (HTTP 404)
    ├── InvalidParameter   the request is malformed or a value is wrong   (HTTP 400)
    ├── Conflict           the request conflicts with the current state   (HTTP 409)
    ├── Unauthorized       the caller is not authenticated                (HTTP 401)
    ├── Forbidden          the caller may not do this                     (HTTP 403)
    ├── Unavailable        a needed service cannot be reached right now   (HTTP 503)
    ├── NotModified        nothing to do: the object is already so       (HTTP 304)
    ├── NotImplemented     the feature is not implemented                 (HTTP 501)
    ├── System             an unexpected failure of the system            (HTTP 500)
    ├── Cancelled          the operation was cancelled                    (HTTP 499/500)
    ├── DeadlineExceeded   the operation ran out of time                  (HTTP 504/500)
    └── DataLoss           data was lost or corrupted                     (HTTP 500)

A domain error subclasses one kind: ``class NoSuchContainer(NotFound)``.
"""

from __future__ import annotations

__all__ = [
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
]


class PymobyError(Exception):
    """Base of every error kind. Not raised by itself: raise a kind."""


class NotFound(PymobyError):
    """The object asked for does not exist."""


class InvalidParameter(PymobyError):
    """The request is malformed, or one of its values is not acceptable."""


class Conflict(PymobyError):
    """The request conflicts with the current state (name in use, object in use)."""


class Unauthorized(PymobyError):
    """The caller is not authenticated, or its credentials were refused."""


class Forbidden(PymobyError):
    """The caller is authenticated but may not do this."""


class Unavailable(PymobyError):
    """A service the operation needs cannot be reached right now."""


class NotModified(PymobyError):
    """Nothing was done because the object is already in the requested state."""


class NotImplemented(PymobyError):
    """The operation is not implemented (on this platform, driver or version)."""


class System(PymobyError):
    """An unexpected failure of the system (I/O error, broken invariant)."""


class Cancelled(PymobyError):
    """The operation was cancelled before it finished."""


class DeadlineExceeded(PymobyError):
    """The operation did not finish in the time it was given."""


class DataLoss(PymobyError):
    """Data was lost or corrupted (digest mismatch, truncated file)."""
