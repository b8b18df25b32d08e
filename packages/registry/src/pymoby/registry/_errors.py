"""The registry client's errors, each of one :mod:`pymoby.errdefs` kind.

Registry error codes of the distribution spec map to typed exceptions; every
error carries the registry's ``code``, ``message`` and ``detail``, the
``reference`` it was about and the HTTP ``status``::

    RegistryError (mixin: code, message, detail, reference, status)
    ├── errdefs.NotFound          ManifestUnknown, BlobUnknown, NameUnknown,
    │                             BlobUploadUnknown, ManifestBlobUnknown,
    │                             NoMatchingPlatform, NotFoundError (a bare 404)
    ├── errdefs.Unauthorized      Unauthorized (401, UNAUTHORIZED, a refused login)
    ├── errdefs.Forbidden         Denied (403, DENIED)
    ├── errdefs.Unavailable       TooManyRequests (429), RegistryUnavailable
    │                             (connection refused or cut, TLS failure, 5xx)
    ├── errdefs.DeadlineExceeded  RegistryTimeout
    ├── errdefs.InvalidParameter  NameInvalid, TagInvalid, DigestInvalid,
    │                             SizeInvalid, ManifestInvalid, ManifestUnverified,
    │                             BlobUploadInvalid, RangeInvalid,
    │                             PaginationNumberInvalid, ManifestTooLarge
    ├── errdefs.NotImplemented    Unsupported (UNSUPPORTED), UnsupportedManifest (schema 1)
    ├── errdefs.DataLoss          DigestMismatch (content does not match its digest)
    └── errdefs.System            RegistryProtocolError (an answer the spec does not allow)
"""

from __future__ import annotations

import json
from typing import Any

from pymoby import errdefs

__all__ = [
    "BlobUnknown",
    "BlobUploadInvalid",
    "BlobUploadUnknown",
    "Denied",
    "DigestInvalid",
    "DigestMismatch",
    "ManifestBlobUnknown",
    "ManifestInvalid",
    "ManifestTooLarge",
    "ManifestUnknown",
    "ManifestUnverified",
    "NameInvalid",
    "NameUnknown",
    "NoMatchingPlatform",
    "NotFoundError",
    "PaginationNumberInvalid",
    "RangeInvalid",
    "RegistryError",
    "RegistryProtocolError",
    "RegistryTimeout",
    "RegistryUnavailable",
    "SizeInvalid",
    "TagInvalid",
    "TooManyRequests",
    "Unauthorized",
    "Unsupported",
    "UnsupportedManifest",
    "error_from_response",
]


class RegistryError(Exception):
    """What every registry error carries. Always combined with one errdefs kind.

    ``code`` is the registry's error code (``MANIFEST_UNKNOWN``) or ``""``,
    ``message`` and ``detail`` what the registry said, ``reference`` the
    image or repository the request was about, ``status`` the HTTP status
    (0 when there was no response).
    """

    default_code = ""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        detail: object = None,
        reference: str = "",
        status: int = 0,
    ) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message
        self.detail = detail
        self.reference = reference
        self.status = status


class ManifestUnknown(RegistryError, errdefs.NotFound):
    """MANIFEST_UNKNOWN: no manifest of this tag or digest."""

    default_code = "MANIFEST_UNKNOWN"


class BlobUnknown(RegistryError, errdefs.NotFound):
    """BLOB_UNKNOWN: the registry has no blob of this digest in the repository."""

    default_code = "BLOB_UNKNOWN"


class NameUnknown(RegistryError, errdefs.NotFound):
    """NAME_UNKNOWN: no such repository."""

    default_code = "NAME_UNKNOWN"


class BlobUploadUnknown(RegistryError, errdefs.NotFound):
    """BLOB_UPLOAD_UNKNOWN: the upload session expired or never existed."""

    default_code = "BLOB_UPLOAD_UNKNOWN"


class ManifestBlobUnknown(RegistryError, errdefs.NotFound):
    """MANIFEST_BLOB_UNKNOWN: a pushed manifest references a blob the registry lacks."""

    default_code = "MANIFEST_BLOB_UNKNOWN"


class NoMatchingPlatform(RegistryError, errdefs.NotFound):
    """An index has no manifest for the wanted platform."""


class NotFoundError(RegistryError, errdefs.NotFound):
    """A 404 without a registry error code."""


class Unauthorized(RegistryError, errdefs.Unauthorized):
    """UNAUTHORIZED: no credentials, wrong credentials, or a token was refused."""

    default_code = "UNAUTHORIZED"


class Denied(RegistryError, errdefs.Forbidden):
    """DENIED: authenticated, but not allowed to do this."""

    default_code = "DENIED"


class TooManyRequests(RegistryError, errdefs.Unavailable):
    """TOOMANYREQUESTS: rate limited, after the client's retries."""

    default_code = "TOOMANYREQUESTS"


class RegistryUnavailable(RegistryError, errdefs.Unavailable):
    """The registry cannot be reached: connection refused or cut, TLS failure, 5xx after retries."""


class RegistryTimeout(RegistryError, errdefs.DeadlineExceeded):
    """The registry did not answer in time."""


class NameInvalid(RegistryError, errdefs.InvalidParameter):
    """NAME_INVALID: the repository name is not acceptable to the registry."""

    default_code = "NAME_INVALID"


class TagInvalid(RegistryError, errdefs.InvalidParameter):
    """TAG_INVALID: the manifest's tag is not acceptable."""

    default_code = "TAG_INVALID"


class DigestInvalid(RegistryError, errdefs.InvalidParameter):
    """DIGEST_INVALID: the uploaded content does not match the digest given."""

    default_code = "DIGEST_INVALID"


class SizeInvalid(RegistryError, errdefs.InvalidParameter):
    """SIZE_INVALID: the content length does not match."""

    default_code = "SIZE_INVALID"


class ManifestInvalid(RegistryError, errdefs.InvalidParameter):
    """MANIFEST_INVALID: the manifest is malformed (or its JSON could not be read)."""

    default_code = "MANIFEST_INVALID"


class ManifestUnverified(RegistryError, errdefs.InvalidParameter):
    """MANIFEST_UNVERIFIED: the manifest failed signature verification."""

    default_code = "MANIFEST_UNVERIFIED"


class BlobUploadInvalid(RegistryError, errdefs.InvalidParameter):
    """BLOB_UPLOAD_INVALID: the upload was refused."""

    default_code = "BLOB_UPLOAD_INVALID"


class RangeInvalid(RegistryError, errdefs.InvalidParameter):
    """RANGE_INVALID: a chunk's Content-Range does not follow the upload's state."""

    default_code = "RANGE_INVALID"


class PaginationNumberInvalid(RegistryError, errdefs.InvalidParameter):
    """PAGINATION_NUMBER_INVALID: the page size is not acceptable."""

    default_code = "PAGINATION_NUMBER_INVALID"


class ManifestTooLarge(RegistryError, errdefs.InvalidParameter):
    """The manifest is larger than the client's limit (4 MiB by default)."""


class Unsupported(RegistryError, errdefs.NotImplemented):
    """UNSUPPORTED: the registry does not support the operation."""

    default_code = "UNSUPPORTED"


class UnsupportedManifest(RegistryError, errdefs.NotImplemented):
    """A manifest format the client refuses (schema 1) or does not know."""


class DigestMismatch(RegistryError, errdefs.DataLoss):
    """Content did not match its digest (or its size); nothing of it was kept."""


class RegistryProtocolError(RegistryError, errdefs.System):
    """The registry answered something the distribution spec does not allow."""


_BY_CODE: dict[str, type[RegistryError]] = {
    cls.default_code: cls
    for cls in (
        ManifestUnknown,
        BlobUnknown,
        NameUnknown,
        BlobUploadUnknown,
        ManifestBlobUnknown,
        Unauthorized,
        Denied,
        TooManyRequests,
        NameInvalid,
        TagInvalid,
        DigestInvalid,
        SizeInvalid,
        ManifestInvalid,
        ManifestUnverified,
        BlobUploadInvalid,
        RangeInvalid,
        PaginationNumberInvalid,
        Unsupported,
    )
}

_BY_STATUS: dict[int, type[RegistryError]] = {
    401: Unauthorized,
    403: Denied,
    404: NotFoundError,
    429: TooManyRequests,
}


def _first_error(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return errors[0]
        # token servers answer {"details": "..."} or {"error": "..."}
        for key in ("details", "detail", "error", "message"):
            if isinstance(data.get(key), str):
                return {"message": data[key]}
    return None


def error_from_response(status: int, body: bytes, *, reference: str = "", context: str = "") -> RegistryError:
    """The typed error for a registry's error response.

    The first entry of the body's ``errors`` list decides the class (by its
    code), else the status does. The message reads as Docker prints
    registry errors: ``manifest unknown: manifest unknown``, prefixed by
    ``context`` when given.
    """
    entry = _first_error(body) or {}
    code = str(entry.get("code") or "")
    registry_message = str(entry.get("message") or "")
    cls = _BY_CODE.get(code)
    if cls is None:
        if status >= 500:
            cls = RegistryUnavailable
        else:
            cls = _BY_STATUS.get(status, RegistryProtocolError)
    if code:
        text = f"{code.lower().replace('_', ' ')}: {registry_message}" if registry_message else code.lower()
    elif registry_message:
        text = registry_message
    elif status == 401:
        text = "unauthorized: authentication required"
    elif status == 404:
        text = "not found"
    else:
        snippet = body[:200].decode("utf-8", "replace").strip()
        text = f"unexpected status {status}" + (f": {snippet}" if snippet else "")
    if context:
        text = f"{context}: {text}"
    return cls(text, code=code, detail=entry.get("detail"), reference=reference, status=status)
