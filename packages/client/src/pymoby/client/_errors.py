"""HTTP status -> pymoby.errdefs kind, the inverse of the daemon's httpstatus."""

from __future__ import annotations

import json

from pymoby import errdefs

__all__ = ["KIND_OF_STATUS", "error_from_response"]

#: HTTP status -> the kind raised for it; other 4xx are InvalidParameter, other 5xx System.
KIND_OF_STATUS: dict[int, type[errdefs.PymobyError]] = {
    304: errdefs.NotModified,
    400: errdefs.InvalidParameter,
    401: errdefs.Unauthorized,
    403: errdefs.Forbidden,
    404: errdefs.NotFound,
    409: errdefs.Conflict,
    501: errdefs.NotImplemented,
    503: errdefs.Unavailable,
    504: errdefs.DeadlineExceeded,
}


def error_from_response(status: int, body: bytes) -> errdefs.PymobyError:
    """The error for an answer with ``status``; its message is the body's ``message``."""
    kind = KIND_OF_STATUS.get(status)
    if kind is None:
        kind = errdefs.InvalidParameter if 400 <= status < 500 else errdefs.System
    message = ""
    try:
        decoded = json.loads(body)
        if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
            message = decoded["message"]
    except ValueError:  # not JSON (or not UTF-8): the text itself
        message = body.decode("utf-8", "replace").strip()
    if not message:
        message = f"request failed with status {status}"
    return kind(message)
