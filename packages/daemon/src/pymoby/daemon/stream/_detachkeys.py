"""Detach keys: Docker's syntax, and spotting the sequence in a client's stdin.

``--detach-keys`` is a comma-separated list of keys: a single character
(``a``), ``ctrl-<c>`` for ``c`` in ``@``, ``a``..``z``, ``[``, ``\\``,
``]``, ``^``, ``_`` (codes 0 to 31), or ``DEL`` (127). The default is
``ctrl-p,ctrl-q``.

:class:`DetachMatcher` holds back bytes that may start the sequence and lets
them through as soon as the next byte shows they do not; a read that
completes the sequence reports the detach instead of forwarding it. Unlike
Docker's proxy, which forgets a byte that breaks a partial match, the
matcher also tries that byte as the start of a new match, so ``ctrl-p
ctrl-p ctrl-q`` detaches too.
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = ["DEFAULT_DETACH_KEYS", "DetachMatcher", "InvalidDetachKeys", "parse_detach_keys"]

#: ctrl-p, ctrl-q.
DEFAULT_DETACH_KEYS = b"\x10\x11"

_CONTROL = "@abcdefghijklmnopqrstuvwxyz[\\]^_"


class InvalidDetachKeys(errdefs.InvalidParameter):
    """A ``detachKeys`` value Docker would not accept."""


def parse_detach_keys(spec: str) -> bytes:
    """The bytes of ``spec`` (``ctrl-p,ctrl-q``); the default for ``""``.

    Raises :class:`InvalidDetachKeys` with Docker's message,
    ``Invalid detach keys (<spec>) provided``.
    """
    if spec == "":
        return DEFAULT_DETACH_KEYS
    codes = bytearray()
    for key in spec.split(","):
        raw = key.encode("utf-8")
        if len(raw) == 1:
            codes += raw
        elif key.startswith("ctrl-") and len(key) == 6 and key[5] in _CONTROL:
            codes.append(_CONTROL.index(key[5]))
        elif key == "DEL":
            codes.append(127)
        else:
            raise InvalidDetachKeys(f"Invalid detach keys ({spec}) provided")
    return bytes(codes)


class DetachMatcher:
    """Finds ``keys`` in a byte stream read in pieces."""

    __slots__ = ("_held", "keys")

    def __init__(self, keys: bytes = DEFAULT_DETACH_KEYS) -> None:
        if not keys:
            raise ValueError("detach keys must not be empty")
        self.keys = keys
        self._held = 0  # how many bytes of keys the last bytes matched (held back)

    @property
    def holding(self) -> bytes:
        """The bytes held back because they may start the sequence."""
        return self.keys[: self._held]

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """``(bytes to forward, detached)`` for the next piece of input.

        Once detached, the bytes after the sequence are dropped, as the client
        has left.
        """
        keys = self.keys
        first = keys[0]
        if not self._held and first not in data:
            return data, False
        out = bytearray()
        held = self._held
        index, size = 0, len(data)
        while index < size:
            if not held:
                found = data.find(first, index)
                if found == -1:
                    out += data[index:]
                    break
                out += data[index:found]
                index = found
            byte = data[index]
            index += 1
            if byte == keys[held]:
                held += 1
                if held == len(keys):
                    self._held = 0
                    return bytes(out), True
                continue
            # The held bytes plus this one are no match: keep the longest
            # suffix that still begins the sequence, forward the rest.
            candidate = keys[:held] + bytes([byte])
            start = 1
            while not keys.startswith(candidate[start:]):
                start += 1
            out += candidate[:start]
            held = len(candidate) - start
        self._held = held
        return bytes(out), False

    def flush(self) -> bytes:
        """At end of input: the held bytes, which turned out not to be a detach."""
        held, self._held = self.keys[: self._held], 0
        return held
