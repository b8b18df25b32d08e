"""Go's text forms of values, where Docker's messages and image history show them.

The classic builder writes history entries with Go's ``fmt`` verbs
(``CMD ["/bin/sh" "-c" "echo hi"]`` is ``%q`` of a string slice, ``VOLUME
[/data]`` is ``%v``), durations as ``time.Duration`` prints them (``1m30s``)
and parses ``--interval`` values as ``time.ParseDuration`` does.
"""

from __future__ import annotations

import re

__all__ = ["format_duration", "go_quote", "go_quote_list", "go_quote_rune", "go_value_list", "parse_duration"]

_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\"}


def _escape(ch: str, quote: str) -> str:
    if ch == quote:
        return "\\" + ch
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if ch.isprintable() or ch == " ":
        return ch
    if code < 0x80:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def go_quote(text: str) -> str:
    """``strconv.Quote``: a double-quoted Go string literal."""
    return '"' + "".join(_escape(ch, '"') for ch in text) + '"'


def go_quote_list(items: list[str] | None) -> str:
    """``fmt.Sprintf("%q", []string{...})``: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(item) for item in items or []) + "]"


def go_value_list(items: list[str] | None) -> str:
    """``fmt.Sprintf("%v", []string{...})``: ``[a b]``."""
    return "[" + " ".join(items or []) + "]"


def go_quote_rune(value: int) -> str:
    """``fmt.Sprintf("%q", int)``: a single-quoted Go character literal (``'\\x00'``, ``'A'``)."""
    if value < 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "'\\ufffd'"
    return "'" + _escape(chr(value), "'") + "'"


def _format_fraction(value: int, digits: int) -> str:
    text = f"{value:0{digits}d}".rstrip("0")
    return "." + text if text else ""


def format_duration(ns: int) -> str:
    """``time.Duration(ns).String()``: ``0s``, ``1.5s``, ``1m30s``, ``100ms``, ``2h0m0s``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000_000_000:
        for unit, size, digits in (("ms", 1_000_000, 6), ("µs", 1_000, 3), ("ns", 1, 0)):
            if ns >= size:
                whole, frac = divmod(ns, size)
                return f"{sign}{whole}{_format_fraction(frac, digits) if digits else ''}{unit}"
    seconds, frac = divmod(ns, 1_000_000_000)
    text = f"{seconds % 60}{_format_fraction(frac, 9)}s"
    minutes = seconds // 60
    if minutes:
        text = f"{minutes % 60}m{text}"
        hours = minutes // 60
        if hours:
            text = f"{hours}h{text}"
    return sign + text


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
_UNITS |= {"m": 60 * _UNITS["s"], "h": 3600 * _UNITS["s"]}
_PART = re.compile(r"(\d*)(?:\.(\d*))?([a-zµμ]+)")


def parse_duration(text: str) -> int:
    """``time.ParseDuration``: nanoseconds of ``1m30s``, ``1.5h``, ``-2ms``, ``0``.

    Raises ValueError with Go's message (``time: invalid duration "x"``).
    """
    original = text
    invalid = ValueError(f'time: invalid duration "{original}"')
    sign = 1
    if text[:1] in "+-" and text:
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise invalid
    total = 0
    pos = 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or (not match.group(1) and not match.group(2)):
            raise invalid
        whole, frac, unit = match.groups()
        if unit not in _UNITS:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{original}"')
        size = _UNITS[unit]
        value = int(whole or "0") * size
        if frac:
            value += int(frac) * size // 10 ** len(frac)
        total += value
        pos = match.end()
    return sign * total
