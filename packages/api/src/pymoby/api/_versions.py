"""API version numbers and their ordering.

Docker's API versions are ``MAJOR.MINOR`` strings compared numerically
(``1.9 < 1.24 < 1.45``). The daemon serves from :data:`MIN_API_VERSION` to
:data:`API_VERSION`; a request with no version in its path gets
:data:`API_VERSION`.
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = [
    "API_VERSION",
    "MIN_API_VERSION",
    "InvalidAPIVersion",
    "check_api_version",
    "version_tuple",
    "versions_compare",
]

#: The newest API version this implementation speaks.
API_VERSION = "1.45"
#: The oldest API version the daemon accepts.
MIN_API_VERSION = "1.24"


class InvalidAPIVersion(errdefs.InvalidParameter):
    """The API version asked for is malformed or outside what the daemon serves."""


def version_tuple(version: str) -> tuple[int, ...]:
    """``"1.45"`` -> ``(1, 45)``; raises :class:`InvalidAPIVersion` when it is not numeric."""
    try:
        parts = tuple(int(part) for part in version.split("."))
    except ValueError:
        raise InvalidAPIVersion(f"invalid API version: {version!r}") from None
    if not parts or any(part < 0 for part in parts):
        raise InvalidAPIVersion(f"invalid API version: {version!r}")
    return parts


def versions_compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is older than, equal to or newer than ``b`` (``1.9 < 1.24``)."""
    ta, tb = version_tuple(a), version_tuple(b)
    width = max(len(ta), len(tb))
    ta += (0,) * (width - len(ta))
    tb += (0,) * (width - len(tb))
    return (ta > tb) - (ta < tb)


def check_api_version(version: str, minimum: str = MIN_API_VERSION, maximum: str = API_VERSION) -> None:
    """Raise :class:`InvalidAPIVersion`, with Docker's message, when ``version`` is out of range."""
    if versions_compare(version, minimum) < 0:
        raise InvalidAPIVersion(
            f"client version {version} is too old. Minimum supported API version is {minimum}, "
            "please upgrade your client to a newer version"
        )
    if versions_compare(version, maximum) > 0:
        raise InvalidAPIVersion(f"client version {version} is too new. Maximum supported API version is {maximum}")
