"""Sizes, durations and times as Docker's CLI prints and parses them.

``human_size`` and ``bytes_size`` are go-units' ``HumanSizeWithPrecision``
(decimal, ``1.99MB``) and ``BytesSize`` (binary, ``1.5MiB``);
``human_duration`` is its ``HumanDuration`` (``About a minute``);
``parse_ram`` and ``parse_size`` read ``512m`` (binary) and ``1kb``
(decimal); ``parse_go_duration`` reads Go durations (``1h30m``);
``get_timestamp`` turns ``--since``/``--until`` values into the API's
``seconds.nanoseconds`` form.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta

from pymoby import errdefs

__all__ = [
    "InvalidSize",
    "bytes_size",
    "format_go_duration",
    "get_timestamp",
    "go_time_string",
    "human_duration",
    "human_size",
    "parse_go_duration",
    "parse_ram",
    "parse_rfc3339",
    "parse_size",
]

_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


class InvalidSize(errdefs.InvalidParameter):
    """A size such as ``--memory 12x`` that cannot be read."""


def _scaled(size: float, base: float, names: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(names) - 1:
        size /= base
        i += 1
    return size, names[i]


def human_size(size: float, precision: int = 4) -> str:
    """Decimal units with ``precision`` significant digits (``HumanSizeWithPrecision``)."""
    value, unit = _scaled(float(size), 1000.0, _DECIMAL)
    return f"{value:.{precision}g}{unit}"


def bytes_size(size: float) -> str:
    """Binary units with four significant digits (``BytesSize``): ``1.5MiB``."""
    value, unit = _scaled(float(size), 1024.0, _BINARY)
    return f"{value:.4g}{unit}"


def human_duration(seconds: float) -> str:
    """go-units' ``HumanDuration``: ``Less than a second``, ``5 minutes``, ``About an hour``, ``3 days``."""
    whole = int(seconds)
    if whole < 1:
        return "Less than a second"
    if whole == 1:
        return "1 second"
    if whole < 60:
        return f"{whole} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def _parse_size(text: str, binary: bool) -> int:
    multipliers = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
    sep = max(text.rfind(c) for c in "0123456789. ")
    if sep < 0:
        raise InvalidSize(f"invalid size: '{text}'")
    if text[sep] != " ":
        number, suffix = text[: sep + 1], text[sep + 1 :]
    else:
        number, suffix = text[:sep], text[sep + 1 :]
    try:
        size = float(number)
    except ValueError as exc:
        raise InvalidSize(f'strconv.ParseFloat: parsing "{number}": invalid syntax') from exc
    if size < 0:
        raise InvalidSize(f"invalid size: '{text}'")
    if not suffix:
        return int(size)
    lower = suffix.lower()
    if len(lower) > 3 or (lower[0] != "b" and lower[0] not in multipliers):
        raise InvalidSize(f"invalid suffix: '{lower}'")
    if lower[0] == "b":
        if len(lower) > 1:
            raise InvalidSize(f"invalid suffix: '{lower}'")
        return int(size)
    if (len(lower) == 2 and lower[1] != "b") or (len(lower) == 3 and lower[1:] != "ib"):
        raise InvalidSize(f"invalid suffix: '{lower}'")
    return int(size * (1024 if binary else 1000) ** multipliers[lower[0]])


def parse_ram(text: str) -> int:
    """``RAMInBytes``: ``512m`` is 512 MiB; raises :class:`InvalidSize`."""
    return _parse_size(text, binary=True)


def parse_size(text: str) -> int:
    """``FromHumanSize``: ``1kb`` is 1000 bytes; raises :class:`InvalidSize`."""
    return _parse_size(text, binary=False)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9}
_UNIT_NS["h"] = 3600 * 10**9


def parse_go_duration(text: str) -> int:
    """A Go duration (``1h30m``, ``10s``, ``-5m``, ``0``) in nanoseconds; ``InvalidParameter`` otherwise."""
    original = text
    sign = 1
    if text[:1] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise errdefs.InvalidParameter(f'time: invalid duration "{original}"')
    total = 0.0
    pos = 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if not match:
            if re.match(r"[\d.]+$", text[pos:]):
                raise errdefs.InvalidParameter(f'time: missing unit in duration "{original}"')
            raise errdefs.InvalidParameter(f'time: invalid duration "{original}"')
        total += float(match.group(1)) * _UNIT_NS[match.group(2)]
        pos = match.end()
    return sign * int(total)


def format_go_duration(nanoseconds: int) -> str:
    """Go's ``Duration.String``: ``1h30m0s``, ``1.5s``, ``0s``."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    ns = abs(nanoseconds)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_trim(ns / 1_000)}µs"
    if ns < 10**9:
        return f"{sign}{_trim(ns / 1_000_000)}ms"
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = _trim(rest / 10**9)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def _trim(value: float) -> str:
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return text or "0"


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})?$")


def parse_rfc3339(text: str) -> tuple[int, int]:
    """An RFC 3339 time (nanosecond precision) as ``(unix seconds, nanoseconds)``; ``InvalidParameter`` otherwise."""
    match = _RFC3339.match(text)
    if not match:
        raise errdefs.InvalidParameter(f"invalid time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = (match.group(7) or "").ljust(9, "0")[:9]
    zone = match.group(8)
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    if zone and zone not in ("Z", "z"):
        offset = int(zone[1:3]) * 3600 + int(zone[4:6]) * 60
        seconds -= offset if zone[0] == "+" else -offset
    elif not zone:
        seconds = int(time.mktime((year, month, day, hour, minute, second, 0, 0, -1)))
    return seconds, int(fraction)


def go_time_string(seconds: float, utc: bool = False) -> str:
    """Go's ``time.Time.String`` of a Unix time in the local zone: ``2024-01-02 15:04:05 +0000 UTC``."""
    moment = datetime.fromtimestamp(seconds, UTC) if utc else datetime.fromtimestamp(seconds).astimezone()
    offset = moment.strftime("%z")
    zone = moment.tzname() or offset
    fraction = ""
    if seconds != int(seconds):
        fraction = ("." + f"{seconds - int(seconds):.9f}"[2:]).rstrip("0")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + fraction + f" {offset} {zone}"


def get_timestamp(value: str, reference: float | None = None) -> str:
    """Docker's ``timetypes.GetTimestamp``: a duration (``10m``, relative to now), an RFC 3339 time,
    a date, or Unix ``seconds[.nanoseconds]``, as the ``seconds.nanoseconds`` the API takes."""
    now = time.time() if reference is None else reference
    if value and not value[0].isdigit() and value[0] not in "-+":
        raise errdefs.InvalidParameter(f'failed to parse value as time or duration: "{value}"')
    try:
        duration = parse_go_duration(value)
    except errdefs.InvalidParameter:
        duration = None
    if duration is not None and re.search(r"[a-zµμ]$", value):
        return str(int(now - duration / 1e9))
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        whole, _, fraction = value.partition(".")
        return f"{whole}.{fraction.ljust(9, '0')[:9]}" if fraction else whole
    candidates = [value]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        candidates = [value + "T00:00:00"]
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        candidates = [value + ":00"]
    for candidate in candidates:
        try:
            seconds, nanos = parse_rfc3339(candidate)
        except errdefs.InvalidParameter:
            continue
        return f"{seconds}.{nanos:09d}"
    raise errdefs.InvalidParameter(f'failed to parse value as time or duration: "{value}"')


def since(timestamp: float, reference: float | None = None) -> str:
    """``5 minutes ago`` for a Unix time."""
    now = time.time() if reference is None else reference
    return human_duration(max(0.0, now - timestamp)) + " ago"


def seconds_from_iso(text: str) -> float | None:
    """Unix seconds of an RFC 3339 time, ``None`` for Go's zero time or an empty value."""
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        seconds, nanos = parse_rfc3339(text)
    except errdefs.InvalidParameter:
        return None
    return seconds + nanos / 1e9


def timedelta_text(delta: timedelta) -> str:
    """A ``timedelta`` as a Go duration string."""
    return format_go_duration(int(delta.total_seconds() * 1e9))
