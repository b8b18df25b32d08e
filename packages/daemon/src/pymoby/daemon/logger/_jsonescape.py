"""JSON string escaping exactly as Docker's json-file writes the ``log`` field.

Docker (``jsonlog.ffjsonWriteJSONBytesAsString``) escapes ``"`` and ``\\``,
writes ``\\n`` and ``\\r``, ``\\u00XX`` for the other control bytes and for
``<``, ``>``, ``&``, ``\\u2028``/``\\u2029`` for those two code points, and
``\\ufffd`` for every byte that is not part of valid UTF-8; everything else
is copied as it is.

:func:`escape_lines` escapes a whole block of lines at once and leaves the
``\\n`` bytes that separate them in place, so that the caller can turn each
one into the end of one JSON entry and the start of the next with a single
``bytes.replace``. Escaping is per byte (and UTF-8 sequences never contain
``\\n``), so escaping a block is the same as escaping each line. The common
case (printable ASCII, or valid UTF-8 with a few quotes) never leaves C.
"""

from __future__ import annotations

import re

__all__ = ["escape_json_string", "escape_lines"]

#: Bytes copied unchanged (printable ASCII and DEL, but not the five Docker escapes).
_PLAIN = bytes(b for b in range(0x20, 0x80) if b not in b'"\\<>&')
_HIGH = bytes(range(0x80, 0x100))
_HEX = "0123456789abcdef"


def _ascii_escape(byte: int) -> bytes:
    if byte in b'"\\':
        return b"\\" + bytes([byte])
    if byte == 0x0A:
        return b"\\n"
    if byte == 0x0D:
        return b"\\r"
    return b"\\u00" + (_HEX[byte >> 4] + _HEX[byte & 0xF]).encode()


#: Escaped form of each ASCII byte that needs one, backslash first (later escapes add backslashes).
_ASCII_ESCAPES = [(b"\\", b"\\\\")] + [
    (bytes([b]), _ascii_escape(b)) for b in range(0x80) if b not in _PLAIN and b not in (0x0A, 0x5C)
]

_TEXT_ESCAPES = {chr(b): _ascii_escape(b).decode() for b in range(0x80) if b not in _PLAIN and b != 0x0A}
_TEXT_ESCAPES |= {"\u2028": "\\u2028", "\u2029": "\\u2029"}
_TEXT_ESCAPES |= {chr(0xDC00 + b): "\\ufffd" for b in range(0x80, 0x100)}  # surrogateescape of invalid bytes
_TEXT_SPECIAL = re.compile("[" + "".join(re.escape(c) for c in _TEXT_ESCAPES) + "]")


def _escape_text(match: re.Match[str]) -> str:
    return _TEXT_ESCAPES[match.group()]


def escape_lines(data: bytes) -> bytes:
    """``data`` escaped for the inside of a JSON string, its ``\\n`` bytes left as they are."""
    special = data.translate(None, _PLAIN)
    if not special or special.count(b"\n") == len(special):
        return data
    ascii_special = special.translate(None, _HIGH)
    if len(ascii_special) != len(special):
        # Non-ASCII: fast only when it is valid UTF-8 without U+2028/U+2029.
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return _slow(data)
        if b"\xe2\x80\xa8" in data or b"\xe2\x80\xa9" in data:
            return _slow(data)
    present = set(ascii_special) if len(ascii_special) < 4096 else None
    for raw, escaped in _ASCII_ESCAPES:
        if present is None:
            if raw in ascii_special:
                data = data.replace(raw, escaped)
        elif raw[0] in present:
            data = data.replace(raw, escaped)
    return data


def _slow(data: bytes) -> bytes:
    text = data.decode("utf-8", "surrogateescape")
    return _TEXT_SPECIAL.sub(_escape_text, text).encode("utf-8")


def escape_json_string(data: bytes) -> bytes:
    """``data`` as a complete JSON string (quotes included), newlines escaped too."""
    return b'"' + escape_lines(data).replace(b"\n", b"\\n") + b'"'
