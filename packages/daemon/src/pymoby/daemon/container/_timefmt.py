"""Container times on the wire: Go's ``RFC3339Nano``, with ``0`` as Go's zero time."""

from __future__ import annotations

from ..logger import format_rfc3339nano, parse_rfc3339nano

__all__ = ["ZERO_TIME", "format_time", "parse_time"]

ZERO_TIME = "0001-01-01T00:00:00Z"


def format_time(ns: int) -> str:
    """``ns`` since the epoch as ``RFC3339Nano`` in UTC; ``0`` is ``0001-01-01T00:00:00Z``."""
    return format_rfc3339nano(ns) if ns else ZERO_TIME


def parse_time(text: str) -> int:
    """The inverse of :func:`format_time` (``ValueError`` when malformed); times before 1970 read as 0."""
    if not text or text.startswith("0001-01-01"):
        return 0
    return max(0, parse_rfc3339nano(text))
