"""The one place where the daemon's errors become HTTP status codes.

Routers and services never choose a status: they raise a
:mod:`pymoby.errdefs` kind, and :func:`status_of` maps it, walking causes
and exception groups (``errdefs.kind_of``). The body is always
``{"message": "..."}``.
"""

from __future__ import annotations

from pymoby import api, errdefs

__all__ = ["STATUS_OF_KIND", "error_body", "status_of"]

#: errdefs kind -> HTTP status, as moby's httpstatus.FromError.
STATUS_OF_KIND: dict[type[errdefs.PymobyError], int] = {
    errdefs.NotFound: 404,
    errdefs.InvalidParameter: 400,
    errdefs.Conflict: 409,
    errdefs.Unauthorized: 401,
    errdefs.Forbidden: 403,
    errdefs.Unavailable: 503,
    errdefs.NotModified: 304,
    errdefs.NotImplemented: 501,
    errdefs.System: 500,
    errdefs.Cancelled: 500,
    errdefs.DeadlineExceeded: 500,
    errdefs.DataLoss: 500,
}


def status_of(exc: BaseException) -> int:
    """The HTTP status for ``exc``: its kind's status, 500 when it has no kind."""
    kind = errdefs.kind_of(exc)
    return STATUS_OF_KIND.get(kind, 500) if kind is not None else 500


def _message(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        return _message(exc.exceptions[0])
    return str(exc) or type(exc).__name__


def error_body(exc: BaseException) -> bytes:
    """The JSON body for ``exc``: ``{"message": "..."}`` and a newline, as Docker writes it."""
    return api.encode(api.ErrorResponse(message=_message(exc))) + b"\n"
