"""``since`` and ``until`` of ``GET /events``: the forms Docker accepts.

A Unix time (``1700000000`` or ``1700000000.123456789``), a duration back
from now (``10m``, ``1h30m``, ``90s``), or an RFC 3339 date
(``2024-01-02T15:04:05Z``, ``2024-01-02``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pymoby import errdefs

__all__ = ["parse_timestamp"]

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def parse_timestamp(value: str, now_ns: int) -> int:
    """``value`` as nanoseconds since the epoch; ``InvalidParameter`` when it is no known form."""
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d{1,9})?", text):
        seconds, _, fraction = text.partition(".")
        return int(seconds) * 10**9 + int((fraction or "0").ljust(9, "0"))
    if _DURATION.match(text):
        total = sum(int(float(n) * _UNIT_NS[u]) for n, u in _PART.findall(text))
        return now_ns - total
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise errdefs.InvalidParameter(f"failed to parse value as time or duration: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp()) * 10**9 + parsed.microsecond * 1000
