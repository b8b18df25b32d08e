"""Sizes as Docker's ``go-units`` reads them: ``10m``, ``1.5k``, ``20MB``, ``512KiB``.

``--log-opt max-size`` uses decimal units (``k`` = 1000, ``FromHumanSize``);
``max-buffer-size`` uses binary ones (``k`` = 1024, ``RAMInBytes``). The
suffix is case-insensitive and may end with ``b`` or ``ib``.
"""

from __future__ import annotations

__all__ = ["SizeError", "from_human_size", "ram_in_bytes"]

_DECIMAL = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}
_BINARY = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


class SizeError(ValueError):
    """A size that go-units would not parse; the message is Docker's."""


def _parse(text: str, units: dict[str, int]) -> int:
    separator = max(text.rfind(c) for c in "0123456789. ")
    if separator == -1:
        raise SizeError(f"invalid size: '{text}'")
    if text[separator] == " ":
        number, suffix = text[:separator], text[separator + 1 :]
    else:
        number, suffix = text[: separator + 1], text[separator + 1 :]
    try:
        size = float(number)
    except ValueError:
        raise SizeError(f'strconv.ParseFloat: parsing "{number}": invalid syntax') from None
    if size < 0:
        raise SizeError(f"invalid size: '{text}'")
    if not suffix:
        return int(size)
    lowered = suffix.lower()
    if len(lowered) > 3:
        raise SizeError(f"invalid suffix: '{suffix}'")
    if lowered[0] == "b":
        if len(lowered) > 1:
            raise SizeError(f"invalid suffix: '{lowered}'")
        return int(size)
    multiplier = units.get(lowered[0])
    if multiplier is None or (len(lowered) == 2 and lowered[1] != "b") or (len(lowered) == 3 and lowered[1:] != "ib"):
        raise SizeError(f"invalid suffix: '{lowered}'")
    return int(size * multiplier)


def from_human_size(text: str) -> int:
    """``text`` in bytes with decimal units; raises :class:`SizeError` (a ``ValueError``)."""
    return _parse(text, _DECIMAL)


def ram_in_bytes(text: str) -> int:
    """``text`` in bytes with binary units; raises :class:`SizeError` (a ``ValueError``)."""
    return _parse(text, _BINARY)
