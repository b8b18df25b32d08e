"""Daemon logs in logrus' text format, as dockerd writes them.

``time="2024-01-02T15:04:05.123456789Z" level=info msg="API listen on /run/pymoby.sock"``
"""

from __future__ import annotations

import logging
import sys
import time

__all__ = ["configure_logging"]

_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "ERROR": "error", "CRITICAL": "fatal"}


class LogrusFormatter(logging.Formatter):
    """Formats records as ``time=... level=... msg=...``."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = int(record.created)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        nanos = int((record.created - seconds) * 1e9)
        message = record.getMessage().replace("\\", "\\\\").replace('"', '\\"')
        if record.exc_info:
            message += "\\n" + self.formatException(record.exc_info).replace("\n", "\\n").replace('"', '\\"')
        level = _LEVELS.get(record.levelname, record.levelname.lower())
        return f'time="{stamp}.{nanos:09d}Z" level={level} msg="{message}"'


def configure_logging(level: str, debug: bool) -> None:
    """Send the ``pymoby`` loggers to stderr at ``level`` (``debug`` wins)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogrusFormatter())
    root = logging.getLogger("pymoby")
    root.handlers[:] = [handler]
    root.propagate = False
    root.setLevel(logging.DEBUG if debug else {"warn": "WARNING", "fatal": "CRITICAL"}.get(level, level.upper()))
    # Errors the event loop reports (a failing callback) belong in the daemon's log too.
    loop_log = logging.getLogger("asyncio")
    loop_log.handlers[:] = [handler]
    loop_log.propagate = False
    loop_log.setLevel(logging.WARNING)
