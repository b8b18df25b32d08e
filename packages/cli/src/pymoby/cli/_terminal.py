"""The local terminal: raw mode, its size, SIGWINCH, and the detach-key sequence.

``raw_terminal`` puts stdin in raw mode (as Docker's ``MakeRaw``) and
restores it; ``monitor_size`` sends the terminal's size to the container
(or exec) at once and on every SIGWINCH, as Docker's ``MonitorTtySize``;
:class:`EscapeProxy` finds the detach keys (``ctrl-p,ctrl-q`` by default)
in what the user types, as Docker's ``term.NewEscapeProxy``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import termios
import tty
from collections.abc import Awaitable, Callable, Iterator

import anyio

from ._errors import CLIError

__all__ = [
    "DEFAULT_DETACH_KEYS",
    "EscapeProxy",
    "monitor_size",
    "parse_detach_keys",
    "raw_terminal",
    "terminal_size",
]

DEFAULT_DETACH_KEYS = b"\x10\x11"  # ctrl-p, ctrl-q

_CTRL = ["ctrl-@"] + [f"ctrl-{chr(c)}" for c in range(ord("a"), ord("z") + 1)] + [
    "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"
]  # fmt: skip


def parse_detach_keys(keys: str) -> bytes:
    """Docker's detach-key syntax (``ctrl-p,ctrl-q``, ``ctrl-<x>``, single characters, ``DEL``) as bytes.

    Raises :class:`CLIError` (``Unknown character: 'x'``).
    """
    codes = bytearray()
    for key in keys.split(","):
        if len(key) == 1:
            codes.append(ord(key) & 0xFF)
        elif key in _CTRL:
            codes.append(_CTRL.index(key))
        elif key == "DEL":
            codes.append(127)
        else:
            raise CLIError(f"Unknown character: '{key}'")
    return bytes(codes)


class EscapeProxy:
    """Passes typed bytes through until the escape sequence has been typed.

    A partial match is held back; when the next byte does not continue the
    sequence, the held bytes are passed on.
    """

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.pos = 0

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """``(bytes to send, whether the sequence is complete)``."""
        if not self.keys:
            return data, False
        out = bytearray()
        for byte in data:
            if byte == self.keys[self.pos]:
                self.pos += 1
                if self.pos == len(self.keys):
                    self.pos = 0
                    return bytes(out), True
                continue
            if self.pos:
                out += self.keys[: self.pos]
                self.pos = 0
                if byte == self.keys[0]:
                    self.pos = 1
                    if len(self.keys) == 1:
                        return bytes(out), True
                    continue
            out.append(byte)
        return bytes(out), False


@contextlib.contextmanager
def raw_terminal(fd: int | None) -> Iterator[None]:
    """Put the terminal of ``fd`` in raw mode for the block (nothing when it is not a terminal)."""
    if fd is None or not os.isatty(fd) or os.environ.get("NORAW"):
        yield
        return
    saved = termios.tcgetattr(fd)
    tty.setraw(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def terminal_size(fd: int | None) -> tuple[int, int]:
    """``(height, width)`` of the terminal on ``fd``, ``(0, 0)`` when it is none."""
    if fd is None:
        return 0, 0
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return 0, 0
    return size.lines, size.columns


async def monitor_size(fd: int | None, resize: Callable[[int, int], Awaitable[None]]) -> None:
    """Resize now (retrying briefly, as Docker does), then on every SIGWINCH, until cancelled."""
    height, width = terminal_size(fd)
    if height or width:
        for attempt in range(10):
            try:
                await resize(height, width)
                break
            except Exception:
                await anyio.sleep((attempt + 1) * 0.01)
    with anyio.open_signal_receiver(signal.SIGWINCH) as signals:
        async for _ in signals:
            height, width = terminal_size(fd)
            if height or width:
                with contextlib.suppress(Exception):
                    await resize(height, width)
