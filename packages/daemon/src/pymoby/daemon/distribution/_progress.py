"""Docker's JSON progress messages, as pull, push, load and import stream them.

One JSON object per line (``\\r\\n``-terminated, as dockerd writes them)::

    {"status":"Pulling from library/busybox","id":"latest"}
    {"status":"Pulling fs layer","progressDetail":{},"id":"a58ecd4f0c86"}
    {"status":"Downloading","progressDetail":{"current":1048576,"total":2228016},
     "progress":"[=======================>                           ]  1.049MB/2.228MB","id":"a58ecd4f0c86"}
    {"status":"Digest: sha256:..."}
    {"errorDetail":{"message":"..."},"error":"..."}

The ``progress`` text is what Docker's ``JSONProgress.String()`` renders for
a 200-column terminal; the docker CLI redraws its bars from
``progressDetail``. Sizes are Go's ``units.HumanSize``: decimal units, four
significant digits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from msgspec import UNSET

from pymoby import api

__all__ = [
    "ProgressOutput",
    "Throttle",
    "aux_message",
    "encode_message",
    "error_message",
    "human_size",
    "progress_bar",
    "progress_message",
    "short_id",
    "status_message",
    "update_message",
]

#: Where a producer writes its messages: one call per message, never blocking.
ProgressOutput = Callable[[api.JSONMessage], None]

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BAR = 50


def human_size(size: float) -> str:
    """``2.228MB``: decimal units, four significant digits (Go's ``units.HumanSize``)."""
    unit = 0
    while size >= 1000 and unit < len(_UNITS) - 1:
        size /= 1000
        unit += 1
    return f"{size:.4g}{_UNITS[unit]}"


def progress_bar(current: int, total: int) -> str:
    """The ``progress`` text: ``[=====>     ]  1.049MB/2.228MB``, or only the count when the total is unknown."""
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return f"{human_size(current):>8}"
    filled = min(int(current / total * 100) // 2, _BAR)
    bar = "[" + "=" * filled + ">" + " " * max(_BAR - filled, 0) + "] "
    if current > total:
        return bar + f"{human_size(current):>8}"
    return bar + f"{human_size(current):>8}/{human_size(total)}"


def short_id(digest: str) -> str:
    """The 12 hex digits Docker shows for a layer or image (``a58ecd4f0c86``)."""
    return digest.partition(":")[2][:12] if ":" in digest else digest[:12]


def status_message(status: str, id: str = "") -> api.JSONMessage:  # noqa: A002 - Docker's field name
    """A plain line: ``{"status": ..., "id": ...}`` (``Digest: ...``, ``Pulling from ...``)."""
    return api.JSONMessage(status=status, id=id)


def update_message(id: str, action: str) -> api.JSONMessage:  # noqa: A002 - Docker's field name
    """A step of one item without a count: ``{"status": "Pull complete", "progressDetail": {}, "id": ...}``."""
    return api.JSONMessage(status=action, progress_detail=api.ProgressDetail(), id=id)


def progress_message(id: str, action: str, current: int, total: int) -> api.JSONMessage:  # noqa: A002
    """A counted step: ``Downloading``, ``Extracting``, ``Pushing``, ``Loading layer`` with its bar."""
    return api.JSONMessage(
        status=action,
        progress_detail=api.ProgressDetail(current=current, total=max(total, 0)),
        progress=progress_bar(current, total),
        id=id,
    )


def error_message(exc: BaseException | str) -> api.JSONMessage:
    """The stream's last line when it failed: ``{"errorDetail": {"message": m}, "error": m}``."""
    text = str(exc)
    return api.JSONMessage(error_detail=api.JSONError(message=text), error=text)


def aux_message(value: Any, id: str = "") -> api.JSONMessage:  # noqa: A002
    """An ``aux`` line (the push result, a loaded image ID): ``{"progressDetail": {}, "aux": ...}``."""
    return api.JSONMessage(progress_detail=api.ProgressDetail(), id=id, aux=value if value is not None else UNSET)


def encode_message(message: api.JSONMessage) -> bytes:
    """One message as a line of the stream."""
    return api.encode(message) + b"\r\n"


class Throttle:
    """Decides when a counted step is worth a message: at most every ``interval`` seconds, and at the end."""

    __slots__ = ("_interval", "_last")

    def __init__(self, interval: float = 0.1) -> None:
        self._interval = interval
        self._last = 0.0

    def ready(self, current: int, total: int) -> bool:
        """Whether to report ``current`` of ``total`` now."""
        now = time.monotonic()
        if (total > 0 and current >= total) or now - self._last >= self._interval:
            self._last = now
            return True
        return False
