"""Progress streams (pull, push, load, import, build) drawn as Docker draws them.

The daemon sends one JSON message per line (Docker's ``jsonmessage``):
``{"status": "Downloading", "id": "a1b2c3", "progressDetail": {"current":
1, "total": 2}, "progress": "[==>  ]"}``, ``{"stream": "..."}``,
``{"errorDetail": {"message": ...}, "error": ...}``, ``{"aux": ...}``.

On a terminal each ``id`` keeps its own line, redrawn in place with the
cursor moved up and down: one line per layer, bars ``[=====>    ]`` with
sizes and the time left. Elsewhere only lines without a live progress bar
are printed, one per message, as Docker does when its output is a file.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from ._errors import CLIError
from ._units import format_go_duration, human_size

__all__ = ["JSONMessageError", "display_json_messages", "progress_bar"]


class JSONMessageError(CLIError):
    """An error message inside a progress stream (``errorDetail``); the text is the daemon's.

    ``code`` is the error's own code (``errorDetail.code``; a failed ``RUN``'s
    exit status), 0 when it has none.
    """

    def __init__(self, message: str = "", status: int = 1, code: int = 0) -> None:
        super().__init__(message, status)
        self.code = code


def progress_bar(detail: dict[str, Any], width: int, now: float | None = None) -> str:
    """Docker's ``JSONProgress.String``: ``[=====>     ]  1.2MB/3.4MB 2s``."""
    current = int(detail.get("current") or 0)
    total = int(detail.get("total") or 0)
    start = int(detail.get("start") or 0)
    units = str(detail.get("units") or "")
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return f"{human_size(current):>8}" if not units else f"{current} {units}"
    percentage = min(50, int(current / total * 100) // 2)
    bar = ""
    if width > 110:
        bar = f"[{'=' * percentage}>{' ' * max(0, 50 - percentage)}] "
    numbers = ""
    if detail.get("hidecounts"):
        numbers = ""
    elif not units:
        numbers = f"{human_size(current):>8}/{human_size(total)}"
        if current > total:
            numbers = f"{human_size(current):>8}"
    else:
        numbers = f"{current}/{total} {units}" if current <= total else f"{current} {units}"
    left = ""
    if width > 50 and current > 0 and start > 0 and percentage < 50:
        elapsed = (time.time() if now is None else now) - start
        per_unit = elapsed / current
        remaining = round((total - current) * per_unit)
        left = " " + format_go_duration(remaining * 10**9)
    return bar + numbers + left


def _rfc3339_fixed(nanoseconds: int) -> str:
    seconds, nanos = divmod(nanoseconds, 10**9)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{nanos:09d}Z"


def _display(message: dict[str, Any], terminal: bool, width: int) -> str:
    error = message.get("errorDetail")
    if error:
        text = str(error.get("message") or message.get("error") or "")
        code = error.get("code")
        raise JSONMessageError(text, code=code if isinstance(code, int) else 0)
    if message.get("error"):
        raise JSONMessageError(str(message["error"]))
    has_progress = "progressDetail" in message and message["progressDetail"] is not None
    detail = message.get("progressDetail") or {}
    bar = progress_bar(detail, width) if has_progress else ""
    stream = str(message.get("stream") or "")
    endl = ""
    out: list[str] = []
    if terminal and not stream and has_progress:
        out.append("\x1b[2K\r")
        endl = "\r"
    elif has_progress and bar:
        return ""  # no live bars when the output is not a terminal
    if message.get("timeNano"):
        out.append(_rfc3339_fixed(int(message["timeNano"])) + " ")
    elif message.get("time"):
        out.append(_rfc3339_fixed(int(message["time"]) * 10**9) + " ")
    if message.get("id"):
        out.append(f"{message['id']}: ")
    if message.get("from"):
        out.append(f"(from {message['from']}) ")
    status = str(message.get("status") or "")
    if has_progress and terminal:
        out.append(f"{status} {bar}{endl}")
    elif message.get("progress"):
        out.append(f"{status} {message['progress']}{endl}")
    elif stream:
        out.append(f"{stream}{endl}")
    else:
        out.append(f"{status}{endl}\n")
    return "".join(out)


async def display_json_messages(
    messages: AsyncIterator[Any],
    write: Callable[[str], None],
    *,
    terminal: bool,
    width: int = 200,
    on_aux: Callable[[Any], None] | None = None,
) -> None:
    """Draw a progress stream; raises :class:`JSONMessageError` at the first error message."""
    lines: dict[str, int] = {}
    async for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("aux") is not None:
            if on_aux is not None:
                on_aux(message["aux"])
            continue
        ident = str(message.get("id") or "")
        diff = 0
        has_progress = message.get("progressDetail") is not None or bool(message.get("progress"))
        if ident and has_progress:
            if ident not in lines:
                lines[ident] = len(lines)
                if terminal:
                    write("\n")
            diff = len(lines) - lines[ident]
            if terminal and diff:
                write(f"\x1b[{diff}A")
        else:
            lines = {}
        try:
            text = _display(message, terminal, width)
        except JSONMessageError:
            if ident and terminal and diff:
                write(f"\x1b[{diff}B")
            raise
        if text:
            write(text)
        if ident and terminal and diff:
            write(f"\x1b[{diff}B")
