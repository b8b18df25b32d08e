"""pymoby.daemon.stream: a process's stdio for attach and exec (Docker's ``container/stream``).

For the containers engineer, the seams:

- start: ``streams = StreamConfig()`` (kept on the container across
  restarts); ``streams.set_stdin(fifos.stdin)``; the log copier gets
  ``tees=streams.tees()``.
- attach: ``keys = parse_detach_keys(query.get("detachKeys", ""))`` (before
  hijacking: ``InvalidParameter``); ``attachment = streams.attach(AttachConfig(
  use_stdin=..., use_stdout=..., use_stderr=..., tty=tty, detach_keys=keys,
  close_stdin=config.StdinOnce))``; replay logs if ``logs=1``; then
  ``out, err = client_writers(conn, multiplexed=not tty)`` and
  ``end = await attachment.run(conn if open_stdin else None, out, err)``;
  log a ``detach`` event when ``end is AttachEnd.DETACHED``.
- exit: ``await streams.close()``.
"""

from ._attach import AttachConfig, AttachEnd, Attachment, FramedWriter, client_writers
from ._broadcaster import DEFAULT_LIMIT, Broadcaster, OverflowPolicy, Subscriber
from ._config import StreamConfig
from ._detachkeys import DEFAULT_DETACH_KEYS, DetachMatcher, InvalidDetachKeys, parse_detach_keys

__all__ = [
    "DEFAULT_DETACH_KEYS",
    "DEFAULT_LIMIT",
    "AttachConfig",
    "AttachEnd",
    "Attachment",
    "Broadcaster",
    "DetachMatcher",
    "FramedWriter",
    "InvalidDetachKeys",
    "OverflowPolicy",
    "StreamConfig",
    "Subscriber",
    "client_writers",
    "parse_detach_keys",
]
