"""``GET /containers/{id}/logs``: its query and the bytes of its answer (Docker's ``logstream.Write``).

Without a TTY each message is one stdcopy frame (stdout 1, stderr 2, and 3
for an error met while reading, ``Error grabbing logs: ...``); with a TTY
the lines are written raw. ``timestamps`` prefixes each message with its
time in the fixed nine-digit form, ``details`` with its attributes
(``k=v,k2=v2 ``, query-escaped, keys sorted).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote_plus

from pymoby import api, errdefs

from ._message import Message, ReadConfig
from ._timefmt import format_fixed, parse_unix_timestamp

__all__ = ["LogsOptions", "encode_logs", "encode_message"]

log = logging.getLogger(__name__)

_FALSE = frozenset({"", "0", "no", "false", "none"})
_FLUSH = 64 << 10


def _bool(query: Mapping[str, str], name: str) -> bool:
    return name in query and query[name].strip().lower() not in _FALSE


@dataclass(frozen=True, slots=True)
class LogsOptions:
    """What ``docker logs`` asked for (Docker's ``backend.ContainerLogsOptions``)."""

    stdout: bool = True
    stderr: bool = True
    follow: bool = False
    since: int | None = None
    until: int | None = None
    tail: int = -1
    timestamps: bool = False
    details: bool = False

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> LogsOptions:
        """Parse the query of ``GET /containers/{id}/logs`` (or attach's ``logs``).

        Raises ``InvalidParameter``: "Bad parameters: you must choose at
        least one stream" without stdout and stderr, or for a ``since``/
        ``until`` that is not a Unix timestamp. ``tail`` that is not a number
        (``all``) means every line, as in Docker.
        """
        stdout, stderr = _bool(query, "stdout"), _bool(query, "stderr")
        if not (stdout or stderr):
            raise errdefs.InvalidParameter("Bad parameters: you must choose at least one stream")
        try:
            tail = int(query.get("tail", ""))
        except ValueError:
            tail = -1
        return cls(
            stdout=stdout,
            stderr=stderr,
            follow=_bool(query, "follow"),
            since=parse_unix_timestamp(query.get("since", "")),
            until=parse_unix_timestamp(query.get("until", "")),
            tail=tail if tail >= 0 else -1,
            timestamps=_bool(query, "timestamps"),
            details=_bool(query, "details"),
        )

    def read_config(self, *, running: bool = True) -> ReadConfig:
        """The driver read for these options; a stopped container is never followed (as in Docker)."""
        return ReadConfig(since=self.since, until=self.until, tail=self.tail, follow=self.follow and running)


def _details(attrs: Mapping[str, str]) -> bytes:
    pairs = ",".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in sorted(attrs.items()))
    return pairs.encode() + b" "


def encode_message(message: Message, options: LogsOptions, multiplexed: bool) -> bytes:
    """The bytes of one message for the logs answer; ``b""`` when its stream was not asked for."""
    if message.source == "stdout":
        if not options.stdout:
            return b""
        stream = api.StdStream.STDOUT
    elif message.source == "stderr":
        if not options.stderr:
            return b""
        stream = api.StdStream.STDERR
    else:
        return b""
    line = message.line
    if options.details:
        line = _details(message.attrs) + line
    if options.timestamps:
        line = format_fixed(message.timestamp).encode() + b" " + line
    return api.encode_frame(stream, line) if multiplexed else line


async def encode_logs(
    batches: AsyncIterable[list[Message]], options: LogsOptions, *, multiplexed: bool
) -> AsyncIterator[bytes]:
    """The answer's chunks for message ``batches`` (one chunk per batch, cut at 64 KiB).

    A read error (``OSError`` or an errdefs kind) ends the stream with
    ``Error grabbing logs: ...`` on the system-error stream, as Docker does.
    """
    try:
        async for batch in batches:
            parts: list[bytes] = []
            size = 0
            for message in batch:
                data = encode_message(message, options, multiplexed)
                if not data:
                    continue
                parts.append(data)
                size += len(data)
                if size >= _FLUSH:
                    yield b"".join(parts)
                    parts, size = [], 0
            if parts:
                yield b"".join(parts)
    except (OSError, errdefs.PymobyError) as exc:
        log.error("Error streaming logs: %s", exc)
        text = f"Error grabbing logs: {exc}\n".encode()
        yield api.encode_frame(api.StdStream.SYSTEMERR, text) if multiplexed else text
