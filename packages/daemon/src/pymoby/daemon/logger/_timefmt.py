"""Timestamps as Docker writes and reads them in logs.

json-file stamps entries with Go's ``time.RFC3339Nano`` in UTC (trailing
zeros of the fraction dropped: ``2024-01-01T00:00:00.12Z``); ``docker logs
--timestamps`` prints the fixed nine-digit form. Formatting is cached per
second because the copier stamps every read.
"""

from __future__ import annotations

import time
from datetime import datetime

from pymoby import errdefs

__all__ = ["format_fixed", "format_rfc3339nano", "parse_rfc3339nano", "parse_unix_timestamp"]

_NS = 1_000_000_000
_second = -1
_prefix = ""
_parsed: dict[str, int] = {}


def _seconds_prefix(seconds: int) -> str:
    global _second, _prefix
    if seconds != _second:
        _prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = seconds
    return _prefix


def format_rfc3339nano(ns: int) -> str:
    """``ns`` (since the epoch) as Go's ``RFC3339Nano`` in UTC."""
    seconds, fraction = divmod(ns, _NS)
    prefix = _seconds_prefix(seconds)
    if fraction:
        return f"{prefix}.{fraction:09d}".rstrip("0") + "Z"
    return prefix + "Z"


def format_fixed(ns: int) -> str:
    """``ns`` with nine fraction digits always (``docker logs --timestamps``)."""
    seconds, fraction = divmod(ns, _NS)
    return f"{_seconds_prefix(seconds)}.{fraction:09d}Z"


def parse_rfc3339nano(text: str) -> int:
    """An RFC 3339 time with up to nine fraction digits as nanoseconds; ``ValueError`` when malformed."""
    head = text[:19]
    base = _parsed.get(head)
    if base is None:
        base = int(datetime.fromisoformat(head + "+00:00").timestamp())
        if len(_parsed) > 4096:
            _parsed.clear()
        _parsed[head] = base
    rest = text[19:]
    fraction = 0
    if rest.startswith("."):
        end = 1
        while end < len(rest) and rest[end].isdigit():
            end += 1
        digits = rest[1:end]
        if not digits or len(digits) > 9:
            raise ValueError(f"invalid fraction in {text!r}")
        fraction = int(digits.ljust(9, "0"))
        rest = rest[end:]
    if rest in ("Z", "z"):
        offset = 0
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
        offset = (int(rest[1:3]) * 3600 + int(rest[4:6]) * 60) * (1 if rest[0] == "+" else -1)
    else:
        raise ValueError(f"invalid time zone in {text!r}")
    return (base - offset) * _NS + fraction


def parse_unix_timestamp(value: str) -> int | None:
    """A ``since``/``until`` query value (``1700000000`` or ``1700000000.5``) as nanoseconds.

    Empty and ``0`` mean "not given" (``None``), as in the Engine API.
    Raises ``InvalidParameter`` when it is not a number, as Docker's
    ``timetypes.ParseTimestamps`` does.
    """
    if value == "":
        return None
    seconds_text, _, fraction_text = value.partition(".")
    try:
        seconds = int(seconds_text)
        fraction = int(fraction_text) if fraction_text else 0
    except ValueError:
        raise errdefs.InvalidParameter(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None
    if fraction_text:
        fraction = int(fraction * 10 ** (9 - len(fraction_text))) if len(fraction_text) <= 9 else int(fraction_text[:9])
    total = seconds * _NS + (fraction if seconds >= 0 else -fraction)
    return None if total == 0 else total
